"""The managed Oxigraph server: started, restarted after a crash, stopped, never orphaned."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from rdflib import Literal

from ccn_graph.store import (
    ManagedOxigraphStore,
    ManagedStoreError,
    OxigraphServer,
    RemoteStore,
    StoreUnavailable,
    WriteUnconfirmed,
)
from ccn_graph.store.managed import SERVER_FILE, read_server_file, request_restart
from ccn_graph.store.state_mirror import StateMirror

from .conftest import pid_alive, wait_until

INSERT = "INSERT DATA { GRAPH <http://e/g> { <http://e/s> <http://e/p> ?v } }"


@pytest.fixture
def server(tmp_path, oxigraph_bin):
    server = OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin)
    server.start()
    yield server
    server.stop()


def count(store) -> int:
    return len(store.read_graph("http://e/g"))


def reachable(store) -> bool:
    return store.status().reachable


def test_server_runs_on_loopback_with_its_files_in_the_data_dir(server, tmp_path):
    info = json.loads((tmp_path / SERVER_FILE).read_text())
    assert info == {
        "supervisor": os.getpid(),
        "pid": server.pid,
        "port": server.port,
        "restarts": 0,
    }
    assert server.root.startswith("http://127.0.0.1:")
    assert (tmp_path / "store").is_dir()
    cmdline = open(f"/proc/{server.pid}/cmdline").read().split("\0")
    assert "--union-default-graph" in cmdline and "--timeout-s" in cmdline


def test_kill_9_restarts_within_5_seconds_and_loses_nothing(server):
    store = RemoteStore(server.endpoints, timeout=5)
    store.update(INSERT, {"v": Literal(1)})
    old_pid = server.pid
    os.kill(old_pid, signal.SIGKILL)
    started = time.monotonic()
    wait_until(lambda: server.pid != old_pid and reachable(store), timeout=5)
    assert time.monotonic() - started < 5
    assert server.restarts == 1
    assert count(store) == 1
    assert not pid_alive(old_pid)


def test_a_server_killed_while_starting_is_seen_at_once_and_started_again(server):
    """The readiness probe does not wait for a dead server as a query waits for a restart."""
    store = RemoteStore(server.endpoints, timeout=5)
    store.update(INSERT, {"v": Literal(3)})
    first = server.pid
    started = time.monotonic()
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: server.pid != first, timeout=5, interval=0.005)
    second = server.pid
    os.kill(second, signal.SIGKILL)
    wait_until(lambda: server.pid not in (first, second) and reachable(store), timeout=5)
    assert time.monotonic() - started < 5
    assert server.restarts == 2
    assert count(store) == 1


# Oxigraph's parser recurses per group: this many nested groups overflow its stack, and the
# server dies at once (the service's own SPARQL guard refuses such a query before any store).
CRASHING_QUERY = "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000


@pytest.mark.parametrize("connection", ["fresh", "kept alive"])
def test_a_query_the_store_dies_of_is_sent_once(server, connection):
    """Neither the reconnect wait nor the stale-connection retry sends it to the restarted store."""
    store = RemoteStore(server.endpoints, timeout=5)
    store.update(INSERT, {"v": Literal(4)})
    if connection == "kept alive":
        assert store.ask("ASK {}") is True  # the query then goes on this connection
    first = server.pid
    with pytest.raises(StoreUnavailable):
        store.query_stream(CRASHING_QUERY, "application/sparql-results+json").read()
    wait_until(lambda: server.pid != first and reachable(store), timeout=10)
    time.sleep(1)  # a second send would have killed the fresh server by now
    assert server.restarts == 1
    assert not pid_alive(first) and count(store) == 1


# Four patterns over every triple, with a filter that needs them all: an update that runs for
# minutes (Oxigraph's time limit holds for queries only) and writes nothing.
SLOW_UPDATE = """INSERT { GRAPH <http://e/slow> { ?a <http://e/p> ?b } } WHERE {
  ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4
  FILTER (STR(?o1) = CONCAT(STR(?o2), STR(?o3), STR(?o4), "never")) }"""


def test_a_write_the_store_does_not_confirm_is_stopped_by_a_restart(tmp_path, oxigraph_bin):
    """A write past its deadline is not left running beside the next one: the managed store is
    restarted (so the write is whole or absent) before the state's copy can be kept again, and the
    caller is told it may have been applied."""
    server = OxigraphServer(tmp_path, query_timeout=1, binary=oxigraph_bin)
    server.start()
    try:
        mirror = StateMirror(tmp_path)
        store = ManagedOxigraphStore.of(server, timeout=1, grace=1.0)
        store.write_state("http://e/", "ref-1")
        store.update(
            "INSERT DATA { GRAPH <http://e/g> { "
            + " ".join(f"<http://e/s{i}> <http://e/p> {i} ." for i in range(300))
            + " } }"
        )
        before = store.state()
        first = server.pid
        with pytest.raises(WriteUnconfirmed, match="restarted to stop it"):
            store.update(SLOW_UPDATE)
        wait_until(lambda: server.pid != first and reachable(store), timeout=10)
        assert server.restarts == 1 and not pid_alive(first)
        assert store.state() == before and mirror.read() == before
        assert len(store.read_graph("http://e/slow")) == 0
    finally:
        server.stop()


def test_store_calls_fail_clearly_while_the_server_is_down(tmp_path, oxigraph_bin):
    server = OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin)
    server.start()
    store = RemoteStore(server.endpoints, timeout=5)
    server.stop()
    with pytest.raises(StoreUnavailable, match="connection refused"):
        store.triple_count()
    status = store.status()
    assert not status.reachable and "connection refused" in status.detail


def test_request_restart_from_another_process(server, tmp_path):
    store = RemoteStore(server.endpoints, timeout=5)
    store.update(INSERT, {"v": Literal(2)})
    old_pid = server.pid
    code = (
        "from pathlib import Path; from ccn_graph.store.managed import request_restart; "
        f"print(request_restart(Path({str(tmp_path)!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    wait_until(lambda: server.pid != old_pid and reachable(store), timeout=5)
    assert count(store) == 1


def test_stop_ends_the_process_and_forgets_it(tmp_path, oxigraph_bin):
    server = OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin)
    server.start()
    pid = server.pid
    server.stop()
    assert not pid_alive(pid)
    assert read_server_file(tmp_path) is None
    assert request_restart(tmp_path) is False
    server.stop()  # idempotent


def test_a_port_taken_before_the_server_binds_it_is_given_up_for_another(
    tmp_path, oxigraph_bin, monkeypatch
):
    """The port is picked free, then bound by the server: on a busy machine another process can
    take it in between. The server then exits at once, and the next port is tried."""
    from ccn_graph.store import oxigraph_server as managed

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    picks = iter([taken.getsockname()[1]])
    real = managed._free_port
    monkeypatch.setattr(managed, "_free_port", lambda: next(picks, None) or real())
    server = OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin)
    try:
        server.start()
        assert server.port != taken.getsockname()[1]
        assert RemoteStore(server.endpoints, timeout=5).ask("ASK {}") is True
        assert b"os error 98" in (tmp_path / "oxigraph.log").read_bytes()
    finally:
        server.stop()
        taken.close()


def test_data_survives_a_stop_and_start(tmp_path, oxigraph_bin):
    with OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin) as server:
        RemoteStore(server.endpoints, timeout=5).update(INSERT, {"v": Literal(3)})
    with OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin) as server:
        assert count(RemoteStore(server.endpoints, timeout=5)) == 1


def test_the_store_dies_with_its_parent_even_on_kill_9(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from ccn_graph.store import OxigraphServer, find_oxigraph
        server = OxigraphServer(Path({str(tmp_path)!r}), query_timeout=5, binary=find_oxigraph())
        server.start()
        print(server.pid, flush=True)
        time.sleep(120)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert pid_alive(child)
        parent.kill()
        parent.wait()
        wait_until(lambda: not pid_alive(child), timeout=5)
    finally:
        parent.kill()


def test_a_server_that_will_not_start_says_where_to_look(tmp_path):
    server = OxigraphServer(tmp_path, query_timeout=5, binary="/bin/false")
    with pytest.raises(ManagedStoreError, match="oxigraph.log"):
        server.start()
    server.stop()


def test_reads_after_the_server_hung_up_on_idle_connections(tmp_path, oxigraph_bin):
    """Oxigraph answers a connection idle past its time limit with a 500 of its own and closes it:
    kept-alive connections must not take that word for the answer to their next request."""
    server = OxigraphServer(tmp_path, query_timeout=1, binary=oxigraph_bin)
    server.start()
    try:
        store = RemoteStore(server.endpoints, timeout=1)
        assert store.ask("ASK {}") is True and store.state() is None
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        time.sleep(2.5)
        assert idle.recv(100).startswith(b"HTTP/1.1 500")
        idle.close()
        assert [store.ask("ASK {}") for _ in range(3)] == [True] * 3
        assert store.state() is None
    finally:
        server.stop()
