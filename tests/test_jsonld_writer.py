"""The JSON-LD writer of entity documents: parsed back, it is the graph it was given."""

from __future__ import annotations

import json

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD

from ccn_graph.rdfio.jsonld import write_jsonld

pytestmark = pytest.mark.fast


def test_every_kind_of_term_survives_the_round_trip():
    graph, s = _graph()
    text = write_jsonld(graph, s)
    assert json.loads(text)[0]["@id"] == str(s)
    assert isomorphic(Graph().parse(data=text, format="json-ld"), graph)
    assert write_jsonld(graph, s) == text  # the same graph, the same text


def test_compacted_by_prefixes_it_is_the_same_graph():
    graph, s = _graph()
    prefixes = {
        "ccn": "https://w3id.org/ccn-graph/ontology#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "org": "http://www.w3.org/ns/org#",
        "dcterms": "http://purl.org/dc/terms/",
        "unused": "http://example.org/unused#",
    }
    text = write_jsonld(graph, s, prefixes=prefixes)
    document = json.loads(text)
    assert document["@context"] == {k: v for k, v in prefixes.items() if k != "unused"}
    subject = document["@graph"][0]
    assert subject["@id"] == str(s)
    assert sorted(subject["@type"]) == ["ccn:CommunityMember", "org:Organization"]
    assert "skos:prefLabel" in subject and "dcterms:modified" in subject
    assert isomorphic(Graph().parse(data=text, format="json-ld"), graph)


def _graph() -> tuple[Graph, URIRef]:
    s, other = URIRef("http://ccn.test/id/member/a"), URIRef("http://ccn.test/id/member/a#site")
    graph = Graph()
    node = BNode()
    for triple in [
        (s, RDF.type, URIRef("https://w3id.org/ccn-graph/ontology#CommunityMember")),
        (s, RDF.type, URIRef("http://www.w3.org/ns/org#Organization")),
        (
            s,
            URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
            Literal('Lab "α" <b>', lang="ro"),
        ),
        (s, URIRef("http://purl.org/dc/terms/identifier"), Literal("RO-1")),
        (s, URIRef("http://purl.org/dc/terms/modified"), Literal("2026-01-01", datatype=XSD.date)),
        (s, URIRef("http://schema.org/employees"), Literal(12)),
        (s, URIRef("http://www.w3.org/ns/locn#address"), other),
        (other, URIRef("http://www.w3.org/ns/locn#postName"), Literal("Iași\nline")),
        (s, URIRef("http://www.w3.org/ns/org#hasSite"), node),
        (node, RDF.type, Literal("a literal in rdf:type")),
    ]:
        graph.add(triple)
    return graph, s
