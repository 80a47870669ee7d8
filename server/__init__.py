"""The CCN Graph web service: a Flask app over a `ccn_graph.store.Store`."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request

from ccn_graph.settings import Settings
from ccn_graph.store import Store
from ccn_graph.store.query_budget import refuse_when_spent

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

    from rdflib import URIRef
    from rdflib.namespace import OWL

    from ccn_graph import reference
    from ccn_graph.cache import ResponseCache
    from ccn_graph.portal_index import PortalIndex, index_path
    from ccn_graph.ingest import Gate
    from ccn_graph.stewards import Stewards
    from ccn_graph.validation import Validator
    from server import (
        catalog, changes, errors, forwarding, health, home, linked_data, members, memento, metrics, request_checks,
        request_log, security_headers, sparql,
        sparql_update,
        submissions,
        vocabulary_docs,
    )
    from server.vocabulary import Vocabulary

    ontology, shapes = reference.ontology_and_shapes(settings.base_iri)
    shapes_version = str(shapes.value(URIRef("https://w3id.org/ccn-graph/shapes"), OWL.versionInfo) or "")

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    portal = PortalIndex(index_path(Path(settings.data_dir)), settings.base_iri)
    app.extensions["ccn_graph"] = {
        "settings": settings,
        "store": store,
        "on_query_deadline": on_query_deadline,
        "vocabulary": Vocabulary(ontology, shapes),
        "portal": portal,
        "gate": Gate(store, Validator(shapes, ontology), settings.base_iri,
                     lock_path=Path(settings.data_dir) / "write.lock", shapes_version=shapes_version,
                     on_merged=lambda graphs, before, after: portal.apply(graphs, before, after, store)),
        "stewards": Stewards(Path(settings.data_dir)),
        "cache": ResponseCache(Path(settings.data_dir) / "cache" / "responses.sqlite", settings.cache_mb * 1024 * 1024)
        if settings.cache_mb else None,
    }
    request_log.init_app(app)
    errors.init_app(app)
    request_checks.init_app(app)
    forwarding.init_app(app)
    security_headers.init_app(app)

    @app.before_request
    def _reads_never_wait_for_the_query_budget():
        # Past the store's query budget a read gets 503 at once, its thread free for the rest
        # (ccn_graph/store/query_budget.py). A write waits its turn: its queries after the
        # write itself must not fail once the store has it.
        if request.method in ("GET", "HEAD") or request.endpoint == "sparql.endpoint":
            refuse_when_spent()
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
