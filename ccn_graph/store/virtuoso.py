"""Virtuoso 7 as a remote store: the ways it departs from SPARQL 1.1, as overrides of `RemoteStore`.

Reads come in pages. Virtuoso builds a whole answer before it sends a byte, refuses one of more
than a million rows (``FRVEC … max vector length``) and cuts a longer one than its
``ResultSetMaxRows`` without a word but a header (``X-SPARQL-MaxRows``; none at all on a CONSTRUCT
or a Graph Store GET). So a graph, the list of graphs and the dataset are read by SELECT queries
of at most `VirtuosoStore.page_rows` rows each, any answer the store cut is read again in parts,
and none depends on an order: LIMIT/OFFSET pages need ORDER BY to be safe, and Virtuoso sorts at
most ``MaxSortedTopRows`` (10,000 as it comes) past an offset. A graph too large for one answer is
read in parts by the MD5 of its subjects (each part whole in any order; a part still too large
split by a longer prefix), the dataset in pages of graphs (each graph whole in one page, or read
in parts alone).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.memory import SimpleMemory

from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries, results
from ccn_graph.store.base import QueryStream, StoreError, _rdflib
from ccn_graph.store.remote import RemoteStore

__all__ = ["VirtuosoStore"]

_HEX = "0123456789abcdef"
#: A part of a graph named by a longer prefix than this is not split again: its subjects' triples
#: are more than an answer holds (one subject with that many triples).
_LONGEST_PREFIX = 6


class VirtuosoStore(RemoteStore):
    """Virtuoso 7 behind its SPARQL and Graph Store endpoints (`CCN_STORE_PROFILE=virtuoso`)."""

    #: Rows in one answer of a paged read: under Virtuoso's ``ResultSetMaxRows`` as deployed
    #: (deploy/virtuoso.ini), and under its limit of a million rows to an answer. An answer the
    #: store cuts at fewer rows is read again in parts, so a lower cap costs queries, not rows.
    page_rows = 50_000
    #: Graphs asked for in one page of the dataset at first; halved while a page is too large,
    #: doubled while pages are small, never past `_MOST_GRAPHS` (the store refuses a long VALUES).
    _first_graphs = 256
    _MOST_GRAPHS = 512

    def __init__(self, *args, page_rows: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if page_rows is not None:
            self.page_rows = page_rows

    def _answer_cut(self, headers) -> bool:
        return "X-SPARQL-MaxRows" in headers

    # -- pages -------------------------------------------------------------------------------------

    def _page(self, name: str, bindings: Mapping[str, queries.Term]) -> list[list[str]] | None:
        """The rows of the query `name` (its ``?limit`` bound to one past a page), each a list of
        N-Triples terms; None when the answer is more than a page or the store cut it."""
        query = queries.bind(
            queries.load(name), {**bindings, "limit": Literal(self.page_rows + 1)}
        )
        stream = self.query_stream(query, formats.SPARQL_TSV.media_type)
        try:
            lines = list(results.read_lines(stream.chunks))
        finally:
            stream.close()
        rows = [line.split("\t") for line in lines[1:] if line]
        if stream.truncated or len(rows) > self.page_rows:
            return None
        return rows

    def _parts(
        self, name: str, bindings: Mapping[str, queries.Term], prefix: str = ""
    ) -> Iterator[list[list[str]]]:
        """The rows of the query `name`, one part per MD5 prefix one hex digit longer than
        `prefix` (``?prefix``); a part still too large is split again."""
        for digit in _HEX:
            part = prefix + digit
            rows = self._page(name, {**bindings, "prefix": Literal(part)})
            if rows is not None:
                yield rows
            elif len(part) >= _LONGEST_PREFIX:
                raise StoreError(
                    f"the store cannot give the rows of {name} whose MD5 starts with {part} in "
                    f"answers of {self.page_rows} rows"
                )
            else:
                yield from self._parts(name, bindings, part)

    def _graph_rows(self, graph_iri: str) -> Iterator[list[list[str]]]:
        """The triples of a graph as rows of N-Triples terms, in one page or in parts."""
        bindings = {"g": URIRef(graph_iri)}
        rows = self._page("graph_page", bindings)
        if rows is not None:
            yield rows
            return
        yield from self._parts("graph_part", bindings)
        blank = self._page("graph_blank_part", bindings)
        if blank is None:
            raise StoreError(
                f"the graph {graph_iri} has more triples about blank nodes than an answer of "
                f"{self.page_rows} rows holds"
            )
        yield blank

    # -- reads -------------------------------------------------------------------------------------

    def read_graph(self, graph_iri: str) -> Graph:
        check_iri(graph_iri)
        graph = Graph(store=SimpleMemory())
        for rows in self._graph_rows(graph_iri):
            graph.addN(
                tuple(_rdflib(results.parse_tsv_term(cell)) for cell in row) + (graph,)
                for row in rows
            )
        return graph

    def graph_names(self) -> list[str]:
        rows = self._page("list_graphs_page", {})
        if rows is None:
            rows = [row for part in self._parts("list_graphs_part", {}) for row in part]
        system = self.endpoints.system_graphs
        names = (results.parse_tsv_term(row[0])[1] for row in rows)
        return sorted(name for name in names if name not in system)

    def triple_count(self) -> int:
        total = int(self.select(queries.load("count_triples"))[0]["triples"])
        own = self.select(
            queries.load("count_triples_in"),
            {"graphs": [URIRef(g) for g in self.endpoints.system_graphs]},
        )
        return total - int(own[0]["triples"])

    def dataset_stream(self) -> QueryStream:
        """Every quad but those of the store's own graphs, as N-Quads, a page of graphs at a
        time (each graph's quads together)."""
        return QueryStream(formats.N_QUADS.media_type, self._dataset_chunks(self.graph_names()))

    def _dataset_chunks(self, names: list[str]) -> Iterator[bytes]:
        size, start = self._first_graphs, 0
        while start < len(names):
            group = names[start : start + size]
            rows = self._page("graphs_page", {"graphs": [URIRef(g) for g in group]})
            if rows is None and len(group) > 1:
                size = max(1, size // 2)
                continue
            start += len(group)
            if rows is None:
                tail = f"<{group[0]}> .\n"
                for part in self._graph_rows(group[0]):
                    yield "".join(f"{s} {p} {o} {tail}" for s, p, o in part).encode()
                continue
            if len(rows) < self.page_rows // 4:
                size = min(size * 2, self._MOST_GRAPHS)
            by_graph: dict[str, list[str]] = {}
            for g, s, p, o in rows:
                by_graph.setdefault(g, []).append(f"{s} {p} {o} {g} .\n")
            yield "".join(line for lines in by_graph.values() for line in lines).encode()
