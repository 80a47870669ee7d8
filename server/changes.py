"""``/changes``: every version of every record, oldest first, for harvesters.

As a Linked Data Event Stream (``ldes:EventStream``; Turtle, N-Triples, JSON-LD, RDF/XML), each
member a `ccn:RecordVersion` that names its entity (``dcterms:isVersionOf``), its time
(``prov:generatedAtTime``), its activity, and carries the record's triples then (``ccn:snapshot``,
absent for a deletion): replaying the members in order rebuilds the records. Pages hold
`FEED_PAGE` versions by sequence number (``/changes/{n}``) and are linked by ``tree:`` relations
on the time; the same pages as an Activity Streams 2.0 ``OrderedCollection`` of Create / Update /
Delete activities (``Accept: application/activity+json``), and in HTML. A full page never changes
(cached for a year); the newest is short-lived.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, url_for
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from ccn_graph import history
from ccn_graph.model.iris import (
    CCN,
    PREFIXES,
    bind_prefixes,
    document_iri,
    document_path,
    service_url,
)
from ccn_graph.rdfio import formats
from ccn_graph.rdfio.jsonld import write_jsonld
from ccn_graph.rdfio.turtle import write_turtle
from server import context
from server.caching import cached
from server.headers import declare
from server.negotiation import choose
from server.problems import NotFound
from server.urls import absolute, document_url

blueprint = Blueprint("changes", __name__)

#: Versions per page of the feed.
FEED_PAGE = 100
LDES = Namespace("https://w3id.org/ldes#")
TREE = Namespace("https://w3id.org/tree#")
AS2_CONTEXT = "https://www.w3.org/ns/activitystreams"
_OFFERS = (*formats.DOCUMENT_FORMATS, formats.ACTIVITY_STREAMS)
_AS2_TYPES = {"created": "Create", "updated": "Update", "deleted": "Delete"}
_FEED_PREFIXES = {**PREFIXES, "ldes": str(LDES), "tree": str(TREE)}


def _negotiate() -> str:
    return choose(request, _OFFERS, html=True)


def _stream(base: str) -> URIRef:
    return URIRef(service_url(base, "changes"))


def _page_iri(base: str, number: int) -> URIRef:
    return URIRef(service_url(base, f"changes/{number}"))


def _pages(total: int) -> int:
    """How many pages there are for `total` versions: the full ones and the one being filled."""
    return total // FEED_PAGE + 1


@blueprint.route("/changes", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
@cached(params=("format",))
def stream():
    """The event stream: what it is and where its pages start and end."""
    media_type = _negotiate()
    base = context.settings().base_iri
    total = history.count(context.store())
    pages = _pages(total)
    if media_type == formats.ACTIVITY_STREAMS.media_type:
        body = json.dumps(
            {
                "@context": AS2_CONTEXT,
                "id": str(_stream(base)),
                "type": "OrderedCollection",
                "summary": "Every change to a record of CCN Graph, oldest first.",
                "totalItems": total,
                "first": {"id": str(_page_iri(base, 1)), "type": "OrderedCollectionPage"},
                "last": {"id": str(_page_iri(base, pages)), "type": "OrderedCollectionPage"},
            },
            indent=1,
        )
    elif media_type == formats.HTML:
        body = render_template(
            "changes.html",
            page=None,
            pages=pages,
            total=total,
            rows=[],
            first=url_for("changes.page", number=1),
            last=url_for("changes.page", number=pages),
        )
    else:
        graph = _stream_graph(base)
        graph.add((_stream(base), DCTERMS.title, Literal("CCN Graph change feed", lang="en")))
        graph.add(
            (
                _stream(base),
                DCTERMS.description,
                Literal(
                    f"Every version of every record, oldest first, {FEED_PAGE} a page; "
                    f"{total} so far.",
                    lang="en",
                ),
            )
        )
        body = _serialize(graph, media_type, _stream(base))
    return _answer(
        body,
        media_type,
        "public, max-age=10",
        [
            f'<{absolute(url_for("changes.page", number=1))}>; rel="first"',
            f'<{absolute(url_for("changes.page", number=pages))}>; rel="last"',
        ],
    )


@blueprint.route("/changes/<int:number>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
@cached(params=("format",))
def page(number: int):
    """Page `number`: the versions with sequence numbers (number-1)·FEED_PAGE+1 …
    number·FEED_PAGE."""
    media_type = _negotiate()
    store = context.store()
    base = context.settings().base_iri
    total = history.count(store)
    pages = _pages(total)
    if number < 1 or number > pages:
        raise NotFound(
            f"The change feed has {pages} page(s) so far: /changes/1 … /changes/{pages}."
        )
    first = (number - 1) * FEED_PAGE + 1
    members = history.by_sequence(store, first, min(total, number * FEED_PAGE))
    full = total >= number * FEED_PAGE
    if media_type == formats.ACTIVITY_STREAMS.media_type:
        body = json.dumps(_as2_page(base, number, pages, full, members), indent=1)
    elif media_type == formats.HTML:
        body = render_template(
            "changes.html",
            page=number,
            pages=pages,
            total=total,
            rows=[_row(v) for v in members],
            first=url_for("changes.page", number=1),
            last=url_for("changes.page", number=pages),
            prev=url_for("changes.page", number=number - 1) if number > 1 else None,
            next=url_for("changes.page", number=number + 1) if full else None,
        )
    else:
        body = _serialize(
            _page_graph(base, number, full, members), media_type, _page_iri(base, number)
        )
    links = [f'<{absolute(url_for("changes.stream"))}>; rel="collection"']
    if number > 1:
        links.append(f'<{absolute(url_for("changes.page", number=number - 1))}>; rel="prev"')
    if full:
        links.append(f'<{absolute(url_for("changes.page", number=number + 1))}>; rel="next"')
    # A full page never changes; the newest grows with each write.
    return _answer(
        body,
        media_type,
        "public, max-age=31536000, immutable" if full else "public, max-age=5",
        links,
    )


def _answer(body: str, media_type: str, cache: str, links: list[str]) -> Response:
    response = Response(body, content_type=f"{media_type}; charset=utf-8")
    response.headers["Cache-Control"] = cache
    response.headers["Link"] = ", ".join(links)
    return response


def _stream_graph(base: str) -> Graph:
    graph = Graph()
    stream_node = _stream(base)
    graph.add((stream_node, RDF.type, LDES.EventStream))
    graph.add((stream_node, LDES.timestampPath, PROV.generatedAtTime))
    graph.add((stream_node, LDES.versionOfPath, DCTERMS.isVersionOf))
    graph.add((stream_node, TREE.view, _page_iri(base, 1)))
    return graph


def _page_graph(base: str, number: int, full: bool, members: list[history.Version]) -> Graph:
    graph = _stream_graph(base)
    node = _page_iri(base, number)
    graph.add((node, RDF.type, TREE.Node))
    graph.add((node, DCTERMS.isPartOf, _stream(base)))
    if full and members:
        # Every later version is at least as recent as this page's last (history's times never
        # go back).
        relation = URIRef(f"{node}#next")
        graph.add((node, TREE.relation, relation))
        graph.add((relation, RDF.type, TREE.GreaterThanOrEqualToRelation))
        graph.add((relation, TREE.node, _page_iri(base, number + 1)))
        graph.add((relation, TREE.path, PROV.generatedAtTime))
        graph.add((relation, TREE.value, Literal(members[-1].time, datatype=XSD.dateTime)))
    for version in members:
        subject = URIRef(version.iri)
        graph.add((_stream(base), TREE.member, subject))
        for triple in history.version_triples(
            base,
            version.graph,
            version.number,
            version.sequence,
            version.kind,
            version.activity,
            version.time,
        ):
            graph.add(triple)
        if not version.deleted:
            graph.add((subject, CCN.snapshot, Literal(version.text())))
    return graph


def _serialize(graph: Graph, media_type: str, first: URIRef) -> str:
    if media_type == formats.TURTLE.media_type:
        return write_turtle(graph, _FEED_PREFIXES, first=first)
    if media_type == formats.JSON_LD.media_type:
        return write_jsonld(graph, first)
    fmt = next(f for f in formats.DOCUMENT_FORMATS if f.media_type == media_type)
    bind_prefixes(graph)
    return graph.serialize(format=fmt.rdflib_name)


def _memento_path(version: history.Version) -> str | None:
    """The path ``{type}/{ref}/version/{n}`` of the document of `version` (for a record of an
    entity that was not deleted by it)."""
    if version.entity is None or version.deleted:
        return None
    path = document_path(context.settings().base_iri, version.entity)
    return f"{path}/version/{version.number}" if path else None


def _row(version: history.Version) -> dict:
    path = document_path(context.settings().base_iri, version.entity) if version.entity else None
    return {
        "sequence": version.sequence,
        "time": f"{version.time:%Y-%m-%d %H:%M:%S}",
        "change": history.kind_name(version.kind),
        "what": version.entity or version.graph,
        "href": document_url(path) if path else None,
        "version": version.number,
        "memento": document_url(_memento_path(version)) if _memento_path(version) else None,
    }


def _as2_page(
    base: str, number: int, pages: int, full: bool, members: list[history.Version]
) -> dict:
    items = []
    for version in members:
        item = {
            "id": version.iri,
            "type": _AS2_TYPES[history.kind_name(version.kind)],
            "published": version.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "object": {"id": version.entity or version.graph, "type": "Object"},
        }
        memento = _memento_path(version)
        if memento:
            item["object"]["url"] = document_iri(base, memento)
        if version.agent:
            item["actor"] = version.agent
        items.append(item)
    out = {
        "@context": AS2_CONTEXT,
        "id": str(_page_iri(base, number)),
        "type": "OrderedCollectionPage",
        "partOf": str(_stream(base)),
        "startIndex": (number - 1) * FEED_PAGE,
        "orderedItems": items,
    }
    if number > 1:
        out["prev"] = str(_page_iri(base, number - 1))
    if full:
        out["next"] = str(_page_iri(base, number + 1))
    return out
