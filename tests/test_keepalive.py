"""The store's kept-alive connections (ccn_graph/store/keepalive.py), against a real HTTP/1.1
server on loopback that notes which connection each request came on."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ccn_graph.store import RemoteStore, StoreUnavailable
from ccn_graph.store.keepalive import KeepAlive
from ccn_graph.store.remote import Endpoints

pytestmark = pytest.mark.fast

BODY = b"0123456789" * 10_000  # 100 kB: more than one read


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.peers.append(self.client_address[1])
        if self.path.startswith("/stalled/"):
            # Headers and a first piece, then nothing: a connection gone half-open mid-answer.
            self.send_response(200)
            self.send_header("Content-Type", "application/n-quads")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"a\r\n<x> <y> .\n\r\n")
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
            return
        if self.path.startswith("/broken/"):
            # Headers, a tenth of the body, then the end: a store that died while answering.
            self.send_response(200)
            self.send_header("Content-Type", "application/n-triples")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"<x> <y> <z")
            self.wfile.flush()
            self.close_connection = True
            return
        body = BODY if self.path == "/big" else self.path.encode()
        self.send_response(200)
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"one,", b"two,", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

    def handle(self):
        self.handle_one_request()
        if self.path == "/then-hang-up":
            # As Oxigraph does with a connection idle past its time limit: a word unasked, then
            # close.
            time.sleep(0.2)
            self.wfile.write(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nstale"
            )
            self.wfile.flush()
            return
        while not self.close_connection:
            self.handle_one_request()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture()
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.peers = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_reads_share_one_connection_per_thread(server):
    reads = KeepAlive(connect_timeout=5, read_timeout=5)
    for number in range(20):
        assert reads.request("GET", _url(server, f"/{number}"), {}).data == f"/{number}".encode()
    streamed = reads.request("GET", _url(server, "/big"), {})
    assert b"".join(streamed.stream(4096)) == BODY
    assert (
        b"".join(reads.request("GET", _url(server, "/chunked"), {}).stream(3)) == b"one,two,three"
    )
    assert len(server.peers) == 22 and len(set(server.peers)) == 1
    reads.close()


def test_a_response_left_half_read_never_feeds_the_next_answer(server):
    reads = KeepAlive(connect_timeout=5, read_timeout=5)
    half = reads.request("GET", _url(server, "/big"), {})
    assert next(half.stream(1000)) == BODY[:1000]
    half.close()
    assert reads.request("GET", _url(server, "/after"), {}).data == b"/after"
    assert len(set(server.peers)) == 2  # the half-read connection was closed, a new one opened
    reads.close()


def test_threads_and_forked_children_get_their_own_connections(server):
    reads = KeepAlive(connect_timeout=5, read_timeout=5)
    assert reads.request("GET", _url(server, "/parent"), {}).data == b"/parent"
    other = threading.Thread(target=lambda: reads.request("GET", _url(server, "/thread"), {}).data)
    other.start()
    other.join()
    child = os.fork()
    if child == 0:
        ok = reads.request("GET", _url(server, "/child"), {}).data == b"/child"
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reads.request("GET", _url(server, "/parent-again"), {}).data == b"/parent-again"
    assert len(server.peers) == 4 and len(set(server.peers)) == 3
    assert server.peers[0] == server.peers[3]
    reads.close()


def test_a_response_neither_read_nor_closed_is_left_behind(server):
    reads = KeepAlive(connect_timeout=5, read_timeout=5)
    reads.request("GET", _url(server, "/big"), {})  # dropped on the floor
    assert reads.request("GET", _url(server, "/next"), {}).data == b"/next"
    assert reads.request("GET", _url(server, "/again"), {}).data == b"/again"
    assert len(set(server.peers)) == 2 and server.peers[1] == server.peers[2]
    reads.close()


def test_a_request_while_an_answer_streams_gets_a_connection_of_its_own(server):
    """A dump read piece by piece while its reader asks other questions (reads and writes share
    the connections): neither answer is cut, and the kept connection serves on afterwards."""
    reads = KeepAlive(connect_timeout=5, read_timeout=5)
    streaming = reads.request("GET", _url(server, "/big"), {})
    pieces = streaming.stream(4096)
    first = next(pieces)
    assert reads.request("GET", _url(server, "/meanwhile"), {}).data == b"/meanwhile"
    assert first + b"".join(pieces) == BODY
    assert reads.request("GET", _url(server, "/after"), {}).data == b"/after"
    assert len(set(server.peers)) == 2 and server.peers[0] == server.peers[2]
    reads.close()


def test_a_connection_the_server_spoke_on_unasked_is_not_reused(server):
    reads = KeepAlive(connect_timeout=5, read_timeout=5)
    assert reads.request("GET", _url(server, "/then-hang-up"), {}).data == b"/then-hang-up"
    time.sleep(0.5)
    answer = reads.request("GET", _url(server, "/fresh"), {})
    assert (answer.status, answer.data) == (200, b"/fresh")
    assert len(set(server.peers)) == 2
    reads.close()


def test_a_store_that_breaks_off_its_answer_is_unavailable_not_an_error(server):
    """The remote store reads its state whole: a body cut short is the store failing (503 for
    `/health`, with Retry-After), not an unexpected error of the service (500)."""
    store = RemoteStore(Endpoints.for_oxigraph(_url(server, "/broken")), timeout=5)
    with pytest.raises(StoreUnavailable, match="broke off"):
        store.ping()
    status = store.status()
    assert not status.reachable and "broke off" in status.detail


def test_a_dataset_download_that_stalls_ends_instead_of_waiting_for_ever(server):
    """The dump is read with a deadline per read: a store that stops sending ends it."""
    store = RemoteStore(Endpoints.for_oxigraph(_url(server, "/stalled")), timeout=1, grace=0.5)
    outcome = []

    def read():
        try:
            store.dataset_stream().read()
        except StoreUnavailable as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=15)
    assert not reader.is_alive(), "the download still waits"
    assert outcome and "stopped sending" in str(outcome[0])
