"""Putting the reference data into a store, and checking that a store fits the settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS

from ccn_graph import history
from ccn_graph.model import reference
from ccn_graph.model.entailment import TypeClosure
from ccn_graph.model.iris import (
    activity_iri,
    check_iri,
    entity_for_record,
    graph_iri,
    provenance_graph_prefix,
)
from ccn_graph.rdfio import formats
from ccn_graph.store import Store, StoreState

__all__ = ["BaseMismatch", "LoadReport", "check_base", "load_file", "load_reference_data"]

log = logging.getLogger(__name__)


class BaseMismatch(RuntimeError):
    """The store was loaded with another base IRI than the one configured."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"the store was loaded with base IRI {stored} but the configured one is {configured} "
            "(CCN_BASE_IRI; without it, the address the service listens on). "
            f"Either set CCN_BASE_IRI={stored}, or reload the store for the new base with "
            f"`ccn-graph load --reset --base-iri {configured}` (this drops every graph in it)."
        )
        self.stored = stored
        self.configured = configured


@dataclasses.dataclass(frozen=True)
class LoadReport:
    graphs: int
    triples: int
    data_version: int


def check_base(state: StoreState | None, base_iri: str) -> None:
    """Raise `BaseMismatch` when a loaded store's base differs from `base_iri`."""
    if state is not None and state.base_iri != base_iri:
        raise BaseMismatch(state.base_iri, base_iri)


def load_reference_data(store: Store, base_iri: str, *, reset: bool = False) -> LoadReport:
    """Put ontology, shapes, taxonomy and reference records into their named graphs.

    Idempotent: each graph is replaced whole, all of them in one atomic update, so loading twice
    gives the same store. Each graph that changes (a record, a vocabulary) gets a version
    (`history`), written by the same update with the activity that loaded it. With `reset`,
    every graph is dropped first (needed to change the base IRI). Raises `BaseMismatch` when the
    store holds data for another base and `reset` is false, and `reference.ReferenceDataError`
    for a broken reference file (nothing is written then).
    """
    graphs = reference.reference_graphs(base_iri)
    if reset:
        store.clear()
    else:
        check_base(store.state(), base_iri)
    # Every graph of the reference data is versioned, the vocabularies as the records: replaying
    # the change feed rebuilds the whole graph.
    records = dict(graphs)
    before = {g: store.read_graph(g) for g in records}
    current = history.heads(store, records)
    when = current.time_of_next(_now())
    activity_id = uuid.uuid4().hex
    activity = activity_iri(base_iri, activity_id)
    nodes, state, versions = history.version_nodes(
        base_iri, current, before, records, activity=activity, time=when, loaded_at=when
    )
    # A load is not a write through the gate: the count of those stays (see history_state).
    state = history.history_state(current.count + len(versions), when, current.writes)
    if versions:
        nodes += _activity(
            activity,
            f"Load of the reference data {reference.reference_version()}",
            when,
            sorted({v.graph for v in versions}),
        )
        graphs = {
            **graphs,
            f"{provenance_graph_prefix(base_iri)}{activity_id}": nodes,
            history.HISTORY_GRAPH: state,
        }
    store.replace_graphs(graphs)
    store.write_state(base_iri, reference.reference_version())
    state = store.state()
    report = LoadReport(len(graphs), sum(len(g) for g in graphs.values()), state.data_version)
    log.info("loaded %d reference graphs (%d triples)", report.graphs, report.triples)
    return report


def load_file(store: Store, path: Path, base_iri: str, graph: str | None = None) -> str | None:
    """Bulk-load one RDF file: a graph file into a named graph (default
    ``{base}graph/load/{file stem}``), a dataset file (N-Quads, TriG) into the graphs it names.

    Returns the graph IRI (None for a dataset). Raises ValueError for a file whose format is not
    known by its suffix.
    """
    fmt = formats.rdf_format_for_suffix(path.suffix)
    if fmt is None:
        known = ", ".join(f".{f.suffix}" for f in formats.RDF_FORMATS)
        raise ValueError(f"{path}: cannot tell the RDF format from its suffix (known: {known})")
    if fmt.is_dataset:
        graphs = _record_graphs_in(path, fmt, base_iri)
        current = history.heads(store, graphs)
        before = {g: store.read_graph(g) for g in current.latest}
        _load_with_types(store, path, fmt, base_iri)
        _keep_versions(store, base_iri, path.name, graphs, current, before)
        return None
    target = check_iri(graph) if graph else graph_iri(base_iri, f"load/{path.stem}")
    _load_with_types(store, path, fmt, base_iri, target)
    return target


def _load_with_types(
    store: Store, path: Path, fmt: formats.RdfFormat, base_iri: str, graph: str | None = None
) -> None:
    """Bulk-load `path`, then the standard types its own entail (docs/model.md), as a second
    file of N-Quads: a store adds quads it holds already as nothing, so loading twice is safe."""
    store.load_file(path, fmt, graph)
    types = TypeClosure(reference.ontology_and_shapes(base_iri)[0])
    with tempfile.NamedTemporaryFile("w", suffix=".nq", encoding="utf-8", delete=False) as out:
        lines = 0
        for line in _entailed_quads(path, fmt, types, graph):
            out.write(line)
            lines += 1
    try:
        if lines:
            store.load_file(Path(out.name), formats.N_QUADS)
    finally:
        Path(out.name).unlink()
    log.info("asserted %d standard types entailed by %s", lines, path.name)


_TYPE_QUAD = re.compile(
    r"^\s*<([^>]*)>\s+<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type>\s+<([^>]*)>"
    r"\s+<([^>]*)>\s*\.\s*$"
)


def _entailed_quads(
    path: Path, fmt: formats.RdfFormat, types: TypeClosure, graph: str | None
) -> Iterator[str]:
    """N-Quads of the types entailed by the type statements of the file about IRIs (a blank
    node of a second file would be another node), each in the graph of its statement."""
    typed: dict[tuple[str, str], set[str]] = {}
    if fmt == formats.N_QUADS:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if "22-rdf-syntax-ns#type>" in line and (match := _TYPE_QUAD.match(line)):
                    thing, cls, where = match.groups()
                    typed.setdefault((thing, where), set()).add(cls)
    else:
        dataset = Dataset()
        if fmt.is_dataset:
            dataset.parse(path, format=fmt.rdflib_name)
        else:
            dataset.graph(URIRef(graph)).parse(path, format=fmt.rdflib_name)
        for thing, _, cls, where in dataset.quads((None, RDF.type, None, None)):
            if isinstance(thing, URIRef) and isinstance(cls, URIRef) and where is not None:
                typed.setdefault((str(thing), str(where)), set()).add(str(cls))
    for (thing, where), classes in typed.items():
        entailed = set().union(*(types.superclasses.get(URIRef(c), ()) for c in classes))
        for sup in sorted(str(s) for s in entailed if str(s) not in classes):
            yield f"<{thing}> <{RDF.type}> <{sup}> <{where}> .\n"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _activity(iri: str, label: str, when: dt.datetime, graphs: list[str]) -> Graph:
    activity = Graph()
    node = URIRef(iri)
    activity.add((node, RDF.type, PROV.Activity))
    activity.add((node, RDFS.label, Literal(label, lang="en")))
    activity.add((node, PROV.endedAtTime, Literal(when)))
    for graph in graphs:
        activity.add((node, PROV.generated, URIRef(graph)))
    return activity


def _record_graphs_in(path: Path, fmt: formats.RdfFormat, base: str) -> set[str]:
    """The record graphs a dataset file names."""

    def is_record(graph: str) -> bool:
        return entity_for_record(base, graph) is not None

    if fmt == formats.N_QUADS:
        with path.open(encoding="utf-8") as lines:
            return history.group_dataset(lines, is_record)
    dataset = Dataset()
    dataset.parse(path, format=fmt.rdflib_name)
    return {str(g.identifier) for g in dataset.graphs() if is_record(str(g.identifier))}


#: Records whose versions one activity of a bulk load keeps: its graph holds about ten triples
#: per record, and no graph may grow to millions (engines that read a graph as one answer, such as
#: Virtuoso, refuse or cut one that large).
RECORDS_PER_ACTIVITY = 10_000


def _keep_versions(
    store: Store,
    base: str,
    name: str,
    graphs: set[str],
    current: history.Heads,
    before: Mapping[str, Graph],
) -> None:
    """A version of each record graph a bulk load wrote, with the activity of the load (all
    bulk-loaded too: like the load, not atomic; loading the file again completes it).

    A graph with no version so far gets its first without being read back (a fresh load: the
    graph holds the current version); one with versions (`before`: its triples before the load)
    gets a new version if the load changed it. The load is one activity per `RECORDS_PER_ACTIVITY`
    records, each in a graph of its own, all dated alike."""
    when = current.time_of_next(_now())
    after = {g: store.read_graph(g) for g in before}
    sequence, generated, parts = current.count, 0, 0
    known, fresh = sorted(before), sorted(graphs - set(before))
    step = RECORDS_PER_ACTIVITY
    chunks = [known[i : i + step] for i in range(0, len(known), step)]
    chunks += [fresh[i : i + step] for i in range(0, len(fresh), step)]
    with tempfile.NamedTemporaryFile("w", suffix=".nq", encoding="utf-8", delete=False) as out:
        for chunk in chunks:
            label = f"Bulk load of {name}"
            if len(chunks) > 1:
                label += f", part {parts + 1}"
            sequence, made = _write_activity(
                out, base, label, chunk, before, after, current, sequence, when
            )
            generated, parts = generated + made, parts + bool(made)
    try:
        if generated:
            store.load_file(Path(out.name), formats.N_QUADS)
            # Not a write through the gate (its writes are not counted): readers of the history
            # see the data version move by more than the gate's writes, and read the graph anew.
            store.replace_graphs(
                {history.HISTORY_GRAPH: history.history_state(sequence, when, current.writes)}
            )
    finally:
        Path(out.name).unlink()
    log.info("kept %d versions of the records %s loaded", generated, name)


def _write_activity(
    out, base: str, label: str, chunk: list[str], before, after, current, sequence: int, when
) -> tuple[int, int]:
    """One activity of a bulk load, in its own graph: the versions of the graphs in `chunk`
    (a first version for each new one, a new one for each the load changed), as N-Quads to
    `out`. Returns the last sequence number and how many versions were written."""
    activity_id = uuid.uuid4().hex
    activity = activity_iri(base, activity_id)
    where = URIRef(f"{provenance_graph_prefix(base)}{activity_id}")
    nodes, _, written = history.version_nodes(
        base,
        dataclasses.replace(current, count=sequence),
        {g: before[g] for g in chunk if g in before},
        {g: after[g] for g in chunk if g in after},
        activity=activity,
        time=when,
    )
    sequence = max((v.sequence for v in written), default=sequence)
    made = [v.graph for v in written]
    out.write(_quads(nodes, where))
    for graph in chunk:
        if graph not in before:
            sequence += 1
            out.write(
                history.version_quads(
                    base, graph, 1, sequence, history.CREATED, activity, when, str(where)
                )
            )
            made.append(graph)
    if made:
        out.write(_quads(_activity(activity, label, when, sorted(set(made))), where))
    return sequence, len(made)


def _quads(triples, graph: URIRef) -> str:
    return "".join(history.nt_line(triple, str(graph)) for triple in triples)
