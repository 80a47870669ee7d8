"""``/ontology`` and ``/shapes``: the vocabulary and the shapes, as HTML documentation and as RDF.

Every term of the ontology has an anchor (``/ontology#Term``), so that a permanent-identifier
redirect of ``https://w3id.org/ccn-graph/ontology#Term`` to a deployment's ``/ontology`` lands on it.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from ccn_graph.model.iris import ONTOLOGY_NS, PREFIXES, bind_prefixes
from ccn_graph.rdfio import formats
from server import context
from server.errors import error_response
from server.negotiation import NotAcceptable, choose

blueprint = Blueprint("vocabulary_docs", __name__)
SUFFIXES = formats.document_suffixes()


def _variant(suffix: str | None) -> str:
    if suffix:
        if suffix not in SUFFIXES:
            raise NotAcceptable(list(SUFFIXES), suffix)
        return SUFFIXES[suffix]
    return choose(request, formats.DOCUMENT_FORMATS, html=True)


def _variant_or_response(suffix: str | None, graph) -> str | Response:
    """HTML (the caller renders it), or the finished response: the graph in RDF, or a 406."""
    try:
        media_type = _variant(suffix)
    except NotAcceptable as exc:
        return error_response(406, "Not Acceptable", str(exc))
    return media_type if media_type == formats.HTML else _rdf(graph, media_type)


def _rdf(graph, media_type: str) -> Response:
    fmt = next(f for f in formats.DOCUMENT_FORMATS if f.media_type == media_type)
    bind_prefixes(graph)
    response = Response(
        graph.serialize(format=fmt.rdflib_name), content_type=f"{media_type}; charset=utf-8"
    )
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


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


@blueprint.route("/ontology", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/ontology.<suffix>", methods=["GET", "HEAD"])
def ontology(suffix):
    vocabulary = context.app_extension("vocabulary")
    graph = vocabulary.ontology
    media_type = _variant_or_response(suffix, graph)
    if isinstance(media_type, Response):
        return media_type
    shapes = vocabulary.shapes
    classes, properties = [], []
    for term in sorted(
        {s for s in graph.subjects(RDF.type, OWL.Class) if str(s).startswith(ONTOLOGY_NS)}, key=str
    ):
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
        classes.append(
            {
                "id": _local(term),
                "label": vocabulary.label(term),
                "definition": vocabulary.definition(term),
                "parents": [_term_link(p) for p in graph.objects(term, RDFS.subClassOf)],
                "children": [_term_link(c) for c in graph.subjects(RDFS.subClassOf, term)],
                "properties": [_term_link(p) for p in graph.subjects(RDFS.domain, term)],
                "constraints": sorted(constraints, key=lambda c: c["name"]),
            }
        )
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in sorted(
            {s for s in graph.subjects(RDF.type, kind) if str(s).startswith(ONTOLOGY_NS)}, key=str
        ):
            properties.append(
                {
                    "id": _local(term),
                    "label": vocabulary.label(term),
                    "definition": vocabulary.definition(term),
                    "kind": _local(kind),
                    "domain": [_term_link(d) for d in graph.objects(term, RDFS.domain)],
                    "range": [_term_link(r) for r in graph.objects(term, RDFS.range)],
                    "parents": [_term_link(p) for p in graph.objects(term, RDFS.subPropertyOf)],
                }
            )
    header = URIRef(ONTOLOGY_NS.rstrip("#"))
    page = render_template(
        "ontology.html",
        title=str(graph.value(header, RDFS.label) or "Ontology"),
        description=str(graph.value(header, URIRef("http://purl.org/dc/terms/description")) or ""),
        version=str(graph.value(header, OWL.versionInfo) or ""),
        version_iri=str(graph.value(header, OWL.versionIRI) or ""),
        namespace=ONTOLOGY_NS,
        classes=classes,
        properties=properties,
        alternates=[(m, f"/ontology.{s}") for s, m in SUFFIXES.items() if m != formats.HTML],
    )
    response = Response(page, content_type=f"{formats.HTML}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


@blueprint.route("/shapes", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/shapes.<suffix>", methods=["GET", "HEAD"])
def shapes(suffix):
    vocabulary = context.app_extension("vocabulary")
    graph = vocabulary.shapes
    media_type = _variant_or_response(suffix, graph)
    if isinstance(media_type, Response):
        return media_type
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
    page = render_template(
        "shapes.html",
        node_shapes=node_shapes,
        alternates=[(m, f"/shapes.{s}") for s, m in SUFFIXES.items() if m != formats.HTML],
    )
    response = Response(page, content_type=f"{formats.HTML}; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response
