"""Memento (RFC 7089) for every record's document: TimeGates, TimeMaps and mementos.

URI-R  ``/doc/{path}``              the document (every variant); names its TimeGate and TimeMap
URI-G  ``/timegate/{path}``         ``302`` to the memento for ``Accept-Datetime`` (the latest
                                    without one)
URI-T  ``/timemap/{path}``          ``application/link-format`` (JSON or HTML by ``Accept``),
                                    1,000 mementos a page (``?page=n``)
URI-M  ``/doc/{path}/version/{n}``  version n, in every variant (``.ttl``, ``.jsonld`` … as for
                                    /doc/)

The versions come from the store's history (`ccn_graph.history`): the current version is the
record graph itself, older ones their kept snapshots.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from ccn_graph import history
from ccn_graph.model.iris import entity_iri, record_graph_for
from ccn_graph.publish.describe import Description
from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries
from server import context, linked_data
from server.caching import cached
from server.headers import declare
from server.negotiation import choose
from server.pages import timemap as timemap_page
from server.pages.timemap import memento_url
from server.problems import BadRequest, Gone, NotFound
from server.request_checks import whole_number
from server.urls import absolute, document_url

blueprint = Blueprint("history", __name__)

#: Mementos per TimeMap page.
TIMEMAP_PAGE = 1000
_TIMEMAP_OFFERS = (formats.LINK_FORMAT, formats.JSON_FORMAT)
_ACCEPT_DATETIME_EXAMPLE = "Thu, 01 Oct 2026 12:00:00 GMT"


def _record(path: str) -> tuple[str, str] | None:
    """(entity IRI, record graph) for a document path, or None when it names no record."""
    base = context.settings().base_iri
    iri = entity_iri(base, path)
    record = record_graph_for(base, iri) if iri else None
    return (iri, record) if record else None


def _no_history(path: str) -> NotFound:
    return NotFound(
        f"CCN Graph keeps no versions of /doc/{path}: it names no record "
        "that was ever written (vocabulary terms come with the reference data).",
    )


def _links(
    path: str, kept: list[history.Version], shown: history.Version | None = None
) -> list[str]:
    """The Memento `Link` values: original, TimeGate, TimeMap, first and last memento and, around
    `shown`, the previous and next."""
    out = [
        f'<{absolute(document_url(path))}>; rel="original"',
        f'<{absolute(url_for("history.timegate", path=path))}>; rel="timegate"',
        f'<{absolute(url_for("history.timemap", path=path))}>; rel="timemap"; '
        f'type="{formats.LINK_FORMAT.media_type}"',
    ]
    marks: dict[int, list[str]] = {}
    marks.setdefault(kept[0].number, []).append("first")
    marks.setdefault(kept[-1].number, []).append("last")
    if shown is not None:
        index = next(i for i, v in enumerate(kept) if v.number == shown.number)
        if index > 0:
            marks.setdefault(kept[index - 1].number, []).append("prev")
        if index + 1 < len(kept):
            marks.setdefault(kept[index + 1].number, []).append("next")
    by_number = {v.number: v for v in kept}
    for number, rels in sorted(marks.items()):
        out.append(
            f'<{absolute(memento_url(path, number))}>; rel="{" ".join(rels)} memento"; '
            f'datetime="{history.http_date(by_number[number].time)}"'
        )
    return out


@blueprint.route("/timegate/<path:path>", methods=["GET", "HEAD"])
@declare(vary=("accept-datetime",), cors=True, expose=("Link", "Location", "Vary"))
def timegate(path: str):
    """302 to the memento current at ``Accept-Datetime`` (RFC 7089 §4.1, pattern 2.2)."""
    path, suffix = linked_data.split_suffix(path)
    found = _record(path)
    if found is None:
        raise _no_history(path)
    asked = request.headers.get("Accept-Datetime")
    when = None
    if asked is not None:
        when = history.parse_http_date(asked)
        if when is None:
            raise BadRequest(
                f"Accept-Datetime must be an RFC 1123 date in GMT, such as "
                f"'{_ACCEPT_DATETIME_EXAMPLE}'; got {asked[:80]!r}."
            )
    kept = history.versions(context.store(), found[1])
    if not kept:
        raise _no_history(path)
    chosen = history.choose(kept, when)
    response = redirect(absolute(memento_url(path, chosen.number, suffix)), code=302)
    response.headers["Link"] = ", ".join(_links(path, kept, chosen))
    return response


@blueprint.route("/timemap/<path:path>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
@cached(params=("page", "format"))
def timemap(path: str):
    """Every memento of a record (RFC 7089 §5), a page of `TIMEMAP_PAGE` at a time."""
    media_type = choose(request, _TIMEMAP_OFFERS, html=True)
    found = _record(path)
    if found is None:
        raise _no_history(path)
    page = whole_number(request.args.get("page", "1"))
    if not page:
        raise BadRequest("page= takes a page number from 1.")
    kept = history.versions(context.store(), found[1])
    if not kept:
        raise _no_history(path)
    pages = (len(kept) + TIMEMAP_PAGE - 1) // TIMEMAP_PAGE
    if page > pages:
        raise NotFound(f"The TimeMap of /doc/{path} has {pages} page(s).")
    shown = kept[(page - 1) * TIMEMAP_PAGE : page * TIMEMAP_PAGE]
    t = timemap_page.TimeMap(path, found[0], kept, shown, page, pages)
    if media_type == formats.LINK_FORMAT.media_type:
        body = timemap_page.as_link_format(t)
    elif media_type == formats.JSON:
        body = timemap_page.as_json(t)
    else:
        body = render_template("timemap.html", **timemap_page.page_view(t))
    response = Response(body, content_type=f"{media_type}; charset=utf-8")
    # A full page never changes; the last one grows with each write.
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if page < pages else "public, max-age=10"
    )
    return response


@blueprint.route("/doc/<path:path>/version/<number>", methods=["GET", "HEAD"])
@declare(**linked_data.ENTITY_HEADERS, expose=("Link", "Memento-Datetime"))
@cached(params=("format",))
def memento(path: str, number: str):
    """Version `number` of a record's document (RFC 7089 §4), in the asked variant."""
    digits, dot, suffix = number.partition(".")
    wanted = whole_number(digits)
    if wanted is None or (dot and suffix not in linked_data.SUFFIXES):
        raise NotFound(
            f"/doc/{path}/version/ takes a version number, such as "
            f"/doc/{path}/version/1 (or /doc/{path}/version/1.ttl).",
        )
    media_type = linked_data.SUFFIXES[suffix] if suffix else linked_data.negotiate()
    found = _record(path)
    if found is None:
        raise _no_history(path)
    iri, record = found
    store = context.store()
    shown = history.version(store, record, wanted)
    if shown is None:
        raise NotFound(
            f"{iri} has no version {wanted}: see "
            f"{url_for('history.timemap', path=path)} for those kept."
        )
    kept = history.versions(store, record)
    headers = {
        "Memento-Datetime": history.http_date(shown.time),
        "Link": ", ".join(_links(path, kept, shown)),
    }
    if shown.deleted:
        raise Gone(
            f"Version {shown.number} of {iri} is its deletion, on "
            f"{shown.time:%Y-%m-%d %H:%M:%S} UTC.",
            headers=headers,
        )
    graph = shown.triples()
    _add_labels(store, graph)
    index = next(i for i, v in enumerate(kept) if v.number == shown.number)
    info = {
        "number": shown.number,
        "time": f"{shown.time:%Y-%m-%d %H:%M:%S}",
        "current": document_url(path),
        "timemap": url_for("history.timemap", path=path),
        "previous": memento_url(path, kept[index - 1].number) if index > 0 else None,
        "next": memento_url(path, kept[index + 1].number) if index + 1 < len(kept) else None,
    }
    body = linked_data.representation(
        Description(iri, graph, (), None, None),
        f"{path}/version/{shown.number}",
        media_type,
        memento=info,
    )
    response = Response(body, content_type=f"{media_type}; charset=utf-8")
    response.headers.update(headers)
    response.headers["Link"] += ", " + ", ".join(
        linked_data.alternate_links(f"{path}/version/{shown.number}", media_type)
    )
    # A version never changes; the names of what it links to may, so not for ever.
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _add_labels(store, graph: Graph) -> None:
    """The names of what a kept version links to (as they are now), so that a page can name its
    links."""
    things = sorted(
        {o for o in graph.objects() if isinstance(o, URIRef)} - set(graph.subjects()), key=str
    )
    if not things:
        return
    for row in store.select(queries.load("labels_of"), {"things": things}):
        graph.add((row["thing"], SKOS.prefLabel, row["label"]))
