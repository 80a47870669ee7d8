"""A bounded load test on loopback: mixed reads at 200 requests/s for 60 s against the real service
over 10,000 members, while one submission per second is merged. 0 errors, p95 < 200 ms, and no
triple lost: every merge is there afterwards and the record graphs hold exactly what was sent.

The client is open-loop: request i is due at start + i/200 s and its latency counts from then, so a
slow server cannot hide its backlog by slowing the client down (no coordinated omission)."""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import requests
from rdflib import Graph

from ccn_graph import generate
from ccn_graph.stewards import Stewards

from ..conftest import BASE, ROOT, cli_env
from ..figures import record
from ..test_service import Service
from ..test_submissions import member

MEMBERS, RATE, SECONDS, CLIENTS = 10_000, 200, 60, 48
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
RECORD_TRIPLES = """SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o }
  FILTER (STRSTARTS(STR(?g), "http://ccn.test/graph/member/") || STRSTARTS(STR(?g), "http://ccn.test/graph/synthetic-member/")) }"""


def reads(rng: random.Random, n: int) -> list[tuple[str, dict]]:
    """n read requests: entity pages (HTML, Turtle, JSON-LD), SPARQL from the benchmark mix, search,
    facet listings, NCC pages, the catalogue and the home page."""
    queries = [p.read_text() for p in sorted(ROOT.joinpath("bench", "queries").glob("*.rq"))]
    states = ("ROU", "BEL", "DEU", "FRA", "ITA", "ESP", "POL", "NLD")
    out = []
    for _ in range(n):
        pick = rng.random()
        ref = f"1-{rng.randint(1, MEMBERS):06d}"
        if pick < 0.45:
            suffix, accept = rng.choice((("", "text/html"), (".ttl", "text/turtle"), (".jsonld", "application/ld+json")))
            out.append((f"/doc/synthetic-member/{ref}{suffix}", {"Accept": accept}))
        elif pick < 0.7:
            out.append((f"/sparql?query={urllib.parse.quote(rng.choice(queries))}",
                        {"Accept": "application/sparql-results+json"}))
        elif pick < 0.8:
            out.append((f"/search?q=synthetic+member+{ref[:-2]}", {"Accept": "text/html"}))
        elif pick < 0.9:
            out.append((f"/members?state={urllib.parse.quote(COUNTRY + rng.choice(states))}", {"Accept": "text/html"}))
        elif pick < 0.95:
            out.append((f"/doc/ncc/{rng.choice(('ro', 'be', 'de', 'fr'))}", {"Accept": "text/html"}))
        else:
            out.append((rng.choice(("/", "/catalog", "/void")), {"Accept": "text/turtle" if pick > 0.97 else "text/html"}))
    return out


def count(url: str, query: str) -> int:
    body = requests.get(f"{url}/sparql", params={"query": query}, timeout=60,
                        headers={"Accept": "application/sparql-results+json"}).json()
    return int(body["results"]["bindings"][0]["n"]["value"])


def test_mixed_reads_at_200_per_second_while_merging(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    members = tmp_path / "members.nq"
    with members.open("w") as out:
        generate.write_nquads(out, MEMBERS, 1, BASE)
    loaded = subprocess.run([str(Path(sys.executable).with_name("ccn-graph")), "load", str(members)], timeout=600,
                            env=cli_env(CCN_DATA_DIR=str(data), CCN_BASE_IRI=BASE), capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    token = Stewards(data).add("NCC Romania", ("RO",))
    running = Service(data)
    try:
        running.wait_healthy(timeout=300)
        before = count(running.url, RECORD_TRIPLES)
        plan = reads(random.Random(9), RATE * SECONDS)
        latencies: list[float] = [0.0] * len(plan)
        errors: list[str] = []
        merges: dict[str, int | None] = {}
        next_index, lock = [0], threading.Lock()
        start = time.perf_counter() + 0.5

        def client():
            session = requests.Session()
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= len(plan):
                    return
                due = start + i / RATE
                time.sleep(max(0.0, due - time.perf_counter()))
                path, headers = plan[i]
                try:
                    response = session.get(running.url + path, headers=headers, timeout=30)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {path[:80]}")
                except requests.RequestException as exc:
                    errors.append(f"{exc!r} {path[:80]}")
                latencies[i] = time.perf_counter() - due

        def submitter():
            session = requests.Session()
            for n in range(SECONDS):
                time.sleep(max(0.0, start + n - time.perf_counter()))
                ref = f"load-{n:03d}"
                response = session.post(f"{running.url}/submissions", data=member(ref, f"Load Lab {n}").encode(),
                                        timeout=30, headers={"Authorization": f"Bearer {token}",
                                                             "Content-Type": "text/turtle", "Accept": "application/json"})
                merges[ref] = response.status_code

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)] + [threading.Thread(target=submitter)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        after = count(running.url, RECORD_TRIPLES)
        whole = len(Graph().parse(data=member("x"), format="turtle", publicID=BASE))
    finally:
        running.stop()
    p95 = statistics.quantiles(latencies, n=100)[94]
    merged = sum(1 for s in merges.values() if s == 201)
    suite = "load"
    figures = [
        record(suite, "members", MEMBERS, "10,000", MEMBERS == 10_000),
        record(suite, "reads sent", len(plan), f"{RATE}/s for {SECONDS} s", len(plan) == RATE * SECONDS),
        record(suite, "achieved rate (requests/s)", round(len(plan) / elapsed), f">= {RATE * 0.95:g}",
               len(plan) / elapsed >= RATE * 0.95),
        record(suite, "read errors", len(errors), "0", not errors),
        record(suite, "read latency p50 (ms)", round(statistics.median(latencies) * 1000, 1), "informative", True),
        record(suite, "read latency p95 (ms)", round(p95 * 1000, 1), "< 200", p95 < 0.2),
        record(suite, "submissions merged", f"{merged}/{SECONDS}", f"{SECONDS}/{SECONDS}", merged == SECONDS),
        record(suite, "record triples after - before", after - before, f"= {merged} x {whole}",
               after - before == merged * whole),
    ]
    assert all(figures), errors[:10]
