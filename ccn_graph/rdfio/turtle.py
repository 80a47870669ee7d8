"""A plain Turtle writer for entity documents: subjects in order, each with its predicates and
objects, prefixed names where the project's prefixes allow them.

rdflib's Turtle serializer spends most of a document's time on looking up prefixes term by term
(bench/reports/figures-behind-comments.md); this writes the same graph without them. It
writes no nested blank nodes or lists (`_:` labels instead): what it writes is valid Turtle that
parses back to the same graph, which is what the tests hold it to.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ccn_graph.rdfio import ntriples

__all__ = ["write_turtle"]

_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$|^$")


def write_turtle(graph: Graph, prefixes: Mapping[str, str], first: URIRef | None = None) -> str:
    """`graph` as Turtle with `prefixes` (prefix → namespace) where they apply; `first` leads."""
    by_namespace = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda item: -len(item[0]))
    used: set[str] = set()

    def iri(value: str) -> str:
        for namespace, prefix in by_namespace:
            if value.startswith(namespace) and _LOCAL.match(value[len(namespace) :]):
                used.add(prefix)
                return f"{prefix}:{value[len(namespace) :]}"
        return ntriples.iri(value)

    def term(node) -> str:
        if isinstance(node, URIRef):
            return iri(str(node))
        if isinstance(node, BNode):
            return f"_:b{re.sub(r'[^A-Za-z0-9]', '', str(node))}"
        if isinstance(node, Literal):
            # Turtle's quoted strings and IRIREFs are N-Triples' own.
            text = ntriples.quoted(str(node))
            if node.language:
                return f"{text}@{node.language}"
            if node.datatype is not None:
                return f"{text}^^{iri(str(node.datatype))}"
            return text
        raise ValueError(f"cannot write {node!r} in Turtle")

    subjects: dict = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph:
        subjects[s][p].append(o)

    def subject_order(s):
        return (s != first, isinstance(s, BNode), str(s))

    blocks = []
    for s in sorted(subjects, key=subject_order):
        predicates = subjects[s]
        lines = []
        for p in sorted(predicates, key=lambda p: (p != RDF.type, str(p))):
            objects = ", ".join(
                term(o) for o in sorted(predicates[p], key=lambda o: (type(o).__name__, str(o)))
            )
            lines.append(f"{'a' if p == RDF.type else term(p)} {objects}")
        blocks.append(term(s) + " " + " ;\n    ".join(lines) + " .\n")
    head = "".join(f"@prefix {p}: <{prefixes[p]}> .\n" for p in sorted(used))
    return head + ("\n" if head else "") + "\n".join(blocks)
