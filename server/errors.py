"""Every error answers with its status and a message a person can act on, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response
from jinja2.utils import htmlsafe_json_dumps
from werkzeug.exceptions import HTTPException

from ccn_graph.rdfio import formats
from ccn_graph.store import StoreUnavailable, WriteUnconfirmed
from ccn_graph.write import WorkedOutTooLong, WriteRefused

log = logging.getLogger(__name__)


def error_response(status: int, title: str, message: str) -> Response:
    """The error as JSON. A message may repeat part of the request, so ``<``, ``>``, ``&`` and
    ``'`` are written as ``\\u`` escapes: the same text once parsed, never markup to a browser."""
    body = htmlsafe_json_dumps({"status": status, "error": title, "message": message})
    return Response(f"{body}\n", status=status, mimetype=formats.JSON)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(WriteRefused)
    def _write_refused(exc: WriteRefused):
        text = str(exc)
        # A sentence, unless it starts with a name (an IRI keeps its case).
        first = text[:1] if text.startswith(("http://", "https://", "<")) else text[:1].upper()
        response = error_response(
            exc.status, exc.title, f"{first}{text[1:]}{'' if text.endswith('.') else '.'}"
        )
        if isinstance(exc, WorkedOutTooLong):
            response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(StoreUnavailable)
    def _store_down(exc: StoreUnavailable):
        response = error_response(503, "Service Unavailable", f"The store is unavailable: {exc}")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(WriteUnconfirmed)
    def _write_unconfirmed(exc: WriteUnconfirmed):
        # No Retry-After: sent again, it could be written twice.
        return error_response(504, "Gateway Timeout", f"The write may not have been made: {exc}.")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(
            500, "Internal Server Error", "An unexpected error occurred; it has been logged."
        )
