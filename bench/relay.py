"""The least any service that relays queries to a store over HTTP does: the floor of the
cold overhead.

    CCN_STORE_URL=http://127.0.0.1:7878/query CCN_PORT=8100 python bench/relay.py

A WSGI app under the service's own gunicorn settings (`server.serving.run_gunicorn`) that passes
each ``GET ?query=`` with its ``Accept`` to the store on a kept-alive connection and sends the
store's answer back as it came: no checks, no result limit, no re-encoding, no Flask. The
benchmark runs it beside CCN Graph, cache off: what the service adds past this is its own work;
what this adds past the store queried directly is the price of the hop itself.
"""

from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccn_graph.settings import load_settings  # noqa: E402
from ccn_graph.store.keepalive import KeepAlive  # noqa: E402
from server.serving import run_gunicorn  # noqa: E402


def relay(store_query_url: str):
    """A WSGI app that relays SPARQL queries (GET) to `store_query_url`."""
    connections = KeepAlive(connect_timeout=5.0, read_timeout=300.0)

    def app(environ, start_response):
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("query", [""])[0]
        url = store_query_url + "?" + urllib.parse.urlencode({"query": query})
        answer = connections.request("GET", url, {"Accept": environ.get("HTTP_ACCEPT", "*/*")})
        body = answer.data
        start_response(
            f"{answer.status} {'OK' if answer.status == 200 else 'Error'}",
            [
                ("Content-Type", answer.headers.get("Content-Type", "application/octet-stream")),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    return app


if __name__ == "__main__":
    settings = load_settings()
    run_gunicorn(relay(settings.store_url), settings)
