"""``GET /health``: liveness, with the store's status, data version and triple count."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ccn_graph import __version__
from server import context

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health():
    """200 when the store answers, 503 (with Retry-After) while it does not."""
    status = context.store().status()
    store = {"backend": context.store().backend, "reachable": status.reachable}
    if status.reachable:
        store["triples"] = status.triples
        store["data_version"] = status.state.data_version if status.state else None
        store["base_iri"] = status.state.base_iri if status.state else None
        store["loaded"] = status.state is not None
    else:
        store["detail"] = status.detail
    body = {
        "status": "ok" if status.reachable else "unavailable",
        "version": __version__,
        "store": store,
    }
    response = jsonify(body)
    response.status_code = 200 if status.reachable else 503
    response.headers["Cache-Control"] = "no-store"
    if not status.reachable:
        response.headers["Retry-After"] = "5"
    return response
