"""Reading RDF that somebody sent: safely, within limits, with errors a person can act on.

* No network or file access while parsing: JSON-LD may not name a remote context (any string
  ``@context`` or ``@import`` is refused before parsing), RDF/XML may not have a DOCTYPE (so no
  entities, external or internal).
* The store's parser has the last word: what Oxigraph refuses is refused (400), and so is any
  IRI outside RFC 3987, whatever rdflib made of it; nesting deeper than `MAX_NESTING` too.
* Only graphs: a named graph in the body is refused.
* Compressed bodies (``Content-Encoding: gzip`` / ``deflate``) are inflated with the same size limit
  as plain ones.
* Relative IRIs resolve against the instance base.
"""

from __future__ import annotations

import calendar
import json
import re
import zlib

from rdflib import Dataset, Graph
from rdflib.namespace import XSD
from rdflib.term import Literal, URIRef

from ccn_graph.model.iris import InvalidIRI, check_iri
from ccn_graph.rdfio import formats
from ccn_graph.store.embedded import syntax_error

__all__ = ["InputError", "decompress", "focus_lines", "ill_typed", "parse_graph"]

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
        raise InputError(
            415, f"Content-Encoding {encoding} is not supported; send gzip, deflate or no encoding."
        )
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InputError(400, f"The {encoding} body cannot be inflated: {exc}.") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputError(413, f"The body is larger than {limit} bytes once inflated.")
    if not inflater.eof:
        raise InputError(
            400, f"The {encoding} body is cut short: its compressed stream does not end."
        )
    return out


def _no_remote_context(value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("@context", "@import") and _names_a_document(item):
                raise InputError(
                    400,
                    "JSON-LD contexts must be given inline: this service never fetches a remote "
                    "@context.",
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


#: Deepest nesting of blank nodes, lists, JSON objects or XML elements a body may have: real data
#: stays far below, while 20,000 levels would cost seconds of validation or a parser's recursion.
MAX_NESTING = 128
_TEXT_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*|[\[\]()]'
)
_XML_TAGS = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(/?)[^<>!?]*?(/?)>", re.DOTALL)


def _nesting(text: str, fmt) -> int:
    """How deeply `text` nests (brackets of Turtle, JSON containers, XML elements), counted
    without recursion and stopping once past `MAX_NESTING`."""
    depth = deepest = 0
    if fmt is formats.RDF_XML:
        for match in _XML_TAGS.finditer(text):
            closing, empty = match.group(1), match.group(2)
            if closing is None or empty:
                continue
            depth += -1 if closing else 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        return deepest
    if fmt is formats.JSON_LD:
        # Brackets inside JSON strings do not count.
        pattern = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
        opening, closing_chars = "[{", "]}"
    else:
        pattern, opening, closing_chars = _TEXT_TOKENS, "[(", "])"
    for match in pattern.finditer(text):
        token = match.group()
        if token in opening:
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        elif token in closing_chars:
            depth -= 1
    return deepest


# size: each parser's failure turned into a message a steward can act on, in one place
def parse_graph(body: bytes, media_type: str, base: str) -> Graph:
    """The triples of `body` in `media_type`; raises InputError (400, 415) with the parser's
    words."""
    fmt = formats.rdf_format_for_media_type(media_type or "")
    if fmt is None or fmt not in ACCEPTED:
        offered = ", ".join(f.media_type for f in ACCEPTED)
        raise InputError(
            415, f"Send RDF as one of {offered} (Content-Type), not {media_type or 'nothing'}."
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(400, f"The body is not UTF-8 (byte {exc.start}).") from None
    if _nesting(text, fmt) > MAX_NESTING:
        raise InputError(
            400,
            f"The body nests more than {MAX_NESTING} levels deep (blank nodes, lists, objects "
            "or elements); flatten it.",
        )
    if fmt is formats.JSON_LD:
        try:
            _no_remote_context(json.loads(text))
        except InputError:
            raise
        except ValueError as exc:
            raise InputError(400, f"The body is not JSON: {exc}.") from None
        except RecursionError:
            raise InputError(400, "The JSON-LD body is nested too deeply to be read.") from None
    if fmt is formats.RDF_XML and re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise InputError(
            400, "RDF/XML with a DOCTYPE or entities is not accepted; send it without."
        )
    problem = syntax_error(body, fmt, base)
    if problem:
        raise InputError(400, f"The {fmt.media_type} body cannot be read: {problem}")
    dataset = Dataset()
    try:
        dataset.parse(data=text, format=fmt.rdflib_name, publicID=base)
    except Exception as exc:  # rdflib's parsers raise many unrelated types for bad input
        raise InputError(
            400, f"The {fmt.media_type} body cannot be read: {_first_line(exc)}"
        ) from None
    graph = Graph()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if (
            g is not None
            and g != dataset.default_graph.identifier
            and str(g) != "urn:x-rdflib:default"
        ):
            raise InputError(
                400,
                f"Named graphs are not accepted in a submission (found {g}); send triples only.",
            )
        for term in (s, p, o):
            # rdflib lets through IRIs that no store takes (spaces, stray "%" or "#"): refuse
            # them here, with the IRI, rather than fail at the write.
            if isinstance(term, URIRef):
                try:
                    check_iri(str(term))
                except InvalidIRI as exc:
                    raise InputError(
                        400, f"The {fmt.media_type} body has an invalid IRI: {exc}."
                    ) from None
        if isinstance(o, Literal) and ill_typed(o):
            raise InputError(
                400,
                f'The {fmt.media_type} body has "{o}" as an '
                f"xsd:{o.datatype.removeprefix(str(XSD))} "
                f"(on <{s}> <{p}>), which it is not: write it in that datatype's form, or "
                "as a plain string.",
            )
        graph.add((s, p, o))
    return graph


#: Datatypes whose values are checked as they are read (what the service sorts, counts or dates by);
#: a value that is not one is refused rather than kept, as stores and pages would misread it.
_NUMBERS = frozenset(
    XSD[name]
    for name in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
        "decimal",
        "double",
        "float",
        "boolean",
    )
)
# Dates by XSD's own lexical forms (Python's dates hold neither years past 9999 nor 24:00:00).
_YEAR, _TZ = r"-?(?:[1-9][0-9]{4,}|[0-9]{4})", r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_DAY = _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
_DATES = {
    XSD.date: re.compile(_DAY + _TZ),
    XSD.dateTime: re.compile(_DAY + _TIME + _TZ),
    XSD.gYear: re.compile(_YEAR + _TZ),
}


def ill_typed(literal: Literal) -> bool:
    """Whether `literal` is not of its (checked) XSD datatype: numbers, booleans, dates by XSD's
    forms."""
    text = str(literal)
    if literal.datatype in _DATES:
        match = _DATES[literal.datatype].fullmatch(text)
        if match is None:
            return True
        if literal.datatype == XSD.gYear:
            return False
        year = int(text[: text.index("-", 1)])
        month, day = int(match.group(1)), int(match.group(2))
        return 1 <= year <= 9999 and day > calendar.monthrange(year, month)[1]
    return literal.datatype in _NUMBERS and bool(literal.ill_typed)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def focus_lines(text: str, base: str, nodes) -> dict[str, int]:
    """The line (from 1) where each node is first written as a subject in a Turtle or N-Triples
    text.

    A node counts as written where a line starts with it in full (``<…>``), relative to the base, or
    as a prefixed name the text declares.
    """
    prefixes = dict(
        re.findall(
            r"^\s*(?:@prefix|PREFIX)\s+([\w.-]*):\s*<([^>]*)>", text, re.MULTILINE | re.IGNORECASE
        )
    )
    forms: dict[str, list[str]] = {}
    for node in nodes:
        if not isinstance(node, URIRef):
            continue
        iri = str(node)
        spellings = [f"<{iri}>"]
        if iri.startswith(base):
            spellings.append(f"<{iri[len(base) :]}>")
        for prefix, namespace in prefixes.items():
            if iri.startswith(namespace) and namespace:
                spellings.append(f"{prefix}:{iri[len(namespace) :]}")
        forms[iri] = spellings
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        for iri, spellings in forms.items():
            if iri not in lines and any(
                stripped.startswith(s)
                and (len(stripped) == len(s) or not stripped[len(s)].isalnum())
                for s in spellings
            ):
                lines[iri] = number
    return lines
