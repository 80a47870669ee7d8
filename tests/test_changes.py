"""The change feed over real HTTP: LDES and Activity Streams, and replaying it rebuilds the graph.

The world is written the ways a store is written: the reference data load (records and
vocabularies), a bulk load of synthetic
members, submissions (created, updated), a Graph Store PUT and a DELETE. The record graphs are
copied after each step; replaying the feed up to the versions of that moment must give the copy.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV, RDF

from ccn_graph import history
from ccn_graph.importers import generate, loading
from ccn_graph.model.iris import STORE_STATE_GRAPH, entity_for_record, provenance_graph_prefix
from server.changes import FEED_PAGE

from .conftest import BASE
from .test_submissions import gsp, member, steward_world, submit

CCN = Namespace("https://w3id.org/ccn-graph/ontology#")
LDES = Namespace("https://w3id.org/ldes#")
TREE = Namespace("https://w3id.org/tree#")


def record_graphs(store) -> dict[str, Graph]:
    """Every graph of the store's data, whole: the records and the vocabularies (not the service's
    own: provenance and versions, the store state, the history's count)."""
    out: dict[str, Graph] = {}
    for row in store.select("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"):
        graph = str(row["g"])
        if graph.startswith(provenance_graph_prefix(BASE)) or graph in (
            STORE_STATE_GRAPH,
            history.HISTORY_GRAPH,
        ):
            continue
        out.setdefault(graph, Graph()).add((row["s"], row["p"], row["o"]))
    assert f"{BASE}graph/ontology" in out and any(entity_for_record(BASE, g) for g in out)
    return out


@pytest.fixture(scope="module")
def world(managed_server, tmp_path_factory):
    app, store, tokens, _ = steward_world(managed_server, tmp_path_factory)
    moments = [(history.count(store), record_graphs(store))]
    path = tmp_path_factory.mktemp("feed") / "members.nq"
    with path.open("w") as out:
        generate.write_nquads(out, 70, 1, BASE)
    loading.load_file(store, path, BASE)
    moments.append((history.count(store), record_graphs(store)))
    for step in (
        lambda: submit(app, member("feed-a", "Feed Lab A"), tokens["ro"]),
        lambda: submit(app, member("feed-b", "Feed Lab B"), tokens["ro"]),
        lambda: submit(app, member("feed-a", "Feed Lab A, renamed"), tokens["ro"]),
        lambda: gsp(
            app,
            "PUT",
            f"{BASE}graph/member/feed-b",
            member("feed-b", "Feed Lab B, put"),
            token=tokens["ro"],
        ),
        lambda: gsp(app, "DELETE", f"{BASE}graph/member/feed-a", token=tokens["ro"]),
    ):
        assert step().status_code in (201, 204)
        moments.append((history.count(store), record_graphs(store)))
    yield app, store, moments, tokens
    app.close()


def local(iri: str) -> str:
    """The path on the test server of an IRI minted under BASE."""
    assert iri.startswith(BASE), iri
    return "/" + iri[len(BASE) :]


def read_feed(app) -> list[dict]:
    """Every member of the feed, following the stream's view and the pages' relations (Turtle)."""
    root = Graph().parse(
        data=app.get("/changes", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    stream = URIRef(f"{BASE}changes")
    assert (stream, RDF.type, LDES.EventStream) in root
    assert root.value(stream, LDES.timestampPath) == PROV.generatedAtTime
    assert root.value(stream, LDES.versionOfPath) == DCTERMS.isVersionOf
    page, members, seen, floor = root.value(stream, TREE.view), [], 0, None
    while page is not None:
        seen += 1
        response = app.get(local(str(page)), headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        graph = Graph().parse(data=response.text, format="turtle")
        assert (page, RDF.type, TREE.Node) in graph
        found = []
        for node in graph.objects(stream, TREE.member):
            snapshot = graph.value(node, CCN.snapshot)
            found.append(
                {
                    "sequence": int(graph.value(node, CCN.sequence)),
                    "graph": str(graph.value(node, CCN.versionOf)),
                    "kind": graph.value(node, CCN.change),
                    "time": graph.value(node, PROV.generatedAtTime).toPython(),
                    "content": history.parse_snapshot(str(snapshot))
                    if snapshot is not None
                    else None,
                }
            )
        if floor is not None:
            assert all(m["time"] >= floor for m in found)
        members += found
        relations = list(graph.objects(page, TREE.relation))
        assert len(relations) <= 1
        if relations:
            assert (relations[0], RDF.type, TREE.GreaterThanOrEqualToRelation) in graph
            assert graph.value(relations[0], TREE.path) == PROV.generatedAtTime
            floor = graph.value(relations[0], TREE.value).toPython()
            assert all(m["time"] <= floor for m in found)
            assert len(found) == FEED_PAGE and "immutable" in response.headers["Cache-Control"]
            page = graph.value(relations[0], TREE.node)
        else:
            assert "immutable" not in response.headers["Cache-Control"]
            page = None
    assert seen >= 2, "the world should fill more than one page"
    return sorted(members, key=lambda m: m["sequence"])


def replay(members: list[dict]) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for m in members:
        if m["kind"] == CCN.Deleted:
            graphs.pop(m["graph"], None)
        else:
            graphs[m["graph"]] = m["content"]
    return graphs


def same(a: dict[str, Graph], b: dict[str, Graph]) -> bool:
    return set(a) == set(b) and all(isomorphic(a[g], b[g]) for g in a)


def test_replaying_the_feed_rebuilds_the_graph_and_any_prefix_the_graph_then(world):
    app, store, moments, _ = world
    members = read_feed(app)
    assert [m["sequence"] for m in members] == list(range(1, len(members) + 1))
    assert len(members) == history.count(store) >= FEED_PAGE + 1
    assert same(replay(members), record_graphs(store))
    assert len(moments) == 7
    for count, graphs in moments:
        assert same(replay(members[:count]), graphs), count
    kinds = {str(m["kind"]) for m in members}
    assert kinds == {str(CCN.Created), str(CCN.Updated), str(CCN.Deleted)}


def test_the_same_feed_as_activity_streams(world):
    app, store, *_ = world
    root = app.get("/changes", headers={"Accept": "application/activity+json"})
    assert root.headers["Content-Type"].startswith("application/activity+json")
    collection = root.json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == history.count(
        store
    )
    items, page = [], collection["first"]["id"]
    while page:
        body = app.get(local(page), headers={"Accept": "application/activity+json"}).json()
        assert body["type"] == "OrderedCollectionPage" and body["partOf"] == collection["id"]
        items += body["orderedItems"]
        page = body.get("next")
    assert len(items) == collection["totalItems"]
    turtle = read_feed(app)
    names = {str(CCN.Created): "Create", str(CCN.Updated): "Update", str(CCN.Deleted): "Delete"}
    assert [i["type"] for i in items] == [names[str(m["kind"])] for m in turtle]
    renamed = [i for i in items if i["object"]["id"] == f"{BASE}id/member/feed-a"]
    assert [i["type"] for i in renamed] == ["Create", "Update", "Delete"]
    assert renamed[0]["object"]["url"] == f"{BASE}doc/member/feed-a/version/1"
    assert all(i["actor"].startswith(f"{BASE}id/") for i in renamed)
    html = app.get("/changes/1", headers={"Accept": "text/html"})
    assert (
        html.headers["Content-Type"].startswith("text/html")
        and "Every version of every record" in html.text
    )


def test_the_catalogue_and_void_name_the_feed(world):
    app, *_ = world
    catalogue = Graph().parse(
        data=app.get("/catalog", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    feed = URIRef(f"{BASE}id/service/changes")
    assert catalogue.value(feed, URIRef("http://www.w3.org/ns/dcat#endpointURL")) == URIRef(
        f"{BASE}changes"
    )
    assert (
        URIRef(f"{BASE}id/catalog"),
        URIRef("http://www.w3.org/ns/dcat#service"),
        feed,
    ) in catalogue
    void = Graph().parse(
        data=app.get("/.well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    assert (
        URIRef(f"{BASE}id/dataset/graph"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
        URIRef(f"{BASE}changes"),
    ) in void
    assert Literal("CCN Graph change feed", lang="en") in set(
        catalogue.objects(feed, DCTERMS.title)
    )


def test_full_pages_never_change(world):
    """(Last: it writes.)"""
    app, store, _, tokens = world
    before = app.get("/changes/1", headers={"Accept": "text/turtle"})
    assert "max-age=31536000" in before.headers["Cache-Control"]
    count = history.count(store)
    assert submit(app, member("feed-c", "Feed Lab C"), tokens["ro"]).status_code == 201
    assert history.count(store) == count + 1
    after = app.get("/changes/1", headers={"Accept": "text/turtle"})
    assert before.text == after.text
    last = history.count(store) // FEED_PAGE + 1
    newest = app.get(f"/changes/{last}")
    assert newest.status_code == 200 and "max-age=5" in newest.headers["Cache-Control"]
    assert f"{BASE}id/member/feed-c" in newest.text
    assert app.get(f"/changes/{last + 1}").status_code == 404
    assert app.get("/changes/0").status_code == 404
    # One URL per page: another script's digits (Werkzeug's <int:> took them) and numbers past
    # 64 bits are no page.
    for other in ("\u0661", "\uff11", "9" * 25):
        assert app.get(f"/changes/{other}").status_code == 404, other
