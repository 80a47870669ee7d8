"""Median time to validate and merge one Community member record, over a loaded store.

    python bench/submission_latency.py --data-dir DIR [--count 30] [--update]

With `--update`, the change is a SPARQL Update at /update (rename one member) instead of a file
submission: it shows the cost of the working copy (decision 25 of docs/architecture.md).

The data dir must hold a store loaded with the reference data (and, for a meaningful figure,
synthetic members: `ccn-graph generate --members 100000` then `ccn-graph load --file`). Runs the
real app over HTTP against the managed Oxigraph server of that data dir, as a steward of RO.
"""

from __future__ import annotations

import argparse
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

RENAME = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
DELETE {{ GRAPH ?g {{ <{member}> skos:prefLabel ?old }} }}
INSERT {{ GRAPH ?g {{ <{member}> skos:prefLabel "{name}"@en }} }}
WHERE {{ GRAPH ?g {{ <{member}> skos:prefLabel ?old }} }}"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--base-iri", default="http://ccn.test/")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument(
        "--update", action="store_true", help="measure SPARQL Update at /update instead"
    )
    args = parser.parse_args()
    settings = load_settings(overrides={"data_dir": args.data_dir, "base_iri": args.base_iri})
    server = managed_server(settings)
    server.start()
    try:
        store = open_store(settings, server.endpoints)
        print(f"store: {store.triple_count()} triples")
        app_settings = settings.replace(data_dir=str(Path(tempfile.mkdtemp())))
        app = create_app(app_settings, store)
        registry = Stewards(Path(app_settings.data_dir))
        token = registry.add("bench", ("RO",))
        live = LiveApp(app)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        }
        requests.post(
            f"{live.url}/submissions",
            data=member("bench-warm").encode(),
            headers=headers,
            timeout=60,
        )
        times = []
        for i in range(args.count):
            if args.update:
                url = f"{live.url}/update"
                body = RENAME.format(
                    member=f"{args.base_iri}id/member/bench-warm", name=f"Bench Lab {i}"
                ).encode()
                kind = {**headers, "Content-Type": "application/sparql-update"}
            else:
                url = f"{live.url}/submissions"
                body = member(f"bench-{i:04d}", f"Bench Lab {i}").encode()
                kind = headers
            started = time.perf_counter()
            response = requests.post(url, data=body, headers=kind, timeout=600)
            times.append(time.perf_counter() - started)
            assert response.status_code in (200, 201), response.text
        live.close()
        what = "SPARQL Update of" if args.update else "validate + merge"
        median, tail = statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]
        print(
            f"{what} one member: median {median * 1000:.1f} ms, "
            f"p95 {tail * 1000:.1f} ms over {len(times)} submissions"
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
