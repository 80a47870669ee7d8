"""The store's HTTP transport: what each candidate client adds to one query, on loopback.

    python bench/transport.py [--queries 3000] [--out bench/reports/transport.md]

One Oxigraph server (the managed store's binary, on 127.0.0.1) answers the same small query
(``ASK {}``, SPARQL JSON, the query as the POST body, as the remote store sends it) through each
candidate, one after the other in rounds so that a slower moment of the machine falls on all of
them: `requests.Session`, a `urllib3.HTTPConnectionPool`, and the store's kept-alive `http.client`
connections (`ccn_graph.store.keepalive`). Measured per query: the wall time (median and p95 of
the rounds' means) and this process's CPU time; the server's own time is the same for all, so the
differences are the clients'. Writes a Markdown report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
import urllib3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ccn_graph.store import OxigraphServer, find_oxigraph  # noqa: E402
from ccn_graph.store.keepalive import KeepAlive  # noqa: E402

QUERY = b"ASK {}"
HEADERS = {
    "Accept": "application/sparql-results+json",
    "Content-Type": "application/sparql-query",
}


def candidates(url: str) -> dict:
    """name → a call that sends the query once and reads the whole answer."""
    session = requests.Session()
    session.trust_env = False  # as the store does on loopback: no proxy or netrc lookups
    parts = urllib3.util.parse_url(url)
    pool = urllib3.HTTPConnectionPool(parts.host, parts.port, maxsize=1, retries=False)
    kept = KeepAlive(connect_timeout=5.0, read_timeout=30.0)

    def with_requests() -> bytes:
        return session.post(url, data=QUERY, headers=HEADERS, timeout=(5.0, 30.0)).content

    def with_urllib3() -> bytes:
        return pool.request("POST", parts.path, body=QUERY, headers=HEADERS, timeout=30.0).data

    def with_http_client() -> bytes:
        return kept.request("POST", url, HEADERS, QUERY).data

    return {
        "requests.Session": with_requests,
        "urllib3.HTTPConnectionPool": with_urllib3,
        "http.client, kept alive (ccn_graph.store.keepalive)": with_http_client,
    }


def measure(calls: dict, queries: int, rounds: int) -> dict:
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        for _ in range(50):  # connections opened, code warm
            call()
    for _ in range(rounds):
        for name, call in calls.items():
            started, used = time.perf_counter(), time.process_time()
            for _ in range(queries // rounds):
                call()
            count = queries // rounds
            wall[name].append((time.perf_counter() - started) / count)
            cpu[name].append((time.process_time() - used) / count)
    return {
        name: (
            statistics.median(wall[name]),
            sorted(wall[name])[int(0.95 * (len(wall[name]) - 1))],
            statistics.median(cpu[name]),
        )
        for name in calls
    }


def report(results: dict, queries: int) -> str:
    floor = min(wall for wall, _, _ in results.values())
    lines = [
        "# The store's HTTP transport: per-query overhead",
        "",
        f"`python bench/transport.py --queries {queries}`, {time.strftime('%Y-%m-%d')}: "
        "`ASK {}` to an Oxigraph server on 127.0.0.1, SPARQL JSON, the query as the POST body; "
        "one connection kept open per client; the candidates in turn, in rounds. The client "
        "shares the machine's cores with the server.",
        "",
        "| client | wall per query, µs (median of rounds / p95) | client CPU per query, µs | "
        "wall over the fastest |",
        "|---|---|---|---|",
    ]
    for name, (wall, high, cpu) in results.items():
        lines.append(
            f"| {name} | {wall * 1e6:.0f} / {high * 1e6:.0f} | {cpu * 1e6:.0f} | "
            f"+{(wall - floor) * 1e6:.0f} µs |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "reports" / "transport.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = OxigraphServer(Path(folder), query_timeout=30, binary=find_oxigraph(""))
        with server:
            results = measure(candidates(f"{server.root}/query"), args.queries, args.rounds)
    text = report(results, args.queries)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
