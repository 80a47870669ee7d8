"""Concurrency and crashes on an on-disk store, through the real service.

* 100 rounds of 16 concurrent replacements of one record: each round leaves exactly one of the
  16 versions, whole.
* 100 merges cut by `kill -9`, of the store (50, the supervisor restarts it) and of the whole
  service (50, started again by hand as an operator would): every restart comes back healthy,
  no record is ever partial, every merge answered 201 is present, and the portal index equals a
  recount and the store.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import requests
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ccn_graph.model.stewards import Stewards

from ..conftest import BASE, as_stored, pid_alive, wait_until
from ..figures import record
from ..test_portal_index import check_index_of_service
from ..test_service import Service, oxigraph_pid
from ..test_submissions import member

SKOS_ALT = "; <http://www.w3.org/2004/02/skos/core#altLabel> "


def post(url: str, token: str, body: str, timeout: float = 30) -> int | None:
    try:
        return requests.post(
            f"{url}/submissions",
            data=body.encode(),
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "text/turtle",
                "Accept": "application/json",
            },
        ).status_code
    except requests.RequestException:
        return None


def read_record(url: str, ref: str) -> Graph | None:
    response = requests.get(
        f"{url}/graphs",
        params={"graph": f"{BASE}graph/member/{ref}"},
        timeout=30,
        headers={"Accept": "application/n-triples"},
    )
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text[:200]
    return Graph().parse(data=response.text, format="nt")


def test_100_rounds_of_16_concurrent_replacements_leave_one_version_each(service):
    running, tokens, _ = service
    rounds, exact, answered = 100, 0, 0
    for round_ in range(rounds):
        versions = [
            member(
                "contested",
                f"Round {round_} version {i}",
                extra=f'{SKOS_ALT}"alias {round_}-{i}"@en',
            )
            for i in range(16)
        ]
        statuses = [None] * 16

        def send(i, versions=versions, statuses=statuses):
            statuses[i] = post(running.url, tokens["ro"], versions[i])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answered += statuses.count(201)
        stored = read_record(running.url, "contested")
        exact += any(isomorphic(stored, as_stored(v)) for v in versions)
    suite = "concurrency"
    figures = [
        record(suite, "rounds of 16 concurrent replacements", rounds, "100", rounds == 100),
        record(
            suite, "replacements answered 201", answered, f"{rounds * 16}", answered == rounds * 16
        ),
        record(
            suite,
            "rounds that left exactly one whole version",
            exact,
            f"{rounds}/{rounds}",
            exact == rounds,
        ),
    ]
    assert all(figures)


def store_pid(data) -> int | None:
    try:
        return oxigraph_pid(data)
    except (OSError, ValueError, KeyError):
        return None  # being restarted


def cut(cycle: int, running: Service, data, outcomes: dict) -> bool | Service:
    """Let a merge of this cycle land, then kill -9 the store (even cycles) or the whole service
    (odd ones) in the middle of the next; True when the store came back, or the new Service."""
    wait_until(
        lambda: (
            sum(
                1
                for r, s in list(outcomes.items())
                if r.startswith(f"cut-{cycle:03d}") and s == 201
            )
            >= 1
        ),
        timeout=60,
    )
    time.sleep((cycle % 7) * 0.007)
    if cycle % 2 == 0:
        old = store_pid(data)
        os.kill(old, signal.SIGKILL)
        return bool(
            wait_until(
                lambda: (
                    store_pid(data) not in (None, old)
                    and (running.health() or requests.Response()).status_code == 200
                ),
                timeout=30,
            )
        )
    old = store_pid(data)
    running.process.kill()
    running.process.wait()
    wait_until(lambda: not pid_alive(old), timeout=10)
    again = Service(data)
    again.wait_healthy(timeout=60)
    return again


def test_100_merges_cut_by_kill_9_of_the_store_or_the_service(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    token = Stewards(data).add("NCC Romania", ("RO",))
    complete = len(as_stored(member("x")))
    outcomes: dict[str, int | None] = {}
    clean, kills = 0, 100
    running = Service(data)
    try:
        running.wait_healthy(timeout=120)
        for cycle in range(kills):
            stop = threading.Event()

            def submit(cycle=cycle, stop=stop, url=running.url):
                n = 0
                while not stop.is_set():
                    ref = f"cut-{cycle:03d}-{n:02d}"
                    outcomes[ref] = None
                    outcomes[ref] = post(url, token, member(ref, f"Lab {ref}"), timeout=20)
                    n += 1
                    if outcomes[ref] is None:
                        time.sleep(0.05)  # the service is down: do not spin

            worker = threading.Thread(target=submit, daemon=True)
            worker.start()
            try:
                came_back = cut(cycle, running, data, outcomes)
            finally:
                stop.set()
                worker.join(timeout=60)
            if isinstance(came_back, Service):
                running, came_back = came_back, True
            clean += bool(came_back) and not worker.is_alive()
        acknowledged = [ref for ref, status in outcomes.items() if status == 201]
        partial, missing, sizes = [], [], {}
        for ref, status in outcomes.items():
            stored = read_record(running.url, ref)
            size = sizes[ref] = len(stored) if stored is not None else 0
            if size not in (0, complete):
                partial.append((ref, size))
            if status == 201 and size != complete:
                missing.append(ref)
        check_index_of_service(data, running.url, tmp_path)
        counted = requests.get(
            f"{running.url}/sparql",
            timeout=30,
            headers={"Accept": "application/sparql-results+json"},
            params={
                "query": "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a "
                "<https://w3id.org/ccn-graph/ontology#CommunityMember> }"
            },
        ).json()
        present = int(counted["results"]["bindings"][0]["n"]["value"])
        versions = versions_by_record(running.url)
        kept, counted_versions = history_counts(running.url)
    finally:
        running.stop()
    # A record and its version are written by one update: each record that is there has exactly its
    # one version (created), and no version names a record that is not there.
    unversioned = [
        ref for ref, size in sizes.items() if size == complete and versions.get(ref, 0) != 1
    ]
    orphaned = [ref for ref in versions if sizes.get(ref, 0) == 0]
    suite = "crashes"
    figures = [
        record(
            suite,
            "merges cut by kill -9 (store / service)",
            f"{kills} ({kills // 2} / {kills // 2})",
            "100",
            kills == 100,
        ),
        record(suite, "clean restarts", f"{clean}/{kills}", f"{kills}/{kills}", clean == kills),
        record(suite, "merges attempted", len(outcomes), ">= 200", len(outcomes) >= 200),
        record(suite, "partial records", len(partial), "0", not partial),
        record(
            suite,
            "acknowledged merges missing",
            f"{len(missing)} of {len(acknowledged)}",
            "0",
            not missing,
        ),
        record(
            suite,
            "members present >= acknowledged",
            f"{present} >= {len(acknowledged)}",
            "holds",
            present >= len(acknowledged),
        ),
        record(suite, "records without their version", len(unversioned), "0", not unversioned),
        record(suite, "versions without their record", len(orphaned), "0", not orphaned),
        record(
            suite,
            "history's count = version nodes",
            f"{kept} = {counted_versions}",
            "holds",
            kept == counted_versions and kept > 0,
        ),
    ]
    assert all(figures), (partial[:5], missing[:5], unversioned[:5], orphaned[:5])


def _select(url: str, query: str) -> list[dict]:
    response = requests.get(
        f"{url}/sparql",
        params={"query": query},
        timeout=60,
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text[:300]
    return response.json()["results"]["bindings"]


def versions_by_record(url: str) -> dict[str, int]:
    """How many versions the history keeps of each record ``cut-…``, by its ref."""
    prefix = f"{BASE}graph/member/"
    rows = _select(
        url,
        "SELECT ?g (COUNT(?v) AS ?n) WHERE { ?v <https://w3id.org/ccn-graph/ontology#versionOf> ?g "
        f'FILTER (STRSTARTS(STR(?g), "{prefix}cut-")) }} GROUP BY ?g',
    )
    return {r["g"]["value"][len(prefix) :]: int(r["n"]["value"]) for r in rows}


def history_counts(url: str) -> tuple[int, int]:
    """(the count the history keeps, the version nodes there are)."""
    kept = _select(
        url,
        "SELECT ?n WHERE { GRAPH ?g { ?g <https://w3id.org/ccn-graph/ontology#versionCount> ?n } }",
    )
    nodes = _select(
        url,
        "SELECT (COUNT(?v) AS ?n) WHERE { ?v <https://w3id.org/ccn-graph/ontology#sequence> ?s }",
    )
    return int(kept[0]["n"]["value"]), int(nodes[0]["n"]["value"])


def test_a_record_is_one_of_its_versions(service):
    """The check above can fail: a record with one triple too many is no version."""
    running, tokens, _ = service
    versions = [member("checked", "Checked version 1")]
    assert post(running.url, tokens["ro"], versions[0]) == 201
    stored = read_record(running.url, "checked")
    stored.add(
        (
            URIRef(f"{BASE}id/member/checked"),
            URIRef("http://www.w3.org/2004/02/skos/core#note"),
            URIRef("urn:x"),
        )
    )
    assert not any(isomorphic(stored, as_stored(v)) for v in versions)
