"""The gate every write goes through: slice → validate → merge, all or nothing.

Records arrive as named graphs (``{base}graph/{type}/{ref}`` → triples). The gate fetches from the
store, in one query, what the shapes need to know about the nodes the records point to (the
*slice*), validates records and slice together, and — only when there is no Violation — replaces
the record graphs, records a provenance activity and keeps a version of each record it changes
(`history`) in one SPARQL Update, which the store applies atomically. A rejected batch writes
nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from ccn_graph import history, queries
from ccn_graph.iris import ONTOLOGY_NS, check_iri, provenance_graph_prefix, record_graph_for
from ccn_graph.store import Store
from ccn_graph.validation import ValidationReport, Validator

__all__ = ["Gate", "MergeOutcome", "file_lock", "record_etag"]

_MEMBER_STATE = URIRef(ONTOLOGY_NS + "memberState")
_NCC = URIRef(ONTOLOGY_NS + "NationalCoordinationCentre")


@dataclasses.dataclass(frozen=True)
class MergeOutcome:
    """What happened to a batch: accepted (written) or not, and why.

    `stale` is true when an expected record version (If-Match) no longer held; `etags` are the
    versions of the records as written.
    """

    accepted: bool
    report: ValidationReport
    graphs: tuple[str, ...]
    activity: str | None = None
    stale: bool = False
    added: int = 0
    removed: int = 0
    etags: Mapping[str, str] = dataclasses.field(default_factory=dict)


def record_etag(graph: Graph) -> str:
    """A version tag of a record: a hash of its triples, independent of their order."""
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in graph)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


class Gate:
    """Validates and merges record graphs into `store` for instance base `base`."""

    def __init__(
        self,
        store: Store,
        validator: Validator,
        base: str,
        *,
        lock_path: Path | None = None,
        shapes_version: str = "",
        on_merged: Callable[[Mapping[str, Graph], str | None, str | None], None] | None = None,
    ) -> None:
        """`on_merged(graphs, before, after)` is called under the write lock after each accepted
        write, with the graphs written and the store generations before and after it: derived
        indexes follow the store in the same unit of work."""
        self.store = store
        self.on_merged = on_merged
        self.validator = validator
        self.base = base
        self.lock_path = lock_path
        self.shapes_version = shapes_version
        self._thread_lock = threading.RLock()
        self._depth = threading.local()

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Held while a write is checked and applied: across threads, and across processes that
        share the lock file (the store applies each update atomically but does not serialise
        concurrent ones; see DESIGN decision 5). A thread that holds it may take it again (an
        update is evaluated and then merged under one hold)."""
        with self._thread_lock:
            self._depth.count = getattr(self._depth, "count", 0) + 1
            try:
                if self.lock_path is None or self._depth.count > 1:
                    yield
                    return
                with file_lock(self.lock_path):
                    yield
            finally:
                self._depth.count -= 1

    def current(self, graphs: Iterable[str]) -> dict[str, Graph]:
        """The records as the store has them now."""
        return {iri: self.store.read_graph(iri) for iri in graphs}

    def slice(self, records: Mapping[str, Graph]) -> Graph:
        """The store's triples about the nodes `records` point to, less the records themselves."""
        own = {s for graph in records.values() for s in graph.subjects()}
        nodes = sorted(
            {o for graph in records.values() for o in graph.objects() if isinstance(o, URIRef)} - own
        )
        # "One NCC per Member State" needs the other NCCs of the States of submitted NCCs only;
        # asking for the NCCs of a member's State costs a scan of its members.
        states = sorted({
            o for graph in records.values() for s, o in graph.subject_objects(_MEMBER_STATE)
            if (s, RDF.type, _NCC) in graph
        })
        if not nodes and not states:
            return Graph()
        fetched = self.store.construct(
            queries.load("slice"),
            {"nodes": [n for n in nodes if _safe(n)], "states": [s for s in states if _safe(s)]},
        )
        # A record being replaced is judged by its new version only.
        replaced = set(records)
        stale = [s for s in set(fetched.subjects()) if record_graph_for(self.base, str(s)) in replaced]
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

    def merge(
        self,
        records: Mapping[str, Graph],
        *,
        label: str,
        sources: tuple[str, ...] = (),
        agent: tuple[str, str] | None = None,
        expected: Mapping[str, Collection[str]] | None = None,
        activity_id: str | None = None,
    ) -> MergeOutcome:
        """Validate `records` and, if they conform, replace their graphs and record an activity.

        All or nothing: either every record graph, the activity and the records' new versions are
        written in one update, or
        (on a Violation, a stale `expected` version, or a refused update) nothing is. `agent` is
        (IRI, name) of who made the change; `expected` maps record graphs to the versions
        (`record_etag`) the caller would write over (any of them: If-Match may name several).
        """
        for iri in records:
            check_iri(iri)
        with self.write_lock():
            generation_before = self.store.generation() if self.on_merged else None
            before = self.current(records)
            if expected:
                for iri, etags in expected.items():
                    if record_etag(before.get(iri, Graph())) not in etags:
                        return MergeOutcome(False, _empty_report(), tuple(records), stale=True)
            report = self.check(records)
            if not report.conforms:
                return MergeOutcome(False, report, tuple(records))
            added = sum(len(records[g] - before[g]) for g in records)
            removed = sum(len(before[g] - records[g]) for g in records)
            activity_id = activity_id or uuid.uuid4().hex
            activity_iri = f"{self.base}id/activity/{activity_id}"
            current = history.heads(self.store, records)
            when = current.time_of_next(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
            versions, history_state, _ = history.version_nodes(
                self.base, current, before, records, activity=activity_iri, time=when,
                loaded_at=_loaded_at(self.store))
            activity = Graph()
            activity += versions
            node = URIRef(activity_iri)
            now = Literal(when)
            activity.add((node, RDF.type, PROV.Activity))
            activity.add((node, RDFS.label, Literal(label, lang="en")))
            activity.add((node, PROV.endedAtTime, now))
            activity.add((node, URIRef(ONTOLOGY_NS + "triplesAdded"), Literal(added)))
            activity.add((node, URIRef(ONTOLOGY_NS + "triplesRemoved"), Literal(removed)))
            if self.shapes_version:
                activity.add((node, URIRef(ONTOLOGY_NS + "shapesVersion"), Literal(self.shapes_version)))
            for warning in report.warnings:
                activity.add((node, URIRef(ONTOLOGY_NS + "warning"), Literal(f"{warning.focus}: {warning.message}")))
            if agent is not None:
                agent_node = URIRef(agent[0])
                activity.add((node, PROV.wasAssociatedWith, agent_node))
                activity.add((agent_node, RDF.type, PROV.Agent))
                activity.add((agent_node, RDFS.label, Literal(agent[1])))
            for iri in records:
                activity.add((node, PROV.generated, URIRef(iri)))
            for source in sources:
                activity.add((node, DCTERMS.source, Literal(source)))
            graphs = dict(records)
            graphs[f"{provenance_graph_prefix(self.base)}{activity_id}"] = activity
            # Always, even without a version: it counts the writes through the gate.
            graphs[history.HISTORY_GRAPH] = history_state
            self.store.replace_graphs(graphs)
            if self.on_merged:
                self.on_merged(graphs, generation_before, self.store.generation())
            etags = {g: record_etag(graph) for g, graph in self.current(records).items()}
        return MergeOutcome(True, report, tuple(records), activity_iri, added=added, removed=removed, etags=etags)


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


def _loaded_at(store: Store) -> dt.datetime | None:
    """When the store was loaded: the date of what it held before history was kept."""
    state = store.state()
    if state is None or not state.loaded_at:
        return None
    try:
        return dt.datetime.fromisoformat(state.loaded_at)
    except ValueError:
        return None


def _empty_report() -> ValidationReport:
    return ValidationReport((), Graph())


def _safe(term: URIRef) -> bool:
    try:
        check_iri(str(term))
    except ValueError:
        return False
    return True
