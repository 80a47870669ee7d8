"""The figures the home page shows: counts from the portal index, names from the store.

The counts (members per Member State and per research domain, totals) are those the portal index
maintains on every write; the small lists that name them (the research domains, the NCC of each
Member State) come from the store once per data generation.
"""

from __future__ import annotations

import dataclasses
import threading

from ccn_graph.index.portal_index import PortalIndex
from ccn_graph.sparql import queries
from ccn_graph.store import Store

__all__ = ["Figures", "figures"]


@dataclasses.dataclass(frozen=True)
class Figures:
    totals: dict[str, int]
    members_by_state: dict[str, int]
    members_by_domain: list[tuple[str, str, str, int]]
    nccs: list[dict]


_names: dict[int, tuple[object, tuple[list, list]]] = {}
_lock = threading.Lock()


def figures(store: Store, index: PortalIndex) -> Figures:
    """Totals, members per Member State and per research domain, and the NCC of each Member
    State."""
    domains, nccs = _named_lists(store)
    by_domain = index.counts("domain")
    return Figures(
        index.totals(),
        index.counts("state"),
        [(iri, code, label, by_domain.get(iri, 0)) for iri, code, label in domains],
        nccs,
    )


def _named_lists(store: Store) -> tuple[list[tuple[str, str, str]], list[dict]]:
    generation = store.generation()
    with _lock:
        kept = _names.get(id(store))
        if kept and kept[0] == generation:
            return kept[1]
    domains = [
        (str(r["domain"]), str(r["code"]), str(r["label"]))
        for r in store.select(queries.load("taxonomy_domains"))
    ]
    nccs = [
        {
            "state": str(r["state"]),
            "code": str(r["code"]),
            "name": str(r["name"]),
            "ncc": str(r["ncc"]) if "ncc" in r else None,
            "label": str(r["label"]) if "label" in r else None,
        }
        for r in store.select(queries.load("map_nccs"))
    ]
    lists = (domains, sorted(nccs, key=lambda n: n["code"]))
    with _lock:
        _names[id(store)] = (generation, lists)
    return lists
