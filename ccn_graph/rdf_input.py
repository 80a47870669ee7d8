"""Reading RDF that somebody sent: safely, within limits, with errors a person can act on.

* No network or file access while parsing: JSON-LD may not name a remote context (any string
  ``@context`` or ``@import`` is refused before parsing), RDF/XML may not have a DOCTYPE (so no
  entities, external or internal).
* Only graphs: a named graph in the body is refused.
* Compressed bodies (``Content-Encoding: gzip`` / ``deflate``) are inflated with the same size limit
  as plain ones.
* Relative IRIs resolve against the instance base.
"""

from __future__ import annotations

import json
import re
import zlib

from rdflib import Dataset, Graph
from rdflib.term import URIRef

from ccn_graph import formats

__all__ = ["InputError", "decompress", "focus_lines", "parse_graph"]

ACCEPTED = (formats.TURTLE, formats.N_TRIPLES, formats.JSON_LD, formats.RDF_XML)


class InputError(ValueError):
    """The input cannot be taken; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """`body` inflated per its Content-Encoding, never past `limit` bytes (413)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise InputError(415, f"Content-Encoding {encoding} is not supported; send gzip, deflate or no encoding.")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InputError(400, f"The {encoding} body cannot be inflated: {exc}.") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputError(413, f"The body is larger than {limit} bytes once inflated.")
    return out


def _no_remote_context(value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("@context", "@import") and _names_a_document(item):
                raise InputError(
                    400, "JSON-LD contexts must be given inline: this service never fetches a remote @context."
                )
            _no_remote_context(item)
    elif isinstance(value, list):
        for item in value:
            _no_remote_context(item)


def _names_a_document(context) -> bool:
    if isinstance(context, str):
        return True
    if isinstance(context, list):
        return any(_names_a_document(c) for c in context)
    if isinstance(context, dict):
        return "@import" in context and isinstance(context["@import"], str)
    return False


def parse_graph(body: bytes, media_type: str, base: str) -> Graph:
    """The triples of `body` in `media_type`; raises InputError (400, 415) with the parser's words."""
    fmt = formats.rdf_format_for_media_type(media_type or "")
    if fmt is None or fmt not in ACCEPTED:
        offered = ", ".join(f.media_type for f in ACCEPTED)
        raise InputError(415, f"Send RDF as one of {offered} (Content-Type), not {media_type or 'nothing'}.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(400, f"The body is not UTF-8 (byte {exc.start}).") from None
    if fmt is formats.JSON_LD:
        try:
            _no_remote_context(json.loads(text))
        except ValueError as exc:
            raise InputError(400, f"The body is not JSON: {exc}.") from None
    if fmt is formats.RDF_XML and re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise InputError(400, "RDF/XML with a DOCTYPE or entities is not accepted; send it without.")
    dataset = Dataset()
    try:
        dataset.parse(data=text, format=fmt.rdflib_name, publicID=base)
    except Exception as exc:  # rdflib's parsers raise many unrelated types for bad input
        raise InputError(400, f"The {fmt.media_type} body cannot be read: {_first_line(exc)}") from None
    graph = Graph()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if g is not None and g != dataset.default_graph.identifier and str(g) != "urn:x-rdflib:default":
            raise InputError(400, f"Named graphs are not accepted in a submission (found {g}); send triples only.")
        graph.add((s, p, o))
    return graph


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def focus_lines(text: str, base: str, nodes) -> dict[str, int]:
    """The line (from 1) where each node is first written as a subject in a Turtle or N-Triples text.

    A node counts as written where a line starts with it in full (``<…>``), relative to the base, or
    as a prefixed name the text declares.
    """
    prefixes = dict(re.findall(r"^\s*(?:@prefix|PREFIX)\s+([\w.-]*):\s*<([^>]*)>", text, re.MULTILINE | re.IGNORECASE))
    forms: dict[str, list[str]] = {}
    for node in nodes:
        if not isinstance(node, URIRef):
            continue
        iri = str(node)
        spellings = [f"<{iri}>"]
        if iri.startswith(base):
            spellings.append(f"<{iri[len(base):]}>")
        for prefix, namespace in prefixes.items():
            if iri.startswith(namespace) and namespace:
                spellings.append(f"{prefix}:{iri[len(namespace):]}")
        forms[iri] = spellings
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        for iri, spellings in forms.items():
            if iri not in lines and any(stripped.startswith(s) and (len(stripped) == len(s) or not stripped[len(s)].isalnum()) for s in spellings):
                lines[iri] = number
    return lines
