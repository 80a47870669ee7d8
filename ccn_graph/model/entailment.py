"""The standard classes every resource is an instance of, asserted (DESIGN: materialised types).

The data types things with the ontology's own classes (`ccn:NationalCoordinationCentre`,
`ccn:ResearchDomain` …); a client that knows only the standard vocabularies asks for
`org:Organization`, `skos:Concept` or `foaf:Agent`, and no store here reasons. So every
``?s rdf:type C`` is stored with ``?s rdf:type S`` for each superclass S of C by the RDFS
subclass closure of the ontology (which states the axioms of the reused vocabularies it relies
on): computed once per ontology, applied when data is loaded and by the write gate, never by a
reasoner per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

__all__ = ["TypeClosure"]


class TypeClosure:
    """The RDFS subclass closure of an ontology: for each class, its superclasses (IRIs only)."""

    def __init__(self, ontology: Graph) -> None:
        direct: dict[URIRef, set[URIRef]] = {}
        for sub, sup in ontology.subject_objects(RDFS.subClassOf):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef) and sub != sup:
                direct.setdefault(sub, set()).add(sup)
        self.superclasses: Mapping[URIRef, frozenset[URIRef]] = {
            cls: frozenset(_reachable(cls, direct)) for cls in direct
        }
        pairs = sorted(f"{c} {s}" for c, sups in self.superclasses.items() for s in sups)
        #: Names the closure: data entailed under one version needs no work under the same one.
        self.version = hashlib.sha256("\n".join(pairs).encode()).hexdigest()[:16]

    def entailed(self, graph: Graph) -> set[tuple]:
        """The type triples `graph` lacks that its types entail."""
        missing = set()
        for thing, cls in graph.subject_objects(RDF.type):
            for sup in self.superclasses.get(cls, ()):
                if (thing, RDF.type, sup) not in graph:
                    missing.add((thing, RDF.type, sup))
        return missing

    def entail(self, graph: Graph) -> Graph:
        """`graph` with the types it entails added (in place; returned for chaining)."""
        for triple in self.entailed(graph):
            graph.add(triple)
        return graph

    def by_superclass(self) -> dict[URIRef, list[URIRef]]:
        """Each superclass with the classes below it (what a store-side update binds)."""
        below: dict[URIRef, list[URIRef]] = {}
        for cls, sups in self.superclasses.items():
            for sup in sups:
                below.setdefault(sup, []).append(cls)
        return {sup: sorted(classes, key=str) for sup, classes in sorted(below.items())}


def _reachable(start: URIRef, direct: Mapping[URIRef, set[URIRef]]) -> set[URIRef]:
    seen: set[URIRef] = set()
    todo = list(direct.get(start, ()))
    while todo:
        cls = todo.pop()
        if cls not in seen and cls != start:
            seen.add(cls)
            todo.extend(direct.get(cls, ()))
    return seen
