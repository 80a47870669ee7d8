"""The one, narrow, SPARQL-shaped interface every store backend honours.

A backend supplies four primitives — run a query and get its serialised results, run one
update request, bulk-load a file into a graph, close — and inherits everything else, so the
managed Oxigraph, any remote SPARQL 1.1 store and the in-memory pyoxigraph store behave alike.

Terms used below:

*record graph*
    the named graph holding one entity and the nodes it owns (DESIGN decision 2).
*store state*
    the graph `iris.STORE_STATE_GRAPH`, which says which base IRI and reference data the store
    was loaded with and carries the *data version*, an integer raised by every write in the same
    request as the write.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import BNode, Literal, URIRef

from ccn_graph.model.iris import STORE_STATE_GRAPH, check_iri
from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries, results
from ccn_graph.store.errors import (
    QueryTimeout,
    RequestSyntaxError,
    StoreBusy,
    StoreError,
    StoreRequestError,
    StoreUnavailable,
    WriteUnconfirmed,
)

if TYPE_CHECKING:
    from ccn_graph.store.endpoints import Endpoints

__all__ = [
    "QueryStream",
    "QueryTimeout",
    "RequestSyntaxError",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreRequestError",
    "StoreState",
    "StoreStatus",
    "StoreUnavailable",
    "WriteUnconfirmed",
]


@dataclasses.dataclass(frozen=True)
class StoreState:
    """What the store was loaded with."""

    base_iri: str
    data_version: int
    reference_version: str | None
    loaded_at: str | None = None

    @property
    def generation(self) -> str:
        """Names this state of the data: the version, and when the store was loaded (a reset
        counts versions from 1 again)."""
        return f"{self.data_version}@{self.loaded_at or ''}"


@dataclasses.dataclass(frozen=True)
class StoreStatus:
    """The answer to a health check."""

    reachable: bool
    triples: int | None = None
    state: StoreState | None = None
    detail: str = ""


@dataclasses.dataclass
class QueryStream:
    """Query results still on their way from the store, in `media_type`.

    Iterate over `chunks` to pass them on; call `close` when done, even after an error.
    """

    media_type: str
    chunks: Iterator[bytes]
    close: callable = lambda: None  # type: ignore[valid-type]
    #: The store gave fewer rows than the query asks for: it caps the rows of an answer
    #: (Virtuoso's ``ResultSetMaxRows``), and says so.
    truncated: bool = False

    def read(self) -> bytes:
        """All of the remaining body (then closes)."""
        try:
            return b"".join(self.chunks)
        finally:
            self.close()


class Store(abc.ABC):
    """A SPARQL 1.1 dataset whose default graph is the union of its named graphs."""

    #: Short name of the backend, shown by /health.
    backend: str = "abstract"

    # -- capabilities: what callers may count on, per backend (never probed for) -----------------

    #: The store stops a query at its time limit (pyoxigraph in this process cannot).
    supports_time_limit: bool = True
    #: `query_stream` passes the results on as the store sends them (else they come whole).
    streams_results: bool = True
    #: Writes may be sent (`update`, `replace_graphs`, `load_file`, `write_state`, `clear`).
    writable: bool = True
    #: The store state graph is in this store's own dataset (else `state` is another's).
    has_state_graph: bool = True
    #: Where another process reaches this same store over HTTP (a `ccn-graph` child of the
    #: service); None for a store that only this process can reach.
    endpoints: Endpoints | None = None

    #: (generation, triples) of the last count (`status`): a count is a full scan.
    _triples_at: tuple[str, int] | None = None

    def refusing_when_spent(self) -> Store:
        """This store as a client's request reads it: a query past the store's query budget is
        refused at once (`StoreBusy`) instead of waiting for room. A store without a budget is
        itself."""
        return self

    # -- primitives ----------------------------------------------------------------------------

    @abc.abstractmethod
    def query_stream(
        self,
        query: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryStream:
        """Run `query` and stream its results in the media type `accept` (one type, no q-values).

        `default_graphs` / `named_graphs` set the dataset as the protocol's ``default-graph-uri``
        and ``named-graph-uri`` do (overriding FROM / FROM NAMED). Raises `StoreRequestError` for a
        query the store refuses, `QueryTimeout`, `StoreUnavailable`.
        """

    @abc.abstractmethod
    def _update(self, update: str) -> None:
        """Apply one SPARQL Update request, all of it or nothing."""

    @abc.abstractmethod
    def _load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None) -> None:
        """Add the triples of a file to a named graph (a dataset file: to its own graphs), fast."""

    @abc.abstractmethod
    def dataset_stream(self) -> QueryStream:
        """Every quad of the store as N-Quads, streamed, with no query time limit (for dumps)."""

    def close(self) -> None:
        """Release connections; the store can still be used afterwards."""
        return

    # -- reads ---------------------------------------------------------------------------------

    def select(
        self, query: str, bindings: Mapping[str, queries.Term] | None = None
    ) -> list[dict[str, URIRef | Literal | BNode]]:
        """Rows of a SELECT query, each a mapping from variable name to term (unbound: absent)."""
        body = self.query_stream(
            queries.bind(query, bindings), formats.SPARQL_JSON.media_type
        ).read()
        return [
            {name: _term_from_json(value) for name, value in row.items()}
            for row in json.loads(body)["results"]["bindings"]
        ]

    def ask(self, query: str, bindings: Mapping[str, queries.Term] | None = None) -> bool:
        """The boolean answer of an ASK query."""
        body = self.query_stream(
            queries.bind(query, bindings), formats.SPARQL_JSON.media_type
        ).read()
        return bool(json.loads(body)["boolean"])

    def construct(self, query: str, bindings: Mapping[str, queries.Term] | None = None) -> Graph:
        """The graph a CONSTRUCT or DESCRIBE query builds."""
        body = self.query_stream(queries.bind(query, bindings), formats.N_TRIPLES.media_type).read()
        # The store's N-Triples are read line by line into a graph without contexts: a third of
        # the cost of rdflib's parser into its default store, on every entity document.
        graph = Graph(store=SimpleMemory())
        graph.addN(
            (_rdflib(s), _rdflib(p), _rdflib(o), graph)
            for s, p, o in results.parse_nt(body.decode("utf-8"))
        )
        return graph

    def read_graph(self, graph_iri: str) -> Graph:
        """Every triple of one named graph (empty if there is no such graph)."""
        check_iri(graph_iri)
        return self.construct(queries.load("read_graph"), {"g": URIRef(graph_iri)})

    def graph_names(self) -> list[str]:
        """The IRIs of every non-empty named graph, sorted."""
        return [str(row["g"]) for row in self.select(queries.load("list_graphs"))]

    def some_graph_names(self, limit: int) -> list[str]:
        """At most `limit` of the non-empty named graphs, in no set order: cheap however many
        there are (`graph_names` reads and sorts them all)."""
        rows = self.select(queries.load("some_graphs"), {"limit": Literal(limit)})
        return [str(row["g"]) for row in rows]

    def triple_count(self) -> int:
        """Triples in all named graphs together."""
        rows = self.select(queries.load("count_triples"))
        return int(rows[0]["triples"])

    def state(self) -> StoreState | None:
        """What the store was loaded with, or None for a store never loaded."""
        rows = self.select(queries.load("store_state"), {"state_graph": URIRef(STORE_STATE_GRAPH)})
        if not rows:
            return None
        row = rows[0]
        reference, loaded = row.get("reference"), row.get("loaded")
        return StoreState(
            str(row["base"]),
            int(row["version"]),
            str(reference) if reference else None,
            str(loaded) if loaded else None,
        )

    def generation(self) -> str | None:
        """`StoreState.generation` of the current state (None for a store never loaded): what
        answers computed now are valid for. Backends may answer it faster than `state`."""
        state = self.state()
        return state.generation if state else None

    def ping(self) -> None:
        """Raises `StoreUnavailable` unless the store answers now. Backends that wait for a
        restarting store elsewhere do not wait here: a health check must say what is true now."""
        self.ask(queries.load("ping"))

    def status(self) -> StoreStatus:
        """Reachability (asked of the store itself, never of a copy of its state), store state
        and triple count; never raises for a store that is down."""
        try:
            self.ping()
            state = self.state()
            # Counting is a full scan: do it once per state (a reset starts the versions again).
            cached = self._triples_at
            if state is not None and cached is not None and cached[0] == state.generation:
                triples = cached[1]
            else:
                try:
                    triples = self.triple_count()
                except StoreBusy:
                    # Answering, only sent as many queries as it can hold: reachable, count unknown.
                    return StoreStatus(
                        reachable=True, triples=cached[1] if cached else None, state=state
                    )
                if state is not None:
                    self._triples_at = (state.generation, triples)
        except StoreUnavailable as exc:
            return StoreStatus(reachable=False, detail=str(exc))
        except StoreError as exc:
            return StoreStatus(reachable=False, detail=f"store answered with an error: {exc}")
        return StoreStatus(reachable=True, triples=triples, state=state)

    # -- writes --------------------------------------------------------------------------------

    def update(self, update: str, bindings: Mapping[str, queries.Term] | None = None) -> None:
        """Apply `update` and raise the data version, in one request: all of it or nothing."""
        self._update(f"{queries.bind(update, bindings)} ;\n{_bump()}")

    def replace_graphs(self, graphs: Mapping[str, Graph]) -> None:
        """Replace each named graph by the given triples, in one update request (atomic).

        An empty graph in `graphs` deletes that named graph.
        """
        if graphs:
            self.update(queries.replace_graphs_update(graphs))

    def load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None = None) -> None:
        """Bulk-load a (large) file with the backend's bulk loader.

        A graph file replaces the named graph `graph_iri`; a dataset file (N-Quads, TriG) adds its
        quads to the graphs it names (adding the same quads again changes nothing). Faster than
        `replace_graphs` but not atomic: a failure part-way can leave a graph partly loaded, so
        use it for loading, not for serving writes.
        """
        if fmt.is_dataset:
            graph_iri = None
        elif graph_iri is None:
            raise ValueError(f"a {fmt.media_type} file needs a target graph")
        else:
            check_iri(graph_iri)
            self.update(queries.load("drop_graph"), {"g": URIRef(graph_iri)})
        self._load_file(path, fmt, graph_iri)
        self._update(_bump())

    def write_state(self, base_iri: str, reference_version: str) -> None:
        """Record the base IRI and reference data version; the data version goes up by one."""
        previous = self.state()
        version = previous.data_version + 1 if previous else 1
        self._update(
            queries.bind(
                queries.load("write_store_state"),
                {
                    "state_graph": URIRef(STORE_STATE_GRAPH),
                    "base": URIRef(base_iri),
                    "version": Literal(version),
                    "reference": Literal(reference_version),
                    "loaded_at": Literal(dt.datetime.now(dt.UTC).replace(microsecond=0)),
                },
            )
        )

    def clear(self) -> None:
        """Remove every triple in every graph (keeps nothing, not even the store state)."""
        self._update(queries.load("drop_all"))


def _bump() -> str:
    return queries.bind(
        queries.load("bump_data_version"), {"state_graph": URIRef(STORE_STATE_GRAPH)}
    )


def _term_from_json(value: dict[str, str]) -> URIRef | Literal | BNode:
    kind = value["type"]
    if kind == "uri":
        return _uri(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    return _literal(value["value"], value.get("xml:lang"), value.get("datatype"))


#: IRIs made into rdflib terms lately: the same few thousand (properties, classes, countries,
#: concepts) recur in every document, and rdflib checks each IRI as it makes it.
_uri = functools.lru_cache(maxsize=20_000)(URIRef)


@functools.lru_cache(maxsize=20_000)
def _literal(text: str, language: str | None, datatype: str | None) -> Literal:
    """A literal, made once while it recurs (a result repeats the columns it groups by on every
    row: numbers, times); rdflib parses a typed literal's value as it makes it."""
    return Literal(text, lang=language, datatype=_uri(datatype) if datatype else None)


def _rdflib(term: results.Term) -> URIRef | BNode | Literal:
    if term[0] == "uri":
        return _uri(term[1])
    if term[0] == "bnode":
        return BNode(term[1])
    return Literal(term[1], lang=term[2], datatype=term[3])
