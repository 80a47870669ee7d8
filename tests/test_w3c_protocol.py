"""The W3C SPARQL 1.1 Protocol test suite and Service Description checks against /sparql.

Read from ../shared/suites/w3c-sparql (the digest of every request and expectation, recipe in
../shared/suites/README.md §1a and §1c). Update tests are not applicable to this read-only endpoint
and are reported as such.
"""

from __future__ import annotations

import io
import json

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.query import Result

from ccn_graph import formats
from ccn_graph.settings import load_settings
from ccn_graph.store import OxigraphServer, RemoteStore
from server import create_app

from .conftest import LiveApp, suites_path

SD = "http://www.w3.org/ns/sparql-service-description#"
UPDATE_NOT_APPLICABLE = (
    "not applicable: /sparql is read-only (DESIGN decision 4); updates go through the steward's "
    "submission API, where these tests will run"
)


def digest() -> list[dict]:
    return json.loads(suites_path("w3c-sparql", "protocol-tests.digest.json").read_text())


def is_update(test: dict) -> bool:
    return test["id"].startswith(("update_", "bad_update", "bad_multiple_updates"))


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, oxigraph_bin):
    """/sparql over a disposable store holding the suite's data graphs."""
    folder = tmp_path_factory.mktemp("w3c")
    server = OxigraphServer(folder, query_timeout=10, binary=oxigraph_bin)
    server.start()
    store = RemoteStore(server.endpoints, timeout=10)
    data = suites_path("w3c-sparql", "sparql11", "protocol")
    seen = set()
    for test in digest():
        for item in test["graphData"]:
            if item["graph"] not in seen:
                store.load_file(data / item["file"], formats.N_TRIPLES, item["graph"])
                seen.add(item["graph"])
    assert len(seen) == 3
    settings = load_settings(environ={}, overrides={"data_dir": str(folder), "base_iri": "http://ccn.test/"})
    app = LiveApp(create_app(settings, store))
    yield app
    app.close()
    server.stop()


def check(response: requests.Response, expect: dict) -> None:
    classes = {f"StatusCode{response.status_code // 100}xx"}
    assert classes & set(expect["status"]), f"status {response.status_code}, expected {expect['status']}: {response.text[:300]}"
    kind = expect.get("expectedFormat")
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if kind == "boolean":
        if media_type == formats.SPARQL_JSON.media_type:
            answer = response.json()["boolean"]
        else:
            assert media_type == formats.SPARQL_XML.media_type, media_type
            answer = Result.parse(io.BytesIO(response.content), format="xml").askAnswer
        if "expectedBoolean" in expect:
            assert answer is expect["expectedBoolean"]
    elif kind == "tabular":
        parsers = {f.media_type: n for f, n in ((formats.SPARQL_JSON, "json"), (formats.SPARQL_XML, "xml"),
                                                 (formats.SPARQL_CSV, "csv"), (formats.SPARQL_TSV, "tsv"))}
        assert media_type in parsers, media_type
        Result.parse(io.BytesIO(response.content), format=parsers[media_type])
    elif kind == "RDF":
        fmt = formats.rdf_format_for_media_type(media_type)
        assert fmt is not None and not fmt.is_dataset, media_type
        Graph().parse(data=response.text, format=fmt.rdflib_name)


def test_the_suite_is_complete():
    tests = digest()
    assert len(tests) == 34
    assert len([t for t in tests if not is_update(t)]) == 20


@pytest.mark.parametrize("test", digest(), ids=lambda t: t["id"])
def test_protocol(endpoint, test):
    if is_update(test):
        pytest.skip(UPDATE_NOT_APPLICABLE)
    for request in test["requests"]:
        path = request["path"]
        assert path.startswith("/sparql/")
        url = endpoint.url + "/sparql" + path[len("/sparql/"):]
        body = request.get("body") or None
        encoding = request.get("bodyEncoding", "UTF-8")
        data = body.encode("utf-16" if encoding.upper() == "UTF-16" else "utf-8") if body is not None else None
        headers = dict(request.get("headers", {}))
        if data is not None and not any(h.lower() == "content-type" for h in headers):
            # requests would add none either; make sure it does not guess one.
            headers["Content-Type"] = ""
        prepared = requests.Request(request["method"], url, data=data, headers=headers).prepare()
        if headers.get("Content-Type") == "":
            del prepared.headers["Content-Type"]
        with requests.Session() as session:
            response = session.send(prepared, timeout=30)
        check(response, request["expect"])


def test_service_description_returns_rdf_has_endpoint_and_names_graphs(endpoint):
    url = f"{endpoint.url}/sparql"
    response = requests.get(url, headers={"Accept": "text/turtle"}, timeout=10)
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    assert list(graph.subjects(URIRef(SD + "endpoint"), URIRef(url)))
    named = list(graph.subjects(RDF.type, URIRef(SD + "NamedGraph")))
    assert len(named) == 3
    assert all(graph.value(n, URIRef(SD + "name")) is not None for n in named)
    manifest = Graph().parse(suites_path("w3c-sparql", "sparql11", "service-description", "manifest.ttl"))
    assert len(set(manifest.subjects(RDF.type, None))) >= 3


GSP_NOT_APPLICABLE = (
    "not applicable: it writes to an arbitrary graph (www.example) without credentials, while /graphs "
    "accepts writes only to record graphs of the instance base, by stewards, through the shapes"
)


def gsp_digest() -> list[dict]:
    return json.loads(suites_path("w3c-sparql", "gsp-tests.digest.json").read_text())


def gsp_applies(test: dict) -> bool:
    return all(r["method"] in ("GET", "HEAD") for r in test["requests"])


def test_the_gsp_suite_is_complete():
    tests = gsp_digest()
    assert len(tests) == 13
    assert [t["id"] for t in tests if gsp_applies(t)] == ["head_non_existing_indirect"]


@pytest.mark.parametrize("test", gsp_digest(), ids=lambda t: t["id"])
def test_graph_store_protocol(endpoint, test):
    if not gsp_applies(test):
        pytest.skip(GSP_NOT_APPLICABLE)
    statuses = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
    for request in test["requests"]:
        path = request["path"]
        assert path.startswith("/gsp")
        response = requests.request(request["method"], endpoint.url + "/graphs" + path[len("/gsp"):], timeout=30)
        assert response.status_code in {statuses[s] for s in request["expect"]["status"]}, response.status_code
