"""Streaming SPARQL results: read the store's line formats, count, write the client's format.

The store is always asked for a format with one row (or triple) per line — SPARQL TSV for SELECT,
N-Triples for CONSTRUCT and DESCRIBE — so that results can be counted exactly while they stream,
whatever the client asked for. Writers turn rows and triples into every standard format, chunk by
chunk, without holding the whole result.

**Result limit.** After `limit` rows or triples the stream stops and the result is marked as cut,
never silently (every response also carries the limit in a header: see the endpoint):

* SPARQL JSON: the top-level object gets ``"truncated": true`` and ``"limit": N`` after ``results``;
* SPARQL XML, RDF/XML: a processing instruction ``<?ccn-truncated limit="N"?>`` before the end;
* N-Triples, N-Quads, Turtle, TriG: a final comment line ``# truncated: …``;
* CSV, TSV, JSON-LD, which have no place for a mark: the response is aborted (the transfer ends
  without its final chunk), so a client sees an incomplete response, not a shorter table.

**A stream the store breaks off** (its time limit struck after the first rows were sent: Oxigraph
then writes its error text where the next row was due) is cut the same way, with the store's
words as the reason: ``"reason"`` in JSON, ``reason=`` in the processing instruction, the comment
line's text.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

from ccn_graph.rdfio import formats, ntriples
from ccn_graph.sparql.result_readers import (
    Term,
    parse_nq_line,
    parse_nt,
    parse_nt_line,
    parse_tsv_term,
    read_lines,
    split_nq_line,
    tsv_from_json,
)

__all__ = [
    "ResultTruncated",
    "Term",
    "graph_writer",
    "parse_nq_line",
    "parse_nt",
    "parse_nt_line",
    "parse_tsv_term",
    "read_lines",
    "select_writer",
    "split_nq_line",
    "tsv_from_json",
    "until",
]

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


class ResultTruncated(Exception):
    """Raised inside a stream that cannot mark a cut result: the transfer must be aborted."""


def until(lines: Iterable[str], deadline: float, reason: str) -> Iterator[str]:
    """`lines` until `time.monotonic()` passes `deadline`; then the result is broken off with
    `reason` (marked as cut by the writers, as when the store stops it)."""
    for count, line in enumerate(lines):
        if count and count % 256 == 0 and time.monotonic() > deadline:
            raise _BrokenOff(reason)
        yield line


# -- SELECT ----------------------------------------------------------------------------------------


def term_text(term: Term) -> str:
    """A term as N-Triples and SPARQL TSV write it."""
    kind = term[0]
    if kind == "uri":
        return ntriples.iri(term[1])
    if kind == "bnode":
        return ntriples.blank_node(term[1])
    return ntriples.literal(term[1], term[2], term[3])


#: A JSON string, as `json.dumps(..., ensure_ascii=False)` writes it (the same C function).
_JSON_STRING = json.encoder.encode_basestring
_XSD_STRING = XSD + "string"


def _json_fragment(term: Term) -> str:
    """`term` as the JSON text of its SPARQL JSON binding (SPARQL 1.1 Query Results JSON Format
    §3.2.2), written directly rather than through a dictionary and the encoder."""
    if term[0] == "uri":
        return '{"type":"uri","value":' + _JSON_STRING(term[1]) + "}"
    if term[0] == "bnode":
        return '{"type":"bnode","value":' + _JSON_STRING(term[1]) + "}"
    if term[2]:
        return (
            '{"type":"literal","value":'
            + _JSON_STRING(term[1])
            + ',"xml:lang":'
            + _JSON_STRING(term[2])
            + "}"
        )
    if term[3] and term[3] != _XSD_STRING:
        return (
            '{"type":"literal","value":'
            + _JSON_STRING(term[1])
            + ',"datatype":'
            + _JSON_STRING(term[3])
            + "}"
        )
    return '{"type":"literal","value":' + _JSON_STRING(term[1]) + "}"


@functools.lru_cache(maxsize=16384)
def _json_cell_cached(text: str) -> str:
    return _json_fragment(parse_tsv_term(text))


def _json_cell(text: str) -> str:
    """A non-empty SPARQL TSV cell as the JSON text of its binding (ValueError if it is no term).
    A column's values repeat (the same sectors, countries, classes down a result), so short cells
    are remembered."""
    if len(text) <= _CACHED_CELL:
        return _json_cell_cached(text)
    return _json_fragment(parse_tsv_term(text))


#: Cells up to this many characters are remembered (long literals would fill the memory).
_CACHED_CELL = 300


def _xml_term(term: Term) -> str:
    if term[0] == "uri":
        return f"<uri>{escape(term[1])}</uri>"
    if term[0] == "bnode":
        return f"<bnode>{escape(term[1])}</bnode>"
    if term[2]:
        return f"<literal xml:lang={quoteattr(term[2])}>{escape(term[1])}</literal>"
    if term[3] and term[3] != XSD + "string":
        return f"<literal datatype={quoteattr(term[3])}>{escape(term[1])}</literal>"
    return f"<literal>{escape(term[1])}</literal>"


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    value = term[1] if term[0] != "bnode" else f"_:{term[1]}"
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _json_rows(names: list[str], lines: Iterator[str]) -> Iterator[str]:
    """Each row of a SPARQL TSV result's `lines` (after the header) as the JSON text of its
    binding object; `_BrokenOff` at a line that is no row."""
    keys = [json.dumps(name, ensure_ascii=False) + ":" for name in names]
    for line in lines:
        if line == "" and not names:
            continue
        try:
            yield (
                "{"
                + ",".join(
                    [
                        key + _json_cell(cell)
                        for key, cell in zip(keys, line.split("\t"), strict=False)
                        if cell
                    ]
                )
                + "}"
            )
        except ValueError:
            raise _BrokenOff(line.strip()[:200]) from None


class _BrokenOff(Exception):
    """The store's stream stopped being results (its words are the message)."""


# size: one generator per result format, sharing the count and the cut
def select_writer(
    media_type: str,
    lines: Iterator[str],
    limit: int,
    on_broken_off: Callable[[str], None] | None = None,
) -> Iterator[str]:
    """Text chunks of a SELECT result in `media_type`, from the lines of a SPARQL TSV result;
    `on_broken_off` hears the store's words if it breaks the stream off."""
    header = next(lines, "")
    names = [h[1:] if h[:1] in "?$" else h for h in header.split("\t")] if header else []

    def rows() -> Iterator[list[Term | None]]:
        for line in lines:
            if line == "" and not names:
                continue
            cells = line.split("\t")
            try:
                yield [parse_tsv_term(c) for c in cells] + [None] * (len(names) - len(cells))
            except ValueError:
                raise _BrokenOff(line.strip()[:200]) from None

    if media_type == formats.SPARQL_JSON.media_type:
        counted = _Counted(_json_rows(names, lines), limit, on_broken_off)
        yield '{"head":{"vars":' + json.dumps(names) + '},"results":{"bindings":['
        batch: list[str] = []
        separator = ""
        for row in counted:
            batch.append(row)
            if len(batch) == _BATCH:
                yield separator + ",".join(batch)
                separator, batch = ",", []
        if batch:
            yield separator + ",".join(batch)
        yield "]}"
        if counted.truncated:
            yield f',"truncated":true,"limit":{limit}'
            if counted.reason:
                yield ',"reason":' + json.dumps(counted.reason)
        yield "}"
        return
    counted = _Counted(rows(), limit, on_broken_off)
    if media_type == formats.SPARQL_XML.media_type:
        yield '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>'
        yield "".join(f"<variable name={quoteattr(n)}/>" for n in names)
        yield "</head>\n<results>\n"
        for row in counted:
            cells = "".join(
                f"<binding name={quoteattr(n)}>{_xml_term(t)}</binding>"
                for n, t in zip(names, row, strict=False)
                if t is not None
            )
            yield f"<result>{cells}</result>\n"
        if counted.truncated:
            yield f'<?ccn-truncated limit="{limit}"{_reason_attribute(counted)}?>\n'
        yield "</results>\n</sparql>\n"
    elif media_type == formats.SPARQL_CSV.media_type:
        yield ",".join(names) + "\r\n"
        for row in counted:
            yield ",".join(_csv_value(t) for t in row) + "\r\n"
        if counted.truncated:
            raise ResultTruncated(limit)
    elif media_type == formats.SPARQL_TSV.media_type:
        yield "\t".join(f"?{n}" for n in names) + "\n"
        for row in counted:
            yield "\t".join("" if t is None else term_text(t) for t in row) + "\n"
        if counted.truncated:
            raise ResultTruncated(limit)
    else:
        raise ValueError(f"no SELECT writer for {media_type}")


# -- CONSTRUCT / DESCRIBE --------------------------------------------------------------------------


def jsonld_object(term: Term) -> dict:
    """A term as the value of a JSON-LD node object's property (expanded form)."""
    if term[0] == "uri":
        return {"@id": term[1]}
    if term[0] == "bnode":
        return {"@id": f"_:{term[1]}"}
    if term[2]:
        return {"@value": term[1], "@language": term[2]}
    if term[3] and term[3] != XSD + "string":
        return {"@value": term[1], "@type": term[3]}
    return {"@value": term[1]}


_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*$")


def _rdfxml_triple(s: Term, p: Term, o: Term) -> str:
    subject = (
        f"rdf:about={quoteattr(s[1])}"
        if s[0] == "uri"
        else f"rdf:nodeID={quoteattr('b' + re.sub(r'[^A-Za-z0-9_]', '_', s[1]))}"
    )
    match = _XML_NAME.search(p[1])
    if not match or match.start() == 0:
        raise ValueError(f"the predicate {p[1]} cannot be written in RDF/XML")
    namespace, local = p[1][: match.start()], p[1][match.start() :]
    head = f"<ns:{local} xmlns:ns={quoteattr(namespace)}"
    if o[0] == "uri":
        element = f"{head} rdf:resource={quoteattr(o[1])}/>"
    elif o[0] == "bnode":
        element = f"{head} rdf:nodeID={quoteattr('b' + re.sub(r'[^A-Za-z0-9_]', '_', o[1]))}/>"
    elif o[2]:
        element = f"{head} xml:lang={quoteattr(o[2])}>{escape(o[1])}</ns:{local}>"
    elif o[3] and o[3] != XSD + "string":
        element = f"{head} rdf:datatype={quoteattr(o[3])}>{escape(o[1])}</ns:{local}>"
    else:
        element = f"{head}>{escape(o[1])}</ns:{local}>"
    return f"<rdf:Description {subject}>{element}</rdf:Description>\n"


def graph_writer(
    media_type: str,
    lines: Iterator[str],
    limit: int,
    on_broken_off: Callable[[str], None] | None = None,
) -> Iterator[str]:
    """Text chunks of a graph result in `media_type`, from the lines of an N-Triples result;
    `on_broken_off` as for `select_writer`."""

    def parsed() -> Iterator[tuple[Term, Term, Term]]:
        for line in lines:
            try:
                triple = parse_nt_line(line)
            except ValueError:
                raise _BrokenOff(line.strip()[:200]) from None
            if triple is not None:
                yield triple

    triples = _Counted(parsed(), limit, on_broken_off)
    mark = f"# truncated: the result limit of {limit} triples was reached\n"
    if media_type in (
        formats.N_TRIPLES.media_type,
        formats.N_QUADS.media_type,
        formats.TURTLE.media_type,
    ):
        for s, p, o in triples:
            yield f"{term_text(s)} {term_text(p)} {term_text(o)} .\n"
        if triples.truncated:
            yield _comment_mark(triples, mark)
    elif media_type == formats.TRIG.media_type:
        yield "{\n"
        for s, p, o in triples:
            yield f"{term_text(s)} {term_text(p)} {term_text(o)} .\n"
        yield "}\n"
        if triples.truncated:
            yield _comment_mark(triples, mark)
    elif media_type == formats.JSON_LD.media_type:
        yield "["
        first = True
        for s, p, o in triples:
            node = {"@id": s[1] if s[0] == "uri" else f"_:{s[1]}", p[1]: [jsonld_object(o)]}
            yield ("" if first else ",\n") + json.dumps(node, ensure_ascii=False)
            first = False
        if triples.truncated:
            raise ResultTruncated(limit)
        yield "]\n"
    elif media_type == formats.RDF_XML.media_type:
        yield f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="{RDF_NS}">\n'
        for s, p, o in triples:
            yield _rdfxml_triple(s, p, o)
        if triples.truncated:
            yield f'<?ccn-truncated limit="{limit}"{_reason_attribute(triples)}?>\n'
        yield "</rdf:RDF>\n"
    else:
        raise ValueError(f"no graph writer for {media_type}")


#: Rows written per chunk: fewer, larger chunks cost far less to pass through the WSGI server.
_BATCH = 256


def _reason_attribute(counted: _Counted) -> str:
    return f" reason={quoteattr(counted.reason)}" if counted.reason else ""


def _comment_mark(counted: _Counted, mark: str) -> str:
    if counted.reason:
        return (
            "# truncated: the store broke off the result: "
            + counted.reason.replace("\n", " ")
            + "\n"
        )
    return mark


class _Counted:
    """Passes items on up to `limit`; `truncated` tells whether more were there, or whether the
    store broke off (then `reason` holds its words)."""

    def __init__(
        self, items: Iterator, limit: int, on_broken_off: Callable[[str], None] | None = None
    ) -> None:
        self._items = iter(items)
        self.limit = limit
        self.truncated = False
        self.reason = ""
        self._on_broken_off = on_broken_off

    def __iter__(self):
        try:
            for count, item in enumerate(self._items):
                if count >= self.limit:
                    self.truncated = True
                    return
                yield item
        except _BrokenOff as exc:
            self.truncated = True
            self.reason = str(exc) or "the store stopped sending results"
            if self._on_broken_off is not None:
                self._on_broken_off(self.reason)
