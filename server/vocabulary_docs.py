"""``/ontology`` and ``/shapes``: the vocabulary and the shapes, as HTML documentation and as RDF.

Every term of the ontology has an anchor (``/ontology#Term``), so that a permanent-identifier
redirect of ``https://w3id.org/ccn-graph/ontology#Term`` to a deployment's ``/ontology`` lands on
it.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, render_template, request, url_for

from ccn_graph.model.iris import bind_prefixes
from ccn_graph.rdfio import formats
from server import context
from server.headers import declare
from server.negotiation import NotAcceptable, choose
from server.pages.vocabulary import ontology_view, shapes_view
from server.urls import absolute

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


def _document(name: str, graph, page, media_type: str) -> Response:
    """`graph` in `media_type` (or its page), with an ETag (the vocabulary changes only with a
    release: a client revalidates for nothing) and `Link` headers naming the other variants."""
    etag = hashlib.sha256(
        f"{graph_version(graph)}|{media_type}|{request.accept_languages}".encode()
    ).hexdigest()[:32]
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
    elif media_type == formats.HTML:
        response = page()
    else:
        response = _rdf(graph, media_type)
    response.set_etag(etag)
    response.headers["Link"] = ", ".join(
        f'<{absolute(url_for(f"vocabulary_docs.{name}", suffix=s))}>; rel="alternate"; type="{m}"'
        for s, m in SUFFIXES.items()
        if m != media_type
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


_VERSIONS: dict[tuple[int, int], str] = {}


def graph_version(graph) -> str:
    """A hash of `graph`'s triples, worked out once per graph (they are built at start-up)."""
    key = (id(graph), len(graph))
    if key not in _VERSIONS:
        lines = sorted(line for line in graph.serialize(format="nt11").splitlines() if line)
        _VERSIONS[key] = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    return _VERSIONS[key]


@blueprint.route("/ontology", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/ontology.<suffix>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), page_vary=("Accept-Language",), cors=True)
def ontology(suffix):
    vocabulary = context.services().vocabulary
    return _document(
        "ontology",
        vocabulary.ontology,
        lambda: _page("ontology.html", ontology_view(vocabulary)),
        _variant(suffix),
    )


@blueprint.route("/shapes", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/shapes.<suffix>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), page_vary=("Accept-Language",), cors=True)
def shapes(suffix):
    vocabulary = context.services().vocabulary
    return _document(
        "shapes",
        vocabulary.shapes,
        lambda: _page("shapes.html", shapes_view(vocabulary)),
        _variant(suffix),
    )
