"""The portal index: maintained on every write, equal to a full recount, repaired when behind;
facets, keyset paging and search over it, through the real app."""

from __future__ import annotations

import contextlib
import random
import sqlite3

import pytest
from rdflib import Graph

from ccn_graph.index.portal_index import PortalIndex, index_path
from ccn_graph.model import reference
from ccn_graph.model.stewards import Stewards
from ccn_graph.write import Replace

from .conftest import BASE, loaded_site, writer_for
from .test_submissions import member, submit

COUNTRY = "http://publications.europa.eu/resource/authority/country/"
MEMBER = "https://w3id.org/ccn-graph/ontology#CommunityMember"
STATES = (("ROU", "ro", "RO"), ("BEL", "be", "BE"), ("MLT", "mt", "MT"))


def sparql_count(store, where: str) -> int:
    return int(store.select(f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ {where} }}")[0]["n"])


def assert_equals_recount(index: PortalIndex, store, tmp_path) -> None:
    """The maintained figures equal the rows' recount and an index rebuilt from the store."""
    fresh = PortalIndex(tmp_path / f"fresh-{random.random()}.sqlite", BASE)
    fresh.rebuild(store, store.generation())
    assert index.maintained() == index.recount()
    assert index.maintained() == fresh.maintained()
    assert index.totals() == fresh.totals()
    assert index.generation() == store.generation()


@pytest.fixture(scope="module")
def site(managed_server, tmp_path_factory):
    app, store, data_dir = loaded_site(managed_server, tmp_path_factory, members=120, projects=10)
    token = Stewards(data_dir).add("Network", ("network",))
    yield app, store, data_dir, token
    app.close()


def test_random_writes_keep_the_figures_equal_to_a_full_recount(site, tmp_path):
    """1,000 random creations, replacements and removals through the gate, each updating the index
    in the same unit of work."""
    _, store, data_dir, _ = site
    index = PortalIndex(tmp_path / "index.sqlite", BASE)
    index.rebuild(store, store.generation())
    writer = writer_for(store, tmp_path)
    writer.listen(
        lambda outcome: (
            outcome.accepted and index.apply(outcome.written, *outcome.generations, store)
        )
    )
    rng = random.Random(7)
    refs = [f"rnd-{i:03d}" for i in range(60)]
    accepted = 0
    for step in range(1000):
        ref = rng.choice(refs)
        graph = f"{BASE}graph/member/{ref}"
        if rng.random() < 0.15:
            records = {graph: Graph()}
        else:
            iso3, ncc, _ = rng.choice(STATES)
            text = member(
                ref,
                f"Random Lab {rng.randrange(1000)}",
                state=iso3,
                ncc=ncc,
                extra=f'; <http://www.w3.org/2004/02/skos/core#altLabel> "R{step}"@en',
            )
            records = reference.split_records(
                Graph().parse(data=text, format="turtle", publicID=BASE), BASE
            )
        outcome = writer.write(Replace(records), None, label="random")
        assert outcome.accepted, outcome.report.violations[:1]
        accepted += 1
        if step % 250 == 249:
            assert_equals_recount(index, store, tmp_path)
    assert accepted == 1000
    assert_equals_recount(index, store, tmp_path)
    assert index.counts("all")[""] == sparql_count(store, f"?m a <{MEMBER}>")
    for iso3, _, _ in STATES:
        assert index.counts("state").get(COUNTRY + iso3, 0) == sparql_count(
            store,
            f"?m a <{MEMBER}> ; "
            f"<https://w3id.org/ccn-graph/ontology#memberState> <{COUNTRY + iso3}>",
        )


def test_the_first_view_after_a_write_is_current_without_a_rebuild(site):
    app, store, data_dir, token = site
    index = PortalIndex(index_path(data_dir), BASE)
    app.get("/members?format=json")
    rebuilt_before = index.generation()
    assert rebuilt_before == store.generation()
    assert submit(app, member("fresh-lab", "Freshly Written Lab"), token).status_code == 201
    assert index.generation() == store.generation()  # updated by the write itself
    body = app.get("/search", params={"q": "freshly written", "format": "json"}).json()
    assert [r["label"] for r in body["results"]][:1] == ["Freshly Written Lab"]
    ro = app.get("/members", params={"state": COUNTRY + "ROU", "format": "json"}).json()
    assert ro["total"] == sparql_count(
        store, f"?m a <{MEMBER}> ; <https://w3id.org/ccn-graph/ontology#memberState> <{COUNTRY}ROU>"
    )


def test_an_index_behind_the_store_is_repaired_before_answering(site, tmp_path):
    app, store, data_dir, _ = site
    # A write that bypasses the service (as a bulk load, or a write cut short before its index
    # update) leaves the index behind the store's generation.
    text = member("bypass-lab", "Bypassing Lab")
    store.replace_graphs(
        reference.split_records(Graph().parse(data=text, format="turtle", publicID=BASE), BASE)
    )
    index = PortalIndex(index_path(data_dir), BASE)
    assert index.generation() != store.generation()
    body = app.get("/search", params={"q": "bypassing", "format": "json"}).json()
    assert body["total"] == 1
    assert_equals_recount(index, store, tmp_path)


def test_keyset_paging_visits_every_member_once_in_order(site):
    app, store, *_ = site
    seen, iris, url, pages = [], [], "/members?format=json", 0
    while url:
        body = app.get(url).json()
        seen += [m["label"] for m in body["members"]]
        iris += [m["iri"] for m in body["members"]]
        url = body.get("next")
        pages += 1
        assert "offset" not in (url or "")
    assert pages >= 3
    assert len(iris) == len(set(iris))
    assert len(seen) == sparql_count(store, f"?m a <{MEMBER}>")
    folded = [s.casefold() for s in seen]
    assert folded == sorted(folded)


def test_facets_combine_and_count_what_matches(site):
    app, store, *_ = site
    everyone = app.get("/members?format=json").json()
    assert set(everyone["facets"]) >= {"state", "category", "domain", "expertise", "sector", "ncc"}
    domain = everyone["facets"]["domain"][0]
    state = everyone["facets"]["state"][0]
    both = app.get(
        "/members", params={"domain": domain["value"], "state": state["value"], "format": "json"}
    ).json()
    expected = sparql_count(
        store,
        f"""
        ?m a <{MEMBER}> ; <https://w3id.org/ccn-graph/ontology#memberState> <{state["value"]}> ;
           <https://w3id.org/ccn-graph/ontology#expertise> ?e .
        {{ FILTER (?e = <{domain["value"]}>) }}
        UNION {{ ?e <http://www.w3.org/2004/02/skos/core#broader>+ <{domain["value"]}> }}""",
    )
    assert both["total"] == expected > 0
    assert dict((f["value"], f["count"]) for f in both["facets"]["state"]) == {
        state["value"]: expected
    }
    page = app.get("/members", params={"domain": domain["value"]}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "remove" in page.text and domain["label"] in page.text
    link = "/members?state=" + state["value"]
    assert link in app.get("/", headers={"Accept": "text/html"}).text


def test_facet_counts_of_a_narrowed_listing_equal_the_store(site):
    """The counts shown beside a listing narrowed by one value (maintained pairs) and by two
    (counted among the matches) equal what SPARQL counts in the store."""
    app, store, *_ = site
    ccn = "https://w3id.org/ccn-graph/ontology#"
    everyone = app.get("/members?format=json").json()
    checked = 0
    for state in everyone["facets"]["state"][:3]:
        narrowed = app.get("/members", params={"state": state["value"], "format": "json"}).json()
        for facet, predicate in (("category", "category"), ("sector", "sector")):
            expected = {
                str(r["v"]): int(r["n"])
                for r in store.select(f"""
                SELECT ?v (COUNT(DISTINCT ?m) AS ?n) WHERE {{
                  ?m a <{MEMBER}> ; <{ccn}memberState> <{state["value"]}> ;
                     <{ccn}{predicate}> ?v }} GROUP BY ?v""")
            }
            assert {f["value"]: f["count"] for f in narrowed["facets"][facet]} == expected
            checked += len(expected)
            value = narrowed["facets"][facet][0]["value"]
            both = app.get(
                "/members", params={"state": state["value"], facet: value, "format": "json"}
            ).json()
            # A member can have several sectors: the narrowed listing counts the others too.
            assert {f["value"]: f["count"] for f in both["facets"][facet]}[value] == expected[value]
            assert both["total"] == expected[value]
    assert checked >= 10


def test_an_index_of_an_older_layout_is_rebuilt(site, tmp_path):
    _, store, *_ = site
    path = tmp_path / "old.sqlite"
    PortalIndex(path, BASE).rebuild(store, store.generation())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    reopened = PortalIndex(path, BASE)
    assert reopened.generation() is None and reopened.maintained() == {}
    reopened.ensure(store, store.generation(), contextlib.nullcontext)
    assert (
        reopened.generation() == store.generation() and reopened.maintained() == reopened.recount()
    )


def test_the_live_index_of_a_restarted_service_equals_a_recount(site, tmp_path):
    """What the crash tests check after their kill -9 (see test_crash_safety)."""
    _, store, data_dir, _ = site
    assert_equals_recount(PortalIndex(index_path(data_dir), BASE), store, tmp_path)


def check_index_of_service(data_dir, url, tmp_path) -> None:
    """After a restart: the service's index agrees with itself and with a full recount of the
    store, asked through the service's own SPARQL endpoint."""
    import requests

    assert requests.get(f"{url}/members?format=json", timeout=60).status_code == 200
    index = PortalIndex(index_path(data_dir), BASE)
    assert index.maintained() == index.recount()
    query = (
        f"SELECT ?state (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m a <{MEMBER}> ; "
        "<https://w3id.org/ccn-graph/ontology#memberState> ?state } GROUP BY ?state"
    )
    rows = requests.get(
        f"{url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()["results"]["bindings"]
    by_state = {r["state"]["value"]: int(r["n"]["value"]) for r in rows}
    assert index.counts("state") == by_state
    assert index.counts("all").get("", 0) == sum(by_state.values())


def test_reindex_command_checks_the_maintained_figures(site, managed_server):
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    from .conftest import cli_env

    _, _, data_dir, _ = site
    endpoints = managed_server.endpoints
    env = cli_env(
        CCN_DATA_DIR=str(data_dir),
        CCN_BASE_IRI=BASE,
        CCN_STORE_URL=endpoints.query,
        CCN_STORE_UPDATE_URL=endpoints.update,
        CCN_STORE_GSP_URL=endpoints.graph_store,
    )
    script = str(Path(sys.executable).with_name("ccn-graph"))
    clean = subprocess.run(
        [script, "reindex"], env=env, capture_output=True, text=True, timeout=300
    )
    assert clean.returncode == 0, clean.stderr
    assert "equal a full recount" in clean.stdout
    with sqlite3.connect(index_path(data_dir)) as db:
        db.execute("UPDATE counts SET n = n + 5 WHERE facet = 'state'")
    drifted = subprocess.run(
        [script, "reindex"], env=env, capture_output=True, text=True, timeout=300
    )
    assert drifted.returncode == 1 and "differed from the recount" in drifted.stdout, drifted.stdout
    again = subprocess.run(
        [script, "reindex"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stdout


def test_an_index_catches_up_from_the_history_with_writes_made_elsewhere(site, tmp_path):
    """Another instance's writes (through its gate, not this index): the index applies the records
    the history names, without a rebuild; a write past the gate makes it rebuild."""
    _, store, _, _ = site
    index = PortalIndex(tmp_path / "behind.sqlite", BASE)
    index.rebuild(store, store.generation())
    elsewhere = writer_for(store, tmp_path)
    for ref, name in (
        ("caught-1", "Caught Up Lab"),
        ("caught-2", "Second Caught Lab"),
        ("caught-1", "Renamed Caught Lab"),
    ):
        text = member(ref, name)
        records = reference.split_records(
            Graph().parse(data=text, format="turtle", publicID=BASE), BASE
        )
        assert elsewhere.write(Replace(records), None, label="elsewhere").accepted
    assert elsewhere.write(
        Replace({f"{BASE}graph/member/caught-2": Graph()}), None, label="elsewhere"
    ).accepted
    assert index.generation() != store.generation()
    assert index.ensure(store, store.generation(), contextlib.nullcontext) == "caught up"
    hits, _ = index.search("caught lab", limit=10)
    assert [h.label for h in hits] == ["Renamed Caught Lab"]
    assert_equals_recount(index, store, tmp_path)
    # A write that bypasses the gate leaves no version: the history cannot account for it.
    text = member("past-the-gate", "Past The Gate Lab")
    store.replace_graphs(
        reference.split_records(Graph().parse(data=text, format="turtle", publicID=BASE), BASE)
    )
    assert index.ensure(store, store.generation(), contextlib.nullcontext) == "rebuilt"
    assert_equals_recount(index, store, tmp_path)
    assert index.ensure(store, store.generation(), contextlib.nullcontext) is None
