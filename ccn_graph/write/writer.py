"""The one write path (DESIGN decision 10): every change of the graph is one `Writer.write` call.

Under one hold of the write lock — across threads, and across the processes that share its file —
a write reads what the graphs hold now, works out what they become (`changes`), skolemises their
blank nodes (`blank_nodes`), checks the author's scope by record ownership (`scope`) and
``If-Match``, validates the result with its slice (`ingest.Gate`), and — only if all of that
holds — replaces the graphs, records the provenance activity and keeps each record's version
(`history`) in one SPARQL Update, which the store applies atomically. A refused write raises a
`WriteRefused` and writes nothing; a write the shapes reject returns an outcome that says so and
writes nothing. The listeners (portal index, dumps, submission log) then hear of the outcome, still
under the lock, so that whatever follows the store is at the same version when the lock is freed.
"""

# size: the one write path (DESIGN decision 10), read, checked and merged under one lock

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ccn_graph import history
from ccn_graph.model import iris
from ccn_graph.model.iris import (
    CCN,
    InvalidIRI,
    check_iri,
    entity_for_record,
    provenance_graph_prefix,
    steward_iri,
)
from ccn_graph.model.stewards import Steward
from ccn_graph.rdfio import blank_nodes
from ccn_graph.rdfio.rdf_input import ill_typed
from ccn_graph.store import Store
from ccn_graph.write import updates
from ccn_graph.write.changes import Change
from ccn_graph.write.errors import BadWrite, Stale, TooCostly, WorkedOutTooLong
from ccn_graph.write.ingest import Gate, file_lock, record_etag
from ccn_graph.write.scope import Scope
from ccn_graph.write.validation import ValidationReport

__all__ = ["UpdateLimits", "WriteOutcome", "Writer"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class UpdateLimits:
    """How a SPARQL Update is worked out: in a child process with `environ`, stopped after
    `time_limit` seconds, its working files in `work_dir`."""

    time_limit: float
    environ: Mapping[str, str]
    work_dir: Path | None = None


@dataclasses.dataclass(frozen=True)
class WriteOutcome:
    """What one write did. `accepted`: written (or, with `unchanged`, nothing to write); otherwise
    the shapes rejected it (`report`) and nothing was written. `existed`: some graph it names held
    triples before. `etags`: the versions of the records as written. `written`: every graph the
    update replaced (records, activity, history), with the store generations around it."""

    id: str
    accepted: bool
    report: ValidationReport
    graphs: tuple[str, ...]
    author: str | None
    label: str
    time: dt.datetime
    activity: str | None = None
    added: int = 0
    removed: int = 0
    existed: bool = False
    unchanged: bool = False
    etags: Mapping[str, str] = dataclasses.field(default_factory=dict)
    written: Mapping[str, Graph] = dataclasses.field(default_factory=dict)
    generations: tuple[str | None, str | None] = (None, None)
    extra: Mapping[str, object] = dataclasses.field(default_factory=dict)


Listener = Callable[[WriteOutcome], None]


class Writer:
    """Writes to `store` for instance base `base`, checking with `gate` and `scope`.

    `lock_path`: the write lock's file, shared by every process that writes to the store (None:
    this process only, for a store nobody else writes). `max_blank_nodes`: the most a record may
    hold (0: no bound); `max_records`, `max_triples`: the most a steward's write may hold (0: no
    bound). `update_limits`: how SPARQL Updates are worked out (None: refused).
    """

    def __init__(
        self,
        store: Store,
        gate: Gate,
        scope: Scope,
        base: str,
        *,
        lock_path: Path | None,
        shapes_version: str = "",
        max_blank_nodes: int = 0,
        max_records: int = 0,
        max_triples: int = 0,
        update_limits: UpdateLimits | None = None,
    ) -> None:
        self.store = store
        self.gate = gate
        self.scope = scope
        self.base = base
        self.lock_path = lock_path
        self.shapes_version = shapes_version
        self.max_blank_nodes = max_blank_nodes
        self.max_records = max_records
        self.max_triples = max_triples
        self.update_limits = update_limits
        self._listeners: list[Listener] = []
        self._thread_lock = threading.RLock()
        self._depth = threading.local()

    def listen(self, listener: Listener) -> None:
        """Call `listener(outcome)` after every write that reached validation (accepted or not),
        under the write lock. A listener that fails is logged; the write stands."""
        self._listeners.append(listener)

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Held for a whole write: across threads, and across processes that share the lock file
        (the store applies each update atomically but does not serialise concurrent ones; DESIGN
        decision 5). A thread that holds it may take it again."""
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
        """The graphs as the store holds them now."""
        return {iri: self.store.read_graph(iri) for iri in graphs}

    def work_out(self, update: str) -> dict[str, Graph]:
        """The new content of each graph `update` changes (`ccn_graph.write.updates`), nothing
        written.
        Raises `BadWrite` for an update that cannot be applied, `WorkedOutTooLong` past the
        limit."""
        limits = self.update_limits
        if limits is None:
            raise BadWrite("SPARQL Update is not taken here")
        try:
            effect = updates.evaluate(
                self.store,
                update,
                self.base,
                work_dir=limits.work_dir,
                time_limit=limits.time_limit,
                environ=dict(limits.environ),
            )
        except updates.UpdateTimeout as exc:
            raise WorkedOutTooLong(str(exc)) from None
        except updates.UpdateRefused as exc:
            raise BadWrite(str(exc)) from None
        return effect.graphs

    # size: the one write path step by step under one hold of the lock (DESIGN 10)
    def write(
        self,
        change: Change,
        author: Steward | None,
        *,
        label: str,
        expected: Collection[str] | None = None,
        sources: tuple[str, ...] = (),
        activity_id: str | None = None,
        extra: Mapping[str, object] | None = None,
        exists: bool | None = None,
        dry_run: bool = False,
    ) -> WriteOutcome:
        """Apply `change` for `author` (a steward; None: the service itself), all or nothing.

        `expected`: the versions (`record_etag`) the author would write over (If-Match: any of
        them), for a change of one graph; `exists`: whether that graph must hold triples already
        (``If-Match: *``) or must not (``If-None-Match: *``). A change that leaves every graph as it
        was writes nothing (the outcome says `unchanged`). `label` names the change in its
        provenance activity.
        `dry_run`: every check, then nothing written and nobody told (the outcome is not accepted).
        A steward's write holds at most `max_records` records and `max_triples` triples (the
        service's own imports are not bounded so). Raises `WriteRefused` (`BadWrite`, `NotAllowed`,
        `NothingToDelete`, `Stale`, `TooCostly`, `WorkedOutTooLong`) with nothing written; store
        errors propagate (`WriteUnconfirmed`: the update may have been applied).
        """
        activity_id = activity_id or uuid.uuid4().hex
        name = author.name if author is not None else None
        with self.write_lock():
            generation_before = self.store.generation()
            read: dict[str, Graph] = {}

            def current(graphs: Iterable[str]) -> dict[str, Graph]:
                # Each graph read once per write: the change and the checks after it share it.
                for iri in graphs:
                    if iri not in read:
                        read[iri] = self.store.read_graph(iri)
                return {iri: read[iri] for iri in graphs}

            new = change.new_graphs(self, current)
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            if not new:
                return WriteOutcome(
                    activity_id,
                    True,
                    _empty_report(),
                    (),
                    name,
                    label,
                    now,
                    unchanged=True,
                    extra=dict(extra or {}),
                )
            for iri in new:
                try:
                    check_iri(iri)
                except InvalidIRI as exc:
                    raise BadWrite(str(exc)) from None
                self.scope.check_target(iri, author)
            self._check_size_and_values(new, author)
            try:
                new = blank_nodes.skolemise(
                    new,
                    {
                        g: None if self.scope.is_open(g) else entity_for_record(self.base, g)
                        for g in new
                    },
                    self.max_blank_nodes,
                )
            except blank_nodes.TooManyBlankNodes as exc:
                raise TooCostly(str(exc)) from None
            # Stored with the standard types they entail (docs/model.md, "Standard types").
            new = {g: self.gate.validator.types.entail(graph) for g, graph in new.items()}
            before = current(new)
            self.scope.check(author, new, before)
            if expected is not None or exists is not None:
                if len(new) != 1:
                    raise BadWrite("If-Match and If-None-Match apply to a write of one record only")
                held = before[next(iter(new))]
                if expected is not None and record_etag(held) not in expected:
                    raise Stale(
                        "the record changed since you read it (If-Match no longer holds); read it "
                        "again "
                        "and send your change again"
                    )
                if exists is True and not len(held):
                    raise Stale(
                        "there is no such record yet (If-Match: * holds only for one that exists)"
                    )
                if exists is False and len(held):
                    raise Stale(
                        "the record exists already (If-None-Match: * holds only for a new one)"
                    )
            existed = any(len(graph) for graph in before.values())
            if all(history.same(before[g], new[g]) for g in new):
                return WriteOutcome(
                    activity_id,
                    True,
                    _empty_report(),
                    tuple(new),
                    name,
                    label,
                    now,
                    existed=existed,
                    unchanged=True,
                    extra=dict(extra or {}),
                )
            report = self.gate.check(new)
            if not report.conforms or dry_run:
                outcome = WriteOutcome(
                    activity_id,
                    False,
                    report,
                    tuple(new),
                    name,
                    label,
                    now,
                    existed=existed,
                    extra=dict(extra or {}),
                )
                if not dry_run:
                    self._tell(outcome)
                return outcome
            outcome = self._merge(
                new,
                before,
                report,
                activity_id=activity_id,
                author=author,
                label=label,
                sources=sources,
                generation_before=generation_before,
                existed=existed,
                extra=dict(extra or {}),
            )
            self._tell(outcome)
            return outcome

    def _check_size_and_values(self, graphs: Mapping[str, Graph], author: Steward | None) -> None:
        """Raises `TooCostly` past a steward's bounds, `BadWrite` for a value not of its
        datatype."""
        if author is not None:
            if self.max_records and len(graphs) > self.max_records:
                raise TooCostly(
                    f"the write names {len(graphs)} records; a steward's write holds at most "
                    f"{self.max_records}: send them in several writes"
                )
            triples = sum(len(graph) for graph in graphs.values())
            if self.max_triples and triples > self.max_triples:
                raise TooCostly(
                    f"the write holds {triples} triples; a steward's write holds at most "
                    f"{self.max_triples}: send the records in several writes"
                )
        for graph_iri, graph in graphs.items():
            for s, p, o in graph:
                if isinstance(o, Literal) and ill_typed(o):
                    raise BadWrite(
                        f'"{o}" (on <{s}> <{p}> in {graph_iri}) is not an '
                        f"xsd:{o.datatype.removeprefix(str(XSD))}: write it in that datatype's "
                        "form, "
                        "or as a plain string"
                    )

    # size: records, activity and versions written in one update
    def _merge(
        self,
        records: Mapping[str, Graph],
        before: Mapping[str, Graph],
        report: ValidationReport,
        *,
        activity_id: str,
        author: Steward | None,
        label: str,
        sources: tuple[str, ...],
        generation_before: str | None,
        existed: bool,
        extra: dict,
    ) -> WriteOutcome:
        """Write `records`, the activity and the versions in one update (the lock is held)."""
        added = sum(len(records[g] - before[g]) for g in records)
        removed = sum(len(before[g] - records[g]) for g in records)
        activity_iri = iris.activity_iri(self.base, activity_id)
        heads = history.heads(self.store, records)
        when = heads.time_of_next(dt.datetime.now(dt.UTC).replace(microsecond=0))
        versions, history_state, _ = history.version_nodes(
            self.base,
            heads,
            before,
            records,
            activity=activity_iri,
            time=when,
            loaded_at=_loaded_at(self.store),
        )
        activity = Graph()
        activity += versions
        node = URIRef(activity_iri)
        full_label = f"{label} by steward {author.name}" if author is not None else label
        activity.add((node, RDF.type, PROV.Activity))
        activity.add((node, RDFS.label, Literal(full_label, lang="en")))
        activity.add((node, PROV.endedAtTime, Literal(when)))
        activity.add((node, CCN.triplesAdded, Literal(added)))
        activity.add((node, CCN.triplesRemoved, Literal(removed)))
        if self.shapes_version:
            activity.add((node, CCN.shapesVersion, Literal(self.shapes_version)))
        for warning in report.warnings:
            activity.add(
                (
                    node,
                    CCN.warning,
                    Literal(f"{warning.focus}: {warning.message}"),
                )
            )
        if author is not None:
            agent_node = URIRef(steward_iri(self.base, author.name))
            activity.add((node, PROV.wasAssociatedWith, agent_node))
            activity.add((agent_node, RDF.type, PROV.Agent))
            activity.add((agent_node, RDFS.label, Literal(author.name)))
        for iri in records:
            activity.add((node, PROV.generated, URIRef(iri)))
        for source in sources:
            activity.add((node, DCTERMS.source, Literal(source)))
        graphs = dict(records)
        graphs[f"{provenance_graph_prefix(self.base)}{activity_id}"] = activity
        # Always, even without a version: it counts the writes through the gate.
        graphs[history.HISTORY_GRAPH] = history_state
        self.store.replace_graphs(graphs)
        generation_after = self.store.generation()
        etags = {g: record_etag(graph) for g, graph in self.current(records).items()}
        return WriteOutcome(
            activity_id,
            True,
            report,
            tuple(records),
            author.name if author else None,
            label,
            when,
            activity_iri,
            added=added,
            removed=removed,
            existed=existed,
            etags=etags,
            written=graphs,
            generations=(generation_before, generation_after),
            extra=extra,
        )

    def _tell(self, outcome: WriteOutcome) -> None:
        for listener in self._listeners:
            try:
                listener(outcome)
            except Exception:
                log.exception("a listener of the write path failed after write %s", outcome.id)


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
