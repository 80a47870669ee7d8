"""Writes through one instance (docs/deploy.md, *Several app instances*).

The write lock, the portal index's incremental updates and the steward registry live in the data
dir of the instance that writes. An instance with ``CCN_WRITER_URL`` set serves reads itself and
sends every write request — a submission, a Graph Store write, a SPARQL update, a revert — to that
instance as it came (method, path, query string, body, the headers that matter), answering with
what the writer answered. Its own caches stay right without being told: every answer is kept
under the store's data version, which it reads from the store on each request.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ccn_graph.runtime import client
from server import context
from server.problems import GatewayTimeout, ServiceUnavailable

__all__ = ["init_app", "is_write"]

_WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}
_WRITE_PATHS = ("/submissions", "/graphs", "/update")
# What a writer needs from the request, and what the client needs from the writer's answer.
_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Content-Encoding",
    "If-Match",
    "If-None-Match",
    "Accept",
    "Accept-Language",
    "User-Agent",
)
_RESPONSE_HEADERS = (
    "Content-Type",
    "ETag",
    "Location",
    "WWW-Authenticate",
    "Vary",
    "Retry-After",
    "Allow",
)


def is_write(method: str, path: str) -> bool:
    """Whether a request changes the graph (and so must be made by the writing instance)."""
    return method in _WRITE_METHODS and (path in _WRITE_PATHS or path.endswith("/revert"))


def init_app(app: Flask) -> None:
    @app.before_request
    def forward_writes():
        writer = context.settings().writer_url
        if not writer or not is_write(request.method, request.path):
            return None
        body = request.get_data(cache=False)  # bounded by MAX_CONTENT_LENGTH (413 past it)
        headers = {
            name: request.headers[name] for name in _REQUEST_HEADERS if name in request.headers
        }
        headers["X-Forwarded-For"] = ", ".join(
            filter(None, (request.headers.get("X-Forwarded-For"), request.remote_addr))
        )
        path = request.full_path if request.query_string else request.path
        try:
            status, answer_headers, content = client.forward(
                writer,
                request.method,
                path,
                headers,
                body,
                timeout=context.settings().query_timeout + 60,
            )
        except client.Unreachable as exc:
            raise ServiceUnavailable(
                f"Writes are made by the instance at {writer}, which cannot be reached now "
                f"({exc}); nothing was written. Try again shortly.",
                headers={"Retry-After": "5"},
            ) from None
        except client.AnswerLost as exc:
            # No Retry-After: sending it again may write it twice.
            raise GatewayTimeout(
                f"The write was sent to the instance at {writer}, which makes writes, but its "
                f"answer did not come back ({exc}): it may have been written. Look at the record "
                f"(or its history) before sending it again, or send it again with If-Match."
            ) from None
        response = Response(content, status=status)
        for name, value in answer_headers:
            if name.title() in _RESPONSE_HEADERS or name in _RESPONSE_HEADERS:
                response.headers[name] = value
        response.headers["CCN-Written-By"] = writer
        return response
