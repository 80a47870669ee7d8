"""The SPARQL 1.1 Service Description of the endpoint, as an rdflib graph."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, VOID

from ccn_graph.rdfio import formats
from ccn_graph.store import Store

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Named graphs listed one by one; past this many the description gives their number only.
MAX_LISTED_GRAPHS = 1000


def describe(endpoint: str, store: Store, void: str) -> Graph:
    """The description of the service at `endpoint` (exactly the URL that was dereferenced)."""
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    service = BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in (*formats.SELECT_FORMATS, *formats.GRAPH_FORMATS):
        graph.add((service, SD.resultFormat, URIRef(fmt.iri)))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDFS.seeAlso, URIRef(void)))
    default = BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, RDFS.comment, Literal("The union of all named graphs.", lang="en")))
    # A bounded list, found without sorting every graph: the description answers at once after a
    # write however many graphs there are (bench/reports/service-description-100k.md).
    names = sorted(store.some_graph_names(MAX_LISTED_GRAPHS + 1))
    for name in names[:MAX_LISTED_GRAPHS]:
        node = BNode()
        graph.add((dataset, SD.namedGraph, node))
        graph.add((node, RDF.type, SD.NamedGraph))
        graph.add((node, SD.name, URIRef(name)))
    if len(names) > MAX_LISTED_GRAPHS:
        graph.add(
            (
                dataset,
                RDFS.comment,
                Literal(
                    f"More than {MAX_LISTED_GRAPHS} named graphs; {MAX_LISTED_GRAPHS} of them are "
                    "listed. The example queries of the query page show how to list them all.",
                    lang="en",
                ),
            )
        )
    return graph
