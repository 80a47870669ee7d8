"""Virtuoso 7 as a remote store: each way it departs from SPARQL 1.1, as a method of `RemoteStore`
that `VirtuosoStore` overrides (docs/deploy.md says how to set Virtuoso up for CCN Graph)."""

from __future__ import annotations

import json
import tempfile
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries, results
from ccn_graph.sparql.sparql_guard import QueryRefused, tokens
from ccn_graph.store.base import QueryStream
from ccn_graph.store.errors import QueryTimeout, StoreError, StoreUnavailable
from ccn_graph.store.pages import Pages
from ccn_graph.store.remote import RemoteStore
from ccn_graph.store.transport import Exchange, error_for

__all__ = ["VirtuosoStore"]

#: Graphs Virtuoso creates in every database; its default graph is the union of all graphs.
SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)
#: Words of an error answer by which Virtuoso says it stopped or refused a query for its time (it
#: refuses up front one it estimates past its limit).
_TIMEOUT_TEXTS = ("exceeds the limit of", "S1T00")
#: How long the answer of `_shows_system_graphs` holds: making the graphs private or public again
#: is a change of the store's setup, seen within this time.
_SYSTEM_GRAPHS_SECONDS = 300.0


class VirtuosoStore(RemoteStore):
    """Virtuoso 7 behind its SPARQL and Graph Store endpoints (`CCN_STORE_PROFILE=virtuoso`)."""

    backend = "virtuoso"
    #: Rows in one answer of a paged read (`pages`): under Virtuoso's ``ResultSetMaxRows`` as
    #: deployed (deploy/virtuoso.ini), and under its limit of a million rows to an answer. An answer
    #: the store cuts at fewer rows is read again in parts: a lower cap costs queries, not rows.
    page_rows = 50_000
    #: At most this many triples (and a tenth as many graphs) per update request: Virtuoso
    #: compiles an update to SQL and refuses one of more than about 1,000 triples ("generated SQL
    #: text has exceeded 10000 lines"). A larger write is sent in parts (`replace_graphs`).
    max_update_triples = 1000

    def __init__(self, *args, page_rows: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if page_rows is not None:
            self.page_rows = page_rows
        #: (when, answer) of the last `_shows_system_graphs` question.
        self._system_graphs_asked: tuple[float, bool] | None = None

    @property
    def _pages(self) -> Pages:
        # Made for each read, so that a view of this store (`refusing_when_spent`) pages through
        # itself, with its own patience for the query budget.
        return Pages(self, self.page_rows)

    # -- queries -------------------------------------------------------------------------------

    def query_stream(self, query, accept, default_graphs=(), named_graphs=()) -> QueryStream:
        """As `RemoteStore.query_stream`; a query that names no graph keeps Virtuoso's own graphs
        out of its default graph while the store shows them (`_shows_system_graphs`), by the
        ``DEFINE input:default-graph-exclude`` pragma. Not for a query with a dataset or a GRAPH
        pattern: with the pragma, Virtuoso 7 answers those with nothing at all; and never
        ``input:named-graph-exclude``, which empties answers too. Made private
        (deploy/virtuoso.sql), the graphs are hidden from every query and the pragma, which slows
        most joins, is left out."""
        if (
            not default_graphs
            and not named_graphs
            and self._shows_system_graphs()
            and not _names_graphs(query)
        ):
            query = (
                "".join(f"DEFINE input:default-graph-exclude <{g}>\n" for g in SYSTEM_GRAPHS)
                + query
            )
        return super().query_stream(query, accept, default_graphs, named_graphs)

    def _send_query(self, query: str, accept: str, dataset: list[tuple[str, str]]) -> Exchange:
        # As an HTML form: Virtuoso 7 never answers a query sent as the body. With the query's
        # time limit in milliseconds, so that the store stops at it rather than at its own.
        form = [("query", query), *dataset, ("timeout", str(int(self.timeout * 1000)))]
        return self._http.read(
            "POST",
            self.endpoints.query,
            {"Accept": accept, "Content-Type": formats.FORM_URLENCODED},
            body=urllib.parse.urlencode(form).encode(),
            query=True,
        )

    def _accept(self, accept: str) -> str:
        # Virtuoso's TSV writes IRIs and literals alike as quoted strings: JSON, converted.
        if accept == formats.SPARQL_TSV.media_type:
            return formats.SPARQL_JSON.media_type
        return accept

    def _results(self, stream: QueryStream, accept: str) -> QueryStream:
        if accept != formats.SPARQL_TSV.media_type:
            return stream

        answer = stream.chunks

        def as_standard_tsv():
            try:
                yield from results.tsv_from_json(answer)
            except ValueError as exc:
                raise StoreUnavailable(f"the store's results cannot be read: {exc}") from None

        stream.media_type, stream.chunks = formats.SPARQL_TSV.media_type, as_standard_tsv()
        return stream

    def _check_answer(self, response: Exchange) -> None:
        # An "anytime" answer: 200 with the rows found when its time limit came.
        if response.headers.get("X-SQL-State", "").strip() == "S1TAT":
            response.close()
            raise QueryTimeout(
                f"the store stopped the query at its time limit of {self.timeout:g} s"
            )

    def _answer_cut(self, headers) -> bool:
        return "X-SPARQL-MaxRows" in headers

    def _error(self, status: int, text: str) -> StoreError:
        return error_for(status, text, _TIMEOUT_TEXTS)

    def _shows_system_graphs(self) -> bool:
        """Whether queries see the store's own graphs: Virtuoso shows them unless they were made
        private (deploy/virtuoso.sql). Asked of the store again after `_SYSTEM_GRAPHS_SECONDS`;
        raises as a query does when the store cannot answer."""
        asked = self._system_graphs_asked
        if asked is not None and time.monotonic() - asked[0] < _SYSTEM_GRAPHS_SECONDS:
            return asked[1]
        # With a dataset, the question itself is sent without asking this again.
        answer = self.query_stream(
            queries.load("system_graphs_shown"),
            formats.SPARQL_JSON.media_type,
            named_graphs=SYSTEM_GRAPHS,
        ).read()
        shown = bool(json.loads(answer)["boolean"])
        self._system_graphs_asked = (time.monotonic(), shown)
        return shown

    # -- reads: in pages, the store's own graphs left out ----------------------------------------

    def read_graph(self, graph_iri: str) -> Graph:
        return self._pages.read_graph(check_iri(graph_iri))

    def graph_names(self) -> list[str]:
        return self._pages.graph_names(left_out=SYSTEM_GRAPHS)

    def some_graph_names(self, limit: int) -> list[str]:
        rows = self.select(
            queries.load("some_graphs_scan"), {"limit": Literal(limit + len(SYSTEM_GRAPHS))}
        )
        return [str(r["g"]) for r in rows if str(r["g"]) not in SYSTEM_GRAPHS][:limit]

    def triple_count(self) -> int:
        total = int(self.select(queries.load("count_triples"))[0]["triples"])
        own = self.select(
            queries.load("count_triples_in"), {"graphs": [URIRef(g) for g in SYSTEM_GRAPHS]}
        )
        return total - int(own[0]["triples"])

    def dataset_stream(self) -> QueryStream:
        """Every quad but those of the store's own graphs, in pages of graphs: Virtuoso answers a
        Graph Store GET without ``?graph`` with 406."""
        return QueryStream(formats.N_QUADS.media_type, self._pages.dataset(self.graph_names()))

    # -- writes --------------------------------------------------------------------------------

    def replace_graphs(self, graphs: Mapping[str, Graph]) -> None:
        """As `Store.replace_graphs`, with the triples written as ``INSERT { … } WHERE { }`` (the
        same triples, fresh blank nodes: Virtuoso refuses blank nodes in ``INSERT DATA``), in one
        request up to `max_update_triples`. Past that bound the write is not atomic: the graphs
        go in updates of at most that many triples, each graph's replacement within one update,
        and a graph larger than the bound is dropped and then loaded whole through the Graph
        Store Protocol (two requests)."""
        limit = self.max_update_triples
        part: dict[str, Graph] = {}
        size = 0
        for iri, graph in graphs.items():
            if len(graph) > limit:
                self._put_graph(iri, graph)
                continue
            if part and (size + len(graph) > limit or len(part) >= limit // 10):
                self._replace_in_one(part)
                part, size = {}, 0
            part[iri] = graph
            size += len(graph)
        if part:
            self._replace_in_one(part)

    def _replace_in_one(self, graphs: Mapping[str, Graph]) -> None:
        self.update(queries.replace_graphs_update(graphs, as_template=True))

    def _put_graph(self, iri: str, graph: Graph) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "graph.nt"
            graph.serialize(destination=path, format="nt11", encoding="utf-8")
            self.load_file(path, formats.N_TRIPLES, iri)

    def clear(self) -> None:
        """Remove every triple of every graph but the store's own, graph by graph: Virtuoso's
        ``DROP ALL`` does nothing (and would drop its own graphs)."""
        drop = queries.load("drop_graph")
        names = self.graph_names()
        if names:
            self._update(" ;\n".join(queries.bind(drop, {"g": URIRef(name)}) for name in names))

    def _load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None) -> None:
        if graph_iri is not None:
            super()._load_file(path, fmt, graph_iri)
            return
        # Virtuoso takes no quads at its Graph Store endpoint: graph by graph, each graph's
        # triples added, as a dataset load does.
        for name, triples in _graphs_of(path, fmt).items():
            self._write(
                self.endpoints.graph_store,
                {"Content-Type": formats.N_TRIPLES.media_type},
                "".join(triples).encode(),
                params=[("graph", name)],
                deadline=None,
            )


def _graphs_of(path: Path, fmt: formats.RdfFormat) -> dict[str, list[str]]:
    """The N-Triples lines of each graph of an N-Quads file."""
    if fmt != formats.N_QUADS:
        raise ValueError(f"this store takes datasets as N-Quads only, not {fmt.media_type}")
    graphs: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                split = results.split_nq_line(line)
            except ValueError as exc:
                raise ValueError(f"{path.name}, line {number}: {exc}") from None
            if split is not None:
                if split[1] is None:
                    raise ValueError(
                        f"{path.name}, line {number}: a triple outside any named graph"
                    )
                graphs.setdefault(split[1], []).append(f"{split[0]} .\n")
    return graphs


def _names_graphs(query: str) -> bool:
    """Whether `query` has a FROM clause or a GRAPH pattern (or cannot be read: the store says
    why)."""
    try:
        return any(
            kind == "word" and value.upper() in ("FROM", "GRAPH") for kind, value in tokens(query)
        )
    except QueryRefused:
        return True
