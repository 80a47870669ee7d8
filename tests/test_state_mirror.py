"""The managed store's state read from a copy in the data dir: never older than the last write
that returned, in any process, even when a writer dies mid-write."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

from ccn_graph.importers import loading
from ccn_graph.store import ManagedOxigraphStore
from ccn_graph.store.state_mirror import StateMirror

from .conftest import BASE, wait_until


def mirrored(managed_server, folder) -> ManagedOxigraphStore:
    return ManagedOxigraphStore(managed_server.endpoints, folder, timeout=5)


def test_a_write_in_one_process_is_seen_at_once_by_another(managed_server, tmp_path):
    writer, reader = mirrored(managed_server, tmp_path), mirrored(managed_server, tmp_path)
    writer.clear()
    loading.load_reference_data(writer, BASE)
    first = reader.state()
    assert first is not None and StateMirror(tmp_path).read() == first  # the copy is kept
    for _ in range(5):
        writer.update(
            "INSERT DATA { GRAPH <http://ccn.test/graph/x> { "
            "<http://ccn.test/id/x> a <http://ccn.test/T> } }"
        )
        assert reader.state() == writer._ask_state()  # the store's own answer, not an old copy
    assert reader.state().data_version > first.data_version


def test_the_copy_is_what_a_read_returns(managed_server, tmp_path):
    store = mirrored(managed_server, tmp_path)
    store.clear()
    loading.load_reference_data(store, BASE)
    real = store.state()
    # A copy saying otherwise is believed: reads do not ask the store.
    StateMirror(tmp_path).path.write_text(
        '{"base": "http://ccn.test/", "version": 999, "reference": null, "loaded": null}'
    )
    assert store.state().data_version == 999
    store.update(
        "INSERT DATA { GRAPH <http://ccn.test/graph/y> { "
        "<http://ccn.test/id/y> a <http://ccn.test/T> } }"
    )
    assert store.state().data_version == real.data_version + 1


def _write_forever(folder) -> None:
    with StateMirror(folder).writing():
        time.sleep(600)


def test_a_writer_that_dies_mid_write_leaves_no_copy(managed_server, tmp_path):
    store = mirrored(managed_server, tmp_path)
    store.clear()
    loading.load_reference_data(store, BASE)
    assert store.state() is not None and StateMirror(tmp_path).read() is not None
    child = multiprocessing.get_context("fork").Process(target=_write_forever, args=(tmp_path,))
    child.start()
    wait_until(lambda: StateMirror(tmp_path).read() is None)
    # While it writes, reads ask the store and keep no copy.
    assert store.state() is not None and StateMirror(tmp_path).read() is None
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert store.state() == store._ask_state() and StateMirror(tmp_path).read() == store.state()


def test_starting_the_managed_server_forgets_the_copy(tmp_path, oxigraph_bin):
    from ccn_graph.store import OxigraphServer

    StateMirror(tmp_path).path.write_text('{"base": "http://ccn.test/", "version": 7}')
    server = OxigraphServer(tmp_path, query_timeout=5, binary=oxigraph_bin)
    server.start()
    try:
        assert StateMirror(tmp_path).read() is None
    finally:
        server.stop()
