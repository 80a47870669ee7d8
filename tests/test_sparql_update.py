"""SPARQL Update for stewards at /update, over real HTTP: the gate holds for updates as
for files."""

from __future__ import annotations

import time

import pytest
import requests
from rdflib import URIRef

from ccn_graph.sparql.sparql_guard import QueryRefused, prepare_update
from ccn_graph.store import EmbeddedStore
from ccn_graph.write import updates

from .conftest import BASE, cli_env
from .test_submissions import dump, member, steward_world, submit

PREFIXES = """PREFIX ccn: <https://w3id.org/ccn-graph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


@pytest.fixture(scope="module")
def world(managed_server, tmp_path_factory):
    app, store, tokens, _ = steward_world(managed_server, tmp_path_factory)
    for ref, state, ncc in (
        ("upd-ro-1", "ROU", "ro"),
        ("upd-ro-2", "ROU", "ro"),
        ("upd-be-1", "BEL", "be"),
    ):
        assert (
            submit(
                app, member(ref, f"Lab {ref}", state=state, ncc=ncc), tokens["network"]
            ).status_code
            == 201
        )
    yield app, store, tokens
    app.close()


def update(app, text, token=None, form=True, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if form:
        return requests.post(
            f"{app.url}/update",
            data={"update": PREFIXES + text},
            params=params,
            headers=headers,
            timeout=60,
        )
    headers["Content-Type"] = "application/sparql-update"
    return requests.post(
        f"{app.url}/update",
        data=(PREFIXES + text).encode(),
        params=params,
        headers=headers,
        timeout=60,
    )


def label(store, ref):
    rows = store.select(
        "SELECT ?l WHERE { ?m <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }",
        {"m": URIRef(f"{BASE}id/member/{ref}")},
    )
    return sorted(str(r["l"]) for r in rows)


def test_an_update_changes_records_through_the_gate_with_provenance(world):
    app, store, tokens = world
    response = update(
        app,
        f"""
        DELETE {{ GRAPH ?g {{ ?m skos:prefLabel ?old }} }}
        INSERT {{ GRAPH ?g {{ ?m skos:prefLabel "Renamed Lab"@en }} }}
        WHERE {{ GRAPH ?g {{ ?m skos:prefLabel ?old }}
                 VALUES ?m {{ <{BASE}id/member/upd-ro-1> }} }}""",
        tokens["ro"],
        form=False,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["graphs"] == [f"{BASE}graph/member/upd-ro-1"]
    assert body["triples_added"] == 1 and body["triples_removed"] == 1
    assert label(store, "upd-ro-1") == ["Renamed Lab"]
    activity = URIRef(body["activity"])
    assert store.ask(
        "ASK { ?a a <http://www.w3.org/ns/prov#Activity> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l "
        'FILTER(STRSTARTS(STR(?l), "SPARQL Update by steward NCC Romania")) }',
        {"a": activity},
    )
    status = requests.get(
        f"{app.url}/submissions/{body['id']}",
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['ro']}"},
    ).json()
    assert "Renamed Lab" in status["update"]


def test_one_update_may_change_many_records_at_once(world):
    app, store, tokens = world
    response = update(
        app,
        """
        INSERT { GRAPH ?g { ?m skos:altLabel "Bulk"@en } }
        WHERE { GRAPH ?g { ?m a ccn:CommunityMember ; skos:prefLabel ?l
                           FILTER(STRSTARTS(STR(?l), "Lab upd-")) } }""",
        tokens["network"],
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["graphs"]) >= 2
    rows = store.select(
        'SELECT ?m WHERE { ?m <http://www.w3.org/2004/02/skos/core#altLabel> "Bulk"@en }'
    )
    assert len(rows) == len(response.json()["graphs"])


def test_a_violating_update_is_422_and_writes_nothing(world):
    app, store, tokens = world
    before = dump(store)
    response = update(
        app,
        f"DELETE WHERE {{ GRAPH ?g {{ <{BASE}id/member/upd-ro-2> ccn:category ?c }} }}",
        tokens["ro"],
    )
    assert response.status_code == 422, response.text
    report = response.json()["report"]
    assert not report["conforms"] and any("category" in r["message"] for r in report["results"])
    assert dump(store) == before


@pytest.mark.parametrize(
    "token, text, status, fragment",
    [
        (None, "CLEAR ALL", 401, "Bearer"),
        (
            "ro",
            f"INSERT DATA {{ GRAPH <{BASE}graph/member/upd-be-1> {{ "
            f'<{BASE}id/member/upd-be-1> skos:altLabel "x"@en }} }}',
            403,
            "outside this steward's scope",
        ),
        (
            "network",
            "INSERT DATA { GRAPH <http://example.org/g> { "
            '<http://example.org/s> skos:altLabel "x" } }',
            403,
            "not a record graph",
        ),
        (
            "network",
            f'INSERT DATA {{ GRAPH <{BASE}graph/ontology> {{ <{BASE}x> skos:altLabel "x" }} }}',
            403,
            "not a record graph",
        ),
        (
            "network",
            f'INSERT DATA {{ <{BASE}id/member/upd-ro-1> skos:altLabel "x"@en }}',
            400,
            "default graph",
        ),
        (
            "network",
            f"DELETE WHERE {{ <{BASE}id/member/upd-ro-1> skos:prefLabel ?l }}",
            400,
            "default graph",
        ),
        # Half of it in the default graph only: refused whole, not applied in part.
        (
            "network",
            f"DELETE WHERE {{ <{BASE}id/member/upd-ro-1> skos:prefLabel ?l }} ; "
            f"INSERT DATA {{ GRAPH <{BASE}graph/member/upd-ro-1> {{ "
            f'<{BASE}id/member/upd-ro-1> skos:altLabel "y"@en }} }}',
            400,
            "removes triples from the default graph",
        ),
        (
            "network",
            f'DELETE DATA {{ <{BASE}id/member/upd-ro-1> skos:altLabel "x"@en }} ; '
            f"INSERT DATA {{ GRAPH <{BASE}graph/member/upd-ro-1> {{ "
            f'<{BASE}id/member/upd-ro-1> skos:altLabel "y"@en }} }}',
            400,
            "removes triples from the default graph",
        ),
        (
            "network",
            f"INSERT DATA {{ GRAPH <{BASE}graph/member/upd-ro-1> {{ "
            f'<{BASE}id/member/upd-be-1> skos:altLabel "x"@en }} }}',
            400,
            "not a node of the record",
        ),
        ("network", "LOAD <http://127.0.0.1:9/x.ttl>", 400, "never fetches"),
        (
            "network",
            "INSERT { GRAPH ?g { ?s ?p ?o } } "
            "WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            400,
            "never fetches",
        ),
        ("network", "INSERT DATTA { }", 400, "not valid SPARQL"),
    ],
)
def test_refused_updates_write_nothing(world, token, text, status, fragment):
    app, store, tokens = world
    before = dump(store)
    response = update(app, text, tokens.get(token))
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]
    assert dump(store) == before


def test_provenance_is_not_part_of_what_an_update_sees(world):
    app, store, tokens = world
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?a a <http://www.w3.org/ns/prov#Activity> }"
    before = int(store.select(count)[0]["n"])
    assert before > 0
    response = update(app, "DELETE WHERE { GRAPH ?g { ?a a prov:Activity } }", tokens["network"])
    assert response.status_code == 200 and response.json()["status"] == "unchanged"
    assert int(store.select(count)[0]["n"]) == before


def test_protocol_errors(world):
    app, _, tokens = world
    auth = {"Authorization": f"Bearer {tokens['network']}"}
    assert (
        requests.get(
            f"{app.url}/update", params={"update": "CLEAR ALL"}, headers=auth, timeout=10
        ).status_code
        == 405
    )
    plain = requests.post(
        f"{app.url}/update",
        data=b"CLEAR ALL",
        headers={**auth, "Content-Type": "text/plain"},
        timeout=10,
    )
    assert plain.status_code == 415
    twice = requests.post(
        f"{app.url}/update",
        data="update=CLEAR+ALL&update=CLEAR+ALL",
        headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert twice.status_code == 400 and "once" in twice.json()["message"]


@pytest.mark.fast
def test_prepare_update_adds_the_protocol_dataset_as_using_clauses():
    text = (
        "INSERT { GRAPH <http://e/x> { ?s ?p ?o } } WHERE { ?s ?p ?o } ; "
        "INSERT DATA { <http://e/a> <http://e/b> 'WHERE' }"
    )
    prepared = prepare_update(
        text, max_bytes=10_000, max_depth=10, using=["http://e/d"], using_named=["http://e/n"]
    )
    assert prepared.count("USING <http://e/d> USING NAMED <http://e/n> WHERE") == 1
    assert prepared.endswith("'WHERE' }")
    assert prepare_update(text, max_bytes=10_000, max_depth=10) == text
    for bad, kwargs in (
        ("WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", {"using": ["http://e/d"]}),
        ("DELETE WHERE { ?s ?p ?o }", {"using_named": ["http://e/d"]}),
        ("INSERT DATA { <http://e/a> <http://e/b> 1 }", {"using": ["not an iri>"]}),
    ):
        with pytest.raises(QueryRefused) as caught:
            prepare_update(bad, max_bytes=10_000, max_depth=10, **kwargs)
        assert caught.value.status == 400


# Four patterns over every triple with a filter that needs them all: far more work than any time
# limit here allows, and no change.
SLOW_UPDATE = (
    f"INSERT {{ GRAPH <{BASE}graph/member/slow> {{ <{BASE}id/member/slow> <{BASE}p> ?o1 }} }} "
    "WHERE { "
    "?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 "
    'FILTER (STR(?o1) = CONCAT(STR(?o2), STR(?o3), STR(?o4), "never")) }'
)


def test_an_update_that_takes_too_long_to_work_out_is_stopped(tmp_path):
    """Worked out in a child process with a deadline: an update that would run for minutes (an
    in-memory Oxigraph has no time limit) is stopped, and held the write lock only that long."""
    store = EmbeddedStore()
    store.update(
        "INSERT DATA { GRAPH <"
        + BASE
        + "graph/member/x> { "
        + " ".join(f"<{BASE}id/member/x> <{BASE}p> {i} ." for i in range(300))
        + " } }"
    )
    started = time.monotonic()
    with pytest.raises(updates.UpdateTimeout, match="limit of 1 seconds"):
        updates.evaluate(
            store, SLOW_UPDATE, BASE, work_dir=tmp_path, time_limit=1, environ=cli_env()
        )
    assert time.monotonic() - started < 15
    quick = (
        f'INSERT DATA {{ GRAPH <{BASE}graph/member/x> {{ <{BASE}id/member/x> <{BASE}q> "y" }} }}'
    )
    effect = updates.evaluate(
        store, quick, BASE, work_dir=tmp_path, time_limit=10, environ=cli_env()
    )
    assert (
        list(effect.graphs) == [f"{BASE}graph/member/x"]
        and len(effect.graphs[f"{BASE}graph/member/x"]) == 301
    )


# Every triple with every pair of others, as a new triple: the insertion grows without end.
BIG_UPDATE = (
    f"INSERT {{ GRAPH <{BASE}graph/member/big> {{ <{BASE}id/member/big> <{BASE}p> ?all }} }} "
    "WHERE { "
    "?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 BIND (CONCAT(STR(?o1), STR(?o2), STR(?o3)) AS ?all) }"
)


def test_an_update_that_needs_too_much_memory_to_work_out_is_stopped(tmp_path):
    """The child that works an update out runs under the children's memory limit (the setting in
    its environment): past it the update is stopped, nothing written, well before its time limit."""
    store = EmbeddedStore()
    store.update(
        "INSERT DATA { GRAPH <"
        + BASE
        + "graph/member/x> { "
        + " ".join(f"<{BASE}id/member/x> <{BASE}p> {i} ." for i in range(300))
        + " } }"
    )
    started = time.monotonic()
    with pytest.raises(updates.UpdateOutOfMemory, match="limit of 256 MB"):
        updates.evaluate(
            store,
            BIG_UPDATE,
            BASE,
            work_dir=tmp_path,
            time_limit=60,
            environ=cli_env(CCN_CHILD_MEMORY_MB="256"),
        )
    assert time.monotonic() - started < 30
    quick = (
        f'INSERT DATA {{ GRAPH <{BASE}graph/member/x> {{ <{BASE}id/member/x> <{BASE}q> "y" }} }}'
    )
    effect = updates.evaluate(
        store,
        quick,
        BASE,
        work_dir=tmp_path,
        time_limit=10,
        environ=cli_env(CCN_CHILD_MEMORY_MB="256"),
    )
    assert len(effect.graphs[f"{BASE}graph/member/x"]) == 301
