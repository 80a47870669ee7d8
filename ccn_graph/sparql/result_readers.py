"""Reading what the store answers: SPARQL TSV terms, N-Triples and N-Quads lines, a byte stream's
lines, and SPARQL JSON results turned into the standard TSV as they stream (for stores whose own
TSV is not the standard's). `results` writes; this reads."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator

from ccn_graph.rdfio import ntriples

__all__ = [
    "Term",
    "parse_nq_line",
    "parse_nt",
    "parse_nt_line",
    "parse_tsv_term",
    "read_lines",
    "split_nq_line",
    "tsv_from_json",
]

XSD = "http://www.w3.org/2001/XMLSchema#"

# A term: ("uri", iri) | ("bnode", label) | ("literal", lexical, language or None, datatype or None)
Term = tuple

_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<([^>]*)>)?')
_NT_TERM = re.compile(
    r'\s*(<[^>]*>|_:[^\s]+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^<[^>]*>)?)'
)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(1) or match.group(2):
            return chr(int(match.group(1) or match.group(2), 16))
        return _ESCAPES.get(match.group(3), match.group(3))

    return _ESCAPE.sub(replace, text)


def _term(text: str) -> Term:
    if text.startswith("<"):
        return ("uri", _unescape(text[1:-1]))
    if text.startswith("_:"):
        return ("bnode", text[2:])
    match = _LITERAL.fullmatch(text)
    if match:
        return ("literal", _unescape(match.group(1)), match.group(2), match.group(3))
    raise ValueError(f"not an RDF term: {text[:80]!r}")


_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
_DOUBLE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+")


def parse_tsv_term(text: str) -> Term | None:
    """A term of a SPARQL TSV cell (None for an empty, unbound cell)."""
    if text == "":
        return None
    first = text[0]
    if first == "<" or first == '"' or first == "_":
        return _term(text)
    if text in ("true", "false"):
        return ("literal", text, None, XSD + "boolean")
    if _INTEGER.fullmatch(text):
        return ("literal", text, None, XSD + "integer")
    if _DECIMAL.fullmatch(text):
        return ("literal", text, None, XSD + "decimal")
    if _DOUBLE.fullmatch(text):
        return ("literal", text, None, XSD + "double")
    return _term(text)


# A whole well-formed N-Triples line, every term in a group: one match instead of one per term.
_NT_FAST = re.compile(
    r"[ \t]*(?:<([^>]*)>|_:([^\s]+))[ \t]+<([^>]*)>[ \t]+"
    r'(?:<([^>]*)>|_:([^\s]+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^<([^>]*)>)?)'
    r"[ \t]+\.[ \t]*\r?$"
)


def parse_nt_line(line: str) -> tuple[Term, Term, Term] | None:
    """The triple of an N-Triples line (None for a blank or comment line)."""
    match = _NT_FAST.match(line)
    if match is None:
        return _parse_nt_terms(line)
    s_iri, s_bnode, p, o_iri, o_bnode, lexical, language, datatype = match.groups()
    subject = ("uri", _unescape(s_iri)) if s_iri is not None else ("bnode", s_bnode)
    if o_iri is not None:
        obj = ("uri", _unescape(o_iri))
    elif o_bnode is not None:
        obj = ("bnode", o_bnode)
    else:
        obj = ("literal", _unescape(lexical), language, datatype)
    return subject, ("uri", _unescape(p)), obj


def _parse_nt_terms(line: str) -> tuple[Term, Term, Term] | None:
    """`parse_nt_line` a term at a time: every line the one-match form does not take (comments,
    no space before the dot, …), and the errors."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    terms, position = [], 0
    for _ in range(3):
        match = _NT_TERM.match(line, position)
        if not match:
            raise ValueError(f"not an N-Triples line: {line[:80]!r}")
        terms.append(_term(match.group(1)))
        position = match.end()
    return terms[0], terms[1], terms[2]


def parse_nt(text: str) -> Iterator[tuple[Term, Term, Term]]:
    """The triples of an N-Triples document (lines end at line feeds only: a literal may hold
    other line separators)."""
    return filter(None, map(parse_nt_line, text.split("\n")))


def parse_nq_line(line: str) -> tuple[Term, Term, Term, Term | None] | None:
    """The quad of an N-Quads line (graph None for the default graph), None for a blank line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    terms, position = [], 0
    while len(terms) < 4:
        match = _NT_TERM.match(line, position)
        if not match:
            break
        terms.append(_term(match.group(1)))
        position = match.end()
    if len(terms) < 3 or not line[position:].strip().startswith("."):
        raise ValueError(f"not an N-Quads line: {line[:80]!r}")
    return terms[0], terms[1], terms[2], terms[3] if len(terms) == 4 else None


def split_nq_line(line: str) -> tuple[str, str | None] | None:
    """An N-Quads line as (its triple in N-Triples syntax, without the final dot; the graph IRI or
    None for the default graph); None for a blank or comment line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    position, ends = 0, []
    while len(ends) < 4:
        match = _NT_TERM.match(line, position)
        if not match:
            break
        ends.append((match.start(1), match.end(1)))
        position = match.end()
    if len(ends) < 3 or not line[position:].strip().startswith("."):
        raise ValueError(f"not an N-Quads line: {line[:80]!r}")
    triple = line[ends[0][0] : ends[2][1]]
    if len(ends) < 4:
        return triple, None
    graph = _term(line[ends[3][0] : ends[3][1]])
    if graph[0] != "uri":
        raise ValueError(f"not an N-Quads line (a graph is named by an IRI): {line[:80]!r}")
    return triple, graph[1]


def read_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines (without their end) of a UTF-8 byte stream."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r").decode("utf-8")
    if pending:
        yield pending.rstrip(b"\r").decode("utf-8")


_NOT_IN_LABEL = re.compile(r"[^A-Za-z0-9_-]")
_HEAD = re.compile(r'"head"\s*:\s*')
_BINDINGS = re.compile(r'"bindings"\s*:\s*\[')
_BETWEEN_ROWS = re.compile(r"[\s,]*")


def _tsv_cell(value: dict) -> str:
    """A SPARQL JSON binding as a SPARQL TSV cell, written directly (a cell of every row of a
    converted answer); ValueError if it is no term."""
    kind, text = value.get("type"), value.get("value", "")
    if not isinstance(text, str):
        text = str(text)
    if kind == "uri":
        return ntriples.iri(text)
    if kind == "bnode":
        # Virtuoso names blank nodes "nodeID://b10001": a label may not hold ":" or "/".
        return ntriples.blank_node(
            _NOT_IN_LABEL.sub("_", text.removeprefix("nodeID://").removeprefix("_:")) or "b"
        )
    if kind not in ("literal", "typed-literal"):
        raise ValueError(f"not a SPARQL JSON term: {str(value)[:80]}")
    return ntriples.literal(text, value.get("xml:lang"), value.get("datatype"))


def tsv_from_json(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """SPARQL JSON SELECT results, converted to SPARQL TSV as they arrive (for stores whose own
    TSV is not the standard's): each binding is decoded on its own once it is whole, so memory
    stays flat whatever the size. Expects ``head`` before ``results``, as stores write them.
    Raises ValueError when the JSON is not such results."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")()
    buffer, names, stage = "", [], "head"
    for chunk in chunks:
        buffer += text.decode(chunk)
        out = []
        if stage == "head" and (found := _HEAD.search(buffer)):
            try:
                head, end = decoder.raw_decode(buffer, found.end())
            except ValueError:
                head = None  # not whole yet
            if head is not None:
                names = [str(name) for name in head.get("vars", [])]
                out.append("\t".join(f"?{name}" for name in names) + "\n")
                buffer, stage = buffer[end:], "results"
        if stage == "results" and (found := _BINDINGS.search(buffer)):
            buffer, stage = buffer[found.end() :], "rows"
        if stage == "rows":
            position = 0
            while True:
                position = _BETWEEN_ROWS.match(buffer, position).end()
                if position >= len(buffer):
                    break
                if buffer[position] == "]":
                    stage = "done"
                    break
                try:
                    row, end = decoder.raw_decode(buffer, position)
                except ValueError:
                    break  # the row is not whole yet
                out.append(
                    "\t".join([_tsv_cell(row[name]) if name in row else "" for name in names])
                    + "\n"
                )
                position = end
            buffer = buffer[position:]
        if out:
            yield "".join(out).encode("utf-8")
    if stage != "done":
        raise ValueError(f"not SPARQL JSON results (stopped at: {buffer[:80]!r})")
