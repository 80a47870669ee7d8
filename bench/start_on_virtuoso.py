"""CCN Graph starting over a Virtuoso loaded as `bench/run.py` loads it, and answering the mix.

    python bench/start_on_virtuoso.py [--members 100000]

The Virtuoso part of `bench/run.py` alone: N synthetic members bulk-loaded into Oxigraph with
`ccn-graph load --file`'s code (so with their history), the dataset dumped and loaded into a
Virtuoso set up as docs/deploy.md says by its own bulk loader, then `ccn-graph serve`
(`CCN_STORE_PROFILE=virtuoso`, cache off) over it, and each query of the mix sent to it once.
Prints the largest graph, how long the service took to start and each query's status; exits 1
when the service does not start or a query fails. Every server binds to 127.0.0.1 and is
stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import App, Target, Virtuoso, dump_of, loaded_oxigraph, mix  # noqa: E402

from ccn_graph.store import (  # noqa: E402
    VirtuosoStore,
)

TRIPLES_BY_GRAPH = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def probe(store: VirtuosoStore) -> None:
    """The reads the service starts with, each timed: the list of graphs, the first pages of the
    dataset, the count."""
    started = time.perf_counter()
    names = store.graph_names()
    print(f"  {len(names)} graph names in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    stream = store.dataset_stream()
    quads = 0
    for chunk in stream.chunks:
        quads += chunk.count(b"\n")
    print(f"  the dataset, {quads} quads, in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    print(f"  {store.triple_count()} triples counted in {time.perf_counter() - started:.1f} s")
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ccn-virtuoso-"))
    stack = contextlib.ExitStack()
    failed = False
    try:
        oxigraph, store, seconds = loaded_oxigraph(work, args.members, stack)
        print(f"loaded in {seconds:.1f} s", flush=True)
        sizes = store.select(TRIPLES_BY_GRAPH)
        largest = max(sizes, key=lambda row: int(row["triples"]))
        print(
            f"{sum(int(r['triples']) for r in sizes)} triples in {len(sizes)} graphs; the largest: "
            f"{largest['g']} ({int(largest['triples'])} triples)",
            flush=True,
        )
        dump = dump_of(store, work / "dump" / "data.nq")
        oxigraph.stop()
        deployed = Virtuoso(work / "virtuoso-deployed", dump)
        stack.callback(deployed.stop)
        print(f"Virtuoso loaded in {deployed.load_seconds:.1f} s", flush=True)
        probe(VirtuosoStore(deployed.endpoints, timeout=600))
        started = time.perf_counter()
        app = App(deployed.endpoints, work / "app-virtuoso", 0, 2, profile="virtuoso")
        stack.callback(app.stop)
        print(f"ccn-graph serve on Virtuoso answered in {time.perf_counter() - started:.1f} s")
        target = Target("CCN Graph on Virtuoso", app.url + "/sparql")
        for name, _, text in mix(args.members):
            try:
                print(f"  {name}: 200 in {target.ask(text) * 1000:.1f} ms", flush=True)
            except Exception as exc:
                failed = True
                print(f"  {name}: FAILED {str(exc)[:300]}", flush=True)
    except Exception as exc:
        failed = True
        print(f"FAILED: {exc}", flush=True)
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
