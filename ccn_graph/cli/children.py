"""The commands the service runs in child processes that it kills at their time limit:
``build-past`` and ``query-past`` (the graph at a past moment) and ``work-out-update``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ccn_graph.cli.common import Command, CommandError
from ccn_graph.rdfio import formats
from ccn_graph.settings import Settings
from ccn_graph.store import EmbeddedStore, StoreRequestError
from ccn_graph.write import updates

__all__ = ["BUILD_PAST", "QUERY_PAST", "WORK_OUT_UPDATE"]


def _add_query_past_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        type=Path,
        required=True,
        help="store folder of the graph at a past moment (see build-past; opened read-only)",
    )
    parser.add_argument("--accept", required=True, help="media type of the results")
    parser.add_argument(
        "--default-graph", action="append", default=[], help="default-graph-uri (repeatable)"
    )
    parser.add_argument(
        "--named-graph", action="append", default=[], help="named-graph-uri (repeatable)"
    )


def _add_work_out_update_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", type=Path, required=True, help="N-Quads file of the data graphs"
    )
    parser.add_argument("--base-iri", required=True, help="base of instance IRIs")


def _cmd_work_out_update(args: argparse.Namespace, settings: Settings) -> int:
    """The new lines of each named graph one update (from stdin) changes, as JSON to stdout: the
    service runs it in a child process that it kills at its time limit (see
    ccn_graph/write/updates.py).
    A refused update exits 2 with the reason (`UpdateRefused` is a ValueError)."""
    changed = updates.changed_lines(args.dataset, sys.stdin.read(), args.base_iri)
    json.dump({graph: sorted(lines) for graph, lines in changed.items()}, sys.stdout)
    return 0


def _add_build_past_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, required=True, help="store folder to make (it must not exist)"
    )
    parser.add_argument(
        "--start-from",
        type=Path,
        help="store folder to start from (a copy of it is made, then changed; it is only read)",
    )
    parser.add_argument(
        "--remove", type=Path, help="file of graph IRIs to remove first, one a line"
    )


def _cmd_build_past(args: argparse.Namespace, settings: Settings) -> int:
    """Load the graph at a past moment (N-Quads, from stdin) into a new store folder, for
    `query-past`; or start from another moment's folder, remove the graphs that differ, and load
    them as they were. The service runs it in a child process that it kills at its time limit
    (see ccn_graph/store/past.py)."""
    if args.out.exists():
        raise CommandError(f"{args.out} exists already: give a folder to make")
    if args.start_from is not None:
        source = EmbeddedStore(args.start_from, read_only=True)
        source.copy_to(args.out)
        source.close()
    store = EmbeddedStore(args.out)
    try:
        if args.remove is not None:
            store.remove_graphs(
                line.strip()
                for line in args.remove.read_text(encoding="utf-8").splitlines()
                if line.strip()
            )
        store.load_as_is(sys.stdin.buffer, formats.N_QUADS)
    finally:
        store.close()
    return 0


def _cmd_query_past(args: argparse.Namespace, settings: Settings) -> int:
    """One query (from stdin) over a store folder of the graph at a past moment, results to
    stdout: the service runs it in a child process that it kills at its time limit (see
    ccn_graph/store/past.py)."""
    if not args.dataset.is_dir():
        raise CommandError(f"{args.dataset} is not a store folder (see build-past)")
    store = EmbeddedStore(args.dataset, read_only=True)
    try:
        stream = store.query_stream(
            sys.stdin.read(), args.accept, args.default_graph, args.named_graph
        )
    except StoreRequestError as exc:
        raise CommandError(str(exc)) from None
    sys.stdout.buffer.write(stream.read())
    return 0


BUILD_PAST: Command = (
    "build-past",
    "load the graph at a past moment (N-Quads, stdin) into a store folder (used by the service)",
    _add_build_past_args,
    _cmd_build_past,
)
QUERY_PAST: Command = (
    "query-past",
    "run one SPARQL query (stdin) over the graph at a past moment (used by the service)",
    _add_query_past_args,
    _cmd_query_past,
)
WORK_OUT_UPDATE: Command = (
    "work-out-update",
    "print what a SPARQL update (stdin) would change in a file of the graph (used by the service)",
    _add_work_out_update_args,
    _cmd_work_out_update,
)
