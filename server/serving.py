"""Running the app under gunicorn, in this process, so that it shares the managed store's
lifetime."""

from __future__ import annotations

import gc

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.http import message

from ccn_graph.settings import Settings

#: gunicorn's own bound on a request line, in bytes.
_GUNICORN_LINE_LIMIT = message.MAX_REQUEST_LINE

#: Allocations (net of frees) between two collections of the youngest generation.
_YOUNG_OBJECTS = 10_000


class _Service(BaseApplication):
    def __init__(self, app: Flask, options: dict) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def request_line_limit(settings: Settings) -> int:
    """The longest request line taken: a GET carrying a query of `query_max_bytes`, every byte
    percent-encoded (three characters), with room for the path and the other parameters."""
    return 3 * settings.query_max_bytes + _GUNICORN_LINE_LIMIT


def _allow_request_lines(limit: int) -> None:
    # gunicorn caps `limit_request_line` at a module constant of 8,190 bytes, though the SPARQL
    # Protocol carries queries by GET: the constant is raised to the service's own bound (the
    # line stays bounded; `limit_request_line=0` would read a line of any length).
    message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, limit)


def run_gunicorn(app: Flask, settings: Settings) -> None:
    """Serve `app` with `settings.workers` processes until SIGINT or SIGTERM."""
    line_limit = request_line_limit(settings)
    _allow_request_lines(line_limit)
    options = {
        "limit_request_line": line_limit,
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        # Threads let one slow query not hold a whole worker hostage.
        "worker_class": "gthread",
        "threads": 4,
        # A worker is only killed well after the store's own query time limit has passed.
        "timeout": int(settings.query_timeout) + 30,
        "graceful_timeout": 10,
        "preload_app": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": settings.log_level.lower(),
        "proc_name": "ccn-graph",
        "control_socket_disable": True,
    }
    # What the app built at start-up (vocabularies, shapes, templates) lives as long as the workers:
    # frozen, the collector of every worker stops walking it (about 3% of an entity page's CPU)
    # and the pages the workers share after the fork stay shared.
    gc.collect()
    gc.freeze()
    # An entity page allocates tens of thousands of short-lived objects (rdflib terms, template
    # output): at the default threshold of 700 the youngest generation is collected dozens of
    # times per request, for nothing; they are freed by reference counting.
    gc.set_threshold(_YOUNG_OBJECTS, 50, 100)
    _Service(app, options).run()
