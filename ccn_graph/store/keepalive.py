"""Kept-alive HTTP/1.1 connections to a store: the store's one HTTP transport.

Every page asks the store one or more questions, and on loopback the HTTP client's own work is
most of a small question's cost: a general client (connection pools, retries, header
normalisation) spends more CPU per query than `http.client` on one connection kept open
(`bench/transport.py`, `bench/reports/transport.md`; docs/architecture.md, "One transport").
Only `ccn_graph.store.transport` uses this module.

One connection per thread (a connection serves one exchange at a time) and per process (a
connection opened before a fork must never be shared with the children).
"""

from __future__ import annotations

import http.client
import os
import select
import threading
import urllib.parse
import weakref
from collections.abc import Iterator, Mapping
from typing import BinaryIO

__all__ = ["Exchange", "KeepAlive", "NotConnected", "ReusedConnectionDropped"]


class NotConnected(ConnectionError):
    """No connection could be made (refused, no such host, none in time): nothing was sent."""


class ReusedConnectionDropped(ConnectionError):
    """A connection kept open from an earlier exchange broke before an answer began: most likely
    the server had closed it while idle (it restarted), though it may also have died of this
    request. A fresh connection that breaks raises what `http.client` raised instead."""


class Exchange:
    """A response whose body is still to be read: read it whole (`data`) or in pieces (`stream`),
    or `close` it. Its connection serves the next request only once the body has been read to
    the end; a response left half-read closes its connection, and so does one on a connection of
    its own (`kept` false: opened while this thread's connection was still busy)."""

    def __init__(
        self,
        response: http.client.HTTPResponse,
        connection: http.client.HTTPConnection,
        owner: KeepAlive,
        kept: bool = True,
    ) -> None:
        self._response = response
        self._connection = connection
        self._owner = owner
        self._kept = kept
        #: Set once `close` ran: shared with the owner, which may outlive this object.
        self.done: list[bool] = [False]
        self.status = response.status
        self.headers = response.headers

    @property
    def data(self) -> bytes:
        """The whole body (raises OSError or `http.client.HTTPException` if the store breaks
        off)."""
        try:
            return self._response.read()
        finally:
            self.close()

    def stream(self, size: int) -> Iterator[bytes]:
        """The body in pieces of at most `size` bytes, each as soon as it arrives."""
        try:
            while chunk := self._response.read1(size):
                yield chunk
            # read1 does not mark a body of known length as read to its end; read does.
            self._response.read()
        finally:
            self.close()

    def isclosed(self) -> bool:
        return self._response.isclosed()

    def close(self) -> None:
        """Done with the response: its connection is kept if the body was read to its end."""
        if not self._response.isclosed() or not self._kept:
            self._owner.discard(self._connection)  # unread bytes would be read as the next answer
        self._response.close()
        self.done[0] = True


class _PerThread(threading.local):
    """This thread's connections by (scheme, host, port), and the last exchange on each."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        #: (the last exchange on each connection, whether it was closed)
        self.last: dict[tuple[str, str, int], tuple[weakref.ref[Exchange], list[bool]]] = {}


class KeepAlive:
    """Connections kept open to the hosts of a store, one per (thread, host) in this process.

    `request` raises what `http.client` raises (OSError subclasses, among them `TimeoutError`
    after `read_timeout` seconds without a byte, and `http.client.HTTPException`), or
    `ReusedConnectionDropped` when a kept-alive connection broke before an answer began; the
    connection it used is then closed, never reused.
    """

    def __init__(self, connect_timeout: float, read_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._local = _PerThread()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()

    def _connections(self) -> dict[tuple[str, str, int], http.client.HTTPConnection]:
        if self._pid != os.getpid():
            # The parent's connections (and this thread's copy of its thread-local values) stay
            # with the parent: forget them without closing them.
            self._local = _PerThread()
            self._open = set()
            self._pid = os.getpid()
        return self._local.table

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | BinaryIO | None = None,
        *,
        read_timeout: float | None = -1.0,
    ) -> Exchange:
        """Send one request on this thread's connection to the URL's host (opened if need be) and
        read the status line and headers; returns with the body unread. `read_timeout`: seconds
        without a byte before `TimeoutError` for this exchange (None: no bound; by default the
        pool's). `NotConnected` when no connection could be opened."""
        parts = urllib.parse.urlsplit(url)
        https = parts.scheme == "https"
        key = (parts.scheme, parts.hostname or "", parts.port or (443 if https else 80))
        table = self._connections()
        busy = self._busy(key)
        connection = None if busy else self._kept(key)
        reused = connection is not None
        if connection is None:
            kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
            connection = kind(key[1], key[2], timeout=self.connect_timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            if connection.sock is None:
                try:
                    connection.connect()
                except OSError as exc:
                    raise NotConnected(str(exc) or type(exc).__name__) from exc
                if not busy:
                    table[key] = connection
                with self._lock:
                    self._open.add(connection)
            connection.sock.settimeout(self.read_timeout if read_timeout == -1.0 else read_timeout)
            connection.request(method, target, body=body, headers=dict(headers))
            response = connection.getresponse()
        except NotConnected:
            self.discard(connection)
            raise
        except (ConnectionError, http.client.RemoteDisconnected) as exc:
            self.discard(connection)
            if reused:
                raise ReusedConnectionDropped(
                    f"a kept-alive connection was dropped: {exc}"
                ) from exc
            raise
        except BaseException:
            self.discard(connection)
            raise
        exchange = Exchange(response, connection, self, kept=not busy)
        if not busy:
            self._local.last[key] = (weakref.ref(exchange), exchange.done)
        return exchange

    def _busy(self, key: tuple[str, str, int]) -> bool:
        """Whether this thread's connection to `key` is still carrying an answer being read (a
        dump streamed while the reader asks other questions): a request meanwhile gets a
        connection of its own."""
        previous = self._local.last.get(key)
        return previous is not None and not previous[1][0] and previous[0]() is not None

    def _kept(self, key: tuple[str, str, int]) -> http.client.HTTPConnection | None:
        """This thread's connection to `key`, if it can serve another exchange."""
        connection = self._connections().get(key)
        previous = self._local.last.get(key)
        if connection is not None and (
            previous is not None and not previous[1][0] or _spoken(connection)
        ):
            # The last answer on it was dropped unread (its bytes are still coming), or the
            # server spoke unasked: it closed the connection, maybe with a word first (Oxigraph
            # answers a connection idle past its time limit with a 500 and closes it), never our
            # answer.
            self.discard(connection)
            return None
        return connection

    def discard(self, connection: http.client.HTTPConnection) -> None:
        """Close `connection` and forget it."""
        connection.close()
        table = self._local.table
        for key, kept in list(table.items()):
            if kept is connection:
                del table[key]
        with self._lock:
            self._open.discard(connection)

    def close(self) -> None:
        """Close every connection this process opened, in every thread."""
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()
        self._local = _PerThread()


def _spoken(connection: http.client.HTTPConnection) -> bool:
    """Whether the server sent anything (bytes, or the end of the stream) on an idle connection."""
    if connection.sock is None:
        return False
    poller = select.poll()
    poller.register(connection.sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
