"""`GET /health` over HTTP: 200 with the store's figures, 503 with Retry-After while it is down."""

from __future__ import annotations

import socket

from ccn_graph.importers import loading
from ccn_graph.store import Endpoints, ManagedOxigraphStore, RemoteStore
from server import create_app


def test_health_reports_the_store(settings, managed_server, live_app):
    store = ManagedOxigraphStore.of(managed_server, timeout=5)
    store.clear()
    report = loading.load_reference_data(store, settings.base_iri)
    app = live_app(create_app(settings, store))
    response = app.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"]["triples"] == store.triple_count()
    assert body["store"]["data_version"] == report.data_version
    assert body["store"]["base_iri"] == settings.base_iri


def test_health_of_an_empty_store_says_not_loaded(settings, managed_server, live_app):
    store = RemoteStore(managed_server.endpoints, timeout=5)
    store.clear()
    body = live_app(create_app(settings, store)).get("/health").json()
    assert body["store"]["loaded"] is False and body["store"]["triples"] == 0


def test_health_is_503_while_the_store_is_unreachable(settings, live_app):
    # A port held but not listening: connections to it are refused, and no other process takes it.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        root = f"http://127.0.0.1:{held.getsockname()[1]}"
        app = live_app(create_app(settings, RemoteStore(Endpoints.for_oxigraph(root), timeout=2)))
        response = app.get("/health")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["store"]["reachable"] is False
    assert "connection refused" in body["store"]["detail"]


def test_unknown_paths_get_a_json_404_with_a_message(settings, managed_server, live_app):
    app = live_app(create_app(settings, RemoteStore(managed_server.endpoints, timeout=5)))
    response = app.get("/no/such/page")
    assert response.status_code == 404
    assert response.json()["message"]
