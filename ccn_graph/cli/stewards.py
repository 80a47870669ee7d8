"""The commands of and for data stewards: ``steward`` (the registry and its tokens) and
``submit`` (a file sent to a running service with a steward's token)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ccn_graph.cli.common import Command, CommandError
from ccn_graph.model.stewards import StewardError, Stewards
from ccn_graph.runtime import client
from ccn_graph.settings import Settings

__all__ = ["STEWARD", "SUBMIT"]


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


STEWARD: Command = (
    "steward",
    "add, list or revoke data stewards and their tokens",
    _add_steward_args,
    _cmd_steward,
)
SUBMIT: Command = (
    "submit",
    "submit an RDF file to a running service as a steward",
    _add_submit_args,
    _cmd_submit,
)
