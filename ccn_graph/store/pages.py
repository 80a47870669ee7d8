"""Reads in pages, for a store that gives no answer of millions of rows (`VirtuosoStore`).

Virtuoso builds a whole answer before it sends a byte, refuses one of more than a million rows
(``FRVEC … max vector length``) and cuts a longer one than its ``ResultSetMaxRows`` without a word
but a header (``X-SPARQL-MaxRows``; none at all on a CONSTRUCT or a Graph Store GET). So a graph,
the list of graphs and the dataset are read by SELECT queries of at most `Pages.rows` rows each,
any answer the store cut is read again in parts, and none depends on an order: LIMIT/OFFSET pages
need ORDER BY to be safe, and Virtuoso sorts at most ``MaxSortedTopRows`` (10,000 as it comes)
past an offset. A graph too large for one answer is read in parts by the MD5 of its subjects
(each part whole in any order; a part still too large split by a longer prefix), the dataset in
pages of graphs (each graph whole in one page, or read in parts alone).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.memory import SimpleMemory

from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries, results
from ccn_graph.store.base import Store, _rdflib
from ccn_graph.store.errors import StoreError

__all__ = ["Pages"]

_HEX = "0123456789abcdef"
#: A part of a graph named by a longer prefix than this is not split again: its subjects' triples
#: are more than an answer holds (one subject with that many triples).
_LONGEST_PREFIX = 6
#: Graphs asked for in one page of the dataset at first; halved while a page is too large,
#: doubled while pages are small, never past `_MOST_GRAPHS` (Virtuoso refuses a long VALUES, and
#: takes longer per graph past a few hundred).
_FIRST_GRAPHS = 128
_MOST_GRAPHS = 256
#: Rows in one answer of graph names: a name is a short row, and listing them is a scan of every
#: quad whatever the page, so they come in as few answers as the store gives (Virtuoso: a
#: million rows at most), and in parts only when the store cuts the answer.
NAMES_ROWS = 500_000


class Pages:
    """Paged reads of `store`, at most `rows` rows to an answer (SPARQL TSV rows of N-Triples
    terms, as the store's `query_stream` gives them)."""

    def __init__(self, store: Store, rows: int) -> None:
        self.store = store
        self.rows = rows

    # -- pages -------------------------------------------------------------------------------------

    def page(
        self, name: str, bindings: Mapping[str, queries.Term], rows: int | None = None
    ) -> list[list[str]] | None:
        """The rows of the query `name` (its ``?limit`` bound to one past a page of `rows`, by
        default `Pages.rows`), each a list of N-Triples terms; None when the answer is more than
        a page or the store cut it."""
        most = rows or self.rows
        query = queries.bind(queries.load(name), {**bindings, "limit": Literal(most + 1)})
        stream = self.store.query_stream(query, formats.SPARQL_TSV.media_type)
        try:
            lines = list(results.read_lines(stream.chunks))
        finally:
            stream.close()
        found = [line.split("\t") for line in lines[1:] if line]
        if stream.truncated or len(found) > most:
            return None
        return found

    def parts(
        self, name: str, bindings: Mapping[str, queries.Term], prefix: str = ""
    ) -> Iterator[list[list[str]]]:
        """The rows of the query `name`, one part per MD5 prefix one hex digit longer than
        `prefix` (``?prefix``); a part still too large is split again."""
        for digit in _HEX:
            part = prefix + digit
            rows = self.page(name, {**bindings, "prefix": Literal(part)})
            if rows is not None:
                yield rows
            elif len(part) >= _LONGEST_PREFIX:
                raise StoreError(
                    f"the store cannot give the rows of {name} whose MD5 starts with {part} in "
                    f"answers of {self.rows} rows"
                )
            else:
                yield from self.parts(name, bindings, part)

    def graph_rows(self, graph_iri: str) -> Iterator[list[list[str]]]:
        """The triples of a graph as rows of N-Triples terms, in one page or in parts."""
        bindings = {"g": URIRef(graph_iri)}
        rows = self.page("graph_page", bindings)
        if rows is not None:
            yield rows
            return
        yield from self.parts("graph_part", bindings)
        blank = self.page("graph_blank_part", bindings)
        if blank is None:
            raise StoreError(
                f"the graph {graph_iri} has more triples about blank nodes than an answer of "
                f"{self.rows} rows holds"
            )
        yield blank

    def read_graph(self, graph_iri: str) -> Graph:
        """Every triple of one named graph (the caller checked its IRI)."""
        graph = Graph(store=SimpleMemory())
        for rows in self.graph_rows(graph_iri):
            graph.addN(
                tuple(_rdflib(results.parse_tsv_term(cell)) for cell in row) + (graph,)
                for row in rows
            )
        return graph

    def graph_names(self, left_out: Collection[str] = ()) -> list[str]:
        """The named graphs but those `left_out`, sorted."""
        rows = self.page("list_graphs_page", {}, max(NAMES_ROWS, self.rows))
        if rows is None:
            rows = [row for part in self.parts("list_graphs_part", {}) for row in part]
        names = (results.parse_tsv_term(row[0])[1] for row in rows)
        return sorted(name for name in names if name not in left_out)

    def dataset(self, names: list[str]) -> Iterator[bytes]:
        """The quads of the graphs `names` as N-Quads, a page of graphs at a time (each graph's
        quads together)."""
        size, start = _FIRST_GRAPHS, 0
        while start < len(names):
            group = names[start : start + size]
            rows = self.page("graphs_page", {"graphs": [URIRef(g) for g in group]})
            if rows is None and len(group) > 1:
                size = max(1, size // 2)
                continue
            start += len(group)
            if rows is None:
                tail = f"<{group[0]}> .\n"
                for part in self.graph_rows(group[0]):
                    yield "".join(f"{s} {p} {o} {tail}" for s, p, o in part).encode()
                continue
            if len(rows) < self.rows // 4:
                size = min(size * 2, _MOST_GRAPHS)
            by_graph: dict[str, list[str]] = {}
            for g, s, p, o in rows:
                by_graph.setdefault(g, []).append(f"{s} {p} {o} {g} .\n")
            yield "".join(line for lines in by_graph.values() for line in lines).encode()
