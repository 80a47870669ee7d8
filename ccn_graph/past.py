"""SPARQL over the graph as it was at a given time (read-only).

The records as they were at the time — for each record graph, its version current then
(`history.current_at`) — with the vocabularies and reference graphs as they are now, are written
once to an N-Quads file in ``{data_dir}/past/`` (kept for the next query about the same moment).
Each query then runs in a child process (``ccn-graph query-past``) that loads the file into an
in-memory store: pyoxigraph cannot stop a query, so the child is killed at the endpoint's time
limit, which counts the loading too. The answers are what the store would give: SPARQL TSV or
JSON, N-Triples.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ccn_graph import children, history
from ccn_graph.iris import STORE_STATE_GRAPH, entity_for_record, provenance_graph_prefix
from ccn_graph.store import Store
from ccn_graph.store.base import QueryStream, QueryTimeout, StoreRequestError

__all__ = ["PastStore", "dataset_at"]

#: Files of past moments kept in ``{data_dir}/past``.
KEPT = 4
_CHUNK = 64 * 1024


def dataset_at(store: Store, base: str, when: dt.datetime, folder: Path) -> Path:
    """The N-Quads file of the graph as it was at `when` (written unless kept from before)."""
    current = history.heads(store, ())
    state = store.state()
    final = current.last_time is not None and when < current.last_time
    # A moment before the latest change is settled; a later one may still gain versions.
    key = f"{when:%Y%m%dT%H%M%S}-{'final' if final else current.count}-{state.reference_version if state else ''}"
    target = folder / f"at-{key}.nq"
    if target.exists():
        os.utime(target)
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".tmp-", suffix=".nq", encoding="utf-8",
                                     delete=False) as out:
        records = set()
        for version in history.current_at(store, when):
            records.add(version.graph)
            out.writelines(history.nt_line(t, version.graph) for t in version.content)
        for graph in store.graph_names():
            if (graph in records or entity_for_record(base, graph) or graph.startswith(provenance_graph_prefix(base))
                    or graph in (STORE_STATE_GRAPH, history.HISTORY_GRAPH)):
                continue
            out.writelines(history.nt_line(t, graph) for t in store.read_graph(graph))
    Path(out.name).replace(target)
    for old in sorted(folder.glob("at-*.nq"), key=lambda p: p.stat().st_mtime)[:-KEPT]:
        old.unlink(missing_ok=True)
    return target


class PastStore:
    """Answers queries over the graph as it was at `when` (see the module's docstring); the same
    `query_stream` as a `Store`. Raises `QueryTimeout` past `timeout` seconds, and
    `StoreRequestError` for a query the child refuses."""

    backend = "past"

    def __init__(self, store: Store, base: str, when: dt.datetime, folder: Path, timeout: float,
                 environ: dict[str, str]) -> None:
        self.store, self.base, self.when, self.folder = store, base, when, folder
        self.timeout, self.environ = timeout, environ

    def query_stream(self, query: str, accept: str, default_graphs: Sequence[str] = (),
                     named_graphs: Sequence[str] = ()) -> QueryStream:
        dataset = dataset_at(self.store, self.base, self.when, self.folder)
        args = ["query-past", "--dataset", str(dataset), "--accept", accept]
        for graph in default_graphs:
            args += ["--default-graph", graph]
        for graph in named_graphs:
            args += ["--named-graph", graph]
        output = tempfile.TemporaryFile()
        try:
            done = children.run_ccn_graph(args, env=self.environ, input=query.encode(), stdout=output,
                                          timeout=self.timeout)
        except children.TimeoutExpired:
            output.close()
            raise QueryTimeout(f"the query over the graph at {self.when:%Y-%m-%dT%H:%M:%SZ} ran longer than "
                               f"{self.timeout:g} s", stopped=True) from None
        if done.returncode != 0:
            output.close()
            words = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            raise StoreRequestError(words[-1] if words else f"the query failed (exit status {done.returncode})")
        output.seek(0)

        def chunks():
            while block := output.read(_CHUNK):
                yield block

        return QueryStream(accept.split(";", 1)[0].strip(), chunks(), output.close)
