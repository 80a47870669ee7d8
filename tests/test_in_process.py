"""The app through Flask's test client over the embedded store: the fast tier's view of what
test_health.py and test_linked_data.py check over HTTP on a real server."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from ccn_graph.importers import loading
from ccn_graph.rdfio import formats
from ccn_graph.settings import load_settings
from ccn_graph.store import EmbeddedStore
from server import create_app

from .conftest import BASE

pytestmark = pytest.mark.fast


def app_over(store, data_dir):
    return create_app(
        load_settings(environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE}), store
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The test client of an app over an embedded store with the reference data, and the
    load's report."""
    store = EmbeddedStore()
    report = loading.load_reference_data(store, BASE)
    yield app_over(store, tmp_path_factory.mktemp("data")).test_client(), store, report
    store.close()


def test_health_reports_the_store(loaded):
    client, store, report = loaded
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["store"]["backend"] == "embedded"
    assert body["store"]["triples"] == store.triple_count()
    assert body["store"]["data_version"] == report.data_version
    assert body["store"]["base_iri"] == BASE


def test_health_of_an_empty_store_says_not_loaded(tmp_path):
    store = EmbeddedStore()
    body = app_over(store, tmp_path).test_client().get("/health").get_json()
    store.close()
    assert body["store"]["loaded"] is False and body["store"]["triples"] == 0


def test_unknown_paths_get_a_json_404_with_a_message(loaded):
    response = loaded[0].get("/no/such/page")
    assert response.status_code == 404
    assert response.get_json()["message"]


def test_an_ask_on_the_endpoint(loaded):
    response = loaded[0].get(
        "/sparql",
        query_string={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": formats.SPARQL_JSON.media_type},
    )
    assert response.status_code == 200
    assert response.get_json()["boolean"] is True


def test_an_entity_iri_sees_other_to_its_document_in_the_asked_format(loaded):
    client = loaded[0]
    response = client.get("/id/centre/eccc", headers={"Accept": formats.TURTLE.media_type})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/doc/centre/eccc.ttl"
    )
    document = client.get(response.headers["Location"])
    assert document.status_code == 200 and document.mimetype == formats.TURTLE.media_type
    graph = Graph().parse(data=document.get_data(as_text=True), format="turtle")
    assert (URIRef(f"{BASE}id/centre/eccc"), None, None) in graph
