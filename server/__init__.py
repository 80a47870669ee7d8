"""The CCN Graph web service: a Flask app over a `ccn_graph.store.Store`."""

from __future__ import annotations

from flask import Flask

from ccn_graph.settings import Settings
from ccn_graph.store import Store

__all__ = ["create_app"]


def create_app(settings: Settings, store: Store) -> Flask:
    """Create the app for `settings`, serving from `store` (the app keeps no other state)."""
    from server import errors, health, request_log

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions["ccn_graph"] = {"settings": settings, "store": store}
    request_log.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.blueprint)
    return app
