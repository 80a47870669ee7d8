"""Home, search, sitemap and the vocabulary documentation, over HTTP."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from .conftest import BASE, loaded_site

CCN = "https://w3id.org/ccn-graph/ontology#"


@pytest.fixture(scope="module")
def site(managed_server, tmp_path_factory):
    app, store, data_dir = loaded_site(managed_server, tmp_path_factory, members=40, projects=0)
    yield app
    app.close()


def html(site, path, **kwargs):
    response = site.get(path, headers={"Accept": "text/html"}, **kwargs)
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def test_home_shows_live_figures_and_the_map(site):
    soup = html(site, "/")
    figures = {
        li.text.split(maxsplit=1)[1].strip(): int(li.strong.text)
        for li in soup.select("ul.figures li")
    }
    assert figures["National Coordination Centres"] == 27
    assert figures["Community members"] == 40
    svg = soup.select_one("svg.network-map")
    tiles = svg.select("a")
    assert len(tiles) == 27
    assert all(a["href"].startswith("/doc/ncc/") for a in tiles)
    assert svg.get("role") == "img" and svg.select_one("title")
    counts = [
        int(tr.select("td")[1].text) for tr in soup.select("#states-heading ~ table tbody tr")
    ]
    assert sum(counts) == 40
    assert soup.select_one('a[href="/sparql"]')


@pytest.mark.parametrize(
    "query, first",
    [
        ("cryptology", "Cryptology (Cryptography and Cryptanalysis)"),
        ("CRYPTOLOGY", "Cryptology (Cryptography and Cryptanalysis)"),
        (
            "nkcs",
            "Nationales Koordinierungszentrum für Cybersicherheit in Industrie, Technologie "
            "und Forschung",
        ),
        ("Centrul National", "National Coordination Centre of Romania"),
        ("narodni koordinacni", "Národní koordinační centrum"),
        ("penetration", "Penetration Tester"),
    ],
)
def test_search_is_insensitive_to_case_and_diacritics(site, query, first):
    body = site.get("/search", params={"q": query, "format": "json"}).json()
    assert body["total"] >= 1
    assert body["results"][0]["label"] == first, body["results"][:3]
    assert body["results"][0]["document"].startswith("/doc/")


def test_search_ranks_whole_names_first_and_pages(site):
    body = site.get("/search", params={"q": "synthetic member", "format": "json"}).json()
    assert body["total"] == 40 and len(body["results"]) == 20 and "next" in body
    second = site.get(body["next"]).json()
    assert len(second["results"]) == 20 and "next" not in second
    exact = site.get("/search", params={"q": "ECCC", "format": "json"}).json()
    assert exact["results"][0]["iri"] == f"{BASE}id/centre/eccc"


def test_search_page_in_html(site):
    soup = html(site, "/search", params={"q": "cryptography"})
    hits = soup.select("ol.hits li a")
    assert hits and all(a["href"].startswith("/doc/") for a in hits)
    assert soup.select_one("form[role=search] input[name=q]")["value"] == "cryptography"


BAD_NUMBERS = (
    "-1",
    "",
    " 1",
    "1.0",
    "abc",
    "\u00b2",
    "\u0661",
    "\uff11",
    "9" * 19,
    "99999999999999999999",
)


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_search_and_sitemap_refuse_bad_numbers_with_a_message(site, bad):
    """Superscripts and other scripts' digits pass `str.isdigit`, and `int` refuses some of them;
    numbers past 64 bits overflow SQLite: each is a 400 that says what to send."""
    search = site.get("/search", params={"q": "eccc", "offset": bad, "format": "json"})
    assert search.status_code == 400 and "offset=" in search.json()["message"]
    sitemap = site.get("/sitemap.xml", params={"page": bad})
    assert sitemap.status_code == 400 and "page=" in sitemap.text


def test_search_pages_far_past_the_end_are_empty(site):
    body = site.get("/search", params={"q": "eccc", "offset": "9" * 18, "format": "json"}).json()
    assert body["results"] == [] and body["total"] >= 1 and "next" not in body


def test_sitemap_lists_every_entity_document(site):
    response = site.get("/sitemap.xml")
    assert response.headers["Content-Type"].startswith("application/xml")
    urls = re.findall(r"<loc>([^<]+)</loc>", response.text)
    paths = {u.split("/doc/", 1)[1] for u in urls}
    assert {
        "centre/eccc",
        "ncc/ro",
        "member-state/ro",
        "taxonomy/D12.04",
        "synthetic-member/1-000040",
    } <= paths
    assert len(urls) == len(set(urls)) >= 27 + 27 + 203 + 40
    sample = site.get("/doc/" + sorted(paths)[0], headers={"Accept": "text/html"})
    assert sample.status_code == 200


def test_ontology_documentation_has_an_anchor_per_term(site):
    soup = html(site, "/ontology")
    anchors = {article["id"] for article in soup.select("article.term")}
    graph = Graph().parse(data=site.get("/ontology.ttl").text, format="turtle")
    terms = {
        str(s)[len(CCN) :]
        for s in graph.subjects(RDF.type, None)
        if str(s).startswith(CCN)
        and (s, RDF.type, OWL.Class) in graph
        or (
            str(s).startswith(CCN)
            and (
                (s, RDF.type, OWL.ObjectProperty) in graph
                or (s, RDF.type, OWL.DatatypeProperty) in graph
            )
        )
    }
    assert len(terms) >= 50
    assert terms <= anchors, sorted(terms - anchors)
    member = soup.select_one("#CommunityMember")
    assert "Constraints" in member.text and "Member State" in member.text


@pytest.mark.parametrize(
    "path, media_type",
    [
        ("/ontology.ttl", "text/turtle"),
        ("/ontology.rdf", "application/rdf+xml"),
        ("/shapes.jsonld", "application/ld+json"),
        ("/shapes.nt", "application/n-triples"),
    ],
)
def test_vocabulary_rdf_variants(site, path, media_type):
    response = site.get(path)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(media_type)
    assert (
        len(
            Graph().parse(
                data=response.text,
                format={
                    "text/turtle": "turtle",
                    "application/rdf+xml": "xml",
                    "application/ld+json": "json-ld",
                    "application/n-triples": "nt",
                }[media_type],
            )
        )
        > 100
    )


def test_shapes_documentation(site):
    soup = html(site, "/shapes")
    assert soup.select_one("#NationalCoordinationCentreShape")
    assert "one NCC" in soup.text or "exactly one" in soup.text
