"""Dereferencing and entity documents, row by row of the linked-data checklist, for every type."""

from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, RDFS, SKOS

from ccn_graph.importers import generate, loading
from ccn_graph.rdfio import formats
from ccn_graph.settings import load_settings
from server import create_app

from .conftest import BASE, LiveApp, store_on

RDF_TYPES = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
SUFFIX = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
    "text/html": "html",
}
# A sample of every entity type the graph publishes.
ENTITIES = [
    "centre/eccc",
    "ncc/ro",
    "ncc/bg",
    "member-state/ro",
    "network/nccs",
    "community/ccc",
    "body/governing-board",
    "post/executive-director",
    "organisation/enisa",
    "programme/digital-europe",
    "taxonomy/D02",
    "taxonomy/D12.04",
    "taxonomy/S05",
    "scheme/jrc-taxonomy",
    "ecsf-role/penetration-tester",
    "member-category/industry",
    "field-of-activity/c",
    "project-status/signed",
    "participation-role/coordinator",
    "synthetic-member/1-000001",
    "synthetic-project/1-000001",
    "synthetic-call/1-001",
    "synthetic-topic/1-001-1",
]
HOSTILE = "http://ccn.test/id/organisation/hostile"


def subject_iri(path: str) -> str:
    if path == "member-state/ro":
        return "http://publications.europa.eu/resource/authority/country/ROU"
    return f"{BASE}id/{path}"


@pytest.fixture(scope="module")
def site(engine, tmp_path_factory):
    store = store_on(engine, timeout=10)
    store.clear()
    loading.load_reference_data(store, BASE)
    path = tmp_path_factory.mktemp("m") / "m.nq"
    with path.open("w") as out:
        generate.write_nquads(out, 80, 1, BASE, projects=5)
    loading.load_file(store, path, BASE)
    hostile = Graph()
    node = URIRef(HOSTILE)
    hostile.add((node, RDF.type, URIRef("https://w3id.org/ccn-graph/ontology#Organisation")))
    hostile.add((node, SKOS.prefLabel, Literal("<script>alert(1)</script>", lang="en")))
    hostile.add((node, FOAF.homepage, URIRef("javascript:alert(2)")))
    hostile.add((node, SKOS.altLabel, Literal('"><img src=x onerror=alert(3)>')))
    store.replace_graphs({f"{BASE}graph/organisation/hostile": hostile})
    settings = load_settings(
        environ={}, overrides={"data_dir": str(tmp_path_factory.mktemp("d")), "base_iri": BASE}
    )
    app = LiveApp(create_app(settings, store))
    yield app
    app.close()


def get(site, path, accept=None, method="GET", headers=None, **kwargs):
    headers = dict(headers or {})
    if accept:
        headers["Accept"] = accept
    return requests.request(
        method, site.url + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
    )


@pytest.mark.fast
def test_the_sample_covers_every_type():
    assert len(ENTITIES) >= 20


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("accept", RDF_TYPES + ["text/html"])
def test_id_303_to_the_document_in_the_asked_type(site, entity, accept):
    response = get(site, f"/id/{entity}", accept)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/doc/{entity}.{SUFFIX[accept]}"
    assert "Accept" in response.headers["Vary"]
    final = get(site, response.headers["Location"], accept)
    assert final.status_code == 200
    assert final.headers["Content-Type"] == f"{accept}; charset=utf-8"
    if accept != "text/html":
        graph = Graph().parse(
            data=final.text, format=formats.rdf_format_for_media_type(accept).rdflib_name
        )
        assert (URIRef(subject_iri(entity)), None, None) in graph
        assert (None, FOAF.primaryTopic, URIRef(subject_iri(entity))) in graph


@pytest.mark.parametrize("entity", ENTITIES[:6])
def test_doc_answers_directly_with_conneg_vary_and_alternates(site, entity):
    response = get(site, f"/doc/{entity}", "text/turtle")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "text/turtle"
    )
    assert response.headers["Vary"] == "Accept"
    links = response.headers["Link"]
    for media_type in (
        "text/html",
        "application/ld+json",
        "application/rdf+xml",
        "application/n-triples",
    ):
        assert f'type="{media_type}"' in links
    assert 'type="text/turtle"' not in links
    by_format = get(site, f"/doc/{entity}?format=jsonld")
    assert by_format.headers["Content-Type"].startswith("application/ld+json")


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("application/rdf+xml;q=0.5,text/html;q=.3", "application/rdf+xml"),
        ("application/rdf+xml;q=0.3,text/html;q=.5", "text/html"),
        ("application/rdf+xml;q=0.5,text/html;q=.5", "application/rdf+xml"),
        ("application/rdf+xml,text/html", "application/rdf+xml"),
        ("text/html,application/rdf+xml", "text/html"),
        ("application/rdf+xml;q=0.5", "application/rdf+xml"),
        ("text/html;q=0.5", "text/html"),
        ("text/turtle;q=0.3, text/html;q=0.9", "text/html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
    ],
)
def test_vapour_accept_matrix(site, accept, expected):
    response = get(site, "/id/ncc/ro", accept)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("." + SUFFIX[expected])


def test_nothing_acceptable_is_406(site):
    for path in ("/id/ncc/ro", "/doc/ncc/ro"):
        response = get(site, path, "image/png")
        assert response.status_code == 406
        assert "text/turtle" in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["/id/ncc/zz", "/id/nothing/here", "/doc/ncc/zz", "/doc/member-state/us", "/id/x"]
)
def test_unknown_is_404_in_the_negotiated_format(site, path):
    as_json = get(site, path, "application/problem+json, text/turtle;q=0.5")
    assert as_json.status_code == 404 and as_json.json()["message"]
    # An RDF client gets RDF it can parse: what went wrong, said of the URL it asked for.
    for media_type, parser in (("application/ld+json", "json-ld"), ("text/turtle", "turtle")):
        as_rdf = get(site, path, media_type)
        assert as_rdf.status_code == 404
        assert as_rdf.headers["Content-Type"].startswith(media_type)
        graph = Graph().parse(data=as_rdf.text, format=parser)
        (comment,) = graph.objects(None, RDFS.comment)
        assert "nothing here" in str(comment).lower()
    as_html = get(site, path, "text/html")
    assert as_html.status_code == 404 and as_html.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/id/ncc/ro", "/doc/ncc/ro", "/doc/ncc/ro.ttl", "/id/ncc/zz"])
def test_head_matches_get_without_a_body(site, path):
    got = get(site, path, "text/turtle")
    head = get(site, path, "text/turtle", method="HEAD")
    assert head.status_code == got.status_code and head.content == b""
    for header in ("Content-Type", "Vary", "Location", "ETag", "Link"):
        assert head.headers.get(header) == got.headers.get(header)


def test_etag_and_if_none_match(site):
    first = get(site, "/doc/ncc/ro.ttl")
    etag = first.headers["ETag"]
    again = get(site, "/doc/ncc/ro.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = get(site, "/doc/ncc/ro.jsonld")
    assert other.headers["ETag"] != etag


def test_members_pointing_at_an_entity_are_paged_by_key_past_50(site):
    soup = BeautifulSoup(get(site, "/doc/community/ccc", "text/html").text, "html.parser")
    links = soup.select("#members-heading ~ ul li")
    assert len(links) == 50
    total = int(soup.select_one("#members-heading").text.split("(")[1].rstrip(")"))
    more = soup.select_one('nav[aria-label="Pages of members"] a[rel="next"]')
    assert more is not None and "after=" in more["href"] and "offset" not in more["href"]
    second = BeautifulSoup(get(site, more["href"], "text/html").text, "html.parser")
    rest = second.select("ol.hits li")
    assert len(rest) == min(50, total - 50) > 0
    assert not {a.text for a in links} & {a.text for a in rest}


def test_inverse_links_are_paged_by_key_and_each_shown_once(site):
    """The taxonomy's scheme is pointed at by every concept (more than 50 links): following the
    "More links" key from page to page shows each link once, and all of them."""
    path = "/doc/scheme/jrc-taxonomy"
    seen, pages, url = [], 0, path
    while url:
        response = get(site, url, "text/html")
        assert response.status_code == 200, url
        soup = BeautifulSoup(response.text, "html.parser")
        for heading in soup.select('section[aria-labelledby="inverse-heading"] h3'):
            seen += [
                (heading.text, a["href"]) for a in heading.find_next_sibling("ul").select("li a")
            ]
        more = soup.select_one('nav[aria-label="Pages of links"] a[rel="next"]')
        url = (path + more["href"]) if more else None
        assert url is None or ("inverse_after=" in url and "offset" not in url)
        pages += 1
    assert pages >= 3
    assert len(seen) == len(set(seen))
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?p ?owner WHERE { "
        "?s ?p <http://ccn.test/id/scheme/jrc-taxonomy> FILTER (isIRI(?s)) "
        "BIND (IF(CONTAINS(STR(?s), '#'), IRI(STRBEFORE(STR(?s), '#')), ?s) AS ?owner) "
        "FILTER (?owner != <http://ccn.test/id/scheme/jrc-taxonomy>) } }"
    )
    expected = int(
        requests.get(
            site.url + "/sparql",
            params={"query": query},
            timeout=30,
            headers={"Accept": "application/sparql-results+json"},
        ).json()["results"]["bindings"][0]["n"]["value"]
    )
    assert len(seen) == expected
    assert get(site, path + "?inverse_after=not%20iris", "text/html").status_code == 400


def test_the_ncc_page_lists_members_registered_through_it(site):
    page = BeautifulSoup(get(site, "/doc/ncc/ro", "text/html").text, "html.parser")
    heading = page.select_one("#members-heading")
    assert heading is not None and int(heading.text.split("(")[1].rstrip(")")) >= 1
    everyone = page.select_one('nav[aria-label="Pages of members"] a:not([rel])')
    assert "ncc=" in everyone["href"]


def test_pages_are_accessible_and_link_machine_variants(site):
    soup = BeautifulSoup(get(site, "/doc/centre/eccc", "text/html").text, "html.parser")
    assert (
        soup.select_one("header[role=banner]")
        and soup.select_one("main#main")
        and soup.select_one("footer")
    )
    assert soup.select_one("h1").text.startswith("European Cybersecurity Industrial")
    assert len(soup.select('link[rel="alternate"]')) == 4
    assert soup.select_one('script[type="application/ld+json"]') is not None
    groups = [h.text for h in soup.select("section.group > h3")]
    assert groups[0] == "Names"
    assert any("sparql" in a["href"] for a in soup.select("ul.alternates a"))
    external = soup.select("a.external")
    assert any(a["href"] == "https://cybersecurity-centre.europa.eu" for a in external)
    internal = [a["href"] for a in soup.select("a") if a["href"].startswith("/doc/")]
    assert "/doc/body/governing-board" in internal


def test_labels_follow_accept_language(site):
    german = BeautifulSoup(
        get(site, "/doc/ncc/de", "text/html", headers={"Accept-Language": "de"}).text, "html.parser"
    )
    assert german.select_one("h1").text.startswith("Nationales Koordinierungszentrum")
    english = BeautifulSoup(
        get(site, "/doc/ncc/lv", "text/html", headers={"Accept-Language": "en"}).text, "html.parser"
    )
    assert english.select_one("h1").text == "National Coordination Centre of Latvia"
    latvian = BeautifulSoup(
        get(site, "/doc/ncc/lv", "text/html", headers={"Accept-Language": "lv, en;q=0.5"}).text,
        "html.parser",
    )
    assert latvian.select_one("h1").text == "Nacionālais koordinācijas centrs"


def test_hostile_values_render_inert(site):
    response = get(site, "/doc/organisation/hostile", "text/html")
    assert response.status_code == 200
    text = response.text
    assert (
        "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    )
    assert "<img src=x" not in text
    soup = BeautifulSoup(text, "html.parser")
    assert not [a for a in soup.select("a[href]") if a["href"].lower().startswith("javascript:")]
    jsonld = soup.select_one('script[type="application/ld+json"]').string
    assert "</script" not in jsonld.lower()


def test_hostile_values_are_inert_in_search_too(site):
    response = get(site, "/search?q=script", "text/html")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    as_json = get(site, "/search?q=script&format=json").json()
    assert as_json["results"][0]["label"] == "<script>alert(1)</script>"
