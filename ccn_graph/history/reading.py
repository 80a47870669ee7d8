"""Reading the history: versions of a graph (TimeMaps, mementos), the change feed's pages, the
moment a time falls in, and Memento dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import re
from collections.abc import Iterable, Iterator, Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from ccn_graph.history.versions import (
    DELETED,
    HISTORY_GRAPH,
    Version,
    _time,
    heads,
)
from ccn_graph.model.iris import CCN
from ccn_graph.sparql import queries
from ccn_graph.store import Store

__all__ = [
    "Moment",
    "by_sequence",
    "changed_since",
    "choose",
    "count",
    "counts_in",
    "current_at",
    "current_triples",
    "graphs_changed",
    "http_date",
    "moment_at",
    "parse_http_date",
    "snapshots",
    "version",
    "versions",
    "with_sequences",
]
# -- Memento dates (RFC 7089 §2.1.1: RFC 1123 dates, always GMT) ----------------------------------

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


# -- reading --------------------------------------------------------------------------------------


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
