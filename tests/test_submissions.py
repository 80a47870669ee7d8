"""Steward submissions and /validate over real HTTP: auth, scope, the gate,
atomicity, concurrency."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from rdflib import Graph, URIRef

from ccn_graph.importers import loading
from ccn_graph.model.stewards import Stewards
from ccn_graph.settings import load_settings
from server import create_app

from .conftest import BASE, LiveApp, as_stored, cli_env, store_on

PREFIXES = """@prefix ccn: <https://w3id.org/ccn-graph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix country: <http://publications.europa.eu/resource/authority/country/> .
"""


def member(
    ref: str,
    name: str = "Example Lab",
    state: str = "ROU",
    ncc: str = "ro",
    category: bool = True,
    extra: str = "",
) -> str:
    m = f"<id/member/{ref}>"
    cat = "ccn:category <id/member-category/industry> ;" if category else ""
    return (
        PREFIXES
        + f"""
{m} a ccn:CommunityMember ;
    skos:prefLabel "{name}"@en ;
    ccn:memberState country:{state} ;
    {cat}
    ccn:fieldOfActivity <id/field-of-activity/b> ;
    ccn:expertise <id/taxonomy/D12.04> ;
    ccn:registration <id/member/{ref}#registration> {extra} .
<id/member/{ref}#registration> a ccn:Registration ;
    org:member {m} ; org:organization <id/community/ccc> ;
    ccn:assessedBy <id/ncc/{ncc}> ; ccn:registeredBy <id/centre/eccc> ;
    org:memberDuring <id/member/{ref}#period> .
<id/member/{ref}#period> a time:Interval ; time:hasBeginning <id/member/{ref}#start> .
<id/member/{ref}#start> a time:Instant ; time:inXSDDate "2024-05-01"^^xsd:date .
"""
    )


def steward_world(server, tmp_path_factory, **overrides):
    """The app over the reference data on `server` (a store server with `endpoints`), with
    stewards for RO, BE and the network: (app, store, tokens by "ro"/"be"/"network", data dir)."""
    store = store_on(server, timeout=10)
    store.clear()
    loading.load_reference_data(store, BASE)
    data_dir = tmp_path_factory.mktemp("data")
    settings = load_settings(
        environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE, **overrides}
    )
    registry = Stewards(data_dir)
    tokens = {
        "ro": registry.add("NCC Romania", ("RO",)),
        "be": registry.add("NCC Belgium", ("BE",)),
        "network": registry.add("ECCC staff", ("network",)),
    }
    return LiveApp(create_app(settings, store)), store, tokens, data_dir


@pytest.fixture(scope="module")
def world(engine, tmp_path_factory):
    app, store, tokens, data_dir = steward_world(
        engine, tmp_path_factory, max_body=200_000, validate_max_body=100_000
    )
    yield app, store, tokens, data_dir
    app.close()


def submit(app, body, token=None, content_type="text/turtle", **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    headers["Content-Type"] = content_type
    headers.setdefault("Accept", "application/json")
    data = body.encode() if isinstance(body, str) else body
    return requests.post(f"{app.url}/submissions", data=data, headers=headers, timeout=60)


def dump(store) -> list:
    rows = store.select("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return sorted(tuple(str(r[k]) for k in ("g", "s", "p", "o")) for r in rows)


def test_no_or_bad_token_is_401(world):
    app, *_ = world
    for token in (None, "nonsense", "ccn.000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        response = submit(app, member("a"), token)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in response.json()["message"]


def test_a_valid_submission_is_merged_with_provenance(world):
    app, store, tokens, _ = world
    response = submit(app, member("lab-1", "Accepted Lab"), tokens["ro"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["report"]["conforms"]
    assert response.headers["Location"] == f"/submissions/{body['id']}"
    assert response.headers["ETag"]
    assert store.ask('ASK { ?m <http://www.w3.org/2004/02/skos/core#prefLabel> "Accepted Lab"@en }')
    page = requests.get(f"{app.url}/doc/member/lab-1", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "Accepted Lab" in page.text
    assert "Last changed by NCC Romania on" in page.text
    activity = URIRef(body["activity"])
    prov = store.construct("CONSTRUCT { ?a ?p ?o } WHERE { ?a ?p ?o }", {"a": activity})
    assert (
        activity,
        URIRef("http://www.w3.org/ns/prov#generated"),
        URIRef(f"{BASE}graph/member/lab-1"),
    ) in prov
    agent = prov.value(activity, URIRef("http://www.w3.org/ns/prov#wasAssociatedWith"))
    assert str(agent) == f"{BASE}id/steward/ncc-romania"
    # The submission's record (its report, its text) is for stewards: its own, or the network's.
    location = f"{app.url}{response.headers['Location']}"
    assert requests.get(location, timeout=10).status_code == 401
    assert (
        requests.get(
            location, headers={"Authorization": f"Bearer {tokens['be']}"}, timeout=10
        ).status_code
        == 404
    )
    assert requests.get(
        location, headers={"Authorization": f"Bearer {tokens['network']}"}, timeout=10
    ).ok
    status = requests.get(
        location, headers={"Authorization": f"Bearer {tokens['ro']}"}, timeout=10
    ).json()
    assert (
        status["status"] == "accepted"
        and status["steward"] == "NCC Romania"
        and status["triples_added"] > 10
    )


@pytest.mark.parametrize(
    "value",
    [
        '"abc"^^xsd:dateTime',
        '"2021-02-29"^^xsd:date',
        '"12abc"^^xsd:integer',
        '"20"^^xsd:gYear',
        '"maybe"^^xsd:boolean',
    ],
)
def test_a_value_that_is_not_of_its_datatype_is_400_and_writes_nothing(world, value):
    app, store, tokens, _ = world
    before = dump(store)
    body = member("typed-lab") + f"<id/member/typed-lab> <{BASE}ontology-note> {value} .\n"
    response = submit(app, body, tokens["ro"])
    assert response.status_code == 400 and "which it is not" in response.json()["message"], (
        response.text
    )
    assert dump(store) == before


def test_values_of_xsd_forms_python_cannot_hold_are_taken(world):
    """Years past 9999, 24:00:00 and years before 1 are XSD dates: not refused for Python's sake."""
    app, _, tokens, _ = world
    body = member("long-year-lab") + "".join(
        f"<id/member/long-year-lab> <{BASE}ontology-note> {value} .\n"
        for value in (
            '"10000-01-01T00:00:00Z"^^xsd:dateTime',
            '"2020-01-01T24:00:00"^^xsd:dateTime',
            '"-0044-03-15"^^xsd:date',
        )
    )
    response = submit(app, body, tokens["ro"])
    assert response.status_code == 201, response.text


def test_an_invalid_submission_is_422_and_writes_nothing(world):
    app, store, tokens, _ = world
    before = dump(store)
    version = store.state().data_version
    response = submit(app, member("lab-2", category=False), tokens["ro"])
    assert response.status_code == 422
    report = response.json()["report"]
    assert not report["conforms"] and report["violations"] == 1
    result = report["results"][0]
    assert result["severity"] == "Violation" and "category" in result["message"]
    assert result["line"] == 8
    assert dump(store) == before and store.state().data_version == version


@pytest.mark.parametrize(
    "token, body, fragment",
    [
        ("ro", member("be-lab", state="BEL", ncc="be"), "outside this steward's scope"),
        ("be", member("lab-1", "Taken over"), "outside this steward's scope"),
        (
            "ro",
            PREFIXES + '<id/centre/eccc> a ccn:CompetenceCentre ; skos:prefLabel "X"@en .',
            "only a network steward",
        ),
        # A record that says nowhere what it is would escape the Member-State check.
        ("ro", PREFIXES + '<id/fake/untyped> skos:prefLabel "X"@en .', "says nowhere what it is"),
        # The history is read from these terms and graphs: a forged version would be
        # served as a past record.
        (
            "network",
            PREFIXES + "<id/fake/v1> a ccn:CommunityMember ; ccn:versionOf <graph/centre/eccc> ; "
            'ccn:versionNumber 2 ; ccn:snapshot "<a> <b> <c> ." .',
            "by the service only",
        ),
        (
            "network",
            PREFIXES + '<id/activity/forged> skos:prefLabel "Forged"@en .',
            "kept by the service itself",
        ),
        (
            "ro",
            PREFIXES + '<id/version/1> skos:prefLabel "Forged"@en .',
            "kept by the service itself",
        ),
    ],
)
def test_out_of_scope_is_403_and_writes_nothing(world, token, body, fragment):
    app, store, tokens, _ = world
    submit(app, member("lab-1", "Accepted Lab"), tokens["ro"])
    before = dump(store)
    response = submit(app, body, tokens[token])
    assert response.status_code == 403 and fragment in response.json()["message"]
    assert dump(store) == before


def test_a_network_steward_may_write_any_member(world):
    app, _, tokens, _ = world
    assert (
        submit(app, member("be-lab", state="BEL", ncc="be"), tokens["network"]).status_code == 201
    )


@pytest.mark.parametrize(
    "body, content_type, status, fragment",
    [
        (
            json.dumps(
                {
                    "@id": "http://ccn.test/graph/x",
                    "@graph": [
                        {
                            "@id": "http://ccn.test/id/member/x",
                            "http://www.w3.org/2004/02/skos/core#prefLabel": "X",
                        }
                    ],
                }
            ),
            "application/ld+json",
            400,
            "Named graphs",
        ),
        (
            PREFIXES + '<http://elsewhere.example/x> skos:prefLabel "X"@en .',
            "text/turtle",
            400,
            "not an instance IRI",
        ),
        (
            json.dumps(
                {
                    "@context": "http://127.0.0.1:9/context.jsonld",
                    "@id": "http://ccn.test/id/member/x",
                }
            ),
            "application/ld+json",
            400,
            "remote @context",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
            "application/rdf+xml",
            400,
            "DOCTYPE",
        ),
        ("this is not turtle", "text/turtle", 400, "cannot be read"),
        ("<a> <b> <c> .", "text/csv; charset=utf-8", 415, "Send RDF"),
        ("", "text/turtle", 400, "no triples"),
    ],
)
def test_bad_bodies_are_refused_and_write_nothing(world, body, content_type, status, fragment):
    app, store, tokens, _ = world
    before = dump(store)
    response = submit(app, body, tokens["network"], content_type=content_type)
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]
    assert dump(store) == before


def test_size_limits_hold_for_plain_chunked_and_compressed_bodies(world):
    app, _, tokens, _ = world
    big = member(
        "big", extra="; skos:altLabel " + ", ".join(f'"alias {i}"@en' for i in range(12_000))
    )
    assert len(big.encode()) > 200_000
    assert submit(app, big, tokens["ro"]).status_code == 413

    def chunks():
        data = big.encode()
        for i in range(0, len(data), 8192):
            yield data[i : i + 8192]

    chunked = requests.post(
        f"{app.url}/submissions",
        data=chunks(),
        timeout=60,
        headers={"Authorization": f"Bearer {tokens['ro']}", "Content-Type": "text/turtle"},
    )
    assert chunked.status_code == 413
    bomb = gzip.compress(b"#" * 5_000_000)
    assert len(bomb) < 200_000
    inflated = submit(app, bomb, tokens["ro"], **{"Content-Encoding": "gzip"})
    assert inflated.status_code == 413 and "inflated" in inflated.json()["message"]
    small = submit(
        app, gzip.compress(member("gz-lab").encode()), tokens["ro"], **{"Content-Encoding": "gzip"}
    )
    assert small.status_code == 201


def test_if_match_refuses_a_stale_version(world):
    app, _, tokens, _ = world
    submit(app, member("lab-3", "Version 1"), tokens["ro"])
    graph = f"{BASE}graph/member/lab-3"
    etag = requests.get(
        f"{app.url}/graphs", params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=10
    ).headers["ETag"]
    assert (
        submit(app, member("lab-3", "Version 2"), tokens["ro"], **{"If-Match": etag}).status_code
        == 201
    )
    stale = submit(app, member("lab-3", "Version 3"), tokens["ro"], **{"If-Match": etag})
    assert stale.status_code == 412
    fresh = requests.get(f"{app.url}/graphs", params={"graph": graph}, timeout=10)
    assert "Version 2" in fresh.text


def test_if_match_compares_strongly_and_holds_when_any_tag_does(world):
    app, _, tokens, _ = world
    submit(app, member("lab-4", "Version 1"), tokens["ro"])
    graph = f"{BASE}graph/member/lab-4"
    etag = requests.get(
        f"{app.url}/graphs", params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=10
    ).headers["ETag"]
    weak = submit(app, member("lab-4", "Weak"), tokens["ro"], **{"If-Match": f"W/{etag}"})
    assert weak.status_code == 412 and "weak" in weak.json()["message"]
    # Several tags, the current one among them, in either order: it holds every time.
    for number, template in enumerate(('"0000", {}', '{}, "0000"', '"1111", "0000", {}')):
        header = template.format(etag)
        response = submit(
            app, member("lab-4", f"Version {number + 2}"), tokens["ro"], **{"If-Match": header}
        )
        assert response.status_code == 201, (header, response.text)
        etag = response.headers["ETag"]
    assert (
        submit(
            app, member("lab-4", "Stale"), tokens["ro"], **{"If-Match": '"0000", "1111"'}
        ).status_code
        == 412
    )


def test_16_concurrent_replacements_leave_one_complete_version(world):
    app, store, tokens, _ = world
    versions = {
        i: member("contested", f"Version {i}", extra=f'; skos:altLabel "alias {i}"@en')
        for i in range(16)
    }
    statuses = []

    def send(i):
        statuses.append(submit(app, versions[i], tokens["ro"]).status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 16
    record = store.read_graph(f"{BASE}graph/member/contested")
    names = [
        str(o)
        for o in record.objects(
            URIRef(f"{BASE}id/member/contested"),
            URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
        )
    ]
    aliases = [
        str(o)
        for o in record.objects(
            URIRef(f"{BASE}id/member/contested"),
            URIRef("http://www.w3.org/2004/02/skos/core#altLabel"),
        )
    ]
    assert len(names) == 1 and len(aliases) == 1
    winner = names[0].split()[-1]
    assert aliases == [f"alias {winner}"]
    expected = as_stored(versions[int(winner)])
    assert len(record) == len(expected)


def test_validate_is_open_and_writes_nothing(world):
    app, store, _, _ = world
    before = dump(store)
    body = member("v-lab", category=False)
    as_json = requests.post(
        f"{app.url}/validate",
        data=body.encode(),
        headers={"Content-Type": "text/turtle", "Accept": "application/json"},
        timeout=30,
    )
    assert as_json.status_code == 200
    report = as_json.json()["report"]
    assert report["conforms"] is False and report["results"][0]["line"] == 8
    assert {"focus", "path", "value", "message", "severity", "shape"} <= set(report["results"][0])
    as_turtle = requests.post(
        f"{app.url}/validate",
        data=body.encode(),
        headers={"Content-Type": "text/turtle", "Accept": "text/turtle"},
        timeout=30,
    )
    graph = Graph().parse(data=as_turtle.text, format="turtle")
    assert (
        None,
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        URIRef("http://www.w3.org/ns/shacl#ValidationReport"),
    ) in graph
    upload = requests.post(
        f"{app.url}/validate",
        files={"file": ("member.ttl", body.encode())},
        headers={"Accept": "text/html"},
        timeout=30,
    )
    assert (
        upload.status_code == 200
        and "does not conform" in upload.text
        and "(line 8)" in upload.text
    )
    assert dump(store) == before
    assert (
        requests.get(f"{app.url}/validate", headers={"Accept": "text/html"}, timeout=10).status_code
        == 200
    )


def test_validate_takes_a_smaller_body_than_submissions(world):
    """/validate is open to anyone and validating costs time with every kilobyte: it takes
    CCN_VALIDATE_MAX_BODY (here 100 kB, of CCN_MAX_BODY's 200 kB), and says how to check a larger
    file; a steward's submission of the same size is taken."""
    app, _, tokens, _ = world
    body = member("big-lab") + "\n#" + "x" * 150_000
    refused = requests.post(
        f"{app.url}/validate",
        data=body.encode(),
        timeout=30,
        headers={"Content-Type": "text/turtle", "Accept": "application/json"},
    )
    assert refused.status_code == 413 and "ccn-graph validate" in refused.json()["message"]
    assert submit(app, body, tokens["ro"]).status_code == 201


def test_a_remote_json_ld_context_is_refused_as_such(world):
    app, _, _, _ = world
    body = json.dumps(
        {"@context": {"@import": "http://127.0.0.1:9/c.jsonld"}, "@id": f"{BASE}id/member/x"}
    )
    response = requests.post(
        f"{app.url}/validate",
        data=body.encode(),
        timeout=30,
        headers={"Content-Type": "application/ld+json", "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("JSON-LD contexts must be given inline"), (
        response.text
    )


def test_stewards_see_their_own_submissions(world):
    app, _, tokens, _ = world
    mine = requests.get(
        f"{app.url}/submissions", headers={"Authorization": f"Bearer {tokens['be']}"}, timeout=10
    ).json()
    assert mine["steward"] == "NCC Belgium"
    assert all(s["status"] in ("accepted", "rejected") for s in mine["submissions"])
    assert requests.get(f"{app.url}/submissions", timeout=10).status_code == 401
    assert requests.get(f"{app.url}/submissions/{'0' * 32}", timeout=10).status_code == 401
    assert (
        requests.get(
            f"{app.url}/submissions/{'0' * 32}",
            headers={"Authorization": f"Bearer {tokens['be']}"},
            timeout=10,
        ).status_code
        == 404
    )


def test_steward_command_line(tmp_path):
    script = str(Path(sys.executable).with_name("ccn-graph"))
    env = cli_env(CCN_DATA_DIR=str(tmp_path))
    added = subprocess.run(
        [script, "steward", "add", "NCC Malta", "--scope", "MT"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    registry = Stewards(tmp_path)
    assert registry.verify(token).scope == ("MT",)
    listed = subprocess.run(
        [script, "steward", "list"], env=env, capture_output=True, text=True
    ).stdout
    assert "NCC Malta\tMT" in listed and token not in (tmp_path / "stewards.json").read_text()
    bad = subprocess.run(
        [script, "steward", "add", "X", "--scope", "US"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "scope" in bad.stderr
    assert (
        subprocess.run(
            [script, "steward", "revoke", "NCC Malta"], env=env, capture_output=True
        ).returncode
        == 0
    )
    assert Stewards(tmp_path).verify(token) is None


def test_validate_command_line(tmp_path):
    script = str(Path(sys.executable).with_name("ccn-graph"))
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(member("cli-good"))
    bad.write_text(member("cli-bad", category=False))
    env = cli_env(CCN_BASE_IRI=BASE)
    ok = subprocess.run([script, "validate", str(good)], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "conforms" in ok.stdout
    ko = subprocess.run(
        [script, "validate", str(bad), "--json"], env=env, capture_output=True, text=True
    )
    assert ko.returncode == 1
    results = json.loads(ko.stdout)["results"]
    assert results[0]["where"] == f"{bad}:8"


def test_submit_command_line(world, tmp_path):
    app, _, tokens, _ = world
    path = tmp_path / "member.ttl"
    path.write_text(member("cli-lab", "Command-line Lab"))
    script = str(Path(sys.executable).with_name("ccn-graph"))
    out = subprocess.run(
        [script, "submit", str(path), "--token", tokens["ro"], "--url", app.url],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["status"] == "accepted"


def gsp(app, method, graph, body=None, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "text/turtle"
    headers.setdefault("Accept", "application/json")
    return requests.request(
        method,
        f"{app.url}/graphs",
        params={"graph": graph},
        data=body.encode() if body else None,
        headers=headers,
        timeout=60,
    )


def test_graph_store_protocol_writes_go_through_the_gate(world):
    app, store, tokens, _ = world
    graph = f"{BASE}graph/member/gsp-lab"
    assert gsp(app, "PUT", graph, member("gsp-lab", "GSP Lab")).status_code == 401
    created = gsp(app, "PUT", graph, member("gsp-lab", "GSP Lab"), tokens["ro"])
    assert created.status_code == 201, created.text
    replaced = gsp(app, "PUT", graph, member("gsp-lab", "GSP Lab renamed"), tokens["ro"])
    assert replaced.status_code == 204 and replaced.headers["ETag"]
    added = gsp(
        app, "POST", graph, PREFIXES + '<id/member/gsp-lab> skos:altLabel "GSPL"@en .', tokens["ro"]
    )
    assert added.status_code == 204
    text = requests.get(
        f"{app.url}/graphs", params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=10
    ).text
    assert "GSP Lab renamed" in text and "GSPL" in text
    invalid = gsp(app, "PUT", graph, member("gsp-lab", category=False), tokens["ro"])
    assert invalid.status_code == 422
    wrong_record = gsp(app, "PUT", graph, member("other-lab"), tokens["ro"])
    assert (
        wrong_record.status_code == 400
        and "not a node of the record" in wrong_record.json()["message"]
    )
    assert (
        gsp(app, "PUT", f"{BASE}graph/taxonomy", member("gsp-lab"), tokens["network"]).status_code
        == 403
    )
    assert gsp(app, "DELETE", graph, token=tokens["be"]).status_code == 403
    assert gsp(app, "DELETE", graph, token=tokens["ro"]).status_code == 204
    assert requests.get(f"{app.url}/graphs", params={"graph": graph}, timeout=10).status_code == 404
    assert gsp(app, "DELETE", graph, token=tokens["ro"]).status_code == 404


def test_open_graphs_describe_no_record_activity_version_or_steward(
    managed_server, tmp_path_factory
):
    """Graphs under CCN_OPEN_GRAPHS take any triples, but not about what has a graph of its own:
    read through the union, a steward's label there renamed who "last changed" a record, and a
    second Member State there bypassed the record's shapes and history."""
    app, store, tokens, _ = steward_world(
        managed_server, tmp_path_factory, open_graphs=(f"{BASE}open/",)
    )
    try:
        graph = f"{BASE}open/notes"
        before = dump(store)
        for subject in (
            "id/steward/ncc-romania",
            "id/activity/x",
            "id/version/1",
            "id/member/lab-1",
        ):
            body = f'<{BASE}{subject}> <http://www.w3.org/2000/01/rdf-schema#label> "Mallory" .'
            response = gsp(app, "PUT", graph, body, tokens["network"])
            assert response.status_code == 403 and "own graph only" in response.json()["message"], (
                response.text
            )
        assert dump(store) == before
        fine = gsp(
            app,
            "PUT",
            graph,
            '<http://example.org/s> <http://example.org/p> "note" .',
            tokens["network"],
        )
        assert fine.status_code == 201, fine.text
    finally:
        app.close()
