"""The DCAT-AP catalogue, VoID and dumps: official shapes, byte stability, paging, downloads."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
import requests
from rdflib import Dataset, Graph, URIRef, namespace
from rdflib.compare import isomorphic

from ccn_graph.importers import loading
from ccn_graph.model.stewards import Stewards
from ccn_graph.publish import dumps

from .conftest import BASE, loaded_site, suites_path
from .test_submissions import member

HYDRA = "http://www.w3.org/ns/hydra/core#"


@pytest.fixture(scope="module")
def site(managed_server, tmp_path_factory):
    app, store, data_dir = loaded_site(
        managed_server, tmp_path_factory, members=30, projects=0, dumps_every=0
    )
    token = Stewards(data_dir).add("NCC Romania", ("RO",))
    yield app, store, token
    app.close()


def catalogue(app, profile: str = "3.0.1") -> Graph:
    return Graph().parse(data=app.get(f"/catalog.nt?profile={profile}").text, format="nt")


def shapes(*paths) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="xml" if str(path).endswith(".rdf") else "turtle")
    return graph


def background() -> Graph:
    return shapes(*sorted(suites_path("dcat-ap", "background-knowledge").glob("*.ttl")))


V3 = ("dcat-ap", "3.0.1", "html-shacl")
PROFILES = {
    "3.0.1 base zero": ([V3 + ("shapes.ttl",)], False),
    "3.0.1 ranges zero": ([V3 + ("range.ttl",)], False),
    "3.0.1 base": ([V3 + ("shapes.ttl",)], True),
    "3.0.1 ranges": ([V3 + ("range.ttl",)], True),
    "3.0.1 recommendations": ([V3 + ("shapes_recommended.ttl",)], True),
    "3.0.1 full": (
        [
            V3 + (f,)
            for f in ("shapes.ttl", "range.ttl", "shapes_recommended.ttl", "deprecateduris.ttl")
        ],
        True,
    ),
    "2.1.1 full": (
        [
            ("dcat-ap", "2.1.1", f"dcat-ap_2.1.1_shacl_{f}.ttl")
            for f in ("shapes", "range", "shapes_recommended", "deprecateduris")
        ],
        True,
    ),
    "3.0.1 controlled vocabularies": ([V3 + ("mdr-vocabularies.shape.ttl",)], "tables"),
    "2.1.1 controlled vocabularies": (
        [("dcat-ap", "2.1.1", "dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl")],
        "tables",
    ),
}


def authority_tables() -> Graph:
    """The EU authority tables (compact) and ADMS SKOS: the background of the
    controlled-vocabulary profile."""
    folder = suites_path("eu-vocabularies", "authority-tables")
    graph = shapes(*sorted(folder.glob("*.compact.en.ttl")))
    graph.parse(folder / "original-rdfxml" / "ADMS_SKOS_v1.00.rdf", format="xml")
    assert len(graph) > 4000
    return graph


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_catalogue_has_no_violation_in_any_profile(site, profile):
    from pyshacl import validate

    app, *_ = site
    files, with_background = PROFILES[profile]
    data = catalogue(app, profile.split()[0])
    if with_background == "tables":
        # As the EU validator does, the tables are merged into the data graph. (pyshacl's own
        # ont_graph mixing clones the SKOS concept graph recursively, too slowly for a test.)
        data += authority_tables()
        background_graph = None
    else:
        background_graph = background() if with_background else None
    conforms, report, text = validate(
        data,
        shacl_graph=shapes(*(suites_path(*f) for f in files)),
        ont_graph=background_graph,
        inference="none",
        allow_warnings=True,
    )
    top = set(report.objects(None, namespace.SH.result))
    assert top or conforms
    violations = [
        r for r in top if report.value(r, namespace.SH.resultSeverity) == namespace.SH.Violation
    ]
    assert violations == [], text[:3000]


def test_the_same_state_gives_the_same_bytes(site):
    app, *_ = site
    for suffix in ("ttl", "nt", "jsonld", "rdf"):
        first, second = app.get(f"/catalog.{suffix}").content, app.get(f"/catalog.{suffix}").content
        assert first == second and len(first) > 10_000


def test_a_submission_changes_only_the_modified_of_its_datasets(site):
    app, store, token = site
    before = catalogue(app)
    response = requests.post(
        f"{app.url}/submissions",
        data=member("cat-lab").encode(),
        timeout=60,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        },
    )
    assert response.status_code == 201

    def modified(graph, name):
        return graph.value(URIRef(f"{BASE}id/dataset/{name}"), namespace.DCTERMS.modified)

    # The dumps of the new version are built in the background; until then the catalogue
    # describes the dumps last published.
    deadline = time.monotonic() + 60
    after = catalogue(app)
    while modified(after, "graph") == modified(before, "graph") and time.monotonic() < deadline:
        time.sleep(0.2)
        after = catalogue(app)

    assert modified(after, "member-state-ro") != modified(before, "member-state-ro")
    assert modified(after, "graph") != modified(before, "graph")
    for name in ("member-state-be", "member-state-de", "ontology", "taxonomy", "shapes"):
        assert modified(after, name) == modified(before, name), name


def test_every_download_and_the_endpoint_answer_200(site):
    app, *_ = site
    graph = catalogue(app)
    urls = set(graph.objects(None, namespace.DCAT.downloadURL)) | set(
        graph.objects(None, namespace.DCAT.endpointURL)
    )
    assert len(urls) >= 31 * 3 + 1
    for url in urls:
        path = str(url)[len(BASE) - 1 :]
        assert app.get(path).status_code == 200, path


def test_sizes_and_checksums_match_the_files(site):
    app, *_ = site
    graph = catalogue(app)
    spdx = "http://spdx.org/rdf/terms#"
    for dist in graph.subjects(namespace.RDF.type, namespace.DCAT.Distribution):
        path = str(graph.value(dist, namespace.DCAT.downloadURL))[len(BASE) - 1 :]
        # The file's bytes as sent, its gzip content coding not undone.
        body = app.get(path, stream=True).raw.read()
        assert int(graph.value(dist, namespace.DCAT.byteSize)) == len(body)
        checksum = graph.value(
            graph.value(dist, URIRef(spdx + "checksum")), URIRef(spdx + "checksumValue")
        )
        assert str(checksum) == hashlib.sha256(body).hexdigest()


def dump(app, name: str, media_type: str) -> str:
    """A dump as an HTTP client reads it: its RDF type, gzip as the content coding (undone by
    the client), the file's own gzip bytes on the wire."""
    response = app.get(f"/dumps/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.text


def test_dumps_hold_the_graph(site):
    app, store, _ = site
    dataset = Dataset()
    dataset.parse(data=dump(app, "graph.nq.gz", "application/n-quads"), format="nquads")
    graphs = {str(g) for _, _, _, g in dataset.quads((None, None, None, None))}
    assert (
        f"{BASE}graph/ncc/ro" in graphs and "https://w3id.org/ccn-graph/store-state" not in graphs
    )
    turtle = Graph().parse(data=dump(app, "member-state-ro.ttl.gz", "text/turtle"), format="turtle")
    assert (URIRef(f"{BASE}id/ncc/ro"), None, None) in turtle
    jsonld = Graph().parse(
        data=dump(app, "ontology.jsonld.gz", "application/ld+json"), format="json-ld"
    )
    assert len(jsonld) > 300
    assert app.get("/dumps/../stewards.json").status_code == 404


def test_paging_for_harvesters(site):
    app, *_ = site
    first = Graph().parse(data=app.get("/catalog.ttl?page=1").text, format="turtle")
    view = URIRef(f"{BASE}catalog?page=1")
    assert (view, namespace.RDF.type, URIRef(HYDRA + "PartialCollectionView")) in first
    assert (view, namespace.RDF.type, URIRef(HYDRA + "PagedCollection")) in first
    assert first.value(view, URIRef(HYDRA + "next")) == URIRef(f"{BASE}catalog?page=2")
    assert first.value(view, URIRef(HYDRA + "nextPage")) == URIRef(f"{BASE}catalog?page=2")
    total = int(first.value(view, URIRef(HYDRA + "totalItems")))
    seen = set()
    page = 1
    while True:
        graph = Graph().parse(data=app.get(f"/catalog.ttl?page={page}").text, format="turtle")
        datasets = set(graph.subjects(namespace.RDF.type, namespace.DCAT.Dataset))
        assert datasets and len(datasets) <= 10
        for dataset in datasets:
            assert graph.value(dataset, namespace.DCTERMS.title) is not None
        assert graph.value(URIRef(f"{BASE}id/catalog"), namespace.DCTERMS.publisher) is not None
        seen |= datasets
        if graph.value(URIRef(f"{BASE}catalog?page={page}"), URIRef(HYDRA + "next")) is None:
            break
        page += 1
    assert len(seen) == total == 31
    assert app.get("/catalog.ttl?page=99").status_code == 404


def test_void_describes_the_graph(site):
    app, store, _ = site
    for path in ("/void.ttl", "/.well-known/void"):
        graph = Graph().parse(
            data=app.get(path, headers={"Accept": "text/turtle"}).text, format="turtle"
        )
        dataset = URIRef(f"{BASE}id/dataset/graph")
        assert (dataset, namespace.RDF.type, namespace.VOID.Dataset) in graph
        assert int(graph.value(dataset, namespace.VOID.triples)) > 3000
        assert graph.value(dataset, namespace.VOID.sparqlEndpoint) == URIRef(f"{BASE}sparql")
        assert len(list(graph.objects(dataset, namespace.VOID.classPartition))) >= 15
        targets = {str(o) for o in graph.objects(None, namespace.VOID.objectsTarget)}
        assert "http://publications.europa.eu/resource/authority/" in targets
        assert (
            "http://eurovoc.europa.eu/" in targets and "http://www.wikidata.org/entity/" in targets
        )


@pytest.mark.fast
def test_rebuilds_are_paced(tmp_path):
    """A rebuild may start `CCN_DUMPS_EVERY` seconds after the previous one started, not sooner."""
    from ccn_graph.publish import dumps

    assert dumps.seconds_until_due(tmp_path, 60) == 0  # never built
    (tmp_path / ".started").touch()
    assert 58 < dumps.seconds_until_due(tmp_path, 60) <= 60
    assert dumps.seconds_until_due(tmp_path, 0) == 0
    old = time.time() - 61
    os.utime(tmp_path / ".started", (old, old))
    assert dumps.seconds_until_due(tmp_path, 60) == 0


@pytest.mark.fast
def test_a_build_removes_what_a_killed_build_left(tmp_path):
    from ccn_graph.store.embedded import EmbeddedStore

    store = EmbeddedStore()
    loading.load_reference_data(store, BASE)
    left = tmp_path / ".tmp-killed"
    left.mkdir()
    (left / "graph.nq.gz").write_bytes(b"half")
    manifest = dumps.build_dumps(store, BASE, tmp_path)
    assert not left.exists()
    assert manifest.version == store.state().data_version
    assert not list(tmp_path.glob(".tmp-*"))


AS = "https://www.w3.org/ns/activitystreams#"


def catalogue_changes(app) -> list[tuple[int, str, str, Graph]]:
    """(sequence, type, entity, description) of every activity of the catalogue's DCAT-AP Feed."""
    root = Dataset()
    root.parse(data=app.get("/catalog/feed").text, format="trig")
    view = root.value(URIRef(f"{BASE}catalog/feed"), URIRef("https://w3id.org/tree#view"))
    out, page = [], view
    while page is not None:
        response = app.get("/" + str(page)[len(BASE) :])
        assert response.status_code == 200 and response.headers["Content-Type"].startswith(
            "application/trig"
        )
        data = Dataset()
        data.parse(data=response.text, format="trig")
        for kind in ("Create", "Update", "Delete"):
            for node in data.subjects(namespace.RDF.type, URIRef(AS + kind)):
                out.append(
                    (
                        int(str(node).rsplit("/", 1)[1]),
                        kind,
                        str(data.value(node, URIRef(AS + "object"))),
                        Graph() + data.graph(node),
                    )
                )
        page = data.value(
            data.value(page, URIRef("https://w3id.org/tree#relation")),
            URIRef("https://w3id.org/tree#node"),
        )
    return sorted(out, key=lambda a: a[0])


def test_the_catalogue_publishes_its_own_changes_as_a_dcat_ap_feed(site):
    from ccn_graph.publish import catalogue_feed

    app, store, token = site
    before = catalogue_changes(app)
    assert len(before) >= 30 and {k for _, k, _, _ in before} >= {"Create"}
    assert f"{BASE}id/dataset/graph" in {e for _, _, e, _ in before}
    old_graph = catalogue(app).value(URIRef(f"{BASE}id/dataset/graph"), namespace.DCTERMS.modified)
    response = requests.post(
        f"{app.url}/submissions",
        data=member("feed-cat-lab").encode(),
        timeout=60,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        },
    )
    assert response.status_code == 201
    deadline = time.monotonic() + 60
    while (
        catalogue(app).value(URIRef(f"{BASE}id/dataset/graph"), namespace.DCTERMS.modified)
        == old_graph
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    after = catalogue_changes(app)
    new = after[len(before) :]
    assert [a[:3] for a in after[: len(before)]] == [a[:3] for a in before]
    changed = {e for _, k, e, _ in new if k == "Update"}
    assert {
        f"{BASE}id/dataset/graph",
        f"{BASE}id/dataset/member-state-ro",
        f"{BASE}id/catalog",
    } <= changed
    assert not {e for e in changed if "member-state-be" in e or "/dataset/ontology" in e}
    assert all(k == "Update" for _, k, _, _ in new)
    # Replaying the feed gives the entities of the catalogue as published.
    latest: dict[str, Graph] = {}
    for _, kind, entity, description in after:
        if kind == "Delete":
            latest.pop(entity, None)
        else:
            latest[entity] = description
    published = {
        e: Graph().parse(data=text, format="nt")
        for e, text in catalogue_feed.describe_entities(catalogue(app)).items()
    }
    assert set(latest) == set(published)
    assert all(isomorphic(latest[e], published[e]) for e in published)
