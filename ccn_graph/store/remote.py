"""Any SPARQL 1.1 Query + Update + Graph Store Protocol server, reached over HTTP.

The one module that speaks HTTP to a store. The managed Oxigraph is reached through it too, so
the laptop and the cluster share one code path (DESIGN decision 1).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import http.client
import json
import os
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests
from rdflib import Graph, URIRef

from ccn_graph.model.iris import ONTOLOGY_NS, STORE_STATE_GRAPH
from ccn_graph.rdfio import formats
from ccn_graph.runtime.http_failures import never_sent
from ccn_graph.sparql import queries, results
from ccn_graph.sparql.sparql_guard import QueryRefused, tokens
from ccn_graph.store.base import (
    QueryStream,
    QueryTimeout,
    Store,
    StoreBusy,
    StoreError,
    StoreRequestError,
    StoreState,
    StoreUnavailable,
    WriteUnconfirmed,
)
from ccn_graph.store.keepalive import Exchange, KeepAlive, ReusedConnectionDropped
from ccn_graph.store.query_budget import QueryBudget
from ccn_graph.store.state_mirror import StateMirror

__all__ = ["Endpoints", "RemoteStore"]

_CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """Where a store answers each protocol."""

    query: str
    update: str
    graph_store: str
    #: Extra parameters of a bulk load to the graph store (a store-specific fast path).
    bulk_load_params: tuple[tuple[str, str], ...] = ()
    #: Send queries as an HTML form (``query=…``) rather than as the request body: every store
    #: takes a form; a body is cheaper, but Virtuoso 7 never answers one.
    query_as_form: bool = False
    #: Read the whole dataset graph by graph rather than by one Graph Store GET without ``?graph``
    #: (Oxigraph and Fuseki answer that with N-Quads; Virtuoso, 406 — and its SPARQL TSV is not
    #: the standard's, so a query for every quad would not do).
    dataset_by_graphs: bool = False
    #: Graphs the store keeps for itself (Virtuoso creates three in every database, and its
    #: default graph is the union of all graphs): never listed, counted, dumped or dropped — and,
    #: since such a store's ``DROP ALL`` would drop them (Virtuoso's does nothing at all), the
    #: store is cleared graph by graph.
    system_graphs: tuple[str, ...] = ()
    #: Write triples with blank nodes as ``INSERT { … } WHERE { }`` (the same triples, fresh blank
    #: nodes): Virtuoso refuses blank nodes in ``INSERT DATA``.
    insert_by_template: bool = False
    #: Ask for SPARQL JSON results where SPARQL TSV is wanted, and convert: Virtuoso's TSV writes
    #: IRIs and literals alike as quoted strings.
    tsv_from_json: bool = False
    #: A response header (name, value) by which the store marks a result its time limit cut short
    #: while answering 200 (Virtuoso's "anytime" queries): raised as a `QueryTimeout`.
    cut_marker: tuple[str, str] | None = None
    #: At most this many triples (and a tenth as many graphs) per update request, None for no
    #: bound: Virtuoso compiles an update to SQL and refuses one of more than about 1,000 triples
    #: ("generated SQL text has exceeded 10000 lines"). A larger write is sent in parts (see
    #: `RemoteStore.replace_graphs`): each part atomic, the whole write not.
    max_update_triples: int | None = None
    #: Words of an error answer by which the store says it stopped or refused a query for its
    #: time (Virtuoso refuses up front one it estimates past its limit): raised as `QueryTimeout`.
    timeout_texts: tuple[str, ...] = ()
    #: Words of a 500 answer by which the store says a query asks for what it does not do
    #: (Oxigraph: "The custom function <…> is not supported"): the query's fault, raised as
    #: `StoreRequestError` (400), not the store's.
    refusal_texts: tuple[str, ...] = ("is not supported",)
    #: A query parameter that gives the store the query's time limit in milliseconds (Virtuoso's
    #: ``timeout``), so that the store stops at the limit rather than at its own configured one.
    timeout_param: str | None = None
    #: Keep `system_graphs` out of the default graph of a query that names no graph, with
    #: Virtuoso's ``DEFINE input:default-graph-exclude`` pragma (its default graph is the union of
    #: every graph, its own included), while the store shows them: made private
    #: (deploy/virtuoso.sql), they are hidden from every query and the pragma, which slows most
    #: joins (3 graphs excluded: 2.3 → 4.6 ms for a query of the benchmark's mix), is left out. Not
    #: for a query with a dataset (FROM, default-graph-uri) or a GRAPH pattern: with the pragma,
    #: Virtuoso 7 answers those with nothing at all; and never ``input:named-graph-exclude``, which
    #: empties answers too.
    exclude_system_graphs: bool = False

    #: What each store profile (``CCN_STORE_PROFILE``) changes from the SPARQL 1.1 standard.
    PROFILES = {
        "standard": {},
        "virtuoso": {
            "query_as_form": True,
            "dataset_by_graphs": True,
            "system_graphs": (
                "http://www.openlinksw.com/schemas/virtrdf#",
                "http://www.w3.org/ns/ldp#",
                "http://localuriqaserver/sparql",
            ),
            "insert_by_template": True,
            "tsv_from_json": True,
            "cut_marker": ("X-SQL-State", "S1TAT"),
            "timeout_param": "timeout",
            "max_update_triples": 1000,
            "timeout_texts": ("exceeds the limit of", "S1T00"),
            "exclude_system_graphs": True,
        },
    }

    @classmethod
    def for_profile(cls, profile: str, query: str, update: str, graph_store: str) -> Endpoints:
        """Endpoints of a remote store with the ways of `profile` (a key of `PROFILES`)."""
        return cls(query, update, graph_store, **cls.PROFILES[profile])

    @classmethod
    def for_oxigraph(cls, root: str) -> Endpoints:
        """The endpoints of an Oxigraph server whose root URL is `root`."""
        root = root.rstrip("/")
        # no_transaction: Oxigraph's bulk loader, several times faster, not atomic (as documented
        # for Store.load_file).
        return cls(f"{root}/query", f"{root}/update", f"{root}/store", (("no_transaction", ""),))


class RemoteStore(Store):
    """A store behind SPARQL 1.1 HTTP endpoints.

    Each request has a deadline (`timeout` seconds plus `grace` for the store to answer that it
    stopped); connections are kept per process, so the object can be created before a fork.
    """

    backend = "remote"

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        timeout: float,
        grace: float = 5.0,
        user: str = "",
        password: str = "",
        token: str = "",
        backend: str | None = None,
        mirror: StateMirror | None = None,
        budget: QueryBudget | None = None,
        stop_unconfirmed: Callable[[], object] | None = None,
    ) -> None:
        self.endpoints = endpoints
        #: How many queries the store can be sent (`query_budget`); None: no bound.
        self.budget = budget
        #: Seconds a query may wait for the budget (None: as long as it takes).
        self.budget_patience: float | None = None
        self.insert_by_template = endpoints.insert_by_template
        #: A copy of the state kept in a file (`state_mirror`): only for a store no one else writes.
        self.mirror = mirror
        #: How to stop a write the store did not confirm (restart the managed store), so that it is
        #: whole or absent before anything else is read or written; None: it cannot be stopped.
        self.stop_unconfirmed = stop_unconfirmed
        self.timeout = timeout
        self.grace = grace
        self._auth = (user, password) if user else None
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        if backend:
            self.backend = backend
        self._session: requests.Session | None = None
        self._session_pid = 0
        #: (when, answer) of the last `_shows_system_graphs` question.
        self._system_graphs_asked: tuple[float, bool] | None = None
        self._reads = KeepAlive(connect_timeout=5.0, read_timeout=timeout + grace)
        self._read_headers = dict(self._headers)
        if self._auth:
            token = base64.b64encode(":".join(self._auth).encode()).decode()
            self._read_headers["Authorization"] = f"Basic {token}"

    def _http(self) -> requests.Session:
        # A pooled connection must never be shared by a parent and its forked children.
        if self._session is None or self._session_pid != os.getpid():
            self._session = requests.Session()
            self._session.auth = self._auth
            self._session.headers.update(self._headers)
            # A store on this machine is never reached through a proxy; skipping the environment
            # lookups (proxies, netrc) saves a fifth of the cost of a small query.
            self._session.trust_env = not _loopback(self.endpoints.query)
            self._session_pid = os.getpid()
        return self._session

    def _send(
        self, method: str, url: str, *, read_only: bool = False, **kwargs
    ) -> requests.Response:
        """One request; a `read_only` one is sent again while the store is restarting (see
        `_again`), anything else fails at once with `StoreUnavailable`."""
        if self.mirror is not None and method not in ("GET", "HEAD"):
            with self.mirror.writing():
                try:
                    return self._send_once(method, url, **kwargs)
                except WriteUnconfirmed as exc:
                    if self.stop_unconfirmed is None:
                        raise
                    # Under the mirror's write lock: no copy of the state can be kept from before
                    # the stop, while the write might still land.
                    self.stop_unconfirmed()
                    raise WriteUnconfirmed(
                        f"{exc}; the store was restarted to stop it, so it is either whole or absent: "
                        "look at the record (or its history) before sending it again"
                    ) from None
        started = time.monotonic()
        while True:
            try:
                return self._send_once(method, url, **kwargs)
            except StoreUnavailable as exc:
                if not (read_only and _again(exc, started)):
                    raise

    def _send_once(self, method: str, url: str, **kwargs) -> requests.Response:
        timeout = kwargs.pop("timeout", self.timeout + self.grace)
        # No deadline at all for a bulk upload (timeout=None): while it sends the body the socket
        # keeps the connect deadline, and a store busy loading may not read for longer than that.
        limits = (5.0, timeout) if timeout is not None else None
        try:
            response = self._http().request(method, url, timeout=limits, **kwargs)
        except requests.RequestException as exc:
            if never_sent(exc):
                raise StoreUnavailable(f"cannot reach the store at {url}: {_reason(exc)}") from None
            if method not in ("GET", "HEAD"):
                lost = (
                    f"no answer within {timeout:g} s"
                    if isinstance(exc, requests.Timeout)
                    else _reason(exc)
                )
                raise WriteUnconfirmed(
                    f"the store did not confirm a write ({lost}): it may have been applied"
                ) from None
            if isinstance(exc, requests.Timeout):
                raise QueryTimeout(
                    f"the store did not answer within {timeout:g} s", stopped=False
                ) from None
            raise StoreUnavailable(f"cannot reach the store at {url}: {_reason(exc)}") from None
        if response.status_code >= 400:
            _raise_for(response)
        return response

    def _read(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        body: bytes | None = None,
        query: bool = False,
        patient: bool = True,
    ) -> Exchange:
        """One read on a kept-alive connection (`keepalive`), sent again while the store restarts
        (see `_again`; not `patient`: only on a stale connection). The body is left unread. A
        `query` that outlives its deadline raises `QueryTimeout`; anything else that fails on the
        way, `StoreUnavailable`."""
        started = time.monotonic()
        while True:
            try:
                return self._reads.request(method, url, {**headers, **self._read_headers}, body)
            except TimeoutError:
                if query:
                    raise QueryTimeout(
                        f"the store did not answer within {self.timeout + self.grace:g} s",
                        stopped=False,
                    ) from None
                raise StoreUnavailable(f"the store did not answer at {url} in time") from None
            except ReusedConnectionDropped as exc:
                # Sent once more on a fresh connection, which a store alive but restarted since
                # answers at once. A store that died of this very request refuses it (its
                # restart takes longer than this), so it is not waited for: never killed twice.
                if not patient:
                    raise StoreUnavailable(
                        f"cannot reach the store at {url}: {_reason(exc)}"
                    ) from None
                patient = False
            except (OSError, http.client.HTTPException) as exc:
                unavailable = StoreUnavailable(f"cannot reach the store at {url}: {_reason(exc)}")
                if not _again(unavailable, started, patient=patient):
                    raise unavailable from None

    def refusing_when_spent(self) -> RemoteStore:
        if self.budget is None:
            return self
        # The same connections, mirror and budget: only how long a query waits differs.
        view = copy.copy(self)
        view.budget_patience = 0.0
        return view

    def state(self) -> StoreState | None:
        """The store's state: from the mirror's copy if there is one, else asked of the store
        (and kept as the copy). None for a store never loaded."""
        if self.mirror is None:
            return self._ask_state()
        return self.mirror.read() or self.mirror.refresh(self._ask_state)

    def ping(self) -> None:
        """Raises `StoreUnavailable` unless the store answers now: a store that refuses
        connections (restarting) is not waited for, and the query budget is not drawn on."""
        self._ask_state(patient=False)

    def _ask_state(self, *, patient: bool = True) -> StoreState | None:
        """One Graph Store GET of the store-state graph, past the session's per-request work:
        asked on every request (answers are valid per state), so it must cost little more than the
        round trip."""
        url = f"{self.endpoints.graph_store}?graph={urllib.parse.quote(STORE_STATE_GRAPH, safe='')}"
        response = self._read("GET", url, {"Accept": formats.N_TRIPLES.media_type}, patient=patient)
        text = _whole_text(response, url)  # read whole: the connection goes back
        if response.status == 404:
            return None
        if response.status >= 500:
            _raise_for_status(response.status, text)
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
        if (
            self.endpoints.exclude_system_graphs
            and not dataset
            and self._shows_system_graphs()
            and not _names_graphs(query)
        ):
            query = (
                "".join(
                    f"DEFINE input:default-graph-exclude <{g}>\n"
                    for g in self.endpoints.system_graphs
                )
                + query
            )
        if self.endpoints.timeout_param:
            dataset.append((self.endpoints.timeout_param, str(int(self.timeout * 1000))))
        url = self.endpoints.query
        as_tsv = self.endpoints.tsv_from_json and accept == formats.SPARQL_TSV.media_type
        if as_tsv:
            accept = formats.SPARQL_JSON.media_type
        if self.endpoints.query_as_form:
            response = self._read(
                "POST",
                url,
                {"Accept": accept, "Content-Type": formats.FORM_URLENCODED},
                body=urllib.parse.urlencode([("query", query), *dataset]).encode(),
                query=True,
            )
        else:
            # The query as the body itself (SPARQL 1.1 Protocol §2.1.3), the dataset in the URL:
            # form-encoding a query costs more than its round trip.
            if dataset:
                url += ("&" if "?" in url else "?") + urllib.parse.urlencode(dataset)
            response = self._read(
                "POST",
                url,
                {"Accept": accept, "Content-Type": formats.SPARQL_QUERY},
                body=query.encode(),
                query=True,
            )
        if response.status >= 400:
            text = _whole_text(response, url)
            _raise_for_status(
                response.status, text, self.endpoints.timeout_texts, self.endpoints.refusal_texts
            )
        marker = self.endpoints.cut_marker
        if marker and response.headers.get(marker[0], "").strip() == marker[1]:
            response.close()
            raise QueryTimeout(
                f"the store stopped the query at its time limit of {self.timeout:g} s"
            )
        media_type = response.headers.get("Content-Type", accept).split(";", 1)[0].strip()

        def chunks():
            try:
                yield from response.stream(_CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise StoreUnavailable(
                    f"the store stopped sending results: {_reason(exc)}"
                ) from None

        def as_standard_tsv(answer):
            try:
                yield from results.tsv_from_json(answer)
            except ValueError as exc:
                raise StoreUnavailable(f"the store's results cannot be read: {exc}") from None

        stream = chunks()
        if as_tsv:
            media_type, stream = formats.SPARQL_TSV.media_type, as_standard_tsv(stream)

        return QueryStream(
            media_type, stream, response.close, truncated=self._answer_cut(response.headers)
        )

    def _answer_cut(self, headers) -> bool:
        """Whether the answer with these headers holds fewer rows than the query asked for."""
        return False

    def _shows_system_graphs(self) -> bool:
        """Whether queries see the store's own graphs (`Endpoints.system_graphs`): Virtuoso shows
        them unless they were made private (deploy/virtuoso.sql). Asked of the store again after
        `_SYSTEM_GRAPHS_SECONDS`; raises as a query does when the store cannot answer."""
        asked = self._system_graphs_asked
        if asked is not None and time.monotonic() - asked[0] < _SYSTEM_GRAPHS_SECONDS:
            return asked[1]
        # With a dataset, the question itself is sent without asking this again.
        answer = self.query_stream(
            queries.load("system_graphs_shown"),
            formats.SPARQL_JSON.media_type,
            named_graphs=self.endpoints.system_graphs,
        ).read()
        shown = bool(json.loads(answer)["boolean"])
        self._system_graphs_asked = (time.monotonic(), shown)
        return shown

    def dataset_stream(self) -> QueryStream:
        if self.endpoints.dataset_by_graphs:
            return self._dataset_by_graphs()
        # The Graph Store Protocol endpoint without ?graph answers with the whole dataset on
        # Oxigraph and Fuseki; it is not a SPARQL query, so the query time limit does not cut it.
        # The read deadline is per read, not for the whole: only a store that stops sending (a
        # connection gone half-open) ends it, and then no dump build waits for ever.
        response = self._send(
            "GET",
            self.endpoints.graph_store,
            headers={"Accept": formats.N_QUADS.media_type},
            stream=True,
        )

        def chunks():
            try:
                yield from response.iter_content(_CHUNK)
            except requests.RequestException as exc:
                raise StoreUnavailable(
                    f"the store stopped sending the dataset: {_reason(exc)}"
                ) from None

        return QueryStream(formats.N_QUADS.media_type, chunks(), response.close)

    def replace_graphs(self, graphs: Mapping[str, Graph]) -> None:
        """As `Store.replace_graphs`, in one request when the store takes it (always, but for a
        store with `Endpoints.max_update_triples`). Past that bound the write is not atomic: the
        graphs go in updates of at most that many triples, each graph's replacement within one
        update, and a graph larger than the bound is dropped and then loaded whole through the
        Graph Store Protocol (two requests)."""
        limit = self.endpoints.max_update_triples
        if (
            limit is None
            or sum(len(graph) for graph in graphs.values()) <= limit
            and len(graphs) <= limit // 10
        ):
            super().replace_graphs(graphs)
            return
        part: dict[str, Graph] = {}
        size = 0
        for iri, graph in graphs.items():
            if len(graph) > limit:
                self._put_graph(iri, graph)
                continue
            if part and (size + len(graph) > limit or len(part) >= limit // 10):
                super().replace_graphs(part)
                part, size = {}, 0
            part[iri] = graph
            size += len(graph)
        if part:
            super().replace_graphs(part)

    def _put_graph(self, iri: str, graph: Graph) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "graph.nt"
            graph.serialize(destination=path, format="nt11", encoding="utf-8")
            self.load_file(path, formats.N_TRIPLES, iri)

    def graph_names(self) -> list[str]:
        return [name for name in super().graph_names() if name not in self.endpoints.system_graphs]

    def triple_count(self) -> int:
        if not self.endpoints.system_graphs:
            return super().triple_count()
        rows = self.select(queries.load("count_triples_by_graph"))
        return sum(
            int(row["triples"]) for row in rows if str(row["g"]) not in self.endpoints.system_graphs
        )

    def clear(self) -> None:
        """Remove every triple of every graph but the store's own (`Endpoints.system_graphs`)."""
        if not self.endpoints.system_graphs:
            super().clear()
            return
        drop = queries.load("drop_graph")
        names = self.graph_names()
        if names:
            self._update(" ;\n".join(queries.bind(drop, {"g": URIRef(name)}) for name in names))

    def _load_by_graphs(self, path: Path, fmt: formats.RdfFormat) -> None:
        """A dataset file sent graph by graph to the Graph Store endpoint (each graph's triples
        added, as a dataset load does), for stores that take no quads there."""
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
        for name, triples in graphs.items():
            self._send(
                "POST",
                self.endpoints.graph_store,
                params={"graph": name},
                data="".join(triples).encode(),
                headers={"Content-Type": formats.N_TRIPLES.media_type},
                timeout=None,
            ).close()

    def _dataset_by_graphs(self) -> QueryStream:
        """Every quad, graph by graph (the names by a query, each graph by a Graph Store GET), for
        the stores that offer no GET of the whole dataset."""
        names = self.graph_names()

        def chunks():
            for name in names:
                lines = self.read_graph(name).serialize(format="nt11").splitlines()
                yield "".join(
                    f"{line[:-1].rstrip()} <{name}> .\n" for line in lines if line.strip()
                ).encode()

        return QueryStream(formats.N_QUADS.media_type, chunks())

    def _update(self, update: str) -> None:
        self._send("POST", self.endpoints.update, data={"update": update}).close()

    def _load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None) -> None:
        if graph_iri is None and self.endpoints.dataset_by_graphs:
            self._load_by_graphs(path, fmt)
            return
        # A dataset goes to the store's own endpoint without ?graph (Oxigraph and Fuseki accept
        # quads there; the protocol itself only defines graphs).
        with path.open("rb") as body:
            self._send(
                "POST",
                self.endpoints.graph_store,
                params={
                    **({"graph": graph_iri} if graph_iri else {}),
                    **dict(self.endpoints.bulk_load_params),
                }
                or None,
                data=body,
                headers={"Content-Type": fmt.media_type},
                timeout=None,
            ).close()

    def close(self) -> None:
        self._reads.close()
        if self._session is not None:
            self._session.close()
            self._session = None


_BASE, _VERSION, _REFERENCE, _LOADED = (
    ONTOLOGY_NS + name for name in ("baseIRI", "dataVersion", "referenceDataVersion", "loadedAt")
)


def _loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


#: How long the answer of `_shows_system_graphs` holds: making the graphs private or public again is
#: a change of the store's setup, seen within this time.
_SYSTEM_GRAPHS_SECONDS = 300.0
#: How long a read waits for a store that refuses connections (a managed store restarts within a
#: second).
_RECONNECT_SECONDS = 5.0


def _again(exc: StoreUnavailable, started: float, *, patient: bool = True) -> bool:
    """Whether a read that failed with `exc` should be sent again: only when the store refused
    the connection (so the request never reached it: it is restarting) and, when `patient`, the
    reconnect window is still open. A request on a connection that broke is not sent again
    here: it may be what killed the store (see `RemoteStore._read` for kept-alive ones)."""
    elapsed = time.monotonic() - started
    if patient and "connection refused" in str(exc).lower() and elapsed < _RECONNECT_SECONDS:
        time.sleep(0.05)
        return True
    return False


def _whole_text(response: Exchange, url: str) -> str:
    """The whole body of `response` as text; `StoreUnavailable` when the store breaks off or
    stalls past the read deadline on the way (it sent its headers, then died)."""
    try:
        return response.data.decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        raise StoreUnavailable(f"the store broke off its answer at {url}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _raise_for(response: requests.Response) -> None:
    text = response.text
    response.close()
    _raise_for_status(response.status_code, text)


def _raise_for_status(
    status: int, text: str, timeout_texts: Sequence[str] = (), refusal_texts: Sequence[str] = ()
) -> None:
    text = text.strip()[:2000]
    lowered = text.lower()
    # By the answer's status first: a 4xx, or Oxigraph's 500 for a query it cannot evaluate,
    # refuses the request as sent, whatever its text repeats of it (a function named …/timeout is
    # no time limit). A time limit is the engine's own code for it (`timeout_texts`), or a 408,
    # 503 or 504 that says so (Oxigraph itself cuts a stopped query's 200 short instead).
    if any(words in text for words in timeout_texts) or (
        status in (408, 503, 504) and ("timeout" in lowered or "timed out" in lowered)
    ):
        raise QueryTimeout(f"the store stopped the query at its time limit: {text}")
    if status == 500 and any(words in text for words in refusal_texts):
        raise StoreRequestError(text)
    if status in (502, 503, 504):
        raise StoreUnavailable(f"the store is unavailable ({status}): {text}")
    if status == 500 and "(os error 11)" in text:
        # Oxigraph out of threads (EAGAIN): see query_budget; it answers again once they sleep out.
        raise StoreBusy(f"the store is out of threads for now ({status}): {text}")
    if 400 <= status < 500:
        raise StoreRequestError(text or f"the store refused the request ({status})")
    raise StoreError(f"the store failed ({status}): {text}")


def _names_graphs(query: str) -> bool:
    """Whether `query` has a FROM clause or a GRAPH pattern (or cannot be read: the store says why)."""
    try:
        return any(
            kind == "word" and value.upper() in ("FROM", "GRAPH") for kind, value in tokens(query)
        )
    except QueryRefused:
        return True
