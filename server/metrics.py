"""Prometheus metrics (``/metrics``), shared by every worker process.

Under ``ccn-graph serve`` the workers write their samples to files in a folder the serve command
prepares (prometheus_client's multi-process mode); `/metrics` adds them up. The managed store's
restart count is read from its server file.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Flask, Response, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from ccn_graph.rdfio import formats
from server import context

blueprint = Blueprint("metrics", __name__)

REQUESTS = Counter("ccn_requests_total", "HTTP requests by route and status", ["route", "status"])
QUERY_SECONDS = Histogram(
    "ccn_sparql_query_seconds",
    "Time to answer a SPARQL query, streaming included",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TIMEOUTS = Counter("ccn_sparql_timeouts_total", "SPARQL queries stopped at the time limit")
REFUSALS = Counter("ccn_sparql_refusals_total", "SPARQL requests refused, by reason", ["reason"])
STORE_RESTARTS = Gauge(
    "ccn_store_restarts",
    "Restarts of the managed store since the service started",
    multiprocess_mode="max",
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        REQUESTS.labels(route=route, status=str(response.status_code)).inc()
        return response

    app.register_blueprint(blueprint)


@blueprint.get("/metrics")
def metrics():
    """Every metric in the Prometheus text format."""
    info = _server_file()
    if info is not None:
        STORE_RESTARTS.set(int(info.get("restarts", 0)))
    folder = context.services().metrics_dir
    if folder:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, content_type=formats.PROMETHEUS_TEXT)


def _server_file() -> dict | None:
    settings = context.settings()
    if settings.store_url:
        return None
    try:
        return json.loads((Path(settings.data_dir) / "oxigraph-server.json").read_text())
    except (OSError, ValueError):
        return None
