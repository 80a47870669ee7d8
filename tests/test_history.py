"""History: every version kept by the write that made it, and Memento (RFC 7089) over real HTTP.

The Memento rows of the checklist (../shared/suites/README.md §5) are checked for a record created
and then changed three times through the gate.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS, SKOS

from ccn_graph import history
from server.memento import TIMEMAP_PAGE

from .conftest import BASE
from .test_submissions import gsp, member, steward_world, submit

ENTITY = f"{BASE}id/member/hist-lab"
GRAPH = f"{BASE}graph/member/hist-lab"
NAMES = ["History Lab", "History Lab Two", "History Lab Three", "History Lab Four"]
LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[a-z]+="[^"]*")*)')


def links(text: str) -> list[tuple[str, dict[str, str]]]:
    """The (target, parameters) of a Link header or a link-format document."""
    out = []
    for target, params in LINK.findall(text):
        out.append((path_of(target), dict(re.findall(r'([a-z]+)="([^"]*)"', params))))
    return out


def path_of(url: str) -> str:
    """The path (and query) of `url`, which must be absolute: clients such as memento_client
    fetch links as they are given."""
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc, f"{url} is not an absolute URL"
    return urlunsplit(("", "", parts.path, parts.query, ""))


def rel(text: str, name: str) -> list[tuple[str, dict[str, str]]]:
    return [(t, p) for t, p in links(text) if name in p.get("rel", "").split()]


@pytest.fixture(scope="module")
def world(managed_server, tmp_path_factory):
    app, store, tokens, _ = steward_world(managed_server, tmp_path_factory, query_timeout=3)
    times = []
    for name in NAMES:
        # Memento dates have a resolution of one second: one version a second.
        if times:
            time.sleep(max(0.0, 1.05 - (time.time() - times[-1])))
        response = submit(app, member("hist-lab", name), tokens["ro"])
        assert response.status_code == 201, response.text
        times.append(time.time())
    yield app, store, tokens
    app.close()


@pytest.mark.parametrize(
    "graph, activity",
    [
        (f"{BASE}graph/member/m-1", f"{BASE}id/activity/a1"),  # a record, with its activity
        (f"{BASE}graph/member/m-1", None),
        ("http://elsewhere.example/g", f"{BASE}id/activity/a1"),  # no entity
    ],
)
@pytest.mark.fast
def test_version_quads_are_the_version_triples_as_text(graph, activity):
    """The bulk load's text of a version node says what `version_triples` says, term for term."""
    when = dt.datetime(2026, 12, 3, 8, 30, 5, tzinfo=dt.UTC)
    where = f"{BASE}graph/activity/a1"
    text = history.version_quads(BASE, graph, 3, 41, history.CREATED, activity, when, where)
    expected = {
        (s, p, o)
        for s, p, o in history.version_triples(BASE, graph, 3, 41, history.CREATED, activity, when)
    }
    parsed = Graph().parse(data=text.replace(f" <{where}> .", " ."), format="nt")
    assert set(parsed) == expected and len(text.splitlines()) == len(expected)
    assert all(line.endswith(f" <{where}> .") for line in text.splitlines())
    with pytest.raises(ValueError):
        history.version_quads(
            BASE, "http://bad.example/a b", 1, 1, history.CREATED, None, when, where
        )


def test_each_accepted_change_keeps_a_version_with_its_activity(world):
    _, store, _ = world
    kept = history.versions(store, GRAPH)
    assert [v.number for v in kept] == [1, 2, 3, 4]
    assert [history.kind_name(v.kind) for v in kept] == ["created", "updated", "updated", "updated"]
    assert all(v.activity and v.activity.startswith(f"{BASE}id/activity/") for v in kept)
    assert [v.time for v in kept] == sorted(v.time for v in kept) and len(
        {v.time for v in kept}
    ) == 4
    sequences = [v.sequence for v in kept]
    assert sequences == sorted(sequences) and len(set(sequences)) == 4
    for number, name in enumerate(NAMES, 1):
        content = history.version(store, GRAPH, number).triples()
        assert (URIRef(ENTITY), SKOS.prefLabel, Literal(name, lang="en")) in content
        # 17 triples written, and the three standard types they entail (docs/model.md).
        assert len(content) == 20
    assert isomorphic(history.version(store, GRAPH, 4).triples(), store.read_graph(GRAPH))


def test_a_replaced_record_costs_one_snapshot_and_the_current_one_none(world):
    _, store, _ = world
    rows = store.select(
        "SELECT ?n ?s WHERE { ?v <https://w3id.org/ccn-graph/ontology#versionOf> ?g ; "
        "<https://w3id.org/ccn-graph/ontology#versionNumber> ?n . "
        "OPTIONAL { ?v <https://w3id.org/ccn-graph/ontology#snapshot> ?s } } ORDER BY ?n",
        {"g": URIRef(GRAPH)},
    )
    assert [("s" in r) for r in rows] == [True, True, True, False]


def test_an_unchanged_write_makes_no_version(world):
    app, store, tokens = world
    before = history.count(store)
    writes = history.heads(store, ()).writes
    response = submit(app, member("hist-lab", NAMES[-1]), tokens["ro"])
    # Nothing to write: no version, no activity, the data version unmoved.
    assert response.status_code == 200 and response.json()["status"] == "unchanged", response.text
    assert history.count(store) == before and history.heads(store, ()).writes == writes
    assert [v.number for v in history.versions(store, GRAPH)] == [1, 2, 3, 4]


def test_the_original_names_its_timegate_and_timemap(world):
    app, *_ = world
    for suffix in ("", ".ttl", ".jsonld", ".nt", ".rdf"):
        response = app.get(f"/doc/member/hist-lab{suffix}")
        assert response.status_code == 200
        assert rel(response.headers["Link"], "timegate") == [
            ("/timegate/member/hist-lab", {"rel": "timegate"})
        ]
        ((target, params),) = rel(response.headers["Link"], "timemap")
        assert target == "/timemap/member/hist-lab" and params["type"] == "application/link-format"


def _versions(app) -> list[tuple[str, dt.datetime]]:
    body = app.get("/timemap/member/hist-lab").text
    return [(t, history.parse_http_date(p["datetime"])) for t, p in rel(body, "memento")]


def test_the_timegate_redirects_to_the_memento_of_the_asked_time(world):
    app, *_ = world
    mementos = _versions(app)
    assert len(mementos) == 4
    cases = [
        (mementos[0][1] - dt.timedelta(days=365), 1),
        (mementos[0][1], 1),
        (mementos[1][1], 2),
        (mementos[2][1] + dt.timedelta(milliseconds=500), 3),
        (mementos[3][1] + dt.timedelta(days=1), 4),
    ]
    for when, number in cases:
        response = app.get(
            "/timegate/member/hist-lab",
            allow_redirects=False,
            headers={"Accept-Datetime": history.http_date(when)},
        )
        assert response.status_code == 302, when
        assert response.headers["Location"].endswith(f"/doc/member/hist-lab/version/{number}")
        assert "accept-datetime" in response.headers["Vary"].lower()
        header = response.headers["Link"]
        assert rel(header, "original")[0][0] == "/doc/member/hist-lab"
        assert rel(header, "timemap")[0][0] == "/timemap/member/hist-lab"
        ((first, first_params),) = rel(header, "first")
        ((last, last_params),) = rel(header, "last")
        assert first.endswith("/version/1") and last.endswith("/version/4")
        assert history.parse_http_date(first_params["datetime"]) == mementos[0][1]
    latest = app.get("/timegate/member/hist-lab", allow_redirects=False)
    assert latest.status_code == 302 and latest.headers["Location"].endswith("/version/4")
    typed = app.get("/timegate/member/hist-lab.ttl", allow_redirects=False)
    assert typed.headers["Location"].endswith("/version/4.ttl")


@pytest.mark.parametrize(
    "asked",
    [
        "2026-11-28",
        "yesterday",
        "Sat, 28 Nov 2026 01:02:03",
        "Sat, 28 Nov 2026 01:02:03 CET",
        "28 Nov 2026 01:02:03 GMT",
        "Sat, 31 Feb 2026 01:02:03 GMT",
        "",
    ],
)
def test_an_unreadable_accept_datetime_is_400(world, asked):
    app, *_ = world
    response = app.get(
        "/timegate/member/hist-lab", allow_redirects=False, headers={"Accept-Datetime": asked}
    )
    assert response.status_code == 400
    assert "RFC 1123" in response.json()["message"]


def test_mementos_say_when_and_what_they_are_a_memento_of(world):
    app, *_ = world
    mementos = _versions(app)
    for number, (target, when) in enumerate(mementos, 1):
        response = app.get(target, headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        assert history.parse_http_date(response.headers["Memento-Datetime"]) == when
        header = response.headers["Link"]
        assert rel(header, "original")[0][0] == "/doc/member/hist-lab"
        assert rel(header, "timegate")[0][0] == "/timegate/member/hist-lab"
        assert rel(header, "timemap")[0][0] == "/timemap/member/hist-lab"
        assert response.headers["Vary"] == "Accept"
        graph = Graph().parse(data=response.text, format="turtle")
        assert (URIRef(ENTITY), SKOS.prefLabel, Literal(NAMES[number - 1], lang="en")) in graph
        assert len(set(graph.objects(URIRef(ENTITY), SKOS.prefLabel))) == 1


@pytest.mark.parametrize(
    "suffix,fmt", [(".ttl", "turtle"), (".nt", "nt"), (".jsonld", "json-ld"), (".rdf", "xml")]
)
def test_every_variant_of_an_old_version(world, suffix, fmt):
    app, *_ = world
    response = app.get(f"/doc/member/hist-lab/version/2{suffix}")
    assert response.status_code == 200 and "Memento-Datetime" in response.headers
    graph = Graph().parse(data=response.text, format=fmt)
    assert (URIRef(ENTITY), SKOS.prefLabel, Literal(NAMES[1], lang="en")) in graph
    assert (URIRef(ENTITY), SKOS.prefLabel, Literal(NAMES[3], lang="en")) not in graph


def test_an_old_version_in_html_says_which_it_is_and_links_the_current(world):
    app, *_ = world
    response = app.get("/doc/member/hist-lab/version/2", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "This is version 2 of this record" in response.text
    assert 'href="/doc/member/hist-lab">See the current one' in response.text
    assert NAMES[1] in response.text and NAMES[3] not in response.text
    current = app.get("/doc/member/hist-lab", headers={"Accept": "text/html"}).text
    assert (
        "This is version" not in current
        and 'href="/timemap/member/hist-lab">all versions' in current
    )


def test_a_version_node_page_links_the_version_it_keeps_instead_of_printing_it(world):
    """A superseded version's snapshot is one N-Triples literal: its HTML page names it and links
    the version's own page, and the machine formats keep the literal."""
    app, store, _ = world
    first = history.versions(store, GRAPH)[0]
    doc = history.version_iri(BASE, first.sequence).replace(f"{BASE}id/", "/doc/")
    page = app.get(doc, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert (
        "&lt;http" not in page.text
        and "<http" not in page.text.split("<body", 1)[1].split("<script", 1)[0]
    )
    assert 'href="/doc/member/hist-lab/version/1"' in page.text
    assert "20 triples" in page.text
    turtle = Graph().parse(data=app.get(doc + ".ttl").text, format="turtle")
    assert (
        len(
            history.parse_snapshot(
                str(
                    turtle.value(
                        URIRef(history.version_iri(BASE, first.sequence)), history.CCN.snapshot
                    )
                )
            )
        )
        == 20
    )


def test_the_timemap_lists_every_memento(world):
    app, *_ = world
    response = app.get("/timemap/member/hist-lab")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/link-format")
    body = response.text
    assert rel(body, "original")[0][0] == "/doc/member/hist-lab"
    assert rel(body, "timegate")[0][0] == "/timegate/member/hist-lab"
    ((self_target, self_params),) = rel(body, "self")
    assert (
        self_params["type"] == "application/link-format"
        and "from" in self_params
        and "until" in self_params
    )
    mementos = rel(body, "memento")
    assert [t for t, _ in mementos] == [f"/doc/member/hist-lab/version/{n}" for n in (1, 2, 3, 4)]
    assert all(history.parse_http_date(p["datetime"]) for _, p in mementos)
    assert "first" in mementos[0][1]["rel"] and "last" in mementos[-1][1]["rel"]
    as_json = app.get("/timemap/member/hist-lab", headers={"Accept": "application/json"}).json()
    assert [path_of(m["uri"]) for m in as_json["mementos"]["list"]] == [t for t, _ in mementos]
    assert (
        path_of(as_json["original_uri"]) == "/doc/member/hist-lab"
        and path_of(as_json["timegate_uri"]) == "/timegate/member/hist-lab"
    )
    html = app.get("/timemap/member/hist-lab", headers={"Accept": "text/html"})
    assert (
        html.headers["Content-Type"].startswith("text/html")
        and "/doc/member/hist-lab/version/3" in html.text
    )


def test_no_history_for_what_is_not_a_record(world):
    app, *_ = world
    assert app.get("/timegate/member/never-written", allow_redirects=False).status_code == 404
    assert app.get("/timemap/member/never-written").status_code == 404
    assert app.get("/doc/member/hist-lab/version/99").status_code == 404
    assert app.get("/doc/member/hist-lab/version/x").status_code == 404
    assert app.get("/timemap/member/hist-lab", params={"page": "0"}).status_code == 400
    # Digits `str.isdigit` takes and `int` does not, and numbers past 64 bits: refused, with
    # a message.
    for number in ("\u00b2", "\u0661", "9" * 25):
        version = app.get(f"/doc/member/hist-lab/version/{number}")
        assert (
            version.status_code == 404 and "takes a version number" in version.json()["message"]
        ), number
        timemap = app.get("/timemap/member/hist-lab", params={"page": number})
        assert timemap.status_code == 400 and "page=" in timemap.json()["message"], number


def _names_at(app, when: str) -> list[str]:
    query = (
        f"SELECT ?name WHERE {{ <{ENTITY}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?name }}"
    )
    response = app.get(
        "/sparql",
        params={"query": query, "at": when},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    return [b["name"]["value"] for b in response.json()["results"]["bindings"]]


def test_sparql_over_the_graph_as_it_was(world):
    app, *_ = world
    mementos = _versions(app)
    for number, (_, when) in enumerate(mementos, 1):
        assert _names_at(app, when.strftime("%Y-%m-%dT%H:%M:%SZ")) == [NAMES[number - 1]]
    assert _names_at(app, history.http_date(mementos[1][1] + dt.timedelta(milliseconds=900))) == [
        NAMES[1]
    ]
    assert _names_at(app, (mementos[0][1] - dt.timedelta(seconds=5)).isoformat()) == []
    # The rest of the graph is there too: the NCC of Romania, loaded before any of these.
    ncc = app.get(
        "/sparql",
        headers={"Accept": "application/sparql-results+json"},
        params={
            "at": mementos[0][1].isoformat(),
            "query": f"ASK {{ <{BASE}id/ncc/ro> a "
            "<https://w3id.org/ccn-graph/ontology#NationalCoordinationCentre> }",
        },
    )
    assert ncc.json()["boolean"] is True
    turtle = app.get(
        "/sparql",
        headers={"Accept": "text/turtle"},
        params={
            "at": mementos[2][1].isoformat(),
            "query": f"CONSTRUCT {{ <{ENTITY}> ?p ?o }} WHERE {{ <{ENTITY}> ?p ?o }}",
        },
    )
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(ENTITY), SKOS.prefLabel, Literal(NAMES[2], lang="en")) in graph


def test_sparql_over_the_past_refuses_a_bad_time_and_keeps_the_time_limit(world):
    app, *_ = world
    bad = app.get("/sparql", params={"query": "ASK {}", "at": "last week"})
    assert bad.status_code == 400 and "at=" in bad.json()["message"]
    started = time.monotonic()
    heavy = app.get(
        "/sparql",
        headers={"Accept": "application/sparql-results+json"},
        params={
            "at": dt.datetime.now(dt.UTC).isoformat(),
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        },
    )
    assert heavy.status_code == 503 and "limit of 3 seconds" in heavy.json()["message"]
    assert time.monotonic() - started < 3 + 5


def test_a_steward_reverts_a_record_through_the_gate(world):
    """(Last of the tests on this module's world: it writes. The ones after start worlds of
    their own.)"""
    app, store, tokens = world
    url = f"{app.url}/doc/member/hist-lab/version/2/revert"
    assert requests.post(url, timeout=30).status_code == 401
    refused = requests.post(url, timeout=30, headers={"Authorization": f"Bearer {tokens['be']}"})
    assert refused.status_code == 403, refused.text
    assert [v.number for v in history.versions(store, GRAPH)] == [1, 2, 3, 4]
    missing = requests.post(
        f"{app.url}/doc/member/hist-lab/version/99/revert",
        timeout=30,
        headers={"Authorization": f"Bearer {tokens['ro']}", "Accept": "application/json"},
    )
    assert missing.status_code == 404
    response = requests.post(
        url,
        timeout=30,
        headers={"Authorization": f"Bearer {tokens['ro']}", "Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "accepted"
    kept = history.versions(store, GRAPH)
    assert [v.number for v in kept] == [1, 2, 3, 4, 5]
    assert kept[-1].activity == response.json()["activity"]
    assert isomorphic(
        history.version(store, GRAPH, 5).triples(), history.version(store, GRAPH, 2).triples()
    )
    assert isomorphic(store.read_graph(GRAPH), history.version(store, GRAPH, 2).triples())
    current = Graph().parse(data=app.get("/doc/member/hist-lab.ttl").text, format="turtle")
    assert (URIRef(ENTITY), SKOS.prefLabel, Literal(NAMES[1], lang="en")) in current
    label = store.select(
        "SELECT ?l WHERE { ?a <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
        {"a": URIRef(response.json()["activity"])},
    )
    assert "Revert of" in str(label[0]["l"]) and "to version 2" in str(label[0]["l"])


def test_a_deleted_record_answers_410_and_keeps_its_history(managed_server, tmp_path_factory):
    app, store, tokens, _ = steward_world(managed_server, tmp_path_factory)
    try:
        assert submit(app, member("gone-lab", "Gone Lab"), tokens["ro"]).status_code == 201
        graph = f"{BASE}graph/member/gone-lab"
        assert gsp(app, "DELETE", graph, token=tokens["ro"]).status_code == 204
        for path in ("/doc/member/gone-lab", "/doc/member/gone-lab.ttl", "/id/member/gone-lab"):
            response = app.get(path, allow_redirects=False, headers={"Accept": "text/turtle"})
            assert response.status_code == 410, path
            ((target, params),) = rel(response.headers["Link"], "last")
            assert target == "/doc/member/gone-lab/version/1"
            # An RDF client is told in RDF: the URL it asked for, what happened as its comment.
            said = Graph().parse(data=response.text, format="turtle")
            assert "/doc/member/gone-lab/version/1" in str(next(said.objects(None, RDFS.comment)))
        assert app.get("/doc/member/gone-lab", headers={"Accept": "text/html"}).status_code == 410
        kept = history.versions(store, graph)
        assert [history.kind_name(v.kind) for v in kept] == ["created", "deleted"]
        old = app.get("/doc/member/gone-lab/version/1.ttl")
        assert old.status_code == 200 and "Gone Lab" in old.text
        deletion = app.get("/doc/member/gone-lab/version/2")
        assert deletion.status_code == 410 and "Memento-Datetime" in deletion.headers
    finally:
        app.close()


def test_timemaps_are_paged_past_a_thousand_mementos(managed_server, tmp_path_factory):
    """Many versions are written in one update here (the gate makes one a write)."""
    app, store, tokens, _ = steward_world(managed_server, tmp_path_factory)
    try:
        graph = f"{BASE}graph/member/busy-lab"
        assert submit(app, member("busy-lab", "Busy Lab"), tokens["ro"]).status_code == 201
        current = history.heads(store, [graph])
        nodes = Graph()
        start = current.count
        when = current.time_of_next(dt.datetime.now(dt.UTC).replace(microsecond=0))
        extra = TIMEMAP_PAGE + 200
        for i in range(extra):
            for triple in history.version_triples(
                BASE,
                graph,
                2 + i,
                start + 1 + i,
                history.UPDATED,
                None,
                when + dt.timedelta(seconds=i),
            ):
                nodes.add(triple)
        store.replace_graphs({f"{BASE}graph/activity/busy": nodes})
        first = app.get("/timemap/member/busy-lab")
        assert len(rel(first.text, "memento")) == TIMEMAP_PAGE
        ((following, _),) = rel(first.text, "next")
        assert "public, max-age=31536000" in first.headers["Cache-Control"]
        second = app.get(following)
        assert second.status_code == 200
        assert len(rel(second.text, "memento")) == extra + 1 - TIMEMAP_PAGE
        assert rel(second.text, "prev") and not rel(second.text, "next")
        assert "last" in rel(second.text, "memento")[-1][1]["rel"]
        as_json = app.get(
            following + "&format=json" if "?" in following else following + "?format=json"
        ).json()
        assert (
            as_json["pages"]["count"] == 2
            and len(as_json["mementos"]["list"]) == extra + 1 - TIMEMAP_PAGE
        )
    finally:
        app.close()


@pytest.mark.fast
def test_the_record_graphs_of_a_bulk_file_are_found_exactly():
    """Lines are skipped unparsed only when their last IRI is a graph already found: a triple of
    the default graph whose object looks like a graph, or an IRI inside a literal, adds nothing."""
    record = f"{BASE}graph/member/"
    lines = [
        f"<{BASE}id/member/a> <http://p> <{record}a> <{record}a> .\n",
        f'<{BASE}id/member/a> <http://p> "2"^^<http://www.w3.org/2001/XMLSchema#integer> '
        f"<{record}a> .\n",
        f"<{BASE}id/member/b> <http://p> <{record}b> .\n",
        f'<{BASE}id/member/b> <http://p> "x <{record}d> y" .\n',
        f'<{BASE}id/member/c> <http://p> "lit" <{record}c> .\n',
        f'<{BASE}id/member/c> <http://p> "lit" <{BASE}graph/reference/x> .\n',
        "\n",
    ]
    kept = history.group_dataset(lines, lambda graph: graph.startswith(record))
    assert kept == {f"{record}a", f"{record}c"}
