"""Checks every request passes before any view: its path and query string must be well-formed
percent-encoded UTF-8. WSGI hands both over leniently (bad escapes kept as they are, bad bytes
replaced), which would let a view act on text nobody sent; a person gets a 400 saying what is wrong.
And `whole_number` and `strict_form`, how views read a number and a form from a request."""

from __future__ import annotations

import re
import urllib.parse

from flask import Flask, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from server.problems import BadRequest

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# At most 18 digits: any such number fits the 64-bit integers of SQLite and the stores.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(text: str | None) -> int | None:
    """`text` as a whole number when it is one written in ASCII digits, at most 18 of them; None
    for anything else (a sign, a space, more digits, another script's digits or superscripts,
    which `str.isdigit` takes and `int` does not always)."""
    if text is None or not _WHOLE_NUMBER.fullmatch(text):
        return None
    return int(text)


def _problem() -> str | None:
    raw_query = request.query_string
    if _BAD_ESCAPE.search(raw_query):
        return "The query string has a '%' that does not start a percent-encoded byte (%XX); encode '%' as %25."
    try:
        urllib.parse.unquote_to_bytes(raw_query.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return "The query string is not UTF-8 once percent-decoded."
    # PATH_INFO holds the path's bytes as Latin-1 characters (PEP 3333).
    try:
        request.environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return "The path is not UTF-8 once percent-decoded."
    return None


def strict_form() -> MultiDict:
    """The request's url-encoded form body, read strictly: `ValueError` with a message a person
    can act on when a '%' starts no escape or a name or value is not UTF-8 once percent-decoded
    (Werkzeug's own reading keeps the one and puts U+FFFD in place of the other)."""
    raw = request.get_data(cache=True)
    if _BAD_ESCAPE.search(raw):
        raise ValueError(
            "The form has a '%' that does not start a percent-encoded byte (%XX); encode '%' as %25."
        )
    try:
        pairs = [
            (name.decode("utf-8"), value.decode("utf-8"))
            for name, value in urllib.parse.parse_qsl(raw, keep_blank_values=True)
        ]
    except UnicodeDecodeError:
        raise ValueError("The form is not UTF-8 once percent-decoded.") from None
    return MultiDict(pairs)


class _WholeNumberConverter(IntegerConverter):
    """``<int:…>`` in a route takes what `whole_number` takes: Werkzeug's own matches ``\\d``,
    every script's digits, so ``/changes/١`` was page 1 under a second URL."""

    regex = _WHOLE_NUMBER.pattern


def init_app(app: Flask) -> None:
    """Before any route is added: the converters are bound as routes are."""
    app.url_map.converters["int"] = _WholeNumberConverter

    @app.before_request
    def _well_formed():
        problem = _problem()
        if problem:
            raise BadRequest(problem)
