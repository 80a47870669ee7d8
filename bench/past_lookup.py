"""Time of a one-triple SPARQL lookup over the graph as it was (`/sparql?at=`), over a loaded store.

    python bench/past_lookup.py --data-dir DIR [--changes 20] [--out bench/reports/past-10k.md]

The data dir must hold a store loaded with the reference data and synthetic members
(`ccn-graph generate --members 10000 --out members.nq`, then `ccn-graph load --file members.nq`);
it is copied first, so the run leaves it as it was. Runs the real app over HTTP against the managed
Oxigraph server of the copy. After the load, `--changes` new members are submitted through the
gate, then the lookup is asked at a time before them (a settled moment: the graphs they wrote are
read from the history) and at the present, each three times: first (the moment's copy is built),
again (the copy is shared), and at another time of the same moment (the same copy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccn_graph.model.stewards import Stewards  # noqa: E402
from ccn_graph.settings import load_settings  # noqa: E402
from ccn_graph.store import managed_server, open_store  # noqa: E402
from server import create_app  # noqa: E402
from tests.conftest import LiveApp  # noqa: E402
from tests.test_submissions import member  # noqa: E402

JSON = "application/sparql-results+json"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--base-iri", default="http://ccn.bench/")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ccn-past-bench-"))
    data = work / "data"
    shutil.copytree(
        args.data_dir, data, ignore=shutil.ignore_patterns("server.json", "past", "cache")
    )
    settings = load_settings(
        environ={}, overrides={"data_dir": str(data), "base_iri": args.base_iri}
    )
    server = managed_server(settings)
    server.start()
    rows = []
    try:
        store = open_store(settings, server.endpoints)
        triples = store.triple_count()
        # No answer cache: every lookup is worked out.
        app_settings = settings.replace(data_dir=str(work / "app"), cache_mb=0)
        Path(app_settings.data_dir).mkdir()
        app = create_app(app_settings, store)
        token = Stewards(Path(app_settings.data_dir)).add("bench", ("RO",))
        live = LiveApp(app)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        }
        time.sleep(1.1)
        before = dt.datetime.now(dt.UTC)
        time.sleep(1.1)
        for i in range(args.changes):
            response = requests.post(
                f"{live.url}/submissions",
                data=member(f"past-bench-{i:03d}").encode(),
                headers=headers,
                timeout=600,
            )
            assert response.status_code == 201, response.text
        entity = f"{args.base_iri}id/synthetic-member/1-000042"
        query = (
            f"SELECT ?name WHERE {{ <{entity}> "
            "<http://www.w3.org/2004/02/skos/core#prefLabel> ?name }"
        )

        def lookup(when: dt.datetime) -> float:
            started = time.perf_counter()
            response = requests.get(
                f"{live.url}/sparql",
                params={"query": query, "at": when.isoformat()},
                headers={"Accept": JSON},
                timeout=600,
            )
            seconds = time.perf_counter() - started
            assert response.status_code == 200, response.text
            assert response.json()["results"]["bindings"], response.text
            return seconds

        for name, when, other in [
            ("before the changes (settled)", before, before - dt.timedelta(seconds=1)),
            (
                "the present",
                dt.datetime.now(dt.UTC),
                dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
            ),
        ]:
            first, again, same_moment = lookup(when), lookup(when), lookup(other)
            rows.append((name, first, again, same_moment))
        repeats = [lookup(before) for _ in range(5)]
        live.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "# `/sparql?at=`: a one-triple lookup over the graph as it was "
        f"({triples:,} triples in the store)",
        "",
        f"`python bench/past_lookup.py --data-dir DIR --changes {args.changes}`, "
        f"{dt.date.today()}: the store of "
        "`ccn-graph load` with the reference data and synthetic members, then "
        f"{args.changes} new members submitted through the gate; the real app over HTTP, on the "
        "managed Oxigraph server, 2 cores shared with the client.",
        "",
        "| moment asked | first (the copy is built) | again (shared) "
        "| another time of the same moment |",
        "|---|---|---|---|",
        *(
            f"| {name} | {first:.2f} s | {again:.2f} s | {other:.2f} s |"
            for name, first, again, other in rows
        ),
        "",
        f"Median of five more lookups at the settled moment: {statistics.median(repeats):.2f} s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
