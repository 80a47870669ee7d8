"""One contract, every store class that runs here: the managed Oxigraph, a remote Oxigraph,
Virtuoso, embedded pyoxigraph, and the graph as it was (`PastStore`)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from ccn_graph.model.iris import InvalidIRI
from ccn_graph.rdfio import formats
from ccn_graph.store import StoreRequestError
from ccn_graph.store.past import PastStore

from .conftest import STORE_KINDS, clean_store, cli_env

EX = "http://example.org/"
G1 = f"{EX}graph/one"
G2 = f"{EX}graph/two"


class PastOfNow(PastStore):
    """The graph as it is now, read as the past is (a copy per moment, queried in a child), over
    an embedded store that takes the contract's writes: each write moves the moment on (a write
    without a version is not a moment of the history, so the copies go with it)."""

    writable = True

    def __init__(self, present, folder) -> None:
        super().__init__(
            present,
            EX,
            self._now(),
            folder,
            30,
            cli_env(CCN_BASE_IRI=EX, CCN_DATA_DIR=str(folder.parent)),
        )

    @staticmethod
    def _now() -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    def _update(self, update: str) -> None:
        self._moved()
        self.store._update(update)

    def _load_file(self, path, fmt, graph_iri) -> None:
        self._moved()
        self.store._load_file(path, fmt, graph_iri)

    def _moved(self) -> None:
        self.when = self._now()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(params=[*STORE_KINDS, "past"])
def store(request, tmp_path):
    if request.param == "past":
        from ccn_graph.store import EmbeddedStore

        store = PastOfNow(EmbeddedStore(), tmp_path / "past")
    else:
        store = clean_store(request, request.param)
    yield store
    store.close()


def turtle(text: str) -> Graph:
    return Graph().parse(data=f"@prefix ex: <{EX}> .\n{text}", format="turtle")


def seed(store) -> None:
    store.write_state(EX, "test")
    store.replace_graphs(
        {
            G1: turtle(
                'ex:a ex:name "Alpha"@en ; ex:knows ex:b . ex:a ex:note [ ex:text "owned" ] .'
            ),
            G2: turtle('ex:b ex:name "Beta" ; ex:size 3 .'),
        }
    )


def test_select_binds_values_and_returns_terms(store):
    seed(store)
    rows = store.select(
        "SELECT ?name WHERE { ?s <http://example.org/name> ?name }", {"s": URIRef(f"{EX}a")}
    )
    assert rows == [{"name": Literal("Alpha", lang="en")}]


def test_default_graph_is_the_union_of_named_graphs(store):
    seed(store)
    rows = store.select("SELECT ?s WHERE { ?s <http://example.org/name> ?n } ORDER BY ?s")
    assert [str(r["s"]) for r in rows] == [f"{EX}a", f"{EX}b"]


def test_ask(store):
    seed(store)
    assert store.ask("ASK { ?s <http://example.org/size> 3 }") is True
    assert store.ask("ASK { ?s <http://example.org/size> ?v }", {"v": Literal(4)}) is False


def test_construct_returns_graph_with_blank_nodes(store):
    seed(store)
    graph = store.construct(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef(G1)}
    )
    expected = turtle(
        'ex:a ex:name "Alpha"@en ; ex:knows ex:b . ex:a ex:note [ ex:text "owned" ] .'
    )
    assert isomorphic(graph, expected)


def test_read_graph_and_graph_names(store):
    seed(store)
    assert isomorphic(store.read_graph(G2), turtle('ex:b ex:name "Beta" ; ex:size 3 .'))
    assert len(store.read_graph(f"{EX}graph/none")) == 0
    names = store.graph_names()
    assert G1 in names and G2 in names
    some = store.some_graph_names(1)
    assert len(some) == 1 and set(some) <= set(names)
    assert set(store.some_graph_names(len(names) + 5)) == set(names)
    # A graph emptied by DELETE is not listed, though a store may keep its name.
    store.update(f"DELETE WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }}")
    assert G2 not in store.some_graph_names(len(names) + 5)
    assert G2 not in store.graph_names()


def test_replace_graphs_replaces_whole_graphs(store):
    seed(store)
    store.replace_graphs({G1: turtle('ex:c ex:name "Gamma" .'), G2: Graph()})
    assert isomorphic(store.read_graph(G1), turtle('ex:c ex:name "Gamma" .'))
    assert len(store.read_graph(G2)) == 0
    assert G2 not in store.graph_names()


def test_every_write_raises_the_data_version(store):
    seed(store)
    before = store.state().data_version
    store.update(
        "INSERT DATA { GRAPH <http://example.org/graph/one> { "
        "<http://example.org/x> <http://example.org/p> 1 } }"
    )
    store.replace_graphs({G2: turtle("ex:y ex:p 2 .")})
    assert store.state().data_version == before + 2


def test_failed_update_writes_nothing(store):
    seed(store)
    before = store.state().data_version
    count = store.triple_count()
    with pytest.raises(StoreRequestError):
        store.update(
            "INSERT DATA { GRAPH <http://example.org/graph/one> { "
            "<http://example.org/x> <http://example.org/p> 1 } } ; THIS IS NOT SPARQL"
        )
    assert store.triple_count() == count
    assert store.state().data_version == before


def test_a_hostile_literal_stays_a_literal(store):
    seed(store)
    hostile = 'x" } ; DROP ALL ; INSERT DATA { <http://e/p> <http://e/q> "'
    store.update(
        "INSERT DATA { GRAPH ?g { <http://example.org/z> <http://example.org/v> ?value } }",
        {"g": URIRef(G1), "value": Literal(hostile)},
    )
    rows = store.select("SELECT ?v WHERE { <http://example.org/z> <http://example.org/v> ?v }")
    assert rows == [{"v": Literal(hostile)}]
    assert store.ask('ASK { ?s <http://example.org/name> "Beta" }')


def test_a_hostile_iri_is_refused_before_reaching_the_store(store):
    with pytest.raises(InvalidIRI):
        store.select(
            "SELECT * WHERE { ?s ?p ?o }", {"s": URIRef("http://e/> } ; DROP ALL ; <http://e/")}
        )


def test_invalid_query_is_a_request_error(store):
    with pytest.raises(StoreRequestError):
        store.select("SELECT WHERE {")


@pytest.mark.parametrize("fmt", formats.RESULT_FORMATS, ids=lambda f: f.suffix)
def test_query_stream_passes_results_through_in_each_format(store, fmt):
    seed(store)
    stream = store.query_stream(
        "SELECT ?n WHERE { ?s <http://example.org/name> ?n } ORDER BY ?n", fmt.media_type
    )
    assert stream.media_type == fmt.media_type
    body = stream.read().decode("utf-8")
    assert "Alpha" in body and "Beta" in body
    if fmt is formats.SPARQL_JSON:
        assert len(json.loads(body)["results"]["bindings"]) == 2


@pytest.mark.parametrize(
    "fmt",
    [formats.TURTLE, formats.N_TRIPLES, formats.RDF_XML, formats.JSON_LD],
    ids=lambda f: f.suffix,
)
def test_query_stream_serialises_graphs_in_each_format(store, fmt):
    seed(store)
    stream = store.query_stream(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://example.org/graph/two> { ?s ?p ?o } }",
        fmt.media_type,
    )
    assert stream.media_type == fmt.media_type
    graph = Graph().parse(data=stream.read().decode("utf-8"), format=fmt.rdflib_name)
    assert isomorphic(graph, turtle('ex:b ex:name "Beta" ; ex:size 3 .'))


def test_load_file_replaces_the_graph(store, tmp_path):
    seed(store)
    path = tmp_path / "bulk.nt"
    path.write_text("".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n' for i in range(1000)))
    store.load_file(path, formats.N_TRIPLES, G1)
    store.load_file(path, formats.N_TRIPLES, G1)
    assert len(store.read_graph(G1)) == 1000
    assert len(store.read_graph(G2)) == 2


def test_state_and_status(store):
    assert store.state() is None
    store.write_state(EX, "ref-1")
    state = store.state()
    assert (state.base_iri, state.reference_version) == (EX, "ref-1")
    status = store.status()
    assert status.reachable and status.state == state
    # The state graph is counted where it is kept: the past's copies leave it out.
    assert status.triples == store.triple_count() >= (1 if store.has_state_graph else 0)


def test_clear_empties_everything(store):
    seed(store)
    store.clear()
    assert store.triple_count() == 0
    assert store.state() is None


def test_load_file_adds_a_dataset_to_the_graphs_it_names(store, tmp_path):
    seed(store)
    path = tmp_path / "bulk.nq"
    path.write_text(
        "".join(f'<{EX}s{i}> <{EX}p> "{i}" <{EX}graph/q{i % 3}> .\n' for i in range(300))
    )
    store.load_file(path, formats.N_QUADS)
    store.load_file(path, formats.N_QUADS)
    assert [len(store.read_graph(f"{EX}graph/q{i}")) for i in range(3)] == [100, 100, 100]
    assert len(store.read_graph(G2)) == 2


def test_dataset_stream_gives_every_quad(store):
    from ccn_graph.sparql import results

    seed(store)
    quads = [
        results.parse_nq_line(line) for line in results.read_lines(store.dataset_stream().chunks)
    ]
    quads = [q for q in quads if q is not None]
    graphs = {q[3][1] for q in quads if q[3] is not None}
    assert {G1, G2} <= graphs
    assert len([q for q in quads if q[3] is not None and q[3][1] in (G1, G2)]) == 6
