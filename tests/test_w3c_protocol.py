"""The W3C SPARQL 1.1 Protocol test suite and Service Description checks against /sparql.

Read from ../shared/suites/w3c-sparql (the digest of every request and expectation, recipe in
../shared/suites/README.md §1a and §1c). Queries go to /sparql; the update tests run against the
steward update path, /update, with a network steward's token, on a disposable instance whose
CCN_OPEN_GRAPHS admits the suite's graphs (its requests to /sparql: the checking queries).
"""

from __future__ import annotations

import io
import json

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF
from rdflib.query import Result

from ccn_graph.model.stewards import Stewards
from ccn_graph.rdfio import formats
from ccn_graph.settings import load_settings
from ccn_graph.store import OxigraphServer, RemoteStore
from server import create_app

from .conftest import LiveApp, store_on, suite_cases, suites_path

SD = "http://www.w3.org/ns/sparql-service-description#"
SUITE_GRAPHS = ("http://example.org/", "http://kasei.us/", "http://example/", "http://www.example/")
PROTOCOL_DIGEST = ("w3c-sparql", "protocol-tests.digest.json")
GSP_DIGEST = ("w3c-sparql", "gsp-tests.digest.json")


def digest() -> list[dict]:
    return json.loads(suites_path(*PROTOCOL_DIGEST).read_text())


def is_update(test: dict) -> bool:
    return test["id"].startswith(("update_", "bad_update", "bad_multiple_updates"))


def protocol_cases(updates: bool) -> list:
    """The protocol tests that update (or only query), as parameters."""

    def cases(path):
        return [t for t in json.loads(path.read_text()) if is_update(t) == updates]

    return suite_cases(PROTOCOL_DIGEST, cases, lambda t: t["id"])


def disposable_store(tmp_path_factory, oxigraph_bin, engine, name: str):
    """(folder, server to stop or None, store) for one module on `engine`: the suite's tests
    clear and write whole graphs, so on Oxigraph they never share the session's store (a
    server of their own); Virtuoso, shared by the suites that run on it one after another, is
    cleared."""
    folder = tmp_path_factory.mktemp(name)
    if not isinstance(engine, OxigraphServer):
        store = store_on(engine, timeout=10)
        store.clear()
        return folder, None, store
    server = OxigraphServer(folder, query_timeout=10, binary=oxigraph_bin)
    server.start()
    return folder, server, RemoteStore(server.endpoints, timeout=10)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory, oxigraph_bin, engine):
    """/sparql over a disposable store holding the suite's data graphs."""
    folder, server, store = disposable_store(tmp_path_factory, oxigraph_bin, engine, "w3c")
    data = suites_path("w3c-sparql", "sparql11", "protocol")
    seen = set()
    for test in digest():
        for item in test["graphData"]:
            if item["graph"] not in seen:
                store.load_file(data / item["file"], formats.N_TRIPLES, item["graph"])
                seen.add(item["graph"])
    assert len(seen) == 3
    settings = load_settings(
        environ={}, overrides={"data_dir": str(folder), "base_iri": "http://ccn.test/"}
    )
    app = LiveApp(create_app(settings, store))
    yield app
    app.close()
    if server is not None:
        server.stop()


@pytest.fixture(scope="module")
def update_endpoint(tmp_path_factory, oxigraph_bin, engine):
    """/update and /sparql over a disposable store, with a network steward; (app, token)."""
    folder, server, store = disposable_store(tmp_path_factory, oxigraph_bin, engine, "w3c-update")
    settings = load_settings(
        environ={},
        overrides={
            "data_dir": str(folder),
            "base_iri": "http://ccn.test/",
            "open_graphs": SUITE_GRAPHS,
        },
    )
    token = Stewards(folder).add("Conformance", ("network",))
    app = LiveApp(create_app(settings, store))
    yield app, token
    app.close()
    if server is not None:
        server.stop()


def check(response: requests.Response, expect: dict) -> None:
    classes = {f"StatusCode{response.status_code // 100}xx"}
    assert classes & set(expect["status"]), (
        f"status {response.status_code}, expected {expect['status']}: {response.text[:300]}"
    )
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
        parsers = {
            f.media_type: n
            for f, n in (
                (formats.SPARQL_JSON, "json"),
                (formats.SPARQL_XML, "xml"),
                (formats.SPARQL_CSV, "csv"),
                (formats.SPARQL_TSV, "tsv"),
            )
        }
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


def send(base_url: str, route: str, request: dict, headers: dict) -> requests.Response:
    """One request of the suite, with its method, query string, headers and body as written."""
    path = request["path"]
    assert path.startswith("/sparql/")
    url = base_url + route + path[len("/sparql/") :]
    body = request.get("body") or None
    encoding = request.get("bodyEncoding", "UTF-8")
    data = (
        body.encode("utf-16" if encoding.upper() == "UTF-16" else "utf-8")
        if body is not None
        else None
    )
    if data is not None and not any(h.lower() == "content-type" for h in headers):
        # requests would add none either; make sure it does not guess one.
        headers["Content-Type"] = ""
    prepared = requests.Request(request["method"], url, data=data, headers=headers).prepare()
    if headers.get("Content-Type") == "":
        del prepared.headers["Content-Type"]
    with requests.Session() as session:
        return session.send(prepared, timeout=30)


def is_query_request(request: dict) -> bool:
    headers = {k.lower(): v for k, v in request.get("headers", {}).items()}
    return headers.get("content-type", "").startswith(formats.SPARQL_QUERY)


@pytest.mark.parametrize("test", protocol_cases(updates=True))
def test_protocol_update(update_endpoint, test):
    """Update requests go to /update with a steward's token; the checking queries to /sparql."""
    app, token = update_endpoint
    for request in test["requests"]:
        headers = dict(request.get("headers", {}))
        if is_query_request(request):
            response = send(app.url, "/sparql", request, headers)
        else:
            headers["Authorization"] = f"Bearer {token}"
            response = send(app.url, "/update", request, headers)
        check(response, request["expect"])


def test_updates_need_a_token(update_endpoint):
    app, _ = update_endpoint
    response = requests.post(f"{app.url}/update", data={"update": "CLEAR ALL"}, timeout=10)
    assert response.status_code == 401 and "steward" in response.json()["message"]


@pytest.mark.parametrize("test", protocol_cases(updates=False))
def test_protocol(endpoint, test):
    for request in test["requests"]:
        headers = dict(request.get("headers", {}))
        response = send(endpoint.url, "/sparql", request, headers)
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
    manifest = Graph().parse(
        suites_path("w3c-sparql", "sparql11", "service-description", "manifest.ttl")
    )
    assert len(set(manifest.subjects(RDF.type, None))) >= 3


def gsp_digest() -> list[dict]:
    return json.loads(suites_path(*GSP_DIGEST).read_text())


def gsp_not_applicable(test: dict) -> str | None:
    """Why a Graph Store Protocol test does not apply here (README §1b: report it), or None."""
    if "DirectGraphIdentification" in test["requires"]:
        return (
            "not applicable: direct graph identification is not offered; "
            "graphs are named with ?graph="
        )
    if "POSTGraphCreation" in test["requires"]:
        return (
            "not applicable: POST graph creation is not offered; "
            "a record graph is named by its entity"
        )
    if any(r["path"].endswith("?default") for r in test["requests"]):
        return (
            "not applicable: the default graph is the union of the named graphs, "
            "read but not written"
        )
    return None


def test_the_gsp_suite_is_complete():
    tests = gsp_digest()
    assert len(tests) == 13
    applicable = [t["id"] for t in tests if gsp_not_applicable(t) is None]
    assert len(applicable) == 7, applicable


@pytest.fixture
def gsp_endpoint(update_endpoint):
    """The update instance, with the suite's graphs removed before each test (each test expects a
    fresh store: several first PUT person/1 and expect 201 Created)."""
    app, token = update_endpoint
    cleared = requests.post(
        f"{app.url}/update",
        data={"update": "DROP SILENT ALL"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert cleared.status_code == 200, cleared.text
    return app, token


@pytest.mark.parametrize(
    "test", suite_cases(GSP_DIGEST, lambda path: json.loads(path.read_text()), lambda t: t["id"])
)
def test_graph_store_protocol(gsp_endpoint, test):
    reason = gsp_not_applicable(test)
    if reason:
        pytest.skip(reason)
    app, token = gsp_endpoint
    statuses = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
    for request in test["requests"]:
        path = request["path"]
        assert path.startswith("/gsp")
        headers = dict(request.get("headers", {}))
        headers["Authorization"] = f"Bearer {token}"
        body = request.get("body")
        response = requests.request(
            request["method"],
            app.url + "/graphs" + path[len("/gsp") :],
            data=body.encode() if body else None,
            headers=headers,
            timeout=30,
        )
        expect = request["expect"]
        assert response.status_code in {statuses[s] for s in expect["status"]}, (
            response.status_code,
            response.text[:300],
        )
        for name, value in expect.get("headers", {}).items():
            assert (
                response.headers.get(name, "").replace(" ", "").lower()
                == value.replace(" ", "").lower()
            )
        if expect.get("body"):
            expected = Graph().parse(data=expect["body"], format="turtle")
            got = Graph().parse(data=response.text, format="turtle")
            assert isomorphic(expected, got), response.text
