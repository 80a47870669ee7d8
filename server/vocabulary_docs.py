"""``/ontology`` and ``/shapes``: the vocabulary and the shapes, as HTML documentation and as RDF.

Every term of the ontology has an anchor (``/ontology#Term``), so that a permanent-identifier
redirect of ``https://w3id.org/ccn-graph/ontology#Term`` to a deployment's ``/ontology`` lands on
it.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ccn_graph.model.iris import bind_prefixes
from ccn_graph.rdfio import formats
from server import context
from server.headers import declare
from server.negotiation import NotAcceptable, choose
from server.pages.vocabulary import ontology_view, shapes_view

blueprint = Blueprint("vocabulary_docs", __name__)
SUFFIXES = formats.document_suffixes()


def _variant(suffix: str | None) -> str:
    if suffix:
        if suffix not in SUFFIXES:
            raise NotAcceptable(list(SUFFIXES), suffix)
        return SUFFIXES[suffix]
    return choose(request, formats.DOCUMENT_FORMATS, html=True)


def _rdf(graph, media_type: str) -> Response:
    fmt = next(f for f in formats.DOCUMENT_FORMATS if f.media_type == media_type)
    bind_prefixes(graph)
    return Response(
        graph.serialize(format=fmt.rdflib_name), content_type=f"{media_type}; charset=utf-8"
    )


def _page(template: str, view: dict) -> Response:
    return Response(
        render_template(template, **view), content_type=f"{formats.HTML}; charset=utf-8"
    )


@blueprint.route("/ontology", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/ontology.<suffix>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
def ontology(suffix):
    vocabulary = context.services().vocabulary
    media_type = _variant(suffix)
    if media_type != formats.HTML:
        return _rdf(vocabulary.ontology, media_type)
    return _page("ontology.html", ontology_view(vocabulary))


@blueprint.route("/shapes", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/shapes.<suffix>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
def shapes(suffix):
    vocabulary = context.services().vocabulary
    media_type = _variant(suffix)
    if media_type != formats.HTML:
        return _rdf(vocabulary.shapes, media_type)
    return _page("shapes.html", shapes_view(vocabulary))
