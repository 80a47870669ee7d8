"""A graph turned into the portal index's rows: the one function both a rebuild (every graph of
the store, streamed) and each accepted write (the graphs it replaced) use, so both agree."""

from __future__ import annotations

import dataclasses
import itertools
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from rdflib import BNode, Literal, URIRef

from ccn_graph.index.search import fold
from ccn_graph.model.iris import CCN, STORE_STATE_GRAPH, document_path
from ccn_graph.sparql import results
from ccn_graph.store import Store

__all__ = [
    "Rows",
    "add_graph",
    "as_tuple",
    "graphs",
    "pair_counts",
    "remove_graph",
    "taxonomy_closure",
]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_LABELS = {
    _SKOS + "prefLabel": "name",
    _SKOS + "altLabel": "alternative",
    _SKOS + "hiddenLabel": "alternative",
    "http://www.w3.org/2000/01/rdf-schema#label": "label",
}
_MEMBER = str(CCN.CommunityMember)
_VALUES = {
    str(CCN.sector): "sector",
    str(CCN.expertise): "expertise",
    str(CCN.technology): "technology",
    str(CCN.fieldOfActivity): "field",
    str(CCN.roleProfile): "role",
}
_SINGLE = {str(CCN.memberState): "state", str(CCN.category): "category"}
_REGISTRATION, _ASSESSED_BY = str(CCN.registration), str(CCN.assessedBy)
# Substrings of the N-Quads lines a rebuild reads (the rest is skipped before parsing).
_NEEDED = (
    "22-rdf-syntax-ns#type>",
    "core#prefLabel>",
    "core#altLabel>",
    "core#hiddenLabel>",
    "rdf-schema#label>",
    "ontology#memberState>",
    "ontology#category>",
    "ontology#sector>",
    "ontology#expertise>",
    "ontology#technology>",
    "ontology#registration>",
    "ontology#assessedBy>",
    "ontology#fieldOfActivity>",
    "ontology#roleProfile>",
)


@dataclasses.dataclass
class Rows:
    """Member rows a rebuild gathers before writing them in key order."""

    members: list
    values: list


def remove_graph(db: sqlite3.Connection, graph: str) -> None:
    """Every row of `graph` gone (its member rows' counts with them, by the triggers)."""
    db.execute(
        "DELETE FROM names WHERE rowid IN (SELECT id FROM name_rows WHERE graph = ?)", (graph,)
    )
    for table in ("name_rows", "things", "members", "member_values"):
        db.execute(f"DELETE FROM {table} WHERE graph = ?", (graph,))  # noqa: S608


def add_graph(
    db: sqlite3.Connection,
    base: str,
    graph: str,
    triples: Iterable[tuple],
    kinds: dict,
    closure: set,
    rows: Rows | None = None,
) -> None:
    """Index one graph, its triples as term tuples. Member rows go to `rows` when given (a rebuild
    writes them at the end, in key order), else straight to the database."""
    by_subject: dict[str, list[tuple]] = defaultdict(list)
    for s, p, o in triples:
        if s[0] == "uri":
            by_subject[s[1]].append((p[1], o))
    for iri, pairs in by_subject.items():
        if "#" in iri or document_path(base, iri) is None:
            continue
        types = sorted({o[1] for p, o in pairs if p == _RDF_TYPE and o[0] == "uri"})
        labels = [(o[1], _LABELS[p], o[2]) for p, o in pairs if p in _LABELS and o[0] == "literal"]
        if not types and not labels:
            continue
        name_rank, name = 99, None
        for text, kind, language in labels:
            rank = {"name": 0, "label": 2}.get(kind, 9) + (0 if language == "en" else 1)
            if rank < 9 and rank < name_rank:
                name_rank, name = rank, text
        kind = next((kinds[t] for t in types if t in kinds), None)
        db.execute(
            "INSERT OR REPLACE INTO things VALUES (?, ?, ?, ?, ?, ?)",
            (graph, iri, name, name_rank, " ".join(types), kind),
        )
        for text, kind_, _ in labels:
            row = db.execute(
                "INSERT INTO names VALUES (?, ?, ?, ?, ?)",
                (fold(text), text, kind_, iri, graph),
            )
            db.execute("INSERT INTO name_rows VALUES (?, ?)", (row.lastrowid, graph))
        if _MEMBER in types:
            _add_member(db, graph, iri, pairs, by_subject, name or iri, closure, rows)


def _add_member(db, graph, iri, pairs, by_subject, label, closure, rows: Rows | None) -> None:
    sort_key = fold(label) + "\x00" + iri
    values = set()
    for p, o in pairs:
        if o[0] != "uri":
            continue
        if p in _SINGLE:
            values.add((_SINGLE[p], o[1]))
        elif p in _VALUES:
            values.add((_VALUES[p], o[1]))
            if p == str(CCN.expertise):
                values |= {("domain", a) for a, d in closure if d == o[1]}
                values.add(("domain", o[1]))
        elif p == _REGISTRATION:
            for q, v in by_subject.get(o[1], ()):
                if q == _ASSESSED_BY and v[0] == "uri":
                    values.add(("ncc", v[1]))
    member_row = (iri, graph, label, sort_key)
    value_rows = [(iri, graph, facet, value, sort_key) for facet, value in sorted(values)]
    if rows is not None:
        rows.members.append(member_row)
        rows.values.extend(value_rows)
        return
    db.execute("INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", member_row)
    db.executemany("INSERT OR REPLACE INTO member_values VALUES (?, ?, ?, ?, ?)", value_rows)


def pair_counts(rows: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str, str, int]]:
    """How many members have each two of their values together (both ways round), from rows
    (member, facet, value) grouped by member."""
    # Values as numbers and pairs as one integer: a rebuild counts millions of pairs, and this is
    # several times faster than tuples (bench/reports/figures-behind-comments.md).
    ids: dict[tuple[str, str], int] = {}
    counter: Counter = Counter()
    for _, group in itertools.groupby(rows, key=lambda r: r[0]):
        numbers = sorted({ids.setdefault((f, v), len(ids)) for _, f, v in group})
        counter.update(a << 32 | b for a, b in itertools.combinations(numbers, 2))
    values = list(ids)
    out = []
    for key, n in counter.items():
        (f, v), (g, w) = values[key >> 32], values[key & 0xFFFFFFFF]
        out += [(f, v, g, w, n), (g, w, f, v, n)]
    return out


def taxonomy_closure(edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(ancestor, descendant) for every concept reachable downwards through skos:broader."""
    parents: dict[str, set[str]] = defaultdict(set)
    for concept, broader in edges:
        parents[concept].add(broader)
    out = set()
    for concept in parents:
        seen, todo = set(), list(parents[concept])
        while todo:
            ancestor = todo.pop()
            if ancestor in seen:
                continue
            seen.add(ancestor)
            todo.extend(parents.get(ancestor, ()))
        out |= {(a, concept) for a in seen if a != concept}
    return out


def graphs(store: Store, needed: tuple[str, ...] = _NEEDED) -> Iterator[tuple[str, list[tuple]]]:
    """(graph, triples as term tuples) for every named graph of the store but its state graph.

    Streams: the store writes a dataset graph by graph, so each graph is handed on when the next
    begins. A graph met again later (a store that interleaves) is read whole at the end.
    """
    stream = store.dataset_stream()
    wanted = re.compile("|".join(re.escape(n) for n in needed)).search
    current, triples, done, again = None, [], set(), set()
    try:
        for line in results.read_lines(stream.chunks):
            if not wanted(line):
                continue
            quad = results.parse_nq_line(line)
            if quad is None or quad[3] is None or quad[3][1] == STORE_STATE_GRAPH:
                continue
            graph = quad[3][1]
            if graph != current:
                if current is not None:
                    yield current, triples
                    done.add(current)
                if graph in done:
                    again.add(graph)
                current, triples = graph, []
            if graph not in again:
                triples.append(quad[:3])
        if current is not None and current not in again:
            yield current, triples
    finally:
        stream.close()
    for graph in sorted(again):
        yield (
            graph,
            [as_tuple(t) for t in store.read_graph(graph)],
        )  # every triple: a superset of `needed`


def as_tuple(triple) -> tuple:
    return tuple(_term(t) for t in triple)


def _term(term) -> tuple:
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, BNode):
        return ("bnode", str(term))
    if isinstance(term, Literal):
        return ("literal", str(term), term.language, str(term.datatype) if term.datatype else None)
    raise ValueError(f"not an RDF term: {term!r}")
