"""The service description (``GET /sparql``, Turtle) on the first request after each write.

    python bench/service_description.py [--members 100000] [--writes 10]

N synthetic members bulk-loaded into Oxigraph as `ccn-graph load --file` loads them, `ccn-graph
serve` over it with the response cache on (as deployed), then, `--writes` times, one submission
and the first ``GET /sparql`` after it, timed; and the same description asked again (from the
cache). The target: at most 1 s after a write. Writes bench/reports/service-description-{N}.md and
exits 1 when the target is missed. Every server binds to 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import App, loaded_oxigraph  # noqa: E402

from tests.test_submissions import member  # noqa: E402

TARGET_SECONDS = 1.0
REPORTS = Path(__file__).resolve().parent / "reports"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ccn-sd-"))
    stack = contextlib.ExitStack()
    try:
        oxigraph, store, seconds = loaded_oxigraph(work, args.members, stack)
        graphs = len(store.graph_names())
        started = time.perf_counter()
        store.graph_names()
        listing = time.perf_counter() - started
        print(f"loaded in {seconds:.1f} s; {graphs} graphs, listed in {listing:.2f} s", flush=True)
        app = App(oxigraph.endpoints, work / "app", 256, 2)
        stack.callback(app.stop)
        session = requests.Session()
        headers = {
            "Authorization": f"Bearer {app.token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        }
        after_write, cached = [], []
        for i in range(args.writes):
            body = member(f"sd-{i:04d}", f"Description Lab {i}").encode()
            response = session.post(f"{app.url}/submissions", data=body, headers=headers)
            assert response.status_code == 201, response.text[:300]
            for times in (after_write, cached):
                started = time.perf_counter()
                answer = session.get(f"{app.url}/sparql", headers={"Accept": "text/turtle"})
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text[:300]
            print(f"  write {i + 1}: {after_write[-1] * 1000:.0f} ms", flush=True)
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
    worst = max(after_write)
    lines = [
        f"# The service description after a write — {args.members:,} members",
        "",
        f"Run {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on {os.cpu_count()} cores by "
        "`bench/service_description.py`: `ccn-graph serve` (response cache on) over the managed "
        f"Oxigraph with {args.members:,} members bulk-loaded ({graphs:,} named graphs); "
        f"{args.writes} times, a submission and then `GET /sparql` (`Accept: text/turtle`).",
        "",
        "| | median | worst |",
        "|---|---|---|",
        f"| first request after a write | {statistics.median(after_write) * 1000:.0f} ms "
        f"| {worst * 1000:.0f} ms |",
        f"| the next one (cached) | {statistics.median(cached) * 1000:.1f} ms "
        f"| {max(cached) * 1000:.1f} ms |",
        f"| the graph list alone, on the store (`list_graphs.rq`) | {listing * 1000:.0f} ms | |",
        "",
        f"Target: at most {TARGET_SECONDS:g} s after a write — "
        + ("met." if worst <= TARGET_SECONDS else "**missed**."),
        "",
    ]
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"service-description-{args.members // 1000}k.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
