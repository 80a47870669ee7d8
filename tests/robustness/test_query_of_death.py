"""Queries of death: CPU-bound (cross products, COUNT over them), memory-bound (a huge ORDER BY,
GROUP_CONCAT of a cross product) and property-path explosions, each sent while a client keeps
asking cheap questions. Each is stopped within the query limit + 5 s; the managed store's
memory stays under its cap; the cheap questions keep p99 < 1 s."""

from __future__ import annotations

import statistics
import threading
import time

import requests

from ..figures import record
from ..test_service import oxigraph_pid
from .conftest import LIMITS

DEATHS = {
    "cross product, counted": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "cross product, streamed": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "huge ORDER BY": "SELECT ?c ?f ?i WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
    "ORDER BY DESC(STR(?c)) ?f ?i LIMIT 1",
    "GROUP_CONCAT of a cross product": "SELECT (GROUP_CONCAT(CONCAT(STR(?c), STR(?f), STR(?i))) "
    "AS ?all) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "DISTINCT over a cross product": "SELECT DISTINCT ?c ?f ?i "
    "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 1",
    "property path explosion": "SELECT (COUNT(*) AS ?n) "
    "WHERE { ?x (!<urn:x:none>|^!<urn:x:none>)* ?y . ?y ?p ?z }",
    "nested paths": "SELECT (COUNT(*) AS ?n) WHERE { ?x (<http://www.w3.org/2004/02/skos/core#broader>*/"
    "!<urn:x:none>*)* ?y . ?z ?q ?y }",
    "string blow-up": "SELECT (STRLEN(GROUP_CONCAT(?big)) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
    "BIND (CONCAT(STR(?c), STR(?c), STR(?c), STR(?c), STR(?c), STR(?c), STR(?c), STR(?c)) "
    "AS ?big) }",
}
CHEAP = (
    "ASK { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s a <https://w3id.org/ccn-graph/ontology#NationalCoordinationCentre> } "
    "LIMIT 5",
)


def rss_mb(pid: int) -> float:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def test_queries_of_death_are_stopped_and_the_rest_keeps_answering(service):
    running, _, data = service
    limit, cap = float(LIMITS["query_timeout"]), LIMITS["store_memory_mb"]
    stop = threading.Event()
    cheap: list[float] = []
    cheap_errors: list[str] = []
    peak = [0.0]

    def ask_cheap():
        session = requests.Session()
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = session.get(
                    f"{running.url}/sparql",
                    timeout=30,
                    params={"query": CHEAP[n % 2]},
                    headers={"Accept": "application/sparql-results+json"},
                )
                if response.status_code != 200:
                    cheap_errors.append(f"{response.status_code} {response.text[:120]}")
            except requests.RequestException as exc:
                cheap_errors.append(repr(exc))
            cheap.append(time.perf_counter() - started)
            n += 1
            time.sleep(0.05)

    def watch_memory():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_mb(oxigraph_pid(data)))
            except (FileNotFoundError, ValueError, KeyError):
                pass  # the store is being restarted
            time.sleep(0.02)

    helpers = [threading.Thread(target=ask_cheap), threading.Thread(target=watch_memory)]
    for helper in helpers:
        helper.start()
    stopped: dict[str, tuple[int, float]] = {}
    try:
        for name, text in DEATHS.items():
            started = time.perf_counter()
            response = requests.post(
                f"{running.url}/sparql",
                data={"query": text},
                timeout=limit + 60,
                headers={"Accept": "application/sparql-results+json"},
            )
            stopped[name] = (response.status_code, time.perf_counter() - started)
            time.sleep(1.0)
    finally:
        stop.set()
        for helper in helpers:
            helper.join()
    memory_stops = running.output().count("past 90% of CCN_STORE_MEMORY_MB")
    suite = "query of death"
    slowest = max(seconds for _, seconds in stopped.values())
    p99 = statistics.quantiles(cheap, n=100)[98] if len(cheap) >= 100 else max(cheap)
    figures = [
        record(suite, "queries of death sent", len(stopped), ">= 8", len(stopped) >= 8),
        record(
            suite,
            "slowest stop (s)",
            round(slowest, 1),
            f"<= {limit + 5:g} (limit + 5 s)",
            slowest <= limit + 5,
        ),
        record(
            suite,
            "answers other than 503 or a cut result",
            sorted(f"{n}: {s}" for n, (s, _) in stopped.items() if s not in (200, 503)),
            "none",
            all(s in (200, 503) for s, _ in stopped.values()),
        ),
        record(
            suite,
            "store stopped for memory",
            memory_stops,
            ">= 1 (the cap is what held)",
            memory_stops >= 1,
        ),
        record(
            suite,
            "peak store memory (MB)",
            round(peak[0]),
            f"< {cap} (CCN_STORE_MEMORY_MB)",
            0 < peak[0] < cap,
        ),
        record(suite, "cheap queries meanwhile", len(cheap), ">= 100", len(cheap) >= 100),
        record(suite, "cheap queries p99 (s)", round(p99, 3), "< 1", p99 < 1.0),
        record(suite, "cheap queries failed", len(cheap_errors), "0", not cheap_errors),
    ]
    assert all(figures), (stopped, cheap_errors[:5])
    assert running.health().status_code == 200
