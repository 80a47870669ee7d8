"""What every ``ccn-graph`` command shares: the shape of a command, the error that stops one,
the store flags, the settings they resolve to, and the store a command works on."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from ccn_graph.settings import Settings, load_settings
from ccn_graph.store import (
    EmbeddedStore,
    Endpoints,
    Store,
    managed_server,
    open_store,
    read_server_file,
)

__all__ = [
    "Command",
    "CommandError",
    "add_store_flags",
    "configure_logging",
    "settings_from_args",
    "store_session",
]

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
