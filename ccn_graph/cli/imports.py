"""The ``import`` command: funded projects and their participants from open-data exports
(CORDIS), validated and written through the same gate as the service's writes."""

from __future__ import annotations

import argparse
from pathlib import Path

from ccn_graph.cli.common import Command, CommandError, add_store_flags, store_session
from ccn_graph.importers import cordis, loading
from ccn_graph.settings import Settings
from ccn_graph.write import WriteRefused
from ccn_graph.write.build import build_writer

__all__ = ["IMPORT"]


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


IMPORT: Command = (
    "import",
    "import funded projects and participants from open-data exports (validated, all or nothing)",
    _add_import_args,
    _cmd_import,
)
