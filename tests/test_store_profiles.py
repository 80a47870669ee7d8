"""The remote backend's profiles (`CCN_STORE_PROFILE`): the ways a store departs from SPARQL 1.1
are configuration, not code paths spread through the service. Both ways are run here against a
real Oxigraph server, which answers either."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from ccn_graph.settings import load_settings
from ccn_graph.store import RemoteStore, open_store
from ccn_graph.store.remote import Endpoints

from .conftest import BASE


def _quads(store) -> set[str]:
    return {line for line in store.dataset_stream().read().decode().splitlines() if line.strip()}


def test_the_virtuoso_profile_reads_and_writes_like_the_standard_one(remote_oxigraph):
    root = remote_oxigraph
    standard = RemoteStore(Endpoints.for_profile("standard", f"{root}/query", f"{root}/update", f"{root}/store"), timeout=5)
    virtuoso = RemoteStore(Endpoints.for_profile("virtuoso", f"{root}/query", f"{root}/update", f"{root}/store"), timeout=5)
    assert virtuoso.endpoints.query_as_form and virtuoso.endpoints.dataset_by_graphs
    assert not standard.endpoints.query_as_form and not standard.endpoints.dataset_by_graphs
    standard.clear()
    graph = Graph()
    node = BNode()
    graph.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal('a "quoted"\nline', lang="en")))
    graph.add((URIRef("http://e/s"), URIRef("http://e/q"), node))
    graph.add((node, URIRef("http://e/r"), Literal(3)))
    virtuoso.replace_graphs({"http://e/g1": graph, "http://e/g2": graph})
    for store in (standard, virtuoso):
        rows = store.select("SELECT ?o WHERE { <http://e/s> <http://e/p> ?o }")
        assert {r["o"] for r in rows} == {Literal('a "quoted"\nline', lang="en")}
        assert store.ask("ASK { GRAPH <http://e/g2> { ?s <http://e/r> 3 } }")
        assert len(store.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://e/g1> { ?s ?p ?o } }")) == 3
    # The whole dataset, by one Graph Store GET or graph by graph: the same quads (blank nodes
    # aside, which each read labels anew).
    def named(lines):
        return {line for line in lines if "_:" not in line}

    assert named(_quads(virtuoso)) == named(_quads(standard)) and len(_quads(virtuoso)) == len(_quads(standard)) == 6
    standard.clear()


def test_the_profile_is_a_setting():
    settings = load_settings(environ={"CCN_STORE_URL": "http://store:8890/sparql", "CCN_STORE_PROFILE": "Virtuoso"},
                             overrides={"base_iri": BASE})
    store = open_store(settings)
    assert store.endpoints.query_as_form and store.endpoints.dataset_by_graphs
    store.close()
    with pytest.raises(Exception, match="standard or virtuoso"):
        load_settings(environ={"CCN_STORE_PROFILE": "graphdb"})
