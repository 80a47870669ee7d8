"""The clients people use, against `ccn-graph serve` as deployed (gunicorn, the managed store):
SPARQLWrapper and rdflib's `SPARQLStore` for queries, `memento_client` for history, rdflib reading
dumps over HTTP, and what harvesters and linked-data clients follow (catalogue IRIs, pages,
VoID)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from memento_client import MementoClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID, XSD
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from ccn_graph.model.stewards import Stewards
from ccn_graph.publish.catalogue import PROFILES

from .test_service import Service
from .test_submissions import member

PREFIXES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX ccn: <https://w3id.org/ccn-graph/ontology#>
"""

#: A word of each official language of the EU, with the letters that language adds to ASCII.
WORDS = {
    "bg": "Киберсигурност",
    "cs": "kybernetická bezpečnost",
    "da": "cybersikkerhed på Ærø",
    "de": "Cybersicherheitsbehörde Straße",
    "el": "Κυβερνοασφάλεια",
    "en": "cybersecurity",
    "es": "ciberseguridad en España",
    "et": "küberturvalisus ja õigus",
    "fi": "kyberturvallisuus Jyväskylässä",
    "fr": "cybersécurité à Besançon",
    "ga": "cibearshlándáil na hÉireann",
    "hr": "kibernetička sigurnost u Đakovu",
    "hu": "kiberbiztonsági szűrő és őr",
    "it": "sicurezza informatica all'università",
    "lt": "kibernetinis saugumas ąčęėįšųūž",
    "lv": "kiberdrošība un ģimene",
    "mt": "iċ-ċibersigurtà u ħbieb",
    "nl": "cyberbeveiliging coördinatie",
    "pl": "cyberbezpieczeństwo w Łodzi",
    "pt": "cibersegurança em São Tomé",
    "ro": "securitate cibernetică în țară și",
    "sk": "kybernetická bezpečnosť ľudí",
    "sl": "kibernetska varnost in žaba",
    "sv": "cybersäkerhet för Malmö",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`ccn-graph serve` over the reference data, one member written three times (so it has
    three versions), a Romanian steward's token."""
    data_dir = tmp_path_factory.mktemp("clients") / "data"
    data_dir.mkdir()
    token = Stewards(data_dir).add("NCC Romania", ("RO",))
    service = Service(data_dir, CCN_BASE_IRI="{url}/", CCN_DUMPS_EVERY="1")
    try:
        service.wait_healthy(timeout=120)
        service.base = f"{service.url}/"
        for name in ("Lab One", "Lab Two", "Lab Three"):
            # Memento dates have whole seconds: one version a second, each reachable by date.
            time.sleep(1.05)
            response = requests.post(
                f"{service.url}/submissions",
                data=member("client-lab", name).encode(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "text/turtle",
                    "Accept": "application/json",
                },
                timeout=60,
            )
            assert response.status_code in (200, 201), response.text
        yield service, token
    finally:
        service.stop()


def wrapper(service, query: str, method: str | None = None) -> dict:
    client = SPARQLWrapper(f"{service.url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    if method:
        client.setMethod(method)
    return client.queryAndConvert()


def count(service, query: str) -> int:
    rows = wrapper(service, query)["results"]["bindings"]
    return int(rows[0]["n"]["value"])


def test_generic_clients_find_things_by_the_standard_types(served):
    service, _ = served
    concepts = count(service, PREFIXES + "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?c a skos:Concept }")
    organisations = count(
        service, PREFIXES + "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?o a org:Organization }"
    )
    agents = count(service, PREFIXES + "SELECT (COUNT(DISTINCT ?a) AS ?n) { ?a a foaf:Agent }")
    assert concepts >= 238 and organisations >= 28 and agents >= 28
    # Each NCC, the member written above included, is found as an organisation.
    nccs = count(
        service,
        PREFIXES
        + "SELECT (COUNT(DISTINCT ?o) AS ?n) "
        + "{ ?o a ccn:NationalCoordinationCentre, org:Organization, foaf:Agent }",
    )
    assert nccs >= 27
    members = count(
        service,
        PREFIXES + "SELECT (COUNT(*) AS ?n) { ?m a ccn:CommunityMember, org:Organization }",
    )
    assert members == 1


def _update(service, token: str, text: str, form: bool) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if form:
        return requests.post(
            f"{service.url}/update", data={"update": text}, headers=headers, timeout=60
        )
    headers["Content-Type"] = "application/sparql-update; charset=utf-8"
    return requests.post(
        f"{service.url}/update", data=text.encode("utf-8"), headers=headers, timeout=60
    )


def _labels_update(service, langs: list[str]) -> str:
    entity = f"<{service.base}id/member/client-lab>"
    labels = ", ".join(f'"{WORDS[lang]}"@{lang}' for lang in langs)
    graph = f"<{service.base}graph/member/client-lab>"
    return PREFIXES + f"INSERT {{ GRAPH {graph} {{ {entity} skos:altLabel {labels} }} }} WHERE {{}}"


def _found(service, word: str, how: str) -> list[str]:
    query = (
        PREFIXES
        + "SELECT ?m ?l WHERE { ?m skos:altLabel ?l "
        + f'FILTER(CONTAINS(STR(?l), "{word}")) }}'
    )
    accept = {"Accept": "application/sparql-results+json"}
    url = f"{service.url}/sparql"
    if how == "get":
        response = requests.get(url, params={"query": query}, headers=accept, timeout=30)
    elif how == "form":
        response = requests.post(url, data={"query": query}, headers=accept, timeout=30)
    else:
        response = requests.post(
            url,
            data=query.encode("utf-8"),
            headers={**accept, "Content-Type": "application/sparql-query"},
            timeout=30,
        )
    assert response.status_code == 200, (how, word, response.text)
    return [row["l"]["value"] for row in response.json()["results"]["bindings"]]


def test_every_eu_language_by_get_post_form_and_post_direct(served):
    service, token = served
    langs = sorted(WORDS)
    assert len(langs) == 24
    # Half the labels written by a form, half by a direct body: both carry UTF-8.
    for part, form in ((langs[:12], True), (langs[12:], False)):
        response = _update(service, token, _labels_update(service, part), form)
        assert response.status_code in (200, 201), response.text
    for lang, word in WORDS.items():
        for how in ("get", "form", "direct"):
            assert _found(service, word, how) == [word], (lang, how)


def _long_query(service, size: int) -> str:
    """A query of about `size` bytes that asks for the NCC of Romania, made long by a comment
    line of ASCII letters (as generated queries are, with long VALUES lists)."""
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    core = PREFIXES + f"SELECT ?l WHERE {{ <{service.base}id/ncc/ro> {label} ?l }}\n"
    padding = "# " + "x" * max(0, size - len(core) - 3) + "\n"
    return padding + core


def test_long_queries_by_get_with_sparqlwrapper_and_sparqlstore(served):
    service, _ = served
    query = _long_query(service, 40_000)
    assert len(query.encode()) > 3 * 8190
    rows = wrapper(service, query)["results"]["bindings"]
    assert rows and all(row["l"]["type"] == "literal" for row in rows)
    store = SPARQLStore(f"{service.url}/sparql", method="GET")
    labels = {str(row[0]) for row in store.query(query)}
    assert labels == {row["l"]["value"] for row in rows}
    # Beyond CCN_QUERY_MAX_BYTES the endpoint itself says so, by GET as by POST.
    too_long = _long_query(service, 100_500)
    for response in (
        requests.get(f"{service.url}/sparql", params={"query": too_long}, timeout=30),
        requests.post(f"{service.url}/sparql", data={"query": too_long}, timeout=30),
    ):
        assert response.status_code == 413, response.text[:200]
    assert wrapper(service, _long_query(service, 3_000), POST)["results"]["bindings"] == rows


def test_mementos_with_memento_client(served):
    service, _ = served
    original = f"{service.url}/doc/member/client-lab"
    timemap = requests.get(
        f"{service.url}/timemap/member/client-lab", headers={"Accept": "application/json"}
    ).json()
    mementos = timemap["mementos"]["list"]
    assert len(mementos) >= 3  # the fixture's three writes (and any update of the tests before)
    times = [dt.datetime.strptime(m["datetime"], "%Y-%m-%dT%H:%M:%SZ") for m in mementos]
    # Asked for a second, a TimeGate answers the last version made in it (HTTP dates have whole
    # seconds): the fixture's versions, a second apart, are each reached by their date.
    last_of_second = {when: memento["uri"] for when, memento in zip(times, mementos, strict=True)}
    assert len(last_of_second) >= 3
    client = MementoClient(timegate_uri=f"{service.url}/timegate/", check_native_timegate=True)
    for when, uri in last_of_second.items():
        info = client.get_memento_info(original, when)
        closest = info["mementos"]["closest"]
        assert closest["uri"][0] == uri, (when, info)
        assert urlsplit(info["timegate_uri"]).netloc
    native = client.get_native_timegate_uri(original, times[-1])
    assert native == f"{service.url}/timegate/member/client-lab"


def test_dumps_are_read_over_http_as_rdf(served):
    service, _ = served
    # rdflib reads a URL with urllib, which asks for no content coding: it gets the RDF itself.
    graph = Graph()
    graph.parse(f"{service.url}/dumps/member-state-ro.ttl.gz")
    assert (URIRef(f"{service.base}id/ncc/ro"), None, None) in graph
    # A client that takes gzip gets the file's own bytes, as its RDF type, gzip-coded.
    response = requests.get(f"{service.url}/dumps/graph.nq.gz", timeout=30)
    assert response.headers["Content-Type"] == "application/n-quads"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in response.headers["Vary"].lower()
    quads = [line for line in response.text.splitlines() if line.strip()]
    assert len(quads) > 3000 and all(line.endswith(" .") for line in quads)


def _catalogue(service, page: int | None = None, profile: str | None = None) -> Graph:
    params = {k: v for k, v in (("page", page), ("profile", profile)) if v}
    response = requests.get(f"{service.url}/catalog.ttl", params=params, timeout=60)
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format="turtle")


def test_every_iri_the_catalogue_mints_dereferences(served):
    service, _ = served
    graph = _catalogue(service)
    minted = {
        str(s).split("#", 1)[0]
        for s in graph.subjects()
        if isinstance(s, URIRef) and str(s).startswith(f"{service.base}id/")
    }
    assert len(minted) >= 1 + 31 + 31 * 3 + 1
    for iri in sorted(minted):
        response = requests.get(str(iri), headers={"Accept": "text/turtle"}, allow_redirects=False)
        assert response.status_code == 303, iri
        document = requests.get(f"{service.url}{response.headers['Location']}", timeout=60)
        assert document.status_code == 200, iri
        described = Graph().parse(data=document.text, format="turtle")
        assert (URIRef(iri), None, None) in described, iri
    # The dataset every entity document says it is in is one the catalogue and VoID describe.
    entity = Graph().parse(str(f"{service.base}doc/ncc/ro.ttl"), format="turtle")
    (dataset,) = set(entity.objects(None, VOID.inDataset))
    assert (dataset, RDF.type, DCAT.Dataset) in graph


def test_catalogue_pages_keep_the_profile_asked_for(served):
    service, _ = served
    page, seen = 1, 0
    while page:
        response = requests.get(
            f"{service.url}/catalog.ttl", params={"page": page, "profile": "2.1.1"}, timeout=60
        )
        assert response.headers["Content-Profile"] == f"<{PROFILES['2.1.1']}>"
        graph = Graph().parse(data=response.text, format="turtle")
        seen += len(set(graph.subjects(RDF.type, DCAT.Dataset)))
        view = URIRef(f"{service.base}catalog?page={page}&profile=2.1.1")
        assert (view, RDF.type, None) in graph
        following = graph.value(view, URIRef("http://www.w3.org/ns/hydra/core#next"))
        page = None
        if following is not None:
            query = dict(part.split("=") for part in urlsplit(str(following)).query.split("&"))
            assert query["profile"] == "2.1.1"
            page = int(query["page"])
    assert seen == 31


def test_a_member_state_iri_is_the_same_as_the_country_it_names(served):
    service, _ = served
    response = requests.get(
        f"{service.url}/id/member-state/at", headers={"Accept": "text/turtle"}, timeout=30
    )
    graph = Graph().parse(data=response.text, format="turtle")
    country = URIRef("http://publications.europa.eu/resource/authority/country/AUT")
    assert (URIRef(f"{service.base}id/member-state/at"), OWL.sameAs, country) in graph


def _endpoint_figures(service) -> dict:
    def one(query: str) -> int:
        return count(service, query)

    return {
        "triples": one("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
        "properties": one("SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"),
        "classes": one("SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }"),
        "entities": one("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c }"),
    }


def _void_figures(service) -> tuple[dict, dict]:
    graph = Graph().parse(f"{service.url}/void.ttl", format="turtle")
    dataset = URIRef(f"{service.base}id/dataset/graph")

    def value(p) -> int:
        return int(graph.value(dataset, p))

    partitions = {
        str(graph.value(part, VOID["class"])): int(graph.value(part, VOID.entities))
        for part in graph.objects(dataset, VOID.classPartition)
    }
    figures = {
        "triples": value(VOID.triples),
        "properties": value(VOID.properties),
        "classes": value(VOID.classes),
        "entities": value(VOID.entities),
    }
    return figures, partitions


def test_void_counts_equal_the_endpoint_it_names(served):
    service, _ = served
    deadline = time.monotonic() + 90
    while True:  # the dumps VoID is built from follow the last write within seconds
        figures, partitions = _void_figures(service)
        endpoint = _endpoint_figures(service)
        if figures == endpoint or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert figures == endpoint
    assert len(partitions) >= 20
    for cls, entities in partitions.items():
        asked = count(service, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{cls}> }}")
        assert entities == asked, cls


def test_the_service_description_after_a_write(served):
    service, token = served
    entity, graph_iri = (
        f"<{service.base}id/member/client-lab>",
        f"<{service.base}graph/member/client-lab>",
    )
    text = f'{PREFIXES} INSERT DATA {{ GRAPH {graph_iri} {{ {entity} skos:altLabel "CL"@en }} }}'
    response = _update(service, token, text, form=True)
    assert response.status_code in (200, 201), response.text
    description = requests.get(
        f"{service.url}/sparql", headers={"Accept": "text/turtle"}, timeout=60
    )
    assert description.status_code == 200
    graph = Graph().parse(data=description.text, format="turtle")
    names = set(graph.objects(None, URIRef("http://www.w3.org/ns/sparql-service-description#name")))
    assert URIRef(f"{service.base}graph/member/client-lab") in names and len(names) >= 40


def test_the_catalogue_by_accept_profile_with_what_portals_score(served):
    service, _ = served
    asked = requests.get(
        f"{service.url}/catalog.ttl",
        headers={"Accept-Profile": f"<http://example.org/other>, <{PROFILES['2.1.1']}>;q=0.9"},
        timeout=60,
    )
    assert asked.headers["Content-Profile"] == f"<{PROFILES['2.1.1']}>"
    assert "accept-profile" in asked.headers["Vary"].lower()
    default = requests.get(f"{service.url}/catalog.ttl", timeout=60)
    assert default.headers["Content-Profile"] == f"<{PROFILES['3.0.1']}>"
    graph = Graph().parse(data=default.text, format="turtle")
    authority = "http://publications.europa.eu/resource/authority/"
    licence = URIRef(authority + "licence/CC_BY_4_0")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    distributions = set(graph.subjects(RDF.type, DCAT.Distribution))
    assert len(datasets) == 31 and len(distributions) == 93
    public = URIRef(authority + "access-right/PUBLIC")
    stable = URIRef(authority + "planned-availability/STABLE")
    for dataset in datasets:
        assert (dataset, DCTERMS.license, licence) in graph
        assert (dataset, DCTERMS.accessRights, public) in graph
    for distribution in distributions:
        assert (distribution, URIRef("http://data.europa.eu/r5r/availability"), stable) in graph
    times = list(graph.objects(None, DCTERMS.modified)) + list(graph.objects(None, DCTERMS.issued))
    assert len(times) >= 31 * 4
    for when in times:
        if when.datatype == XSD.dateTime:
            assert when.toPython().tzinfo is not None, when


def test_ontology_and_shapes_revalidate_and_name_their_variants(served):
    service, _ = served
    for path in ("/ontology", "/shapes"):
        first = requests.get(f"{service.url}{path}", headers={"Accept": "text/turtle"})
        assert first.status_code == 200 and first.headers["ETag"]
        again = requests.get(
            f"{service.url}{path}",
            headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]},
        )
        assert again.status_code == 304
        alternates = {
            params["type"]
            for target, params in _links(first.headers["Link"])
            if params.get("rel") == "alternate" and urlsplit(target).netloc
        }
        assert {"application/ld+json", "application/rdf+xml", "text/html"} <= alternates


def test_scripts_of_other_sites_may_read_the_links(served):
    service, _ = served
    cases = (
        ("/doc/ncc/ro", {"Accept": "text/turtle"}, ("Link", "ETag")),
        ("/id/ncc/ro", {"Accept": "text/turtle"}, ("Location",)),
        ("/doc/member/client-lab/version/1", {"Accept": "text/turtle"}, ("Memento-Datetime",)),
        ("/catalog.ttl", {}, ("Content-Profile",)),
    )
    for path, headers, names in cases:
        response = requests.get(
            f"{service.url}{path}", headers=headers, allow_redirects=False, timeout=30
        )
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        exposed = {
            h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")
        }
        assert {n.lower() for n in names} <= exposed, path


def _links(header: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for target, params in re.findall(r"<([^>]*)>((?:\s*;\s*[a-z]+=\"[^\"]*\")*)", header):
        out.append((target, dict(re.findall(r'([a-z]+)="([^"]*)"', params))))
    return out


def test_link_traversal_reaches_the_nccs_from_the_network(served):
    """A link-traversal client reads RDF documents only: the Network's document names its NCCs
    (the links into it), and its JSON-LD is compacted with a context."""
    service, _ = served
    network = URIRef(f"{service.base}id/network/nccs")
    member_of = URIRef("http://www.w3.org/ns/org#memberOf")
    for media_type, parser in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = requests.get(
            f"{service.url}/id/network/nccs", headers={"Accept": media_type}, timeout=30
        )
        assert response.status_code == 200
        graph = Graph().parse(data=response.text, format=parser)
        nccs = set(graph.subjects(member_of, network))
        assert len(nccs) == 27, media_type
        if parser == "json-ld":
            document = response.json()
            assert document["@context"]["org"] == "http://www.w3.org/ns/org#"
            assert any("org:memberOf" in node for node in document["@graph"])


CLIENT_BIN = Path(__file__).parents[1] / "build" / "clients" / "node_modules" / ".bin"


def npm_client(name: str) -> str:
    """The command of an RDF client from npm, installed by `make test` (tests/clients/)."""
    path = CLIENT_BIN / name
    if not path.exists():
        message = f"{name} is not installed: `make test` installs it from npm (tests/clients/)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return str(path)


def _comunica(source: str, query: str) -> list[dict]:
    done = subprocess.run(
        [npm_client("comunica-sparql"), source, query, "-t", "application/sparql-results+json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)["results"]["bindings"]


def test_comunica_reads_dumps_over_http_and_queries_the_endpoint(served):
    service, _ = served

    def quads() -> int:
        text = requests.get(f"{service.url}/dumps/graph.nq.gz", timeout=60).text
        return len([line for line in text.splitlines() if line.strip()])

    # The dumps follow writes within a second: compare with a dump that held still meanwhile.
    for _ in range(10):
        before = quads()
        whole = _comunica(
            f"{service.url}/dumps/graph.nq.gz",
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        )
        if quads() == before:
            break
    assert int(whole[0]["n"]["value"]) == before > 4000
    turtle = _comunica(
        f"{service.url}/dumps/member-state-ro.ttl.gz", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    )
    expected = Graph().parse(f"{service.url}/dumps/member-state-ro.ttl.gz", format="turtle")
    assert int(turtle[0]["n"]["value"]) == len(expected) > 0
    # The endpoint as Comunica finds it by itself (no sparql@ hint): the service description.
    concepts = _comunica(
        f"{service.url}/sparql",
        "SELECT (COUNT(*) AS ?n) { ?c a <http://www.w3.org/2004/02/skos/core#Concept> }",
    )
    assert int(concepts[0]["n"]["value"]) >= 238


def test_ldes_client_replays_the_change_feed(served):
    service, _ = served
    done = subprocess.run(
        [npm_client("ldes-client"), f"{service.url}/changes"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sequences = set(re.findall(r"ontology#sequence> (\d+) \.", done.stdout))
    versions = count(
        service,
        PREFIXES + "SELECT (COUNT(DISTINCT ?v) AS ?n) { ?v a ccn:RecordVersion }",
    )
    assert versions >= 40
    assert {int(n) for n in sequences} == set(range(1, versions + 1))


def test_the_provenance_iris_dereference(served):
    """The IRIs the write path mints — versions, activities, stewards — lead to documents about
    them, as every IRI the service mints does."""
    service, _ = served
    rows = wrapper(
        service,
        PREFIXES
        + "PREFIX prov: <http://www.w3.org/ns/prov#> "
        + "SELECT ?v ?a ?who WHERE { ?v ccn:versionOf ?g ; prov:wasGeneratedBy ?a . "
        + "?a prov:wasAssociatedWith ?who "
        + f"FILTER(?g = <{service.base}graph/member/client-lab>) }} LIMIT 5",
    )["results"]["bindings"]
    assert rows
    minted = {row[k]["value"] for row in rows for k in ("v", "a", "who")}
    assert any("/id/steward/" in iri for iri in minted), minted
    for iri in sorted(minted):
        response = requests.get(iri, headers={"Accept": "text/turtle"}, allow_redirects=False)
        assert response.status_code == 303, (iri, response.status_code)
        document = requests.get(f"{service.url}{response.headers['Location']}", timeout=60)
        assert document.status_code == 200, iri
        assert (URIRef(iri), None, None) in Graph().parse(data=document.text, format="turtle")
