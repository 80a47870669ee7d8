"""HTTP to a store: each exchange sent, timed and its failure told apart (`ccn_graph.store.errors`).

The one module of the store that opens connections (`ccn_graph.store.keepalive` holds them): reads
(queries, the state graph) and writes (updates, bulk loads) alike, so a store object is one pool
of connections per process and per thread, safe to create before gunicorn forks its workers.
"""

from __future__ import annotations

import base64
import http.client
import os
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import BinaryIO

from ccn_graph.store.errors import (
    QueryTimeout,
    StoreBusy,
    StoreError,
    StoreRequestError,
    StoreUnavailable,
    WriteUnconfirmed,
)
from ccn_graph.store.keepalive import (
    Exchange,
    KeepAlive,
    NotConnected,
    ReusedConnectionDropped,
)

__all__ = ["Exchange", "Transport", "chunks", "error_for", "reason", "whole_text"]

#: How long a read waits for a store that refuses connections (a managed store restarts within a
#: second).
_RECONNECT_SECONDS = 5.0
#: Seconds to open a connection.
_CONNECT_SECONDS = 5.0
#: Bytes read at a time from an answer passed on as it comes.
_CHUNK = 64 * 1024


class Transport:
    """Requests to one store's endpoints. Each has a deadline: `timeout` seconds plus `grace` for
    the store to say that it stopped a query, unless a request says otherwise."""

    def __init__(
        self, *, timeout: float, grace: float, user: str = "", password: str = "", token: str = ""
    ) -> None:
        self.timeout = timeout
        self.grace = grace
        self._headers: dict[str, str] = {}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif user:
            basic = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {basic}"
        self._connections = KeepAlive(_CONNECT_SECONDS, timeout + grace)

    @property
    def deadline(self) -> float:
        return self.timeout + self.grace

    def read(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        body: bytes | None = None,
        query: bool = False,
        patient: bool = True,
    ) -> Exchange:
        """One read, its body left unread, sent again while the store restarts (refused
        connections, see `_again`; not `patient`: only once more on a stale connection). A
        `query` that outlives its deadline raises `QueryTimeout`; anything else that fails on
        the way, `StoreUnavailable`."""
        started = time.monotonic()
        while True:
            try:
                return self._connections.request(method, url, {**headers, **self._headers}, body)
            except TimeoutError:
                if query:
                    raise QueryTimeout(
                        f"the store did not answer within {self.deadline:g} s", stopped=False
                    ) from None
                raise StoreUnavailable(f"the store did not answer at {url} in time") from None
            except ReusedConnectionDropped as exc:
                # Sent once more on a fresh connection, which a store alive but restarted since
                # answers at once. A store that died of this very request refuses it (its
                # restart takes longer than this), so it is not waited for: never killed twice.
                if not patient:
                    raise StoreUnavailable(
                        f"cannot reach the store at {url}: {reason(exc)}"
                    ) from None
                patient = False
            except (OSError, http.client.HTTPException) as exc:
                unavailable = StoreUnavailable(f"cannot reach the store at {url}: {reason(exc)}")
                if not _again(unavailable, started, patient=patient):
                    raise unavailable from None

    def write(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes | BinaryIO,
        *,
        params: Iterable[tuple[str, str]] = (),
        deadline: float | None = -1.0,
    ) -> None:
        """One POST that changes the store, answered in full; raises the store's refusal. A
        request that never reached the store raises `StoreUnavailable`; one that did and got no
        answer (`deadline` seconds without a byte: by default the store's; None: no bound, for a
        bulk load the store may take long to read), `WriteUnconfirmed`."""
        pairs = list(params)
        if pairs:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(pairs)
        limit = self.deadline if deadline == -1.0 else deadline
        headers = dict(headers)
        if not isinstance(body, bytes):
            headers["Content-Length"] = str(os.fstat(body.fileno()).st_size)
        try:
            response = self._connections.request(
                "POST", url, {**headers, **self._headers}, body, read_timeout=limit
            )
            text = response.data.decode("utf-8", errors="replace")
        except NotConnected as exc:
            raise StoreUnavailable(f"cannot reach the store at {url}: {reason(exc)}") from None
        except (OSError, http.client.HTTPException) as exc:
            lost = f"no answer within {limit:g} s" if isinstance(exc, TimeoutError) else reason(exc)
            raise WriteUnconfirmed(
                f"the store did not confirm a write ({lost}): it may have been applied"
            ) from None
        if response.status >= 400:
            raise error_for(response.status, text)

    def get(self, url: str, headers: Mapping[str, str]) -> Exchange:
        """A GET whose answer may take long to come whole (a dump): the deadline is per read, not
        for the whole, so only a store that stops sending ends it. Raises the store's refusal."""
        response = self.read("GET", url, headers, patient=False)
        if response.status >= 400:
            raise error_for(response.status, whole_text(response, url))
        return response

    def close(self) -> None:
        self._connections.close()


def _again(exc: StoreUnavailable, started: float, *, patient: bool = True) -> bool:
    """Whether a read that failed with `exc` should be sent again: only when the store refused
    the connection (so the request never reached it: it is restarting) and, when `patient`, the
    reconnect window is still open. A request on a connection that broke is not sent again
    here: it may be what killed the store (see `Transport.read` for kept-alive ones)."""
    elapsed = time.monotonic() - started
    if patient and "connection refused" in str(exc).lower() and elapsed < _RECONNECT_SECONDS:
        time.sleep(0.05)
        return True
    return False


def chunks(response: Exchange) -> Iterator[bytes]:
    """The body of `response` as it comes; `StoreUnavailable` if the store breaks off."""
    try:
        yield from response.stream(_CHUNK)
    except (OSError, http.client.HTTPException) as exc:
        raise StoreUnavailable(f"the store stopped sending its answer: {reason(exc)}") from None


def whole_text(response: Exchange, url: str) -> str:
    """The whole body of `response` as text; `StoreUnavailable` when the store breaks off or
    stalls past the read deadline on the way (it sent its headers, then died)."""
    try:
        return response.data.decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        raise StoreUnavailable(f"the store broke off its answer at {url}: {reason(exc)}") from None


def reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text or isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(exc).__name__


#: Words of a 500 answer by which a store says a query asks for what it does not do (Oxigraph:
#: "The custom function <…> is not supported"): the query's fault, not the store's.
_REFUSALS = ("is not supported",)


def error_for(status: int, text: str, timeout_texts: Sequence[str] = ()) -> StoreError:
    """The error a store means by an answer of `status` with `text` (an error status); a store's
    own words for its time limit are `timeout_texts`."""
    text = text.strip()[:2000]
    lowered = text.lower()
    # By the answer's status first: a 4xx, or Oxigraph's 500 for a query it cannot evaluate,
    # refuses the request as sent, whatever its text repeats of it (a function named …/timeout is
    # no time limit). A time limit is the engine's own code for it (`timeout_texts`), or a 408,
    # 503 or 504 that says so (Oxigraph itself cuts a stopped query's 200 short instead).
    if any(words in text for words in timeout_texts) or (
        status in (408, 503, 504) and ("timeout" in lowered or "timed out" in lowered)
    ):
        return QueryTimeout(f"the store stopped the query at its time limit: {text}")
    if status == 500 and any(words in text for words in _REFUSALS):
        return StoreRequestError(text)
    if status in (502, 503, 504):
        return StoreUnavailable(f"the store is unavailable ({status}): {text}")
    if status == 500 and "(os error 11)" in text:
        # Oxigraph out of threads (EAGAIN): see query_budget; it answers again once they sleep out.
        return StoreBusy(f"the store is out of threads for now ({status}): {text}")
    if 400 <= status < 500:
        return StoreRequestError(text or f"the store refused the request ({status})")
    return StoreError(f"the store failed ({status}): {text}")
