"""The versions a write makes: their nodes, the snapshots of what they replaced, and the
history's count, all written by the update that writes the records (see the package's docstring)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from ccn_graph.model.iris import CCN, check_iri, entity_for_record, version_iri
from ccn_graph.rdfio import blank_nodes, ntriples
from ccn_graph.sparql import queries, results
from ccn_graph.store import Store

__all__ = [
    "CREATED",
    "DELETED",
    "HISTORY_GRAPH",
    "Heads",
    "TERMS",
    "UPDATED",
    "Version",
    "group_dataset",
    "heads",
    "history_state",
    "kind_name",
    "nt_line",
    "parse_snapshot",
    "same",
    "snapshot",
    "version_iri",
    "version_nodes",
    "version_quads",
    "version_triples",
]

#: Holds the number of versions kept and the time of the latest (replaced with every write).
HISTORY_GRAPH = "https://w3id.org/ccn-graph/history"

CREATED, UPDATED, DELETED = CCN.Created, CCN.Updated, CCN.Deleted
#: The terms of the history's own triples (its versions and its count): only the history writes
#: them.
TERMS = (
    CCN.versionOf,
    CCN.versionNumber,
    CCN.sequence,
    CCN.change,
    CCN.snapshot,
    CCN.versionCount,
    CCN.lastChangedAt,
    CCN.writeCount,
)
_KIND_NAMES = {CREATED: "created", UPDATED: "updated", DELETED: "deleted"}


def kind_name(kind: URIRef) -> str:
    """'created', 'updated' or 'deleted'."""
    return _KIND_NAMES.get(URIRef(kind), "changed")


# -- N-Triples text ------------------------------------------------------------------------------


def snapshot(triples: Iterable) -> str:
    """`triples` (rdflib terms) as N-Triples text, one line each, in a stable order: the same
    text for the same graph, blank nodes given stable labels (`blank_nodes.relabel`, linear in
    the triples whatever their blank nodes)."""
    triples = blank_nodes.relabel(triples)
    return "".join(sorted(nt_line(triple) for triple in triples))


def nt_line(triple: tuple, graph: str | None = None) -> str:
    """One N-Triples line (an N-Quads line with `graph`)."""
    terms = " ".join(_nt(term) for term in triple)
    return f"{terms} {ntriples.iri(graph)} .\n" if graph else f"{terms} .\n"


def _nt(term) -> str:
    """`term` in N-Triples, its IRIs checked: a version is kept for good."""
    if isinstance(term, URIRef):
        check_iri(str(term))
    elif isinstance(term, Literal) and term.datatype:
        check_iri(str(term.datatype))
    return ntriples.term(term)


def parse_snapshot(text: str) -> Graph:
    """The graph a `snapshot` text holds."""
    graph = Graph()
    if text:
        graph.parse(data=text, format="nt")
    return graph


# -- writing --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Version:
    """One version: its node, graph, number, sequence, kind and time, the activity that made it
    (None for what was there before history was kept), the entity of a record graph, who made
    it (an agent IRI, when known) and its triples (None when not read)."""

    iri: str
    graph: str
    number: int
    sequence: int
    kind: URIRef
    time: dt.datetime
    activity: str | None = None
    entity: str | None = None
    agent: str | None = None
    content: Graph | None = None
    #: The version's triples as the snapshot kept of them (`snapshot` text), when read so.
    kept: str | None = None

    @property
    def deleted(self) -> bool:
        return self.kind == DELETED

    def triples(self) -> Graph:
        """The version's triples (parsed from its kept snapshot, when that is how they were
        read)."""
        if self.content is not None:
            return self.content
        return parse_snapshot(self.kept or "")

    def text(self) -> str:
        """The version's triples as `snapshot` text, without parsing a kept snapshot again."""
        return self.kept if self.kept is not None else snapshot(self.content or ())


@dataclasses.dataclass(frozen=True)
class Heads:
    """What the store's history holds now: how many versions, the time of the latest, and the
    latest version of each graph asked about, as (number, version IRI) (absent: none kept)."""

    count: int
    last_time: dt.datetime | None
    latest: Mapping[str, tuple[int, str]]
    #: Writes made through the gate (each one update, raising the data version by one).
    writes: int = 0

    def time_of_next(self, now: dt.datetime) -> dt.datetime:
        """The time of a version made `now`: never before the latest."""
        return max(now, self.last_time) if self.last_time else now


def heads(store: Store, graphs: Iterable[str]) -> Heads:
    """The history's heads for `graphs` (one query)."""
    names = sorted(set(graphs))
    rows = store.select(
        queries.load("history_heads"),
        {
            "history": URIRef(HISTORY_GRAPH),
            "graphs": [URIRef(g) for g in names] or [URIRef(HISTORY_GRAPH)],
        },
    )
    count, last_time, latest, writes = 0, None, {}, 0
    for row in rows:
        if "count" in row:
            count, last_time = int(row["count"]), _time(row["time"])
            writes = int(row["writes"]) if "writes" in row else 0
        elif "graph" in row:
            graph, number = str(row["graph"]), int(row["number"])
            if number > latest.get(graph, (0, ""))[0]:
                latest[graph] = (number, str(row["version"]))
    return Heads(count, last_time, latest, writes)


def version_nodes(
    base: str,
    current: Heads,
    before: Mapping[str, Graph],
    after: Mapping[str, Graph],
    *,
    activity: str | None,
    time: dt.datetime,
    loaded_at: dt.datetime | None = None,
) -> tuple[Graph, Graph, list[Version]]:
    """What a write from `before` to `after` (graph IRI → triples; empty: deleted) adds to the
    history: the triples for the activity's graph (a version node per graph whose triples change,
    and the replaced triples as the snapshot of the version they were), the new `HISTORY_GRAPH`
    (counting this as one more write through the gate),
    and the new versions in sequence order, dated `time` (see `Heads.time_of_next`). A graph with
    triples but no version yet (written before history was kept) first gets one for them, dated
    `loaded_at`."""
    nodes = Graph()
    written: list[Version] = []
    sequence = current.count
    for graph in sorted(after):
        old, new = before.get(graph, Graph()), after[graph]
        if same(old, new):
            continue
        number, previous = current.latest.get(graph, (0, None))
        if len(old):
            if previous is None:
                sequence, number = sequence + 1, 1
                previous = version_iri(base, sequence)
                nodes += version_triples(
                    base, graph, number, sequence, CREATED, None, min(loaded_at or time, time)
                )
                written.append(
                    Version(
                        previous, graph, number, sequence, CREATED, min(loaded_at or time, time)
                    )
                )
            nodes.add((URIRef(previous), CCN.snapshot, Literal(snapshot(old))))
        kind = DELETED if not len(new) else CREATED if not len(old) else UPDATED
        sequence, number = sequence + 1, number + 1
        nodes += version_triples(base, graph, number, sequence, kind, activity, time)
        written.append(
            Version(version_iri(base, sequence), graph, number, sequence, kind, time, activity)
        )
    return nodes, history_state(sequence, time, current.writes + 1), written


def same(old: Graph, new: Graph) -> bool:
    """Whether two graphs hold the same triples, literals compared by value where they have one:
    the store writes its own canonical forms ("2.50" is read back as "2.5")."""
    if len(old) != len(new):
        return False
    if any(isinstance(term, BNode) for graph in (old, new) for triple in graph for term in triple):
        return snapshot(old) == snapshot(new)
    return {tuple(map(_value_key, t)) for t in old} == {tuple(map(_value_key, t)) for t in new}


def _value_key(term) -> object:
    if isinstance(term, Literal) and term.datatype is not None and term.value is not None:
        return ("literal", str(term.datatype), term.value)
    return term


def version_triples(
    base: str,
    graph: str,
    number: int,
    sequence: int,
    kind: URIRef,
    activity: str | None,
    time: dt.datetime,
) -> list[tuple]:
    """The triples of one version node."""
    node = URIRef(version_iri(base, sequence))
    triples = [
        (node, RDF.type, CCN.RecordVersion),
        (node, CCN.versionOf, URIRef(graph)),
        (node, CCN.versionNumber, Literal(number)),
        (node, CCN.sequence, Literal(sequence)),
        (node, CCN.change, kind),
        (node, PROV.generatedAtTime, Literal(time, datatype=XSD.dateTime)),
    ]
    entity = entity_for_record(base, graph)
    if entity is not None:
        triples.append((node, DCTERMS.isVersionOf, URIRef(entity)))
    if activity is not None:
        triples.append((node, PROV.wasGeneratedBy, URIRef(activity)))
    return triples


def version_quads(
    base: str,
    graph: str,
    number: int,
    sequence: int,
    kind: URIRef,
    activity: str | None,
    time: dt.datetime,
    where: str,
) -> str:
    """The triples of `version_triples` in the graph `where`, as N-Quads text written directly:
    a bulk load keeps a version of every record it loads, and through rdflib terms that was a
    large part of the load. Raises ValueError for an IRI that cannot be written."""
    node = f"<{version_iri(base, sequence)}>"
    tail = f" <{_checked(where)}> .\n"
    lines = [
        f"{node} <{RDF.type}> <{CCN.RecordVersion}>{tail}",
        f"{node} <{CCN.versionOf}> <{check_iri(graph)}>{tail}",
        f'{node} <{CCN.versionNumber}> "{int(number)}"^^<{XSD.integer}>{tail}',
        f'{node} <{CCN.sequence}> "{int(sequence)}"^^<{XSD.integer}>{tail}',
        f"{node} <{CCN.change}> <{kind}>{tail}",
        f"{node} <{PROV.generatedAtTime}> {_time_nt(time)}{tail}",
    ]
    entity = entity_for_record(base, graph)
    if entity is not None:
        lines.append(f"{node} <{DCTERMS.isVersionOf}> <{check_iri(entity)}>{tail}")
    if activity is not None:
        lines.append(f"{node} <{PROV.wasGeneratedBy}> <{_checked(activity)}>{tail}")
    return "".join(lines)


#: `check_iri` for the IRIs every version of a load names (its activity and graph).
_checked = functools.lru_cache(maxsize=64)(check_iri)


@functools.lru_cache(maxsize=16)
def _time_nt(time: dt.datetime) -> str:
    return _nt(Literal(time, datatype=XSD.dateTime))


def history_state(count: int, time: dt.datetime, writes: int) -> Graph:
    """The content of `HISTORY_GRAPH` after `count` versions, the latest write at `time`, `writes`
    writes through the gate (a reader that knows the data version moved by as many writes as went
    through the gate knows the versions name every record changed)."""
    state = Graph()
    history = URIRef(HISTORY_GRAPH)
    state.add((history, CCN.versionCount, Literal(count)))
    state.add((history, CCN.lastChangedAt, Literal(time, datatype=XSD.dateTime)))
    state.add((history, CCN.writeCount, Literal(writes)))
    return state


def group_dataset(lines: Iterable[str], keep: Callable[[str], bool]) -> set[str]:
    """The named graphs of the N-Quads `lines` that `keep` accepts."""
    graphs: set[str] = set()
    known: set[str] = set()
    for line in lines:
        # A quad's graph is its last term: when the last IRI of the line is a graph already found,
        # the line adds nothing whatever it is, and is not parsed (most lines of a file: its
        # graphs come a record at a time).
        end = line.rfind(">")
        if end > 0 and line[line.rfind("<", 0, end) + 1 : end] in known:
            continue
        split = results.split_nq_line(line)
        if split is not None and split[1] is not None and split[1] not in known:
            known.add(split[1])
            if keep(split[1]):
                graphs.add(split[1])
    return graphs


def _time(term) -> dt.datetime:
    value = term.toPython()
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(term))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
