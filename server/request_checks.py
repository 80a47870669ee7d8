"""Checks every request passes before any view: its path and query string must be well-formed
percent-encoded UTF-8. WSGI hands both over leniently (bad escapes kept as they are, bad bytes
replaced), which would let a view act on text nobody sent; a person gets a 400 saying what is wrong.
And how views read from a request: a number (`whole_number`), a form (`strict_form`), a body of
RDF within the size limit however it is sent (`read_body`, `read_bodies`)."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from flask import Flask, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ccn_graph.rdfio import formats
from ccn_graph.rdfio.rdf_input import InputError, decompress
from server import context
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
        return (
            "The query string has a '%' that does not start a percent-encoded byte (%XX); "
            "encode '%' as %25."
        )
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
            "The form has a '%' that does not start a percent-encoded byte (%XX); "
            "encode '%' as %25."
        )
    # Decoded here, not by `parse_qsl`: given bytes, it turns its answer back into ASCII bytes,
    # which fails on every name or value outside ASCII.
    try:
        pairs = [_form_pair(part) for part in raw.split(b"&") if part]
    except UnicodeDecodeError:
        raise ValueError("The form is not UTF-8 once percent-decoded.") from None
    return MultiDict(pairs)


def _form_pair(part: bytes) -> tuple[str, str]:
    name, _, value = part.partition(b"=")
    return _form_text(name), _form_text(value)


def _form_text(encoded: bytes) -> str:
    return urllib.parse.unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")


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


def read_body(limit: int | None = None) -> tuple[bytes, str, str]:
    """(body, media type, text for line numbers) from a direct body or an uploaded file, of at
    most `limit` bytes (`CCN_MAX_BODY` by default)."""
    return read_bodies(limit)[0]


def read_bodies(limit: int | None = None) -> list[tuple[bytes, str, str]]:
    """What `read_body` gives, for each file of a multipart body (the form's ``file``, or every
    file part, as a Graph Store Protocol POST may send several)."""
    limit = limit or context.settings().max_body
    if request.mimetype != "multipart/form-data":
        body = decompress(_read_limited(limit), request.headers.get("Content-Encoding"), limit)
        return [(body, request.mimetype, body.decode("utf-8", errors="replace"))]
    uploads = [request.files["file"]] if "file" in request.files else list(request.files.values())
    uploads = [u for u in uploads if u.filename]
    if not uploads:
        raise InputError(400, "Choose a file to validate.")
    out, total = [], 0
    for upload in uploads:
        body = upload.read(limit + 1)
        total += len(body)
        if total > limit:
            raise InputError(413, f"The files are larger than {limit} bytes.")
        suffix = Path(upload.filename).suffix
        fmt = formats.rdf_format_for_suffix(suffix) if suffix else None
        media_type = request.form.get("format") or (fmt.media_type if fmt else upload.mimetype)
        out.append((body, media_type, body.decode("utf-8", errors="replace")))
    return out


def _read_limited(limit: int) -> bytes:
    """The request body, refused past `limit` bytes however it is sent (Content-Length or
    chunked)."""
    if request.content_length is not None and request.content_length > limit:
        raise InputError(413, f"The body is larger than {limit} bytes.")
    parts, size = [], 0
    while True:
        try:
            chunk = request.stream.read(65536)
        except HTTPException:
            raise
        except Exception as exc:
            raise InputError(
                400, f"The body could not be read: {exc or type(exc).__name__}."
            ) from None
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise InputError(413, f"The body is larger than {limit} bytes.")
        parts.append(chunk)
    return b"".join(parts)
