"""/sparql over real HTTP: protocol, negotiation, service description, page, limits, clients."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest
import requests
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.query import Result

from ccn_graph.importers import generate, loading
from ccn_graph.rdfio import formats
from ccn_graph.settings import load_settings
from ccn_graph.sparql import queries
from ccn_graph.store import OxigraphServer, RemoteStore
from server import create_app

from .conftest import BASE, LiveApp, pid_alive, wait_until

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
NCC = "https://w3id.org/ccn-graph/ontology#NationalCoordinationCentre"
SELECT_NCCS = f"SELECT ?ncc WHERE {{ ?ncc a <{NCC}> }} ORDER BY ?ncc"


@pytest.fixture(scope="module")
def endpoint(managed_server, tmp_path_factory):
    store = RemoteStore(managed_server.endpoints, timeout=10)
    store.clear()
    loading.load_reference_data(store, BASE)
    path = tmp_path_factory.mktemp("members") / "members.nq"
    with path.open("w") as out:
        generate.write_nquads(out, 30, 1, BASE, projects=5)
    loading.load_file(store, path, BASE)
    settings = load_settings(
        environ={},
        overrides={
            "data_dir": str(tmp_path_factory.mktemp("data")),
            "base_iri": BASE,
            "result_limit": 50,
            "query_max_bytes": 20_000,
            "query_timeout": 10,
        },
    )
    app = LiveApp(create_app(settings, store))
    yield app
    app.close()


def post(app, body, content_type=formats.FORM_URLENCODED, accept=None, **kwargs):
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    return requests.post(f"{app.url}/sparql", data=body, headers=headers, timeout=30, **kwargs)


# -- protocol -------------------------------------------------------------------------------------


def test_get_post_form_and_post_direct_agree(endpoint):
    by_get = endpoint.get("/sparql", params={"query": SELECT_NCCS}).json()
    by_form = post(endpoint, {"query": SELECT_NCCS}).json()
    by_direct = post(endpoint, SELECT_NCCS.encode(), content_type=formats.SPARQL_QUERY).json()
    assert by_get == by_form == by_direct
    assert len(by_get["results"]["bindings"]) == 27


def test_default_graph_uri_restricts_the_dataset(endpoint):
    query = f"ASK {{ ?s a <{NCC}> }}"
    ncc_graph = f"{BASE}graph/ncc/ro"
    assert (
        endpoint.get("/sparql", params={"query": query, "default-graph-uri": ncc_graph}).json()[
            "boolean"
        ]
        is True
    )
    taxonomy = f"{BASE}graph/taxonomy"
    assert (
        endpoint.get("/sparql", params={"query": query, "default-graph-uri": taxonomy}).json()[
            "boolean"
        ]
        is False
    )


def test_relative_iris_resolve_against_the_endpoint(endpoint):
    response = post(
        endpoint, {"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"}, accept=formats.N_TRIPLES.media_type
    )
    assert f"<{endpoint.url}/s>" in response.text


ACCEPT_CASES = [
    ("SELECT * {} ", None, formats.SPARQL_JSON.media_type),
    ("SELECT * {} ", "*/*", formats.SPARQL_JSON.media_type),
    ("SELECT * {} ", "application/sparql-results+xml", formats.SPARQL_XML.media_type),
    ("SELECT * {} ", "text/csv;q=0.5, text/tab-separated-values", formats.SPARQL_TSV.media_type),
    ("SELECT * {} ", "application/json;q=0.1, text/csv", formats.SPARQL_CSV.media_type),
    ("ASK {}", "application/sparql-results+xml", formats.SPARQL_XML.media_type),
    ("ASK {}", None, formats.SPARQL_JSON.media_type),
    ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", None, formats.TURTLE.media_type),
    ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "application/rdf+xml", formats.RDF_XML.media_type),
    ("DESCRIBE <http://e/x>", "application/ld+json", formats.JSON_LD.media_type),
    ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "application/n-quads", formats.N_QUADS.media_type),
    (
        "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1",
        "application/trig;q=0.9, application/n-triples",
        formats.N_TRIPLES.media_type,
    ),
]


@pytest.mark.parametrize("query, accept, media_type", ACCEPT_CASES)
def test_negotiation(endpoint, query, accept, media_type):
    response = post(endpoint, {"query": query}, accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "name, media_type",
    [
        ("json", formats.SPARQL_JSON.media_type),
        ("xml", formats.SPARQL_XML.media_type),
        ("csv", formats.SPARQL_CSV.media_type),
        ("tsv", formats.SPARQL_TSV.media_type),
    ],
)
def test_format_parameter_wins_over_accept(endpoint, name, media_type):
    response = endpoint.get(
        "/sparql", params={"query": SELECT_NCCS, "format": name}, headers={"Accept": "text/html"}
    )
    assert response.headers["Content-Type"].split(";")[0] == media_type


def test_406_lists_what_is_on_offer(endpoint):
    response = post(endpoint, {"query": "ASK {}"}, accept="image/png")
    assert response.status_code == 406
    message = response.json()["message"]
    assert formats.SPARQL_JSON.media_type in message and formats.SPARQL_XML.media_type in message


def test_plain_json_and_xml_csv_asks_and_format_in_a_post_body(endpoint):
    """What generic clients send: Accept application/json or application/xml, an ASK in CSV or
    TSV (as Jena and RDF4J write it), ``format=`` in the POSTed form."""
    as_json = post(endpoint, {"query": SELECT_NCCS}, accept="application/json")
    assert as_json.status_code == 200
    assert as_json.headers["Content-Type"].startswith(formats.SPARQL_JSON.media_type)
    rows = as_json.json()["results"]["bindings"]
    as_xml = post(endpoint, {"query": SELECT_NCCS}, accept="application/xml")
    assert as_xml.headers["Content-Type"].startswith(formats.SPARQL_XML.media_type)
    assert len(list(Result.parse(io.BytesIO(as_xml.content), format="xml"))) == len(rows)
    for accept, text in (
        ("text/csv", "_askResult\r\ntrue\r\n"),
        ("text/tab-separated-values", "?_askResult\ntrue\n"),
    ):
        answer = post(endpoint, {"query": "ASK { ?s ?p ?o }"}, accept=accept)
        assert answer.status_code == 200 and answer.text == text
    in_body = post(endpoint, {"query": SELECT_NCCS, "format": "csv"})
    assert in_body.status_code == 200
    assert in_body.headers["Content-Type"].startswith(formats.SPARQL_CSV.media_type)
    assert len(in_body.text.strip().splitlines()) == len(rows) + 1


def test_every_select_format_parses_to_the_same_rows(endpoint):
    expected = None
    for fmt, parser in (
        (formats.SPARQL_JSON, "json"),
        (formats.SPARQL_XML, "xml"),
        (formats.SPARQL_TSV, "tsv"),
        (formats.SPARQL_CSV, "csv"),
    ):
        body = post(endpoint, {"query": SELECT_NCCS}, accept=fmt.media_type).content
        rows = [str(r[0]) for r in Result.parse(io.BytesIO(body), format=parser)]
        assert len(rows) == 27
        expected = expected or rows
        assert rows == expected


def test_cors_preflight(endpoint):
    response = requests.options(
        f"{endpoint.url}/sparql",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


# -- read-only and refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"update": "DROP ALL"}},
        {"data": b"DROP ALL", "headers": {"Content-Type": formats.SPARQL_UPDATE}},
        {"data": {"query": "DROP ALL"}},
    ],
)
def test_updates_get_403_pointing_to_submissions(endpoint, kwargs):
    response = requests.post(f"{endpoint.url}/sparql", timeout=10, **kwargs)
    assert response.status_code == 403
    assert "/submissions" in response.json()["message"]
    assert endpoint.get("/sparql", params={"update": "DROP ALL"}).status_code == 403
    assert post(endpoint, {"query": f"ASK {{ ?s a <{NCC}> }}"}).json()["boolean"] is True


def test_malformed_queries_get_400_with_the_parsers_message(endpoint):
    response = endpoint.get("/sparql", params={"query": "SELECT ?x WHERE { ?x"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("The query was refused:")


def test_a_refusal_that_repeats_the_word_timeout_is_still_a_400(endpoint):
    """The store's error is read by its status: its text repeats the query (a function named
    .../timeout), which once made a 400 look like the time limit (503)."""
    response = endpoint.get(
        "/sparql", params={"query": "SELECT (<http://example.org/timeout>(1) AS ?x) {}"}
    )
    assert response.status_code == 400, response.text
    assert "timeout" in response.json()["message"]


def test_oversized_queries_get_413(endpoint):
    response = post(endpoint, {"query": "SELECT * {}" + " " * 30_000})
    assert response.status_code == 413 and "20000 bytes" in response.json()["message"]


def test_5000_deep_brackets_get_400_and_the_store_stays_up(endpoint, managed_server):
    pid = managed_server.pid
    response = post(
        endpoint,
        {"query": "SELECT * WHERE " + "{" * 5000 + "}" * 5000},
    )
    assert response.status_code in (400, 413)
    response = requests.post(
        f"{endpoint.url}/sparql",
        data={"query": "SELECT * WHERE " + "{" * 5000 + "}" * 5000},
        timeout=10,
    )
    assert response.status_code != 500
    assert managed_server.pid == pid and pid_alive(pid)
    assert post(endpoint, {"query": "ASK {}"}).json()["boolean"] is True


def test_nesting_just_past_the_bound_never_reaches_the_store(endpoint, managed_server):
    pid = managed_server.pid
    response = post(endpoint, {"query": "SELECT * WHERE " + "{" * 65 + "}" * 65})
    assert response.status_code == 400 and response.json()["error"] == "too_deep"
    assert managed_server.pid == pid


@pytest.fixture
def canary():
    """A listener on loopback that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(timeout=2)
    server.close()


SERVICE_SPELLINGS = [
    "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ Service SILENT <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX c: <{url}> SELECT * {{ SERVICE c: {{ ?s ?p ?o }} }}",
    "SELECT * {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * {{ {{}} SERVICE#c\n<{url}> {{}} }}",
    "LOAD <{url}>",
    "load silent <{url}> into graph <http://e/g>",
]


@pytest.mark.parametrize("template", SERVICE_SPELLINGS)
def test_nothing_is_fetched(endpoint, canary, template):
    port, hits = canary
    url = f"http://127.0.0.1:{port}/sparql"
    for send in (
        lambda q: post(endpoint, {"query": q}),
        lambda q: endpoint.get("/sparql", params={"query": q}),
        lambda q: post(endpoint, q.encode(), content_type=formats.SPARQL_QUERY),
    ):
        response = send(template.format(url=url))
        assert response.status_code in (400, 403), response.text
    time.sleep(0.3)
    assert hits == []


# -- result limit ----------------------------------------------------------------------------------


def test_a_result_over_the_limit_is_marked_in_json(endpoint):
    query = "SELECT ?s WHERE { ?s a ?t }"
    response = post(endpoint, {"query": query})
    body = response.json()
    assert response.headers["CCN-Result-Limit"] == "50"
    assert len(body["results"]["bindings"]) == 50 and body["truncated"] is True


def test_a_result_over_the_limit_in_csv_is_aborted_not_shortened(endpoint):
    # Without stream=True, requests reads the whole body before it returns: the cut shows here.
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(endpoint, {"query": "SELECT ?s WHERE { ?s a ?t }"}, accept="text/csv")


def test_a_result_within_the_limit_is_whole(endpoint):
    body = post(endpoint, {"query": SELECT_NCCS}).json()
    assert "truncated" not in body


# -- service description and page ------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept", ["text/turtle", "application/rdf+xml", "application/ld+json", "application/n-triples"]
)
def test_service_description(endpoint, accept):
    for method in (requests.get, requests.head):
        response = method(f"{endpoint.url}/sparql", headers={"Accept": accept}, timeout=10)
        assert response.status_code == 200
    response = requests.get(f"{endpoint.url}/sparql", headers={"Accept": accept}, timeout=10)
    fmt = formats.rdf_format_for_media_type(accept)
    graph = Graph().parse(data=response.text, format=fmt.rdflib_name)
    services = list(graph.subjects(SD.endpoint, URIRef(f"{endpoint.url}/sparql")))
    assert len(services) == 1
    service = services[0]
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.resultFormat, URIRef(formats.SPARQL_JSON.iri)) in graph
    named = list(graph.subjects(RDF.type, SD.NamedGraph))
    assert len(named) >= 30
    for node in named:
        assert graph.value(node, SD.name) is not None
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert str(
        graph.value(dataset, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"))
    ).endswith("/void")


def test_query_page_works_without_javascript(endpoint):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(
        endpoint.get("/sparql", headers={"Accept": "text/html"}).text, "html.parser"
    )
    form = page.select_one("form#query-form")
    assert form is not None and form.get("method") == "get"
    assert page.select_one("textarea[name=query]").text.startswith("# The Competence Centre")
    examples = page.select("ol.examples a")
    assert len(examples) >= 8
    assert page.select_one("main") and page.select_one("h1").text == "SPARQL query"
    for link in examples:
        response = requests.get(endpoint.url + link["href"], timeout=30)
        assert response.status_code == 200, link.text
        result = BeautifulSoup(response.text, "html.parser")
        assert result.select_one("[role=alert]") is None, (
            link.text,
            result.select_one("[role=alert]"),
        )
        assert result.select_one("table caption") is not None
        assert result.select("a[type]"), "download links per format"


def test_every_example_query_returns_rows(endpoint):
    empty = []
    for example in queries.examples():
        response = post(
            endpoint,
            {"query": example.text},
            accept="application/sparql-results+json, application/n-triples;q=0.9",
        )
        assert response.status_code == 200, (example.name, response.text)
        if response.headers["Content-Type"].startswith(formats.SPARQL_JSON.media_type):
            if not response.json()["results"]["bindings"]:
                empty.append(example.name)
        elif not response.text.strip():
            empty.append(example.name)
    # Real projects are not in the reference data, and the synthetic ones need not have a
    # Romanian participant in DIGITAL.
    assert set(empty) <= {"08-intrusion-detection", "10-members-in-digital-europe"}, empty


def test_results_page_escapes_hostile_values(endpoint):
    hostile = "<script>alert(1)</script>"
    response = endpoint.get(
        "/sparql", params={"query": f'SELECT ?x {{ BIND("{hostile}" AS ?x) }}', "format": "html"}
    )
    assert hostile not in response.text and "&lt;script&gt;" in response.text


# -- real clients ----------------------------------------------------------------------------------


def test_sparqlwrapper_client(endpoint):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(f"{endpoint.url}/sparql")
    client.setQuery(SELECT_NCCS)
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert len(rows) == 27
    client.setQuery(f"ASK {{ ?s a <{NCC}> }}")
    assert client.queryAndConvert()["boolean"] is True


def test_rdflib_sparqlstore_client(endpoint):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(f"{endpoint.url}/sparql"))
    rows = list(graph.query(SELECT_NCCS))
    assert len(rows) == 27
    assert (URIRef(f"{BASE}id/ncc/ro"), RDF.type, URIRef(NCC)) in graph


def test_metrics_count_requests_and_refusals(endpoint):
    post(endpoint, {"query": "SELECT * { SERVICE <http://127.0.0.1:9/> {} }"})
    text = endpoint.get("/metrics").text
    assert 'ccn_sparql_refusals_total{reason="fetching"}' in text
    assert 'ccn_requests_total{route="/sparql",status="200"}' in text
    assert "ccn_sparql_query_seconds_bucket" in text


# -- time limit ------------------------------------------------------------------------------------


def _metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def test_a_runaway_query_is_stopped_and_the_endpoint_keeps_answering(tmp_path, oxigraph_bin):
    limit = 3
    server = OxigraphServer(tmp_path, query_timeout=limit, binary=oxigraph_bin)
    server.start()
    try:
        store = RemoteStore(server.endpoints, timeout=limit, grace=2)
        settings = load_settings(
            environ={},
            overrides={"data_dir": str(tmp_path), "base_iri": BASE, "query_timeout": limit},
        )
        app = LiveApp(create_app(settings, store, on_query_deadline=server.restart))
        try:
            values = " ".join(str(i) for i in range(100))
            query = (
                "SELECT (COUNT(*) AS ?n) WHERE { "
                + " ".join(f"VALUES ?v{k} {{ {values} }}" for k in range(5))
                + " }"
            )
            old_pid = server.pid
            answers = {}
            # The counter belongs to the process: earlier tests here may have counted timeouts.
            timeouts_before = _metric(app.get("/metrics").text, "ccn_sparql_timeouts_total")

            def heavy():
                started = time.monotonic()
                answers["heavy"] = post(app, {"query": query})
                answers["heavy_seconds"] = time.monotonic() - started

            thread = threading.Thread(target=heavy)
            thread.start()
            time.sleep(1)
            started = time.monotonic()
            quick = post(app, {"query": "ASK {}"})
            assert quick.status_code == 200 and time.monotonic() - started < 1
            thread.join(timeout=limit + 10)
            response = answers["heavy"]
            assert response.status_code == 503
            assert f"limit of {limit} seconds" in response.json()["message"]
            assert answers["heavy_seconds"] < limit + 5
            wait_until(lambda: not pid_alive(old_pid), timeout=5)
            wait_until(lambda: server.pid != old_pid and store.status().reachable, timeout=5)
            assert post(app, {"query": "ASK {}"}).json()["boolean"] is True
            assert (
                _metric(app.get("/metrics").text, "ccn_sparql_timeouts_total")
                == timeouts_before + 1
            )
        finally:
            app.close()
    finally:
        server.stop()
