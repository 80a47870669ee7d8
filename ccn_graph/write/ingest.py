"""The check every write goes through: slice → validate (the merge is `ccn_graph.write`'s).

Records arrive as named graphs (``{base}graph/{type}/{ref}`` → triples). The gate fetches from the
store, in one query, what the shapes need to know about the nodes the records point to (the
*slice*), and validates records and slice together. It writes nothing: `ccn_graph.write.Writer`
calls it under the write lock, and merges only what conforms.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ccn_graph.model.iris import CCN, check_iri, record_graph_for
from ccn_graph.sparql import queries
from ccn_graph.store import Store
from ccn_graph.write.validation import ValidationReport, Validator

__all__ = ["Gate", "file_lock", "record_etag"]

_MEMBER_STATE = CCN.memberState
_NCC = CCN.NationalCoordinationCentre


def record_etag(graph: Graph) -> str:
    """A version tag of a record: a hash of its triples, independent of their order."""
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in graph)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


class Gate:
    """Validates record graphs against the shapes, with what `store` holds about what they point
    to."""

    def __init__(self, store: Store, validator: Validator, base: str) -> None:
        self.store = store
        self.validator = validator
        self.base = base

    def current(self, graphs: Iterable[str]) -> dict[str, Graph]:
        """The records as the store has them now."""
        return {iri: self.store.read_graph(iri) for iri in graphs}

    def slice(self, records: Mapping[str, Graph]) -> Graph:
        """The store's triples about the nodes `records` point to, less the records themselves."""
        own = {s for graph in records.values() for s in graph.subjects()}
        nodes = sorted(
            {o for graph in records.values() for o in graph.objects() if isinstance(o, URIRef)}
            - own
        )
        # "One NCC per Member State" needs the other NCCs of the States of submitted NCCs only;
        # asking for the NCCs of a member's State costs a scan of its members.
        states = sorted(
            {
                o
                for graph in records.values()
                for s, o in graph.subject_objects(_MEMBER_STATE)
                if (s, RDF.type, _NCC) in graph
            }
        )
        if not nodes and not states:
            return Graph()
        fetched = self.store.construct(
            queries.load("slice"),
            {"nodes": [n for n in nodes if _safe(n)], "states": [s for s in states if _safe(s)]},
        )
        # A record being replaced is judged by its new version only.
        replaced = set(records)
        stale = [
            s for s in set(fetched.subjects()) if record_graph_for(self.base, str(s)) in replaced
        ]
        for subject in stale:
            fetched.remove((subject, None, None))
        return fetched

    def check(self, records: Mapping[str, Graph]) -> ValidationReport:
        """Validate `records` against the shapes, with their slice. Writes nothing."""
        data = Graph()
        for graph in records.values():
            data += graph
        focus = set(data.subjects())
        data += self.slice(records)
        return self.validator.validate(data, focus)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` across processes (the write lock's file), held for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _safe(term: URIRef) -> bool:
    try:
        check_iri(str(term))
    except ValueError:
        return False
    return True
