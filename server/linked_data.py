"""Dereferenceable IRIs (DESIGN decision 3): ``/id/…`` → 303 → ``/doc/…`` in the asked format.

``/doc/{type}/{ref}`` answers with negotiation (Accept, ``?format=``, suffixes ``.html .ttl .jsonld
.rdf .nt``), ``Vary: Accept``, ``Link: rel="alternate"`` for every other variant, an ``ETag`` that
changes with the data version (``If-None-Match`` → 304), and 404 / 406 in the negotiated format.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, redirect, render_template, request, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDFS, SKOS, VOID

from ccn_graph import history
from ccn_graph.model.iris import (
    PREFIXES,
    InvalidIRI,
    bind_prefixes,
    check_iri,
    document_iri,
    entity_iri,
    instance_iri,
    record_graph_for,
)
from ccn_graph.publish.describe import Description, describe, exists
from ccn_graph.rdfio import formats
from ccn_graph.rdfio.jsonld import write_jsonld
from ccn_graph.rdfio.turtle import write_turtle
from server import catalog, context
from server.caching import cached
from server.headers import declare
from server.negotiation import choose
from server.pages.entity import entity_view
from server.problems import BadRequest, Gone, NotFound
from server.urls import absolute, document_url

blueprint = Blueprint("linked_data", __name__)

SUFFIXES = formats.document_suffixes()
RDF_OFFERS = formats.DOCUMENT_FORMATS


def split_suffix(path: str) -> tuple[str, str | None]:
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix in SUFFIXES and "/" not in suffix:
        return stem, suffix
    return path, None


def negotiate() -> str:
    return choose(request, RDF_OFFERS, html=True)


def not_found(media_type: str, what: str) -> NotFound:
    """The 404 for a path that names nothing, as a page when HTML was asked for."""
    return NotFound(f"There is nothing here about {what}.", page=media_type == formats.HTML)


#: What every answer about an entity depends on, and that any site's script may read it; a
#: page's labels are in the reader's languages.
ENTITY_HEADERS = {"vary": ("Accept",), "page_vary": ("Accept-Language",), "cors": True}


@blueprint.route("/id/<path:path>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
def identifier(path: str):
    """303 See Other to the document variant the request asks for."""
    media_type = negotiate()
    base = context.settings().base_iri
    iri = entity_iri(base, path) or (instance_iri(base, path) if path == "catalog" else None)
    if iri is None:
        raise not_found(media_type, f"/id/{path}")
    suffix = next(s for s, m in SUFFIXES.items() if m == media_type)
    if path.split("/", 1)[0] in catalog.CATALOGUE_KINDS and catalog.describes(iri):
        # The catalogue's own nodes live in the catalogue document, not in the store.
        target = "catalog.catalog"
        return redirect(url_for(target, suffix=None if suffix == "html" else suffix), code=303)
    if not exists(context.store(), context.settings().base_iri, iri):
        raise_if_gone(media_type, path, iri)
        raise not_found(media_type, f"/id/{path}")
    return redirect(url_for("linked_data.document", path=f"{path}.{suffix}"), code=303)


@blueprint.route("/doc/<path:path>", methods=["GET", "HEAD"])
@declare(**ENTITY_HEADERS)
@cached
def document(path: str):
    path, suffix = split_suffix(path)
    media_type = SUFFIXES[suffix] if suffix else negotiate()
    settings = context.settings()
    iri = entity_iri(settings.base_iri, path)
    if iri is None:
        raise not_found(media_type, f"/doc/{path}")
    store = context.store()
    state = context.state()
    after = request.args.get("inverse_after")
    inverse_after = None
    if after is not None:
        try:
            predicate, owner = after.split(" ")
            inverse_after = (check_iri(predicate), check_iri(owner))
        except (ValueError, InvalidIRI):
            raise BadRequest(
                "inverse_after= takes the key of the last link shown (its property and owner "
                "IRIs, separated by a space): follow a 'More links' link."
            ) from None
    version = state.data_version if state else 0
    etag = hashlib.sha256(
        f"{version}|{iri}|{media_type}|{after}|{request.accept_languages}".encode()
    ).hexdigest()[:32]
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
        return response
    html = media_type == formats.HTML
    description = describe(
        store,
        settings.base_iri,
        iri,
        inverse_after=inverse_after,
        index=context.portal() if html else None,
    )
    if description is None:
        raise_if_gone(media_type, path, iri)
        raise not_found(media_type, iri)
    response = Response(
        representation(description, path, media_type), content_type=f"{media_type}; charset=utf-8"
    )
    response.set_etag(etag)
    response.headers["Link"] = ", ".join(
        alternate_links(path, media_type) + memento_links(path, iri)
    )
    return response


def representation(
    description: Description, path: str, media_type: str, *, memento: dict | None = None
) -> str:
    """The document at ``/doc/{path}`` about `description` in `media_type` (a memento's when
    `memento` says which version it is)."""
    if media_type == formats.HTML:
        return render_template("entity.html", **entity_view(description, path, memento=memento))
    fmt = next(f for f in RDF_OFFERS if f.media_type == media_type)
    graph = description.graph
    _document_triples(graph, context.settings().base_iri, path, description.iri)
    _inverse_triples(graph, description, path)
    if fmt == formats.TURTLE:
        return write_turtle(graph, PREFIXES, first=URIRef(description.iri))
    if fmt == formats.JSON_LD:
        return write_jsonld(graph, URIRef(description.iri), prefixes=PREFIXES)
    bind_prefixes(graph)
    return graph.serialize(format=fmt.rdflib_name)


def alternate_links(path: str, media_type: str) -> list[str]:
    """`Link` values naming the document's other variants."""
    return [
        f'<{absolute(document_url(f"{path}.{s}"))}>; rel="alternate"; type="{m}"'
        for s, m in SUFFIXES.items()
        if m != media_type
    ]


# Nodes the service writes itself (provenance activities, versions): they have no record graph.
_NOT_RECORDS = ("activity", "version", "steward", "catalog-change")


def memento_links(path: str, iri: str) -> list[str]:
    """`Link` values naming the TimeGate and TimeMap of a record's document (RFC 7089 §2.2.1)."""
    if (
        record_graph_for(context.settings().base_iri, iri) is None
        or path.split("/", 1)[0] in _NOT_RECORDS
    ):
        return []
    return [
        f'<{absolute(url_for("history.timegate", path=path))}>; rel="timegate"',
        f'<{absolute(url_for("history.timemap", path=path))}>; rel="timemap"; '
        f'type="{formats.LINK_FORMAT.media_type}"',
    ]


def raise_if_gone(media_type: str, path: str, iri: str) -> None:
    """410 Gone for a record that was deleted (its history is kept), with a link to its last
    version that had triples; nothing when the store never had a version of it."""
    record = record_graph_for(context.settings().base_iri, iri)
    kept = history.versions(context.store(), record) if record else []
    if not kept or not kept[-1].deleted:
        return
    last = next((v for v in reversed(kept) if not v.deleted), None)
    message = f"{iri} was deleted on {kept[-1].time:%Y-%m-%d %H:%M:%S} UTC."
    links = memento_links(path, iri)
    if last is not None:
        href = url_for("history.memento", path=path, number=str(last.number))
        message += f" Its last version is at {href}."
        links.insert(
            0, f'<{absolute(href)}>; rel="last memento"; datetime="{history.http_date(last.time)}"'
        )
    raise Gone(message, headers={"Link": ", ".join(links)}, page=media_type == formats.HTML)


DATA_LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")


def _inverse_triples(graph: Graph, description: Description, path: str) -> None:
    """The links into the entity (a page of them, with their owners' names), as the page shows
    them: a client following links from the Network reaches its NCCs. The next page is named by
    ``rdfs:seeAlso``."""
    entity = URIRef(description.iri)
    for link in description.inverse:
        owner = URIRef(link.owner)
        graph.add((owner, URIRef(link.predicate), entity))
        if link.label:
            graph.add((owner, SKOS.prefLabel, Literal(link.label)))
    if description.inverse_next is not None:
        following = absolute(
            url_for(
                "linked_data.document",
                path=path,
                inverse_after=" ".join(description.inverse_next),
            )
        )
        graph.add(
            (
                URIRef(document_iri(context.settings().base_iri, path)),
                RDFS.seeAlso,
                URIRef(following),
            )
        )


def _document_triples(graph: Graph, base: str, path: str, iri: str) -> None:
    """Say what the document is about, under which licence, in which dataset."""
    doc = URIRef(document_iri(base, path))
    graph.add((doc, FOAF.primaryTopic, URIRef(iri)))
    graph.add((doc, DCTERMS.license, DATA_LICENCE))
    graph.add((doc, VOID.inDataset, URIRef(instance_iri(base, "dataset", "graph"))))
    kind, _, code = path.partition("/")
    if kind == "member-state" and "/" not in code:
        # ``{base}id/member-state/at`` names the EU authority's country IRI the data uses.
        graph.add((URIRef(instance_iri(base, kind, code)), OWL.sameAs, URIRef(iri)))
