"""A plain JSON-LD writer for entity documents: one node object per subject, the document's
subject first, every value in a list; expanded, or compacted by the project's prefixes.

rdflib's JSON-LD serializer takes a third of an entity document's time (it compacts terms one
by one, even when no context is asked for); this writes the same graph as JSON-LD 1.1 — expanded,
or compacted by prefixes alone (a context of prefix definitions, no term definitions, so that no
value changes its form) — which every JSON-LD processor reads and the tests parse back to the same
graph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

__all__ = ["write_jsonld"]


def _id(node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _value(node) -> dict:
    if not isinstance(node, Literal):
        return {"@id": _id(node)}
    if node.language:
        return {"@value": str(node), "@language": node.language}
    if node.datatype is not None and node.datatype != XSD.string:
        return {"@value": str(node), "@type": str(node.datatype)}
    return {"@value": str(node)}


def write_jsonld(
    graph: Graph | Iterable[tuple],
    first: URIRef | None = None,
    indent: int | None = 2,
    *,
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """`graph` (or its triples) as JSON-LD; `first` leads. The same graph gives the same text.

    Expanded form without `prefixes`; with them, compacted by prefix: a ``@context`` of the
    prefixes used, properties and types written as compact IRIs (``skos:prefLabel``), node and
    value IRIs in full. Either reads back as the same graph with any JSON-LD processor."""
    shorten = _shortener(prefixes or {})
    used: set[str] = set()

    def term(iri) -> str:
        text, prefix = shorten(str(iri))
        if prefix:
            used.add(prefix)
        return text

    nodes: dict = {}
    for s, p, o in graph:
        node = nodes.setdefault(s, {"@id": _id(s)})
        if p == RDF.type and not isinstance(o, Literal):
            node.setdefault("@type", []).append(term(o) if isinstance(o, URIRef) else _id(o))
        else:
            node.setdefault(term(p), []).append(_value(o))
    for node in nodes.values():
        for key, values in node.items():
            if key != "@id":
                values.sort(
                    key=lambda v: v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                )
    order = sorted(nodes, key=lambda s: (s != first, isinstance(s, BNode), str(s)))
    listed = [dict(sorted(nodes[s].items())) for s in order]
    if not prefixes:
        return json.dumps(listed, ensure_ascii=False, indent=indent)
    context = {prefix: prefixes[prefix] for prefix in sorted(used)}
    return json.dumps({"@context": context, "@graph": listed}, ensure_ascii=False, indent=indent)


#: What may follow a prefix in a compact IRI written here: a plain name, so that it can never be
#: read as an IRI of its own or a keyword.
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _shortener(prefixes: Mapping[str, str]):
    by_length = sorted(prefixes.items(), key=lambda item: -len(item[1]))

    def shorten(iri: str) -> tuple[str, str | None]:
        for prefix, namespace in by_length:
            if iri.startswith(namespace) and _LOCAL.match(iri[len(namespace) :]):
                return f"{prefix}:{iri[len(namespace) :]}", prefix
        return iri, None

    return shorten
