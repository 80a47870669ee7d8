"""Reference data: resolved against the base, split into record graphs, loaded idempotently."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ccn_graph.importers import loading
from ccn_graph.model import reference
from ccn_graph.model.iris import graph_iri

BASE = "http://ccn.test/"
TRIPLES_BY_GRAPH = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@pytest.mark.fast
def test_reference_graphs_use_the_base_and_have_the_fixed_graphs():
    graphs = reference.reference_graphs(BASE)
    assert graph_iri(BASE, "ontology") in graphs
    assert graph_iri(BASE, "shapes") in graphs
    centre = graphs[f"{BASE}graph/centre/eccc"]
    assert (URIRef(f"{BASE}id/centre/eccc"), None, None) in centre
    for iri, graph in graphs.items():
        assert iri.startswith(f"{BASE}graph/")
        assert len(graph) > 0, iri


@pytest.mark.fast
def test_another_base_gives_other_iris():
    graphs = reference.reference_graphs("https://other.example/ccn/")
    assert "https://other.example/ccn/graph/centre/eccc" in graphs
    assert not any(BASE in str(t) for g in graphs.values() for triple in g for t in triple)


@pytest.mark.fast
def test_split_records_gives_owned_blank_nodes_to_their_record():
    data = Graph().parse(
        data=f"""@prefix ex: <http://e/> .
        <{BASE}id/ncc/ro> ex:address [ ex:city "Bucharest" ; ex:geo [ ex:lat 44 ] ] .
        <{BASE}id/ncc/be> ex:name "B" .
        <{BASE}id/ncc/be#contact> ex:mail "m" .""",
        format="turtle",
    )
    records = reference.split_records(data, BASE)
    assert set(records) == {f"{BASE}graph/ncc/ro", f"{BASE}graph/ncc/be"}
    assert len(records[f"{BASE}graph/ncc/ro"]) == 4
    assert len(records[f"{BASE}graph/ncc/be"]) == 2


@pytest.mark.parametrize(
    "turtle, message",
    [
        ('<http://elsewhere/x> <http://e/p> "v" .', "not an instance IRI"),
        ('[] <http://e/p> "orphan" .', "belongs to 0 records"),
        (
            f"<{BASE}id/a/1> <http://e/p> _:b . <{BASE}id/a/2> <http://e/p> _:b . "
            "_:b <http://e/q> 1 .",
            "belongs to 2",
        ),
    ],
)
@pytest.mark.fast
def test_split_records_refuses_what_belongs_to_no_single_record(turtle, message):
    with pytest.raises(reference.ReferenceDataError, match=message):
        reference.split_records(Graph().parse(data=turtle, format="turtle"), BASE)


@pytest.mark.fast
def test_reference_version_is_stable():
    assert reference.reference_version() == reference.reference_version()
    assert reference.reference_version().startswith("sha256:")


def test_load_is_idempotent_and_records_the_state(store):
    first = loading.load_reference_data(store, BASE)
    triples = store.triple_count()
    graphs = store.graph_names()
    second = loading.load_reference_data(store, BASE)
    assert store.triple_count() == triples and store.graph_names() == graphs
    assert second.data_version > first.data_version
    state = store.state()
    assert state.base_iri == BASE and state.reference_version == reference.reference_version()
    expected = reference.reference_graphs(BASE)
    for iri, graph in expected.items():
        assert isomorphic(store.read_graph(iri), graph), iri


def test_load_for_another_base_needs_reset(store):
    loading.load_reference_data(store, BASE)
    other = "https://other.example/"
    with pytest.raises(loading.BaseMismatch) as info:
        loading.load_reference_data(store, other)
    assert "--reset" in str(info.value) and BASE in str(info.value)
    assert store.state().base_iri == BASE
    loading.load_reference_data(store, other, reset=True)
    assert store.state().base_iri == other
    assert not any(g.startswith(BASE) for g in store.graph_names())


def test_load_file_picks_format_from_suffix(store, tmp_path):
    path = tmp_path / "extra.ttl"
    path.write_text('<http://e/s> <http://e/p> "o" .')
    graph = loading.load_file(store, path, BASE)
    assert graph == f"{BASE}graph/load/extra"
    assert len(store.read_graph(graph)) == 1
    with pytest.raises(ValueError, match="suffix"):
        loading.load_file(store, tmp_path / "data.csv", BASE)


def test_generated_members_load_into_their_own_record_graphs(store, tmp_path):

    from ccn_graph.importers import generate

    loading.load_reference_data(store, BASE)
    path = tmp_path / "members.nq"
    with path.open("w") as out:
        generate.write_nquads(out, 20, 5, BASE)
    assert loading.load_file(store, path, BASE) is None
    graphs = [g for g in store.graph_names() if g.startswith(f"{BASE}graph/synthetic-member/")]
    assert len(graphs) == 20
    rows = store.select(
        "SELECT (COUNT(?m) AS ?n) WHERE { "
        "?m a <https://w3id.org/ccn-graph/ontology#CommunityMember> ; "
        "<https://w3id.org/ccn-graph/ontology#synthetic> true }"
    )
    assert int(rows[0]["n"]) == 20


def test_a_bulk_load_keeps_its_provenance_in_graphs_of_bounded_size(store, tmp_path, monkeypatch):
    """One activity per `RECORDS_PER_ACTIVITY` records, each in its graph: no graph of a load
    grows with the file, and every record still has its version and the activity that made it."""
    from ccn_graph import history
    from ccn_graph.importers import generate
    from ccn_graph.model.iris import provenance_graph_prefix

    monkeypatch.setattr(loading, "RECORDS_PER_ACTIVITY", 6)
    loading.load_reference_data(store, BASE)
    before = set(store.graph_names())
    path = tmp_path / "members.nq"
    with path.open("w") as out:
        generate.write_nquads(out, 20, 5, BASE)
    loading.load_file(store, path, BASE)
    sizes = {str(row["g"]): int(row["triples"]) for row in store.select(TRIPLES_BY_GRAPH)}
    loads = [g for g in sizes if g.startswith(provenance_graph_prefix(BASE)) and g not in before]
    assert len(loads) >= 4
    # Eight triples per record's version, one of its activity's, and the activity's own three.
    assert max(sizes[g] for g in loads) <= 6 * 10 + 4
    members = [g for g in sizes if g.startswith(f"{BASE}graph/synthetic-member/")]
    assert len(members) == 20
    for graph in members:
        (kept,) = history.versions(store, graph)
        assert kept.activity and store.ask(
            "ASK { ?a <http://www.w3.org/ns/prov#generated> ?g }",
            {"a": URIRef(kept.activity), "g": URIRef(graph)},
        )
    # The parts number their versions on from each other: no gap, no number twice.
    total = history.count(store)
    assert [v.sequence for v in history.by_sequence(store, 1, total)] == list(range(1, total + 1))
