"""Every version of every record, kept in the store beside the activity that made it.

A write that replaces record graphs also writes, in the same update, one *version* for each graph
whose triples it changes: a node ``{base}id/version/{sequence}`` in the activity's graph naming the
graph it is a version of (and the entity, for a record graph), its number among that graph's
versions, its sequence number among all versions (the order of the change feed), its time, the
activity and the kind of change (created, updated, deleted). The current version's triples are
the record graph itself; when a write replaces them, the same update keeps the replaced triples
as the previous version's *snapshot* (one N-Triples literal, in the new activity's graph). So no
version is ever written without its record or a record without its version (one update, applied
atomically by the store), history costs what the writes replaced, and a bulk load costs a few
triples per record. The count of versions and the time of the latest live in `HISTORY_GRAPH`,
replaced by the same update.

Times never go back: a version is dated no earlier than the one before it, so that the feed's
order by sequence is also its order by time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from ccn_graph.model.iris import CCN, check_iri, entity_for_record, version_iri
from ccn_graph.rdfio import blank_nodes, ntriples
from ccn_graph.sparql import queries, results
from ccn_graph.store import Store

__all__ = [
    "HISTORY_GRAPH",
    "TERMS",
    "Heads",
    "Moment",
    "Version",
    "by_sequence",
    "changed_since",
    "choose",
    "count",
    "counts_in",
    "current_at",
    "current_triples",
    "graphs_changed",
    "group_dataset",
    "heads",
    "history_state",
    "http_date",
    "kind_name",
    "moment_at",
    "nt_line",
    "parse_http_date",
    "parse_snapshot",
    "same",
    "snapshot",
    "snapshots",
    "version",
    "version_iri",
    "version_nodes",
    "version_quads",
    "version_triples",
    "versions",
    "with_sequences",
]

#: Holds the number of versions kept and the time of the latest (replaced with every write).
HISTORY_GRAPH = "https://w3id.org/ccn-graph/history"

CREATED, UPDATED, DELETED = CCN.Created, CCN.Updated, CCN.Deleted
#: The terms of the history's own triples (its versions and its count): only the history writes them.
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


# -- writing ----------------------------------------------------------------------------------------


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
    fifth of a load at 10,000 members. Raises ValueError for an IRI that cannot be written."""
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


# -- Memento dates (RFC 7089 §2.1.1: RFC 1123 dates, always GMT) -----------------------------------

_HTTP_DATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} GMT"
)


def http_date(time: dt.datetime) -> str:
    """`time` as an RFC 1123 date (``Thu, 01 Oct 2026 12:00:00 GMT``)."""
    return email.utils.format_datetime(time.astimezone(dt.UTC), usegmt=True)


def parse_http_date(text: str) -> dt.datetime | None:
    """The time an RFC 1123 date names; None for anything else (RFC 7089 allows no other form)."""
    text = text.strip()
    if not _HTTP_DATE.fullmatch(text):
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


def choose(kept: list[Version], when: dt.datetime | None) -> Version:
    """The version a TimeGate answers with for `when`: the latest made at or before it, the first
    when `when` is before them all, the latest when `when` is None."""
    if when is None:
        return kept[-1]
    chosen = kept[0]
    for candidate in kept:
        if candidate.time <= when:
            chosen = candidate
    return chosen


# -- reading ----------------------------------------------------------------------------------------


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
        """The version's triples (parsed from its kept snapshot, when that is how they were read)."""
        if self.content is not None:
            return self.content
        return parse_snapshot(self.kept or "")

    def text(self) -> str:
        """The version's triples as `snapshot` text, without parsing a kept snapshot again."""
        return self.kept if self.kept is not None else snapshot(self.content or ())


def versions(store: Store, graph: str) -> list[Version]:
    """Every version of `graph`, oldest first, without their triples (one query)."""
    rows = store.select(queries.load("versions_of_graph"), {"graph": URIRef(graph)})
    return [
        Version(
            str(r["version"]),
            graph,
            int(r["number"]),
            int(r["sequence"]),
            URIRef(r["kind"]),
            _time(r["time"]),
            str(r["activity"]) if "activity" in r else None,
        )
        for r in rows
    ]


def version(store: Store, graph: str, number: int) -> Version | None:
    """Version `number` of `graph` with its triples (one query); None when there is none."""
    rows = store.select(
        queries.load("version_of_graph"), {"graph": URIRef(graph), "number": Literal(number)}
    )
    if not rows:
        return None
    r = rows[0]
    return Version(
        str(r["version"]),
        graph,
        number,
        int(r["sequence"]),
        URIRef(r["kind"]),
        _time(r["time"]),
        str(r["activity"]) if "activity" in r else None,
        **_content(rows),
    )


def by_sequence(store: Store, first: int, last: int) -> list[Version]:
    """The versions with sequence numbers `first` … `last`, with their triples, in order (one
    query; for a range of at most a feed page)."""
    return with_sequences(store, range(first, last + 1))


def current_at(store: Store, when: dt.datetime, *, batch: int = 200) -> Iterator[Version]:
    """The version of each graph that was current at `when` (deleted ones left out), with its
    triples: the records as they were then (a query, then one per `batch` graphs)."""
    rows = store.select(
        queries.load("versions_until"), {"when": Literal(when, datatype=XSD.dateTime)}
    )
    latest: dict[str, tuple[int, int, str]] = {}
    for r in rows:
        graph, number = str(r["graph"]), int(r["number"])
        if number > latest.get(graph, (0, 0, ""))[0]:
            latest[graph] = (number, int(r["sequence"]), str(r["kind"]))
    chosen = sorted(sequence for _, sequence, kind in latest.values() if kind != str(DELETED))
    for start in range(0, len(chosen), batch):
        yield from with_sequences(store, chosen[start : start + batch])


@dataclasses.dataclass(frozen=True)
class Moment:
    """The history as it stood at a time: the versions made by then, named by how many they are
    and the sequence number of the last. Versions are never changed and later ones are numbered
    higher, so the pair names one set of versions for good, whatever is written afterwards: two
    times with no version made between them are the same moment."""

    versions: int
    last: int


def moment_at(store: Store, when: dt.datetime) -> Moment:
    """The moment `when` falls in (one query)."""
    rows = store.select(queries.load("past_moment"), {"when": Literal(when, datatype=XSD.dateTime)})
    row = rows[0] if rows else {}
    return Moment(
        int(row["versions"]) if "versions" in row else 0, int(row["last"]) if "last" in row else 0
    )


def changed_since(
    store: Store, when: dt.datetime, moment: Moment, since: tuple[dt.datetime, Moment] | None = None
) -> dict[str, int | None]:
    """The graphs whose triples may differ between `moment` (the moment `when` falls in) and now,
    or the moment of `since` (a time and the moment it falls in): those with a version in one and
    not the other. Each comes with the sequence number of its version current in `moment`: None
    when it had no triples then (no version yet, or deleted). Every other graph holds now (or in
    `since`) what it held then (one query)."""
    since_time, since_moment = since if since else (_END_OF_TIME, Moment(0, _EVERY_SEQUENCE))
    rows = store.select(
        queries.load("past_changed"),
        {
            "when": Literal(when, datatype=XSD.dateTime),
            "last": Literal(moment.last),
            "fromWhen": Literal(since_time, datatype=XSD.dateTime),
            "fromLast": Literal(since_moment.last),
        },
    )
    chosen: dict[str, tuple[int, int | None]] = {}
    for r in rows:
        graph = str(r["graph"])
        number = int(r["number"]) if "number" in r else 0
        if graph not in chosen or number > chosen[graph][0]:
            sequence = int(r["sequence"]) if number and URIRef(r["kind"]) != DELETED else None
            chosen[graph] = (number, sequence)
    return {graph: sequence for graph, (_, sequence) in chosen.items()}


#: A moment with every version, made and to be made: the graph as it is now.
_END_OF_TIME = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
_EVERY_SEQUENCE = 2**62


def snapshots(store: Store, sequences: Iterable[int]) -> dict[int, str]:
    """The kept triples (`snapshot` text) of the versions with these sequence numbers, for those
    that have them: every version but a graph's latest, and deletions (one query)."""
    sequences = list(sequences)
    if not sequences:
        return {}
    rows = store.select(
        queries.load("past_snapshots"), {"sequences": [Literal(n) for n in sequences]}
    )
    return {int(r["sequence"]): str(r["snapshot"]) for r in rows}


def current_triples(store: Store, graphs: Iterable[str]) -> dict[str, list[tuple]]:
    """The triples of `graphs` as they are now (rdflib terms; one query, for a few graphs)."""
    graphs = sorted(set(graphs))
    out: dict[str, list[tuple]] = {graph: [] for graph in graphs}
    if graphs:
        for r in store.select(queries.load("past_graphs"), {"graphs": [URIRef(g) for g in graphs]}):
            out[str(r["graph"])].append((r["s"], r["p"], r["o"]))
    return out


def with_sequences(store: Store, sequences: Iterable[int]) -> list[Version]:
    """The versions with these sequence numbers, with their triples, in order (one query)."""
    sequences = list(sequences)
    if not sequences:
        return []
    rows = store.select(
        queries.load("versions_by_sequence"), {"sequences": [Literal(n) for n in sequences]}
    )
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(int(row["sequence"]), []).append(row)
    out = []
    for sequence in sorted(grouped):
        group = grouped[sequence]
        r = group[0]
        out.append(
            Version(
                str(r["version"]),
                str(r["graph"]),
                int(r["number"]),
                sequence,
                URIRef(r["kind"]),
                _time(r["time"]),
                str(r["activity"]) if "activity" in r else None,
                str(r["entity"]) if "entity" in r else None,
                str(r["agent"]) if "agent" in r else None,
                **_content(group),
            )
        )
    return out


def count(store: Store) -> int:
    """How many versions the history holds."""
    return heads(store, ()).count


def graphs_changed(store: Store, after: int, until: int) -> set[str]:
    """The graphs of the versions with sequence numbers after `after`, up to `until` (one query)."""
    if until <= after:
        return set()
    rows = store.select(
        queries.load("graphs_of_sequences"),
        {"sequences": [Literal(n) for n in range(after + 1, until + 1)]},
    )
    return {str(r["graph"]) for r in rows}


def counts_in(graphs: Mapping[str, Graph]) -> tuple[int, int] | None:
    """(versions, writes) a write puts in `HISTORY_GRAPH` (None: it wrote none)."""
    state = graphs.get(HISTORY_GRAPH)
    if state is None:
        return None
    versions, writes = (
        state.value(URIRef(HISTORY_GRAPH), p) for p in (CCN.versionCount, CCN.writeCount)
    )
    return (int(versions), int(writes)) if versions is not None and writes is not None else None


def _content(rows: list) -> dict[str, Graph | str]:
    """A version's triples from its query rows, as `Version` fields: ``content`` (the triples) or,
    where a snapshot was kept, ``kept`` (its text), parsed only by those who need the triples
    (`Version.triples`)."""
    for row in rows:
        if "snapshot" in row:
            return {"kept": str(row["snapshot"])}
    graph = Graph()
    for row in rows:
        if "s" in row:
            graph.add((row["s"], row["p"], row["o"]))
    return {"content": graph}


def _time(term) -> dt.datetime:
    value = term.toPython()
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(term))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
