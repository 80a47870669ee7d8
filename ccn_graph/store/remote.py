"""Any SPARQL 1.1 Query + Update + Graph Store Protocol server, reached over HTTP.

`RemoteStore` speaks the standard; a store that departs from it is a subclass that overrides the
methods where it does (`VirtuosoStore`; the managed Oxigraph, `ManagedOxigraphStore`, adds its
state copy and restarts). The managed store is reached through this class too, so the laptop and
the cluster share one code path (DESIGN decision 1).

Reads of a whole graph or of the dataset stream: Oxigraph and Fuseki write a CONSTRUCT's triples
and a Graph Store GET's quads as they find them, so no answer is ever held whole by the store, and
the dataset comes by one Graph Store GET (no query time limit, no row limit).
"""

from __future__ import annotations

import copy
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ccn_graph.model.iris import ONTOLOGY_NS, STORE_STATE_GRAPH
from ccn_graph.rdfio import formats
from ccn_graph.sparql import results
from ccn_graph.store.base import QueryStream, Store, StoreState
from ccn_graph.store.endpoints import Endpoints
from ccn_graph.store.errors import StoreBusy, StoreError, StoreRequestError
from ccn_graph.store.query_budget import QueryBudget
from ccn_graph.store.transport import Exchange, Transport, chunks, error_for, whole_text

__all__ = ["Endpoints", "RemoteStore"]


class RemoteStore(Store):
    """A store behind SPARQL 1.1 HTTP endpoints, answering as the standard says.

    Each request has a deadline (`timeout` seconds plus `grace` for the store to answer that it
    stopped); connections are kept per process, so the object can be created before a fork.
    `budget` bounds the queries sent (`query_budget`).
    """

    backend = "remote"
    #: Seconds past a query's time limit that the store has to say it stopped it.
    grace = 5.0

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        timeout: float,
        grace: float | None = None,
        user: str = "",
        password: str = "",
        token: str = "",
        budget: QueryBudget | None = None,
    ) -> None:
        self.endpoints = endpoints
        #: How many queries the store can be sent (`query_budget`); None: no bound.
        self.budget = budget
        #: Seconds a query may wait for the budget (None: as long as it takes).
        self.budget_patience: float | None = None
        self.timeout = timeout
        if grace is not None:
            self.grace = grace
        self._http = Transport(
            timeout=timeout, grace=self.grace, user=user, password=password, token=token
        )

    def refusing_when_spent(self) -> RemoteStore:
        if self.budget is None:
            return self
        # The same connections and budget: only how long a query waits differs.
        view = copy.copy(self)
        view.budget_patience = 0.0
        return view

    # -- the state -----------------------------------------------------------------------------

    def state(self) -> StoreState | None:
        return self._ask_state()

    def ping(self) -> None:
        """Raises `StoreUnavailable` unless the store answers now: a store that refuses
        connections (restarting) is not waited for, and the query budget is not drawn on."""
        self._ask_state(patient=False)

    def _ask_state(self, *, patient: bool = True) -> StoreState | None:
        """One Graph Store GET of the store-state graph: asked on every request (answers are
        valid per state), so it must cost little more than the round trip."""
        url = f"{self.endpoints.graph_store}?graph={urllib.parse.quote(STORE_STATE_GRAPH, safe='')}"
        response = self._http.read(
            "GET", url, {"Accept": formats.N_TRIPLES.media_type}, patient=patient
        )
        text = whole_text(response, url)  # read whole: the connection goes back
        if response.status == 404:
            return None
        if response.status >= 500:
            raise error_for(response.status, text)
        if response.status >= 400:
            raise StoreRequestError(
                f"the store answered {response.status} for its state graph: {text.strip()[:300]}"
            )
        values = {}
        for line in text.splitlines():
            triple = results.parse_nt_line(line)
            if triple and triple[0] == ("uri", STORE_STATE_GRAPH):
                values[triple[1][1]] = triple[2][1]
        if _BASE not in values or _VERSION not in values:
            return None
        return StoreState(
            values[_BASE], int(values[_VERSION]), values.get(_REFERENCE), values.get(_LOADED)
        )

    # -- queries -------------------------------------------------------------------------------

    def query_stream(
        self,
        query: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryStream:
        if self.budget is not None and not self.budget.take(self.budget_patience):
            raise StoreBusy(
                f"it was sent as many queries as it can hold ({self.budget.limit} in "
                f"{self.budget.window:g} s); try again in a few seconds"
            )
        dataset = [("default-graph-uri", g) for g in default_graphs] + [
            ("named-graph-uri", g) for g in named_graphs
        ]
        response = self._send_query(query, self._accept(accept), dataset)
        if response.status >= 400:
            raise self._error(response.status, whole_text(response, self.endpoints.query))
        self._check_answer(response)
        media_type = response.headers.get("Content-Type", accept).split(";", 1)[0].strip()
        return self._results(
            QueryStream(
                media_type,
                chunks(response),
                response.close,
                truncated=self._answer_cut(response.headers),
            ),
            accept,
        )

    def _send_query(self, query: str, accept: str, dataset: list[tuple[str, str]]) -> Exchange:
        """Send a query: the query as the body itself (SPARQL 1.1 Protocol §2.1.3), the dataset in
        the URL (form-encoding a query costs more than its round trip)."""
        url = self.endpoints.query
        if dataset:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(dataset)
        return self._http.read(
            "POST",
            url,
            {"Accept": accept, "Content-Type": formats.SPARQL_QUERY},
            body=query.encode(),
            query=True,
        )

    def _accept(self, accept: str) -> str:
        """The media type to ask the store for when `accept` is wanted."""
        return accept

    def _check_answer(self, response: Exchange) -> None:
        """Raise what a 200 answer says went wrong (a store that marks a cut answer)."""

    def _answer_cut(self, headers) -> bool:
        """Whether the answer with these headers holds fewer rows than the query asked for."""
        return False

    def _results(self, stream: QueryStream, accept: str) -> QueryStream:
        """The answer as the caller gets it (a store whose format departs converts it)."""
        return stream

    def _error(self, status: int, text: str) -> StoreError:
        """The error an answer of `status` with `text` means."""
        return error_for(status, text)

    def dataset_stream(self) -> QueryStream:
        # The Graph Store Protocol endpoint without ?graph answers with the whole dataset on
        # Oxigraph and Fuseki; it is not a SPARQL query, so the query time limit does not cut it.
        # The read deadline is per read, not for the whole: only a store that stops sending (a
        # connection gone half-open) ends it, and then no dump build waits for ever.
        response = self._http.get(
            self.endpoints.graph_store, {"Accept": formats.N_QUADS.media_type}
        )
        return QueryStream(formats.N_QUADS.media_type, chunks(response), response.close)

    # -- writes --------------------------------------------------------------------------------

    def _update(self, update: str) -> None:
        self._write(
            self.endpoints.update,
            {"Content-Type": formats.FORM_URLENCODED},
            urllib.parse.urlencode({"update": update}).encode(),
        )

    def _write(self, url: str, headers: Mapping[str, str], body, **options) -> None:
        """Send one write (see `Transport.write`)."""
        self._http.write(url, headers, body, **options)

    def _bulk_load_params(self) -> Iterable[tuple[str, str]]:
        """Parameters of a bulk load to the Graph Store endpoint (a store's own fast path)."""
        return ()

    def _load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None) -> None:
        # A dataset goes to the store's own endpoint without ?graph (Oxigraph and Fuseki accept
        # quads there; the protocol itself only defines graphs). No deadline: a store busy
        # loading may not read for longer than any.
        params = [("graph", graph_iri)] if graph_iri else []
        with path.open("rb") as body:
            self._write(
                self.endpoints.graph_store,
                {"Content-Type": fmt.media_type},
                body,
                params=[*params, *self._bulk_load_params()],
                deadline=None,
            )

    def close(self) -> None:
        self._http.close()


_BASE, _VERSION, _REFERENCE, _LOADED = (
    ONTOLOGY_NS + name for name in ("baseIRI", "dataVersion", "referenceDataVersion", "loadedAt")
)
