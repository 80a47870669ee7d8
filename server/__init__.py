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
    from pathlib import Path

    from ccn_graph.index.portal_index import PortalIndex, index_path
    from ccn_graph.model import reference
    from ccn_graph.model.stewards import Stewards
    from ccn_graph.runtime.cache import ResponseCache
    from ccn_graph.write import SubmissionLog
    from ccn_graph.write.build import build_writer
    from server import (
        catalog,
        changes,
        errors,
        forwarding,
        health,
        home,
        linked_data,
        members,
        memento,
        metrics,
        request_checks,
        request_log,
        security_headers,
        sparql,
        sparql_update,
        submissions,
        vocabulary_docs,
    )
    from server.vocabulary import Vocabulary

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    portal = PortalIndex(index_path(Path(settings.data_dir)), settings.base_iri)
    ontology, shapes = reference.ontology_and_shapes(settings.base_iri)
    writer = build_writer(settings, store, ontology, shapes)
    submissions_log = SubmissionLog(Path(settings.data_dir) / "submissions")
    app.extensions["ccn_graph"] = {
        "settings": settings,
        "store": store,
        "on_query_deadline": on_query_deadline,
        "vocabulary": Vocabulary(ontology, shapes),
        "portal": portal,
        "writer": writer,
        "submissions_log": submissions_log,
        "stewards": Stewards(Path(settings.data_dir)),
        "cache": ResponseCache(
            Path(settings.data_dir) / "cache" / "responses.sqlite", settings.cache_mb * 1024 * 1024
        )
        if settings.cache_mb
        else None,
    }
    # What follows a write, in this order, under its lock: the portal index, the submission log,
    # then the dumps (scheduled, built later).
    writer.listen(
        lambda outcome: (
            outcome.accepted
            and not outcome.unchanged
            and portal.apply(outcome.written, *outcome.generations, store)
        )
    )
    writer.listen(submissions_log)
    writer.listen(
        lambda outcome: (
            outcome.accepted and not outcome.unchanged and catalog.rebuild_in_background(app)
        )
    )
    request_log.init_app(app)
    errors.init_app(app)
    request_checks.init_app(app)
    forwarding.init_app(app)
    security_headers.init_app(app)

    metrics.init_app(app, metrics_dir)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(linked_data.blueprint)
    app.register_blueprint(memento.blueprint)
    app.register_blueprint(changes.blueprint)
    app.register_blueprint(vocabulary_docs.blueprint)
    app.register_blueprint(home.blueprint)
    app.register_blueprint(members.blueprint)
    app.register_blueprint(submissions.blueprint)
    app.register_blueprint(sparql_update.blueprint)
    app.register_blueprint(catalog.blueprint)
    return app
