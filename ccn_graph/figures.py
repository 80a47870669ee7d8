"""The figures the home page shows, computed by the store, kept per data version."""

from __future__ import annotations

import dataclasses
import threading

from ccn_graph import queries
from ccn_graph.iris import ONTOLOGY_NS
from ccn_graph.store import Store

__all__ = ["Figures", "figures"]


@dataclasses.dataclass(frozen=True)
class Figures:
    totals: dict[str, int]
    members_by_state: dict[str, int]
    members_by_domain: list[tuple[str, str, str, int]]
    nccs: list[dict]


_cache: dict[int, tuple[object, Figures]] = {}
_lock = threading.Lock()


def figures(store: Store) -> Figures:
    """Totals, members per Member State and per research domain, and the NCC of each Member State."""
    state = store.state()
    version = state.data_version if state else None
    with _lock:
        cached = _cache.get(id(store))
        if cached and cached[0] == version:
            return cached[1]
    totals = {str(r["kind"])[len(ONTOLOGY_NS):]: int(r["count"]) for r in store.select(queries.load("figures_totals"))}
    by_state = {str(r["state"]): int(r["members"]) for r in store.select(queries.load("figures_members_by_state"))}
    by_domain = [
        (str(r["domain"]), str(r["code"]), str(r["label"]), int(r["members"]))
        for r in store.select(queries.load("figures_members_by_domain"))
    ]
    nccs = [
        {"state": str(r["state"]), "code": str(r["code"]), "name": str(r["name"]),
         "ncc": str(r["ncc"]) if "ncc" in r else None, "label": str(r["label"]) if "label" in r else None}
        for r in store.select(queries.load("map_nccs"))
    ]
    result = Figures(totals, by_state, by_domain, sorted(nccs, key=lambda n: n["code"]))
    with _lock:
        _cache[id(store)] = (version, result)
    return result
