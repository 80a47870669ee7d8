"""The vocabulary pages' view models: the ontology and the shapes as ontology.html and
shapes.html show them."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from ccn_graph.model.iris import ONTOLOGY_NS, PREFIXES
from ccn_graph.rdfio import formats
from server.vocabulary import Vocabulary

__all__ = ["ontology_view", "shapes_view"]

SUFFIXES = formats.document_suffixes()


def _local(term) -> str:
    return str(term).rsplit("#", 1)[-1]


def _term_link(term) -> dict:
    text = str(term)
    if text.startswith(ONTOLOGY_NS):
        return {"href": f"#{_local(term)}", "text": f"ccn:{_local(term)}", "external": False}
    return {"href": text, "text": _compact(text), "external": True}


def _compact(text: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def ontology_view(vocabulary: Vocabulary) -> dict:
    graph = vocabulary.ontology
    shapes = vocabulary.shapes
    classes = [_class(vocabulary, shapes, term) for term in _terms(graph, OWL.Class)]
    properties = [
        _property(vocabulary, term, kind)
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for term in _terms(graph, kind)
    ]
    header = URIRef(ONTOLOGY_NS.rstrip("#"))
    return {
        "title": str(graph.value(header, RDFS.label) or "Ontology"),
        "description": str(
            graph.value(header, URIRef("http://purl.org/dc/terms/description")) or ""
        ),
        "version": str(graph.value(header, OWL.versionInfo) or ""),
        "version_iri": str(graph.value(header, OWL.versionIRI) or ""),
        "namespace": ONTOLOGY_NS,
        "classes": classes,
        "properties": properties,
        "alternates": [(m, f"/ontology.{s}") for s, m in SUFFIXES.items() if m != formats.HTML],
    }


def _terms(graph, kind) -> list:
    return sorted(
        {s for s in graph.subjects(RDF.type, kind) if str(s).startswith(ONTOLOGY_NS)}, key=str
    )


def _class(vocabulary: Vocabulary, shapes, term) -> dict:
    graph = vocabulary.ontology
    constraints = []
    for node_shape in shapes.subjects(SH.targetClass, term):
        for prop in shapes.objects(node_shape, SH.property):
            constraints.append(
                {
                    "name": str(shapes.value(prop, SH.name) or ""),
                    "path": _term_link(shapes.value(prop, SH.path)),
                    "severity": _local(shapes.value(prop, SH.severity) or SH.Violation),
                    "message": str(shapes.value(prop, SH.message) or ""),
                }
            )
    return {
        "id": _local(term),
        "label": vocabulary.label(term),
        "definition": vocabulary.definition(term),
        "parents": [_term_link(p) for p in graph.objects(term, RDFS.subClassOf)],
        "children": [_term_link(c) for c in graph.subjects(RDFS.subClassOf, term)],
        "properties": [_term_link(p) for p in graph.subjects(RDFS.domain, term)],
        "constraints": sorted(constraints, key=lambda c: c["name"]),
    }


def _property(vocabulary: Vocabulary, term, kind) -> dict:
    graph = vocabulary.ontology
    return {
        "id": _local(term),
        "label": vocabulary.label(term),
        "definition": vocabulary.definition(term),
        "kind": _local(kind),
        "domain": [_term_link(d) for d in graph.objects(term, RDFS.domain)],
        "range": [_term_link(r) for r in graph.objects(term, RDFS.range)],
        "parents": [_term_link(p) for p in graph.objects(term, RDFS.subPropertyOf)],
    }


def shapes_view(vocabulary: Vocabulary) -> dict:
    graph = vocabulary.shapes
    node_shapes = []
    for shape in sorted(set(graph.subjects(RDF.type, SH.NodeShape)), key=str):
        rows = []
        for prop in graph.objects(shape, SH.property):
            rows.append(
                {
                    "id": _local(prop),
                    "name": str(graph.value(prop, SH.name) or ""),
                    "path": _term_link(graph.value(prop, SH.path)),
                    "severity": _local(graph.value(prop, SH.severity) or SH.Violation),
                    "message": str(graph.value(prop, SH.message) or ""),
                    "min": graph.value(prop, SH.minCount),
                    "max": graph.value(prop, SH.maxCount),
                }
            )
        for constraint in graph.objects(shape, SH.sparql):
            rows.append(
                {
                    "id": _local(constraint),
                    "name": "(rule)",
                    "path": None,
                    "severity": _local(graph.value(constraint, SH.severity) or SH.Violation),
                    "message": str(graph.value(constraint, SH.message) or ""),
                    "min": None,
                    "max": None,
                }
            )
        node_shapes.append(
            {
                "id": _local(shape),
                "label": str(graph.value(shape, RDFS.label) or _local(shape)),
                "targets": [_term_link(t) for t in graph.objects(shape, SH.targetClass)],
                "rows": sorted(rows, key=lambda r: (r["name"], r["id"])),
            }
        )
    return {
        "node_shapes": node_shapes,
        "alternates": [(m, f"/shapes.{s}") for s, m in SUFFIXES.items() if m != formats.HTML],
    }
