"""The ``ccn-graph`` command line: the library's commands.

The web service adds its own command (``serve``) in `server.cli`, which is what the installed
``ccn-graph`` script runs; this module never imports the web layer. Flags override the
environment, which overrides defaults; settings are resolved once, here, and passed down.
"""

# size: the argparse tree of every ccn-graph command; a split by command group is pending

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rdflib import Graph

from ccn_graph import __version__
from ccn_graph.importers import cordis, generate, loading
from ccn_graph.index.portal_index import PortalIndex, index_path
from ccn_graph.model import reference
from ccn_graph.model.iris import graph_iri
from ccn_graph.model.stewards import StewardError, Stewards
from ccn_graph.publish import catalogue_feed, dumps
from ccn_graph.rdfio import formats, rdf_input
from ccn_graph.runtime import client
from ccn_graph.settings import Settings, SettingsError, load_settings
from ccn_graph.store import (
    EmbeddedStore,
    Endpoints,
    ManagedStoreError,
    Store,
    StoreError,
    StoreRequestError,
    managed_server,
    open_store,
    read_server_file,
)
from ccn_graph.write import WriteRefused, ingest, updates
from ccn_graph.write.build import build_writer
from ccn_graph.write.validation import Validator

__all__ = ["Command", "CommandError", "add_store_flags", "build_parser", "main", "store_session"]

log = logging.getLogger("ccn_graph")

#: (name, help, add_arguments, run) — run gets the parsed arguments and the settings.
Command = tuple[
    str,
    str,
    Callable[[argparse.ArgumentParser], None],
    Callable[[argparse.Namespace, Settings], int],
]


class CommandError(Exception):
    """A command cannot go on; the message tells the user what to do. Exit status 2."""


def add_store_flags(parser: argparse.ArgumentParser) -> None:
    """Flags every command that touches the store understands."""
    parser.add_argument("--data-dir", help="CCN_DATA_DIR: folder of the managed store")
    parser.add_argument("--base-iri", help="CCN_BASE_IRI: base of instance IRIs")
    parser.add_argument("--store-url", help="CCN_STORE_URL: query endpoint of a remote store")


def settings_from_args(args: argparse.Namespace, environ=None) -> Settings:
    """Resolve settings once: flags (those given) over environment over defaults."""
    fields = (
        "data_dir",
        "base_iri",
        "store_url",
        "host",
        "port",
        "workers",
        "log_level",
    )
    overrides = {f: getattr(args, f, None) for f in fields}
    return load_settings(environ, overrides)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@contextlib.contextmanager
def store_session(settings: Settings, *, bulk: bool = False) -> Iterator[Store]:
    """The store for a command, open for the duration of the `with` block.

    Remote store: as configured. Managed store: when the service is already running, its server;
    else with `bulk`, pyoxigraph directly on the store folder (fastest loading); else a managed
    server started for the block and stopped after it.
    """
    if settings.store_url:
        store = open_store(settings)
        try:
            yield store
        finally:
            store.close()
        return
    data_dir = Path(settings.data_dir)
    running = read_server_file(data_dir)
    if running:
        yield open_store(settings, Endpoints.for_oxigraph(f"http://127.0.0.1:{running['port']}"))
        return
    if bulk:
        (data_dir / "store").mkdir(parents=True, exist_ok=True)
        store = EmbeddedStore(data_dir / "store")
        try:
            yield store
        finally:
            store.close()
        return
    server = managed_server(settings)
    server.start()
    try:
        yield open_store(settings, server.endpoints)
    finally:
        server.stop()


def _cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    rows = settings.rows()
    width = max(len(name) for name, *_ in rows)
    for name, value, source, help_text in rows:
        print(f"{name:<{width}}  {value}  [{source}]")
        print(f"{'':<{width}}  {help_text}")
    return 0


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


def _add_import_args(parser: argparse.ArgumentParser) -> None:
    add_store_flags(parser)
    parser.add_argument(
        "source", choices=["cordis"], help="what the files are: cordis (CORDIS open-data exports)"
    )
    parser.add_argument(
        "files", type=Path, nargs="+", help="project and organization exports (CSV or JSON)"
    )
    parser.add_argument(
        "--topic-pattern",
        action="append",
        help="regular expression a project's topic code must match (repeatable; default: the "
        "Horizon Europe Cluster 3 cybersecurity and Digital Europe cybersecurity topics)",
    )
    parser.add_argument(
        "--programme-part",
        action="append",
        default=[],
        help=(
            "keep only projects whose legal basis starts with this code, e.g. HORIZON.2.3 "
            "(repeatable)"
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    for path in args.files:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
    defaults = cordis.Selection()
    selection = cordis.Selection(
        tuple(args.topic_pattern) if args.topic_pattern else defaults.topic_patterns,
        tuple(args.programme_part),
    )
    with store_session(settings) as store:
        state = store.state()
        if state is None:
            raise CommandError("the store is empty: run `ccn-graph load` first")
        try:
            loading.check_base(state, settings.base_iri)
        except loading.BaseMismatch as exc:
            raise CommandError(str(exc)) from None
        # Under the write lock of the data dir, as the service's own writes are.
        writer = build_writer(settings, store)
        try:
            report = cordis.import_files(
                store, writer, settings.base_iri, args.files, selection, dry_run=args.dry_run
            )
        except (cordis.MalformedFile, WriteRefused) as exc:
            raise CommandError(str(exc)) from None
    print("\n".join(report.lines()))
    rejected = report.outcome is not None and not report.outcome.report.conforms
    return 1 if rejected else 0


def _add_steward_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="CCN_DATA_DIR: where the steward registry is kept")
    parser.add_argument("action", choices=["add", "list", "revoke"])
    parser.add_argument("name", nargs="?", help="the steward's name (add, revoke)")
    parser.add_argument(
        "--scope", help="'network', or Member State codes such as RO or RO,BE (add)"
    )


def _cmd_steward(args: argparse.Namespace, settings: Settings) -> int:
    registry = Stewards(Path(settings.data_dir))
    try:
        if args.action == "list":
            for entry in registry.list():
                state = f"revoked {entry['revoked']}" if entry["revoked"] else "active"
                print(
                    f"{entry['name']}\t{','.join(entry['scope'])}\tadded {entry['added']}\t{state}"
                )
            return 0
        if not args.name:
            raise CommandError(f"steward {args.action} needs the steward's name")
        if args.action == "revoke":
            registry.revoke(args.name)
            print(f"revoked {args.name}")
            return 0
        if not args.scope:
            raise CommandError("steward add needs --scope network or --scope RO[,BE…]")
        token = registry.add(args.name, registry.parse_scope(args.scope))
    except StewardError as exc:
        raise CommandError(str(exc)) from None
    print(token)
    print(
        f"(the token of {args.name}; it is shown this once and stored only as a hash)",
        file=sys.stderr,
    )
    return 0


def _add_validate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-iri", help="CCN_BASE_IRI: base for relative IRIs")
    parser.add_argument("files", type=Path, nargs="+", help="RDF files (format from the suffix)")
    parser.add_argument("--json", action="store_true", help="the report as JSON")


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Offline: the files against the shapes, with the bundled reference data as context."""
    base = settings.base_iri
    graphs = reference.reference_graphs(base)
    ontology = graphs.pop(graph_iri(base, "ontology"))
    shapes = graphs.pop(graph_iri(base, "shapes"))
    data, texts = Graph(), {}
    for path in args.files:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        fmt = formats.rdf_format_for_suffix(path.suffix)
        if fmt is None:
            raise CommandError(f"{path}: cannot tell the RDF format from its suffix")
        try:
            submitted = rdf_input.parse_graph(path.read_bytes(), fmt.media_type, base)
        except rdf_input.InputError as exc:
            raise CommandError(f"{path}: {exc}") from None
        data += submitted
        if fmt in (formats.TURTLE, formats.N_TRIPLES):
            texts[path] = path.read_text(encoding="utf-8")
    focus = set(data.subjects())
    context = Graph()
    for graph in graphs.values():
        context += graph
    report = Validator(shapes, ontology).validate(data + context, focus)
    lines = {}
    for path, text in texts.items():
        for iri, line in rdf_input.focus_lines(
            text, base, {r.focus for r in report.results}
        ).items():
            lines.setdefault(iri, f"{path}:{line}")
    if args.json:
        print(
            json.dumps(
                {
                    "conforms": report.conforms,
                    "results": [
                        {
                            "focus": str(r.focus),
                            "path": str(r.path) if r.path else None,
                            "severity": r.severity,
                            "message": r.message,
                            "where": lines.get(str(r.focus)),
                        }
                        for r in report.results
                    ],
                },
                indent=1,
            )
        )
    else:
        for r in report.results:
            where = lines.get(str(r.focus), str(r.focus))
            print(f"{where}: {r.severity}: {r.message}")
        print(
            f"{'conforms' if report.conforms else 'does not conform'}: "
            f"{len(report.violations)} violations, {len(report.warnings)} warnings"
        )
    return 0 if report.conforms else 1


def _add_submit_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--token", required=True, help="the steward's bearer token")
    parser.add_argument("--url", help="the service (default http://CCN_HOST:CCN_PORT)")


def _cmd_submit(args: argparse.Namespace, settings: Settings) -> int:
    if not args.file.is_file():
        raise CommandError(f"{args.file}: no such file")
    url = args.url or f"http://{settings.host}:{settings.port}"
    try:
        status, body = client.submit(url, args.file, args.token)
    except OSError as exc:
        raise CommandError(f"cannot reach {url}: {exc}") from None
    print(json.dumps(body, indent=1))
    return 0 if status == 201 else 1


LIBRARY_COMMANDS: tuple[Command, ...] = (
    (
        "settings",
        "print every setting with its value, source and help",
        lambda p: None,
        _cmd_settings,
    ),
    (
        "load",
        "load the bundled reference data (and optional files) into the store",
        _add_load_args,
        _cmd_load,
    ),
    (
        "import",
        "import funded projects and participants from open-data exports (validated, all or "
        "nothing)",
        _add_import_args,
        _cmd_import,
    ),
    (
        "steward",
        "add, list or revoke data stewards and their tokens",
        _add_steward_args,
        _cmd_steward,
    ),
    (
        "validate",
        "validate RDF files against the shapes, offline (exit 1 when they do not conform)",
        _add_validate_args,
        _cmd_validate,
    ),
    (
        "submit",
        "submit an RDF file to a running service as a steward",
        _add_submit_args,
        _cmd_submit,
    ),
    (
        "reindex",
        "rebuild the portal index from the graph and check its figures against a full recount",
        add_store_flags,
        _cmd_reindex,
    ),
    (
        "dumps",
        "build the downloadable dumps of the current data version, unless they are published",
        add_store_flags,
        _cmd_dumps,
    ),
    (
        "build-past",
        "load the graph at a past moment (N-Quads, stdin) into a store folder (used by the "
        "service)",
        _add_build_past_args,
        _cmd_build_past,
    ),
    (
        "query-past",
        "run one SPARQL query (stdin) over the graph at a past moment (used by the service)",
        _add_query_past_args,
        _cmd_query_past,
    ),
    (
        "work-out-update",
        "print what a SPARQL update (stdin) would change in a file of the graph (used by the "
        "service)",
        _add_work_out_update_args,
        _cmd_work_out_update,
    ),
    (
        "generate",
        "write synthetic Community members (N-Quads) for demonstrations, tests and benchmarks",
        _add_generate_args,
        _cmd_generate,
    ),
)


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccn-graph",
        description=(
            "CCN Graph: the linked-data graph of the EU cybersecurity competence ecosystem."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ccn-graph {__version__}")
    parser.add_argument("--log-level", help="CCN_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, add_arguments, run in commands:
        command = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(command)
        command.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None, extra: Sequence[Command] = ()) -> int:
    """Run one command; returns the exit status (2 with a message for anything the user can fix)."""
    parser = build_parser((*LIBRARY_COMMANDS, *extra))
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
    except SettingsError as exc:
        print(f"ccn-graph: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return args.run(args, settings)
    except (CommandError, ManagedStoreError, reference.ReferenceDataError, ValueError) as exc:
        print(f"ccn-graph: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"ccn-graph: the store failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
