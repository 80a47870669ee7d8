"""The CCN Graph web service: a Flask app over a `ccn_graph.store.Store`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from ccn_graph.settings import Settings
from ccn_graph.store import Store

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    store: Store,
    *,
    on_query_deadline: Callable[[], object] = lambda: None,
    metrics_dir: str | None = None,
) -> Flask:
    """Create the app for `settings`, serving from `store` (the app keeps no other state).

    `on_query_deadline` is called when a query outlived its limit and the store did not stop it
    (the serve command passes the managed store's restart). `metrics_dir` is the folder where
    worker processes share their metrics, if there are several.
    """
    from server import context
    from server.services import build_services

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    services = build_services(settings, store, on_query_deadline, metrics_dir)
    context.install(app, services)
    _follow_writes(services)
    _install_hooks(app)
    _register_blueprints(app)
    return app


def _follow_writes(services) -> None:
    """What follows a write, in this order, under its lock: the portal index, the submission log,
    then the dumps (scheduled, built later)."""

    def changed(outcome) -> bool:
        return outcome.accepted and not outcome.unchanged

    services.writer.listen(
        lambda outcome: (
            changed(outcome)
            and services.portal.apply(outcome.written, *outcome.generations, services.store)
        )
    )
    services.writer.listen(services.submissions_log)
    services.writer.listen(lambda outcome: changed(outcome) and services.dumps.request())


def _install_hooks(app: Flask) -> None:
    """What runs around every request; in this order, as each one's before and after hooks
    depend on those installed before it."""
    from server import errors, forwarding, headers, metrics, request_checks, request_log

    request_log.init_app(app)
    errors.init_app(app)
    request_checks.init_app(app)
    forwarding.init_app(app)
    headers.init_app(app)
    metrics.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from server import (
        catalog,
        changes,
        health,
        home,
        linked_data,
        members,
        memento,
        sparql,
        sparql_update,
        submissions,
        vocabulary_docs,
    )

    for module in (
        health,
        sparql,
        linked_data,
        memento,
        changes,
        vocabulary_docs,
        home,
        members,
        submissions,
        sparql_update,
        catalog,
    ):
        app.register_blueprint(module.blueprint)
