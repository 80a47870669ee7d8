"""The remote store's profiles (`CCN_STORE_PROFILE`): each names a class, and the ways a store
departs from SPARQL 1.1 are that class's methods, not code paths spread through the service. Both
classes are run here against a real Oxigraph server, which answers either, and Virtuoso's against
Debian's Virtuoso."""

from __future__ import annotations

import io
import time

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from rdflib.query import Result

from ccn_graph.rdfio import formats
from ccn_graph.settings import load_settings
from ccn_graph.store import Endpoints, QueryTimeout, RemoteStore, VirtuosoStore, open_store

from .conftest import BASE


def _quads(store) -> set[str]:
    return {line for line in store.dataset_stream().read().decode().splitlines() if line.strip()}


def test_the_virtuoso_profile_reads_and_writes_like_the_standard_one(remote_oxigraph):
    root = remote_oxigraph
    endpoints = Endpoints(f"{root}/query", f"{root}/update", f"{root}/store")
    standard = RemoteStore(endpoints, timeout=5)
    # Virtuoso's graph exclusion pragma is its own syntax (tested on Virtuoso below, and never
    # sent here: Oxigraph shows no graphs of its own); the rest of its ways are standard protocol,
    # which Oxigraph answers.
    virtuoso = VirtuosoStore(endpoints, timeout=5, page_rows=2)
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
        assert (
            len(
                store.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://e/g1> { ?s ?p ?o } }")
            )
            == 3
        )

    # Read in pages of two rows, in parts by subject, or whole: the same graph.
    assert isomorphic(virtuoso.read_graph("http://e/g1"), standard.read_graph("http://e/g1"))

    # The whole dataset, by one Graph Store GET or in pages of graphs: the same quads (blank nodes
    # aside, which each read labels anew).
    def named(lines):
        return {line for line in lines if "_:" not in line}

    assert (
        named(_quads(virtuoso)) == named(_quads(standard))
        and len(_quads(virtuoso)) == len(_quads(standard)) == 6
    )
    standard.clear()


@pytest.mark.fast
def test_the_profile_is_a_setting():
    settings = load_settings(
        environ={"CCN_STORE_URL": "http://store:8890/sparql", "CCN_STORE_PROFILE": "Virtuoso"},
        overrides={"base_iri": BASE},
    )
    store = open_store(settings)
    assert isinstance(store, VirtuosoStore) and store.backend == "virtuoso"
    store.close()
    standard = open_store(load_settings(environ={"CCN_STORE_URL": "http://store:7878/query"}))
    assert type(standard) is RemoteStore
    standard.close()
    with pytest.raises(Exception, match="standard or virtuoso"):
        load_settings(environ={"CCN_STORE_PROFILE": "graphdb"})


# -- on Virtuoso itself ------------------------------------------------------------------------

VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"


class _WithoutPragma(VirtuosoStore):
    """Virtuoso's store as though its own graphs were never shown: no pragma on any query."""

    def _shows_system_graphs(self) -> bool:
        return False


@pytest.fixture
def virtuoso(virtuoso_server):
    store = virtuoso_server.store(timeout=2)
    store.clear()
    yield store
    store.clear()
    store.close()


@pytest.fixture
def showing_own_graphs(virtuoso_server):
    """The session's Virtuoso with its own graphs shown to queries, as without deploy/virtuoso.sql;
    a clean store on it."""
    virtuoso_server.isql("DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7, 1);")
    store = virtuoso_server.store(timeout=2)
    try:
        store.clear()
        yield store
        store.clear()
    finally:
        # As deploy/virtuoso.sql leaves it, for the tests after this one.
        virtuoso_server.isql("DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);")
        store.close()


def test_virtuoso_keeps_its_own_graphs_out_of_ours(showing_own_graphs):
    """Its system graphs are in every database: never listed, counted or dropped by us."""
    virtuoso = showing_own_graphs
    assert virtuoso.ask(f"ASK {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }}")
    assert virtuoso.graph_names() == [] and virtuoso.triple_count() == 0
    graph = Graph()
    graph.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal("o")))
    virtuoso.replace_graphs({"http://e/g": graph})
    assert virtuoso.graph_names() == ["http://e/g"] and virtuoso.triple_count() == 1
    virtuoso.clear()
    assert virtuoso.graph_names() == [] and virtuoso.triple_count() == 0
    assert virtuoso.ask(f"ASK {{ GRAPH <{VIRTRDF}> {{ ?s ?p ?o }} }}"), (
        "clearing our graphs dropped Virtuoso's own"
    )


def test_virtuoso_set_up_as_deployed_hides_its_own_graphs(virtuoso, virtuoso_server):
    """deploy/virtuoso.sql makes Virtuoso's own graphs private: no query sees them, neither in the
    default graph nor through GRAPH ?g, and queries go without the exclusion pragma."""
    graph = Graph()
    graph.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal("o")))
    virtuoso.replace_graphs({"http://e/g": graph})
    own = f'ASK {{ ?s ?p ?o FILTER (STRSTARTS(STR(?s), "{VIRTRDF}")) }}'
    no_pragma = _WithoutPragma(virtuoso_server.endpoints, timeout=2)
    assert not no_pragma.ask(own)
    assert not virtuoso._shows_system_graphs()
    # (Virtuoso answers exactly `SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }` from its list of
    # graph names, private ones included; their triples stay hidden.)
    by_graph = virtuoso.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    assert [(str(row["g"]), int(row["n"])) for row in by_graph] == [("http://e/g", 1)]
    assert int(virtuoso.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]) == 1


def test_virtuoso_showing_its_own_graphs_keeps_them_out_of_the_default_graph(
    showing_own_graphs, virtuoso_server
):
    """A Virtuoso not set up so shows its own graphs in the default graph of every query: a query
    that names no graph sees ours only (the pragma); one that names its graphs gets what it
    names."""
    virtuoso = showing_own_graphs
    graph = Graph()
    graph.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal("o")))
    virtuoso.replace_graphs({"http://e/g": graph})
    own = f'ASK {{ ?s ?p ?o FILTER (STRSTARTS(STR(?s), "{VIRTRDF}")) }}'
    asked_directly = _WithoutPragma(virtuoso_server.endpoints, timeout=2)
    assert asked_directly.ask(own), "Virtuoso's default graph holds its own graphs"
    assert virtuoso._shows_system_graphs()
    assert not virtuoso.ask(own)
    assert not virtuoso.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 5")[1:]
    counted = virtuoso.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(counted[0]["n"]) == 1
    named = virtuoso.select("SELECT (COUNT(*) AS ?n) FROM <http://e/g> WHERE { ?s ?p ?o }")
    assert int(named[0]["n"]) == 1
    stream = virtuoso.query_stream(
        "SELECT ?o WHERE { ?s ?p ?o }",
        formats.SPARQL_JSON.media_type,
        default_graphs=["http://e/g"],
    )
    assert b'"o"' in stream.read()
    assert virtuoso.ask('ASK { GRAPH <http://e/g> { ?s ?p "o" } }')
    assert virtuoso.ask('ASK { ?s ?p "o" GRAPH ?g { ?s ?p "o" } }')


def test_virtuoso_takes_a_large_write_with_blank_nodes_in_parts(virtuoso):
    """More than an update of Virtuoso's takes (about 1,000 triples): sent in parts, each graph
    whole, blank nodes kept (a graph past the bound goes whole through the Graph Store Protocol)."""
    big, small = Graph(), {}
    for i in range(1500):
        node = BNode()
        big.add((URIRef(f"http://e/big/{i}"), URIRef("http://e/has"), node))
        big.add((node, URIRef("http://e/value"), Literal(i)))
    for i in range(150):
        graph = Graph()
        for j in range(5):
            graph.add((URIRef(f"http://e/small/{i}"), URIRef("http://e/p"), Literal(f"{i}/{j}")))
        small[f"http://e/g/{i:03d}"] = graph
    before = virtuoso.state()
    virtuoso.replace_graphs({"http://e/big": big, **small})
    assert len(virtuoso.graph_names()) == 151 and virtuoso.triple_count() == 3000 + 750
    # Each blank node still joins its two triples (rdflib's isomorphism check is slow on 1,500).
    pairs = virtuoso.select(
        "SELECT ?s ?v WHERE { GRAPH <http://e/big> { "
        "?s <http://e/has> ?b . ?b <http://e/value> ?v } }"
    )
    assert {(str(r["s"]), int(r["v"])) for r in pairs} == {
        (f"http://e/big/{i}", i) for i in range(1500)
    }
    assert isomorphic(virtuoso.read_graph("http://e/g/149"), small["http://e/g/149"])
    assert (
        virtuoso.state() is None
        or before is None
        or virtuoso.state().data_version > before.data_version
    )
    # Replacing again replaces: nothing of the first write is left beside the second.
    virtuoso.replace_graphs({"http://e/big": small["http://e/g/000"], "http://e/g/001": Graph()})
    assert (
        len(virtuoso.read_graph("http://e/big")) == 5
        and "http://e/g/001" not in virtuoso.graph_names()
    )


def test_virtuoso_results_in_the_standard_tsv(virtuoso):
    """Virtuoso's own TSV quotes IRIs and literals alike; its JSON is converted instead."""
    graph = Graph()
    node = BNode()
    s = URIRef("http://e/s")
    for value in (
        Literal("tab\there", lang="fr"),
        Literal("2.50", datatype=XSD.decimal),
        node,
        URIRef("http://e/o"),
    ):
        graph.add((s, URIRef("http://e/p"), value))
    virtuoso.replace_graphs({"http://e/g": graph})
    body = virtuoso.query_stream(
        "SELECT ?o ?none WHERE { <http://e/s> <http://e/p> ?o } ORDER BY ?o",
        formats.SPARQL_TSV.media_type,
    ).read()
    lines = body.decode().splitlines()
    assert lines[0] == "?o\t?none" and len(lines) == 5
    cells = {line.split("\t")[0] for line in lines[1:]}
    assert {'"tab\\there"@fr', "<http://e/o>"} <= cells
    assert '"2.5"^^<http://www.w3.org/2001/XMLSchema#decimal>' in cells
    assert any(cell.startswith("_:") and ":" not in cell[2:] and "/" not in cell for cell in cells)
    assert all(line.endswith("\t") for line in lines[1:])  # ?none unbound: an empty cell
    parsed = Result.parse(io.BytesIO(body), format="tsv")
    assert {row[0] for row in parsed} >= {Literal("tab\there", lang="fr"), URIRef("http://e/o")}


def test_virtuoso_stops_a_query_at_the_limit_and_no_cut_result_passes_as_whole(virtuoso):
    """Virtuoso answers a query stopped by its time limit with 200 and what it had so far (an
    "anytime" result): the profile gives it the limit and turns that answer into QueryTimeout."""
    graph = Graph()
    for i in range(300):
        graph.add((URIRef(f"http://e/s{i}"), URIRef("http://e/p"), Literal(i)))
    virtuoso.replace_graphs({"http://e/g": graph})
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        virtuoso.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://e/g> { "
            "?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } }"
        )
    assert time.monotonic() - started < 2 + 5
    # One it estimates past its own bound on planning (MaxQueryCostEstimationTime) is refused at
    # once.
    with pytest.raises(QueryTimeout):
        virtuoso.select(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
        )
    assert virtuoso.ask("ASK { GRAPH <http://e/g> { <http://e/s1> ?p ?o } }"), (
        "the store stopped answering after the limit"
    )


@pytest.fixture(scope="module")
def capped_virtuoso(tmp_path_factory):
    """A Virtuoso that gives at most 500 rows to an answer (``ResultSetMaxRows``), as a smaller
    image of its million-row bound; set up as deployed."""
    from tests.virtuoso import VirtuosoServer, missing

    if missing():
        pytest.skip(missing())
    server = VirtuosoServer(
        tmp_path_factory.mktemp("virtuoso-capped"), {("SPARQL", "ResultSetMaxRows"): "500"}
    )
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("page_rows", [300, 2000], ids=["pages-under-the-cap", "pages-over-it"])
def test_virtuoso_reads_a_graph_and_the_dataset_larger_than_one_answer(capped_virtuoso, page_rows):
    """A graph of 1,300 triples (blank nodes among them) and 600 graphs, on a store that cuts every
    answer at 500 rows: read whole, whether a page is within the store's cap or past it (then the
    store's word that it cut the answer makes the read go in parts)."""
    store = capped_virtuoso.store(timeout=10, page_rows=page_rows)
    store.clear()
    big = Graph()
    for i in range(1200):
        big.add((URIRef(f"http://example.org/s{i}"), URIRef("http://example.org/p"), Literal(i)))
    for i in range(50):
        node = BNode()
        big.add((URIRef(f"http://example.org/s{i}"), URIRef("http://example.org/r"), node))
        big.add((node, URIRef("http://example.org/q"), Literal(f"b{i}")))
    small = {
        f"http://example.org/graph/{i}": Graph().add(
            (URIRef(f"http://example.org/t{i}"), URIRef("http://example.org/p"), Literal(i))
        )
        for i in range(600)
    }
    store.replace_graphs({"http://example.org/graph/big": big, **small})
    assert isomorphic(store.read_graph("http://example.org/graph/big"), big)
    names = store.graph_names()
    assert len(names) == 601 and names == sorted(names)
    assert store.triple_count() == 1900
    quads = _quads(store)
    assert len(quads) == 1900
    assert sum(1 for q in quads if q.endswith("<http://example.org/graph/big> .")) == 1300
    store.clear()
