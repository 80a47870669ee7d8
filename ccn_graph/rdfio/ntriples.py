"""RDF terms written as N-Triples 1.1 has them (https://www.w3.org/TR/n-triples/#n-triples-grammar).

One writer for every place that writes a term as text: the history's snapshots, the results
streamed as N-Triples or SPARQL TSV, the dumps, and the values bound into queries (SPARQL takes
the same IRIREF and quoted-string forms). Literals follow the canonical form of RDF 1.2
N-Triples: ``\\b \\t \\n \\f \\r \\" \\\\`` as ECHAR, every other control character (U+0000 to
U+001F, U+007F) as a UCHAR ``\\u00XX``, everything else (non-BMP characters too) as itself in
UTF-8; so a literal never spans lines and a TSV cell never holds a tab.
"""

from __future__ import annotations

import re

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

__all__ = ["XSD_STRING", "blank_node", "iri", "literal", "quoted", "term", "triple"]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_ECHAR = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
_IN_STRING = re.compile(r'[\x00-\x1f"\\\x7f]')
# IRIREF: ([^#x00-#x20<>"{}|^`\] | UCHAR)*
_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
# LANGTAG: [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*
_LANGTAG = re.compile(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*")
# BLANK_NODE_LABEL, its ASCII part: (PN_CHARS_U | [0-9]) ((PN_CHARS | '.')* PN_CHARS)?; letters
# beyond ASCII are let through as the grammar's PN_CHARS_BASE has most of them.
_LABEL = re.compile(r"[^\W\-.](?:[\w\-.]*[\w\-])?")


def _uchar(match: re.Match[str]) -> str:
    char = match.group()
    return _ECHAR.get(char) or f"\\u{ord(char):04X}"


def quoted(text: str) -> str:
    """`text` between double quotes, escaped as STRING_LITERAL_QUOTE wants."""
    if _IN_STRING.search(text) is None:
        return f'"{text}"'
    return f'"{_IN_STRING.sub(_uchar, text)}"'


def iri(value: str) -> str:
    """``<value>``, each character IRIREF leaves out written as a UCHAR, so that the line always
    parses; whether the IRI itself is valid is the caller's business (`iris.check_iri`)."""
    if _IN_IRI.search(value) is None:
        return f"<{value}>"
    return "<" + _IN_IRI.sub(lambda m: f"\\u{ord(m.group()):04X}", value) + ">"


def blank_node(label: str) -> str:
    """``_:label``; raises ValueError for a label the grammar does not take."""
    if _LABEL.fullmatch(label) is None:
        raise ValueError(f"not a blank node label of N-Triples: {label!r}")
    return f"_:{label}"


def literal(lexical: str, language: str | None = None, datatype: str | None = None) -> str:
    """A literal: ``"…"@lang``, ``"…"^^<datatype>`` or ``"…"`` (for xsd:string too, as the
    canonical form has it). Raises ValueError for a language tag LANGTAG does not take."""
    text = quoted(lexical)
    if language:
        if _LANGTAG.fullmatch(language) is None:
            raise ValueError(f"invalid language tag {language!r}")
        return f"{text}@{language}"
    if datatype and datatype != XSD_STRING:
        return f"{text}^^{iri(datatype)}"
    return text


def term(node: Node) -> str:
    """An rdflib IRI, blank node or literal in N-Triples."""
    if isinstance(node, URIRef):
        return iri(str(node))
    if isinstance(node, BNode):
        return blank_node(str(node))
    if isinstance(node, Literal):
        datatype = str(node.datatype) if node.datatype else None
        return literal(str(node), node.language, datatype)
    raise ValueError(f"not an RDF term of N-Triples: {type(node).__name__}")


def triple(s: Node, p: Node, o: Node, graph: str | None = None) -> str:
    """One N-Triples line (an N-Quads line with `graph`), with its line end."""
    line = f"{term(s)} {term(p)} {term(o)}"
    return f"{line} {iri(graph)} .\n" if graph else f"{line} .\n"
