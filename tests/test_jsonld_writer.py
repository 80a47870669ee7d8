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
    text = write_jsonld(graph, s)
    assert json.loads(text)[0]["@id"] == str(s)
    assert isomorphic(Graph().parse(data=text, format="json-ld"), graph)
    assert write_jsonld(graph, s) == text  # the same graph, the same text
