"""The commands that put data in the store and derive from it: ``load``, ``reindex``, ``dumps``,
and ``generate`` (synthetic members to load)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ccn_graph.cli.common import Command, CommandError, add_store_flags, store_session
from ccn_graph.importers import generate, loading
from ccn_graph.index.portal_index import PortalIndex, index_path
from ccn_graph.publish import catalogue_feed, dumps
from ccn_graph.settings import Settings
from ccn_graph.store import Store
from ccn_graph.write import ingest

__all__ = ["DUMPS", "GENERATE", "LOAD", "REINDEX"]


def _add_load_args(parser: argparse.ArgumentParser) -> None:
    add_store_flags(parser)
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop every graph first (needed to change the base IRI)",
    )
    parser.add_argument(
        "--file",
        type=Path,
        action="append",
        default=[],
        help="also bulk-load this RDF file (repeatable); format from the suffix",
    )
    parser.add_argument("--graph", help="named graph for --file (default {base}graph/load/{stem})")


def _cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    with store_session(settings, bulk=True) as store:
        try:
            report = loading.load_reference_data(store, settings.base_iri, reset=args.reset)
        except loading.BaseMismatch as exc:
            raise CommandError(str(exc)) from None
        print(
            f"loaded {report.triples} reference triples into {report.graphs} graphs "
            f"(data version {report.data_version}, base {settings.base_iri})"
        )
        for path in args.file:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            started = time.perf_counter()
            before = store.triple_count()
            graph = loading.load_file(store, path, settings.base_iri, args.graph)
            seconds = time.perf_counter() - started
            added = store.triple_count() - before
            where = graph or "the graphs it names"
            print(f"loaded {path} into {where} ({added} triples, {seconds:.1f} s)")
        _reindex(store, settings)
    return 0


def _reindex(store: Store, settings: Settings) -> tuple[dict, dict, bool]:
    """Rebuild the portal index from `store`; (maintained counts before, full recount after, whether
    the index was behind the store)."""
    index = PortalIndex(index_path(Path(settings.data_dir)), settings.base_iri)
    with ingest.file_lock(Path(settings.data_dir) / "write.lock"):
        behind = index.generation() != store.generation()
        maintained = {} if behind and index.generation() is None else index.maintained()
        started = time.perf_counter()
        index.rebuild(store, store.generation())
    print(f"portal index rebuilt ({time.perf_counter() - started:.1f} s)")
    return maintained, index.maintained(), behind


def _cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    with store_session(settings) as store:
        maintained, recount, behind = _reindex(store, settings)
    if behind:
        print("the index was behind the store (a bulk load, or a write cut short); it is repaired")
    differences = sorted(
        k for k in set(maintained) | set(recount) if maintained.get(k) != recount.get(k)
    )
    if differences and not behind:
        for facet, value in differences[:20]:
            print(
                f"  {facet} {value}: maintained {maintained.get((facet, value), 0)}, "
                f"recount {recount.get((facet, value), 0)}"
            )
        print(f"{len(differences)} maintained figures differed from the recount; they are repaired")
        return 1
    print(f"the maintained figures equal a full recount ({len(recount)} figures)")
    return 0


def _cmd_dumps(args: argparse.Namespace, settings: Settings) -> int:
    with store_session(settings) as store:
        root = Path(settings.data_dir) / "dumps"
        published = dumps.build_dumps(
            store,
            settings.base_iri,
            root,
            catalogue_feed.recorder(store, settings.base_iri, root),
            pace=dumps.BUILD_PACE,
        )
    print(
        f"the dumps of data version {published.version} are published ({len(published.datasets)} "
        "datasets)"
    )
    return 0


def _add_generate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-iri", help="CCN_BASE_IRI: base of instance IRIs")
    parser.add_argument("--members", type=int, required=True, help="how many synthetic members")
    parser.add_argument(
        "--projects", type=int, default=0, help="also this many synthetic funded projects"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same records)")
    parser.add_argument("--out", type=Path, help="N-Quads file to write (default: standard output)")


def _cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    if args.members < 0 or args.projects < 0:
        raise CommandError("--members and --projects must be 0 or more")
    if args.projects and not args.members:
        raise CommandError("synthetic projects need synthetic members: give --members too")
    if args.out is None:
        quads = generate.write_nquads(
            sys.stdout, args.members, args.seed, settings.base_iri, args.projects
        )
    else:
        with args.out.open("w", encoding="utf-8") as out:
            quads = generate.write_nquads(
                out, args.members, args.seed, settings.base_iri, args.projects
            )
    print(
        f"generated {args.members} synthetic members and {args.projects} projects ({quads} quads)",
        file=sys.stderr,
    )
    return 0


LOAD: Command = (
    "load",
    "load the bundled reference data (and optional files) into the store",
    _add_load_args,
    _cmd_load,
)
REINDEX: Command = (
    "reindex",
    "rebuild the portal index from the graph and check its figures against a full recount",
    add_store_flags,
    _cmd_reindex,
)
DUMPS: Command = (
    "dumps",
    "build the downloadable dumps of the current data version, unless they are published",
    add_store_flags,
    _cmd_dumps,
)
GENERATE: Command = (
    "generate",
    "write synthetic Community members (N-Quads) for demonstrations, tests and benchmarks",
    _add_generate_args,
    _cmd_generate,
)
