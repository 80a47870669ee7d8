"""What a steward's SPARQL Update would change, worked out on a copy before anything is written.

The store applies an update the moment it receives it, so an update cannot be validated there
first. Instead the update is evaluated by Oxigraph in memory, on a working copy of the data
graphs (every named graph except the provenance and store-state graphs, which the service keeps),
whose default graph holds the union of those graphs as the public default graph does (so a
WHERE clause reads what a query would). Changes are taken from the named graphs; an update that
removes triples from the default graph as such, or changes it alone, is refused with a hint, since
that graph is only a view. Comparing the copy before and after gives the new content of each named
graph the update changed; those graphs then go through the gate (`ingest.Gate.merge`: shapes,
scope, one atomic write with provenance) like any submission. Nothing here writes to the store.

Cost: the copy is the whole data set, so an update costs a read of the store plus an in-memory
load of it, in a child process that is stopped at the time limit and at the children's memory
limit; time and memory grow with the data set (bench/reports/figures-behind-comments.md), so
measure before using it on millions of triples.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

from ccn_graph import history
from ccn_graph.model.iris import STORE_STATE_GRAPH, provenance_graph_prefix
from ccn_graph.rdfio import formats
from ccn_graph.runtime import children
from ccn_graph.sparql import queries
from ccn_graph.store import EmbeddedStore, RequestSyntaxError, Store, StoreRequestError

__all__ = [
    "UpdateEffect",
    "UpdateOutOfMemory",
    "UpdateRefused",
    "UpdateTimeout",
    "changed_lines",
    "evaluate",
]


class UpdateRefused(ValueError):
    """The update cannot be applied as sent; the message says why and what to do instead."""


class UpdateTimeout(UpdateRefused):
    """Working out what the update would change took longer than its limit; nothing was written."""


class UpdateOutOfMemory(UpdateTimeout):
    """Working out what the update would change needed more memory than a child process may take
    (``CCN_CHILD_MEMORY_MB``); nothing was written. Answered as a timeout is (503): the update
    was stopped, not refused for what it says."""


@dataclasses.dataclass(frozen=True)
class UpdateEffect:
    """The new content of every named graph the update changed (empty: the graph is removed)."""

    graphs: dict[str, Graph]


# size: an update worked out in a child, with its limits and each way it can fail
def evaluate(
    store: Store,
    update: str,
    base_iri: str,
    *,
    work_dir: Path | None = None,
    time_limit: float,
    environ: dict[str, str],
) -> UpdateEffect:
    """Evaluate `update` on a copy of the data graphs of `store`; write nothing to `store`.

    Raises `UpdateRefused` when the update is not valid SPARQL Update, or when it changes the
    default graph in a way that is not a change of named graphs (the default graph is the union of
    the named graphs: triples are added to and removed from named graphs); `UpdateTimeout` when
    its evaluation takes longer than `time_limit` seconds (it runs in a child process,
    ``ccn-graph work-out-update`` with `environ`, killed then), `UpdateOutOfMemory` when it needs
    more memory than the child's setting in `environ` allows. The caller holds the write lock,
    so that what is evaluated here is what the gate then replaces.
    """
    # Reading the update (Oxigraph's parser, then rdflib's for its operations) is done in the child
    # too, under its limits: in this process, under the write lock, a small update could take
    # minutes and gigabytes to read.
    with tempfile.NamedTemporaryFile(suffix=".nq", dir=work_dir) as handle:
        stream = store.dataset_stream()
        try:
            for chunk in stream.chunks:
                handle.write(chunk)
        finally:
            stream.close()
        handle.flush()
        # In a child: an in-memory Oxigraph has no time limit of its own, and an update worked out
        # here holds the write lock (one that ran for ever held every write).
        output = tempfile.TemporaryFile(dir=work_dir)
        try:
            done = children.run_ccn_graph(
                ["work-out-update", "--dataset", handle.name, "--base-iri", base_iri],
                env=environ,
                input=update.encode(),
                stdout=output,
                timeout=time_limit,
            )
        except children.TimeoutExpired:
            output.close()
            raise UpdateTimeout(
                f"The update took longer than the limit of {time_limit:g} seconds to work out and "
                "was "
                "stopped; nothing was written. Narrow its WHERE pattern down and send it again."
            ) from None
        except children.OutOfMemory as exc:
            output.close()
            raise UpdateOutOfMemory(
                f"Working out the update needed more than the limit of {exc.memory_mb} MB of "
                "memory and it was "
                "stopped; nothing was written. Narrow its WHERE pattern down and send it again."
            ) from None
        with output:
            output.seek(0)
            answer = output.read()
    if done.returncode != 0:
        words = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        reason = (
            words[-1].removeprefix("ccn-graph: ") if words else f"exit status {done.returncode}"
        )
        raise UpdateRefused(
            reason
            if done.returncode == 2
            else f"The update could not be worked out ({reason}); nothing was written."
        )
    changed = {}
    for graph, lines in json.loads(answer).items():
        content = Graph()
        if lines:
            try:
                content.parse(
                    data="".join(f"{line} .\n" for line in lines),
                    format=formats.N_TRIPLES.rdflib_name,
                )
            except Exception as exc:  # noqa: BLE001 - rdflib raises many types; what it cannot read is refused
                raise UpdateRefused(
                    f"The update writes what CCN Graph does not keep (quoted triples, RDF-star, "
                    f"or a term it cannot read): {exc}"
                ) from None
        changed[graph] = content
    return UpdateEffect(changed)


def _default_graph_removal(update: str) -> str | None:
    """Which operation of `update` removes triples from the default graph as such (a DELETE
    template or data outside GRAPH without WITH, CLEAR or DROP DEFAULT), or None. Read from the
    operations themselves: on the working copy, whose default graph is a copy of the union, such
    a removal beside a change of named graphs looks like any other, and was applied in part.
    `DROP ALL` and `CLEAR ALL` also empty every named graph, so they are no such removal."""
    try:
        operations = translateUpdate(parseUpdate(update)).algebra
    except Exception:  # noqa: BLE001 - what rdflib cannot read, Oxigraph judges next (with its message)
        return None
    for operation in operations:
        if operation.name in ("DeleteData", "DeleteWhere") and operation.triples:
            return f"{operation.name} with triples outside GRAPH"
        if (
            operation.name == "Modify"
            and operation.delete
            and operation.delete.triples
            and not operation.withClause
        ):
            return "a DELETE template with triples outside GRAPH"
        if operation.name in ("Clear", "Drop") and operation.graphiri == "DEFAULT":
            return f"{operation.name.upper()} DEFAULT"
    return None


def changed_lines(dataset: Path, update: str, base_iri: str) -> dict[str, set[str]]:
    """The new lines of each named graph `update` changes, worked out on a copy of `dataset` (an
    N-Quads file); raises `UpdateRefused` (see `evaluate`)."""
    problem = _default_graph_removal(update)
    if problem:
        raise UpdateRefused(
            f"The update removes triples from the default graph ({problem}). The default graph is "
            "the "
            "union of the record graphs, so nothing would be removed from them: remove the "
            "triples from "
            "their graph, naming it with GRAPH (or WITH)."
        )
    copy = EmbeddedStore()
    copy.load_file(dataset, formats.N_QUADS)
    copy.run_update(
        queries.bind(
            queries.load("working_copy"),
            {
                "provenance": Literal(provenance_graph_prefix(base_iri)),
                "state": URIRef(STORE_STATE_GRAPH),
                "history": URIRef(history.HISTORY_GRAPH),
            },
        )
    )
    before = copy.graph_lines()
    try:
        copy.run_update(update)
    except RequestSyntaxError as exc:
        raise UpdateRefused(f"The update is not valid SPARQL 1.1 Update: {exc}") from None
    except StoreRequestError as exc:
        raise UpdateRefused(f"The update could not be applied: {exc}") from None
    after = copy.graph_lines()
    named_graphs = sorted(g for g in set(before) | set(after) if g is not None)
    new_lines = {
        g: after.get(g, set()) for g in named_graphs if after.get(g, set()) != before.get(g, set())
    }
    named_after = set().union(*(lines for g, lines in after.items() if g is not None))
    default_before, default_after = before.get(None, set()), after.get(None, set())
    stray = sorted(default_after - default_before - named_after)
    if stray:
        raise UpdateRefused(
            "The update adds triples to the default graph only (e.g. "
            + stray[0]
            + "). The default "
            "graph is the union of the record graphs: add triples to a record graph, with "
            "GRAPH <…> { … }."
        )
    if default_after != default_before and not new_lines:
        raise UpdateRefused(
            "The update changes the default graph only. The default graph is the union of the "
            "record "
            "graphs: change the named graphs, with GRAPH ?g in the template and in the WHERE "
            "pattern."
        )
    return new_lines
