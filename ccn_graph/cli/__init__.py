"""The ``ccn-graph`` command line: the library's commands, their parser and `main`.

The web service adds its own command (``serve``) in `server.cli`, which is what the installed
``ccn-graph`` script runs; this package never imports the web layer. Flags override the
environment, which overrides defaults; settings are resolved once, here, and passed down. Each
group of commands lives in a module of its own (`data`, `imports`, `stewards`, `inspection`,
`children`); what they share is in `common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ccn_graph import __version__
from ccn_graph.cli import children, data, imports, inspection, stewards
from ccn_graph.cli.common import (
    Command,
    CommandError,
    add_store_flags,
    configure_logging,
    settings_from_args,
    store_session,
)
from ccn_graph.model import reference
from ccn_graph.settings import SettingsError
from ccn_graph.store import ManagedStoreError, StoreError

__all__ = ["Command", "CommandError", "add_store_flags", "build_parser", "main", "store_session"]

# In the order `ccn-graph --help` lists them.
LIBRARY_COMMANDS: tuple[Command, ...] = (
    inspection.SETTINGS,
    data.LOAD,
    imports.IMPORT,
    stewards.STEWARD,
    inspection.VALIDATE,
    stewards.SUBMIT,
    data.REINDEX,
    data.DUMPS,
    children.BUILD_PAST,
    children.QUERY_PAST,
    children.WORK_OUT_UPDATE,
    data.GENERATE,
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
