"""The installed ``ccn-graph`` command: the library's commands plus ``serve``."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ccn_graph import cli
from ccn_graph.importers import loading
from ccn_graph.model import reference
from ccn_graph.settings import Settings
from ccn_graph.store import Store, managed_server, open_store
from ccn_graph.store.managed import request_restart

log = logging.getLogger("ccn_graph.serve")


def _add_serve_args(parser: argparse.ArgumentParser) -> None:
    cli.add_store_flags(parser)
    parser.add_argument("--host", help="CCN_HOST: address to bind")
    parser.add_argument("--port", type=int, help="CCN_PORT: port to listen on")
    parser.add_argument("--workers", type=int, help="CCN_WORKERS: web worker processes")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="Flask's development server with debugging (never in production)",
    )


def prepare_store(store: Store, settings: Settings) -> None:
    """Check that the store fits the settings and load it if it is empty and autoload is on.

    Raises `loading.BaseMismatch` when the store was loaded for another base IRI.
    """
    state = store.state()
    loading.check_base(state, settings.base_iri)
    if state is None:
        if settings.autoload:
            log.info("the store is empty: loading the bundled reference data")
            loading.load_reference_data(store, settings.base_iri)
        else:
            log.warning("the store is empty and CCN_AUTOLOAD is off; run `ccn-graph load`")
    elif state.reference_version != reference.reference_version():
        log.warning(
            "the bundled reference data changed since the store was loaded; run `ccn-graph load`"
        )


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from server import context, create_app
    from server.serving import run_gunicorn

    server = None
    if settings.managed_store:
        server = managed_server(settings)
        server.start()
        store = open_store(settings, server.endpoints)
    else:
        store = open_store(settings)
    try:
        try:
            prepare_store(store, settings)
        except loading.BaseMismatch as exc:
            raise cli.CommandError(str(exc)) from None
        on_deadline = (
            (lambda: request_restart(Path(settings.data_dir)))
            if server is not None
            else (lambda: None)
        )
        app = create_app(
            settings, store, on_query_deadline=on_deadline, metrics_dir=_metrics_dir(settings)
        )
        services = context.services(app)
        if services.portal.generation() != store.generation():
            log.info(
                "bringing the portal index up to the store "
                "(after a bulk load or an interrupted write)"
            )
            services.portal.ensure(store, store.generation(), services.writer.write_lock)
        log.info(
            "serving CCN Graph at http://%s:%s/ (base IRI %s)",
            settings.host,
            settings.port,
            settings.base_iri,
        )
        if args.debug:
            app.run(host=settings.host, port=settings.port, debug=True, use_reloader=False)
        else:
            run_gunicorn(app, settings)
    finally:
        if server is not None:
            server.stop()
    return 0


def _metrics_dir(settings: Settings) -> str:
    """A fresh folder where the worker processes share their metrics (prometheus_client's
    multi-process mode, which is switched on by this environment variable)."""
    folder = Path(settings.data_dir) / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return str(folder)


SERVE: cli.Command = (
    "serve",
    "run the web service (and the managed store)",
    _add_serve_args,
    _cmd_serve,
)


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, extra=(SERVE,))


if __name__ == "__main__":
    sys.exit(main())
