"""Two app instances over one store (standing for two hosts): reads from either, writes through the
one that makes them (`CCN_WRITER_URL` on the other), with a real Oxigraph server and two real
`ccn-graph serve` processes."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from rdflib.compare import isomorphic

from ccn_graph import history
from ccn_graph.importers import loading
from ccn_graph.model.stewards import Stewards
from ccn_graph.store import RemoteStore
from ccn_graph.store.managed import OxigraphServer

from .conftest import BASE, as_stored
from .test_service import Service
from .test_submissions import member


@pytest.fixture(scope="module")
def instances(tmp_path_factory, oxigraph_bin):
    root = tmp_path_factory.mktemp("instances")
    server = OxigraphServer(root / "store", query_timeout=10, binary=oxigraph_bin)
    server.start()
    store = RemoteStore(server.endpoints, timeout=10)
    loading.load_reference_data(store, BASE)
    remote = {
        "CCN_STORE_URL": server.endpoints.query,
        "CCN_STORE_UPDATE_URL": server.endpoints.update,
        "CCN_STORE_GSP_URL": server.endpoints.graph_store,
    }
    data_a, data_b = root / "a" / "data", root / "b" / "data"
    data_a.mkdir(parents=True)
    data_b.mkdir(parents=True)
    token = Stewards(data_a).add("NCC Romania", ("RO",))
    writer = Service(data_a, **remote)
    reader = None
    try:
        writer.wait_healthy(timeout=60)
        reader = Service(data_b, CCN_WRITER_URL=writer.url, **remote)
        reader.wait_healthy(timeout=60)
        yield writer, reader, token, store
    finally:
        for running in (reader, writer):
            if running is not None:
                running.stop()
        server.stop()


def post(url: str, token: str, body: str) -> requests.Response:
    return requests.post(
        f"{url}/submissions",
        data=body.encode(),
        timeout=60,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        },
    )


def test_writes_sent_to_either_instance_are_made_by_one(instances):
    writer, reader, token, store = instances
    response = post(reader.url, token, member("two-hosts", "Two Hosts Lab"))
    assert response.status_code == 201, response.text
    assert response.headers["CCN-Written-By"] == writer.url
    assert response.json()["status"] == "accepted"
    # The steward registry is the writer's: the reader has none of its own, and still checks it.
    assert post(reader.url, "ccn.000000000000." + "A" * 43, member("two-hosts")).status_code == 401
    assert (
        requests.post(
            f"{reader.url}/validate",
            data=member("x").encode(),
            timeout=60,
            headers={"Content-Type": "text/turtle"},
        ).headers.get("CCN-Written-By")
        is None
    )


def test_16_concurrent_replacements_through_both_leave_one_version(instances):
    writer, reader, token, store = instances
    versions = [member("contested-hosts", f"Contested version {i}") for i in range(16)]
    statuses = [None] * 16

    def send(i):
        statuses[i] = post((writer, reader)[i % 2].url, token, versions[i]).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 16
    stored = store.read_graph(f"{BASE}graph/member/contested-hosts")
    matches = [v for v in versions if isomorphic(stored, as_stored(v))]
    assert len(matches) == 1
    kept = history.versions(store, f"{BASE}graph/member/contested-hosts")
    assert [v.number for v in kept] == list(range(1, 17))
    assert isomorphic(
        history.version(store, f"{BASE}graph/member/contested-hosts", 16).content, stored
    )


def test_caches_in_both_instances_follow_a_write_made_through_either(instances):
    writer, reader, token, _ = instances
    assert post(writer.url, token, member("cached-hosts", "Before Lab")).status_code == 201
    for running in (writer, reader):
        first = requests.get(f"{running.url}/doc/member/cached-hosts.ttl", timeout=30)
        again = requests.get(f"{running.url}/doc/member/cached-hosts.ttl", timeout=30)
        assert "Before Lab" in again.text and again.headers["CCN-Cache"] == "hit", running.url
        assert first.status_code == 200
    for via, name in ((reader, "After Lab"), (writer, "Last Lab")):
        assert post(via.url, token, member("cached-hosts", name)).status_code == 201
        for running in (writer, reader):
            response = requests.get(f"{running.url}/doc/member/cached-hosts.ttl", timeout=30)
            assert name in response.text and response.headers["CCN-Cache"] == "miss", (
                via.url,
                running.url,
            )
            search = requests.get(
                f"{running.url}/search",
                params={"q": name},
                timeout=30,
                headers={"Accept": "application/json"},
            )
            assert f"{BASE}id/member/cached-hosts" in search.text, running.url


def test_the_reader_says_when_the_writer_is_unreachable(instances, tmp_path):
    *_, token, store = instances
    remote = {
        "CCN_STORE_URL": store.endpoints.query,
        "CCN_STORE_UPDATE_URL": store.endpoints.update,
        "CCN_STORE_GSP_URL": store.endpoints.graph_store,
    }
    data = tmp_path / "data"
    data.mkdir()
    orphan = Service(data, CCN_WRITER_URL="http://127.0.0.1:9", **remote)
    try:
        orphan.wait_healthy(timeout=60)
        before = store.state().data_version
        response = post(orphan.url, token, member("orphan-lab"))
        assert response.status_code == 503 and "cannot be reached" in response.json()["message"]
        assert store.state().data_version == before
        assert requests.get(f"{orphan.url}/doc/ncc/ro.ttl", timeout=30).status_code == 200
    finally:
        orphan.stop()


def test_a_write_whose_answer_is_lost_is_not_called_unwritten(instances, tmp_path):
    """A writer that takes the whole request and hangs up without answering (it died while
    writing) may have written it: 504 saying so, without the Retry-After that invites a resend."""
    *_, token, store = instances
    remote = {
        "CCN_STORE_URL": store.endpoints.query,
        "CCN_STORE_UPDATE_URL": store.endpoints.update,
        "CCN_STORE_GSP_URL": store.endpoints.graph_store,
    }
    listener = socket.create_server(("127.0.0.1", 0))
    taken = []

    def take_and_hang_up():
        while True:
            try:
                peer, _ = listener.accept()
            except OSError:
                return
            with peer:
                peer.settimeout(10)
                taken.append(peer.recv(1 << 20))

    threading.Thread(target=take_and_hang_up, daemon=True).start()
    data = tmp_path / "data"
    data.mkdir()
    forwarding = Service(
        data, CCN_WRITER_URL=f"http://127.0.0.1:{listener.getsockname()[1]}", **remote
    )
    try:
        forwarding.wait_healthy(timeout=60)
        response = post(forwarding.url, token, member("lost-answer-lab"))
        assert response.status_code == 504, response.text
        assert "may have been written" in response.json()["message"]
        assert "Retry-After" not in response.headers
        assert taken and taken[0].startswith(b"POST /submissions")
    finally:
        forwarding.stop()
        listener.close()
