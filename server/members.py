"""``/members``: the Community, browsable by any combination of facets, from the portal index.

``?state=…&category=…&domain=…&expertise=…&sector=…&technology=…&field=…&role=…&ncc=…`` (IRIs)
narrow the list;
each facet lists its values with how many of the matching members have them. The list is sorted
by name and paged by key: ``after=`` carries the last key of the previous page, so a page costs the
same wherever it is in the list. HTML or JSON (``Accept`` or ``?format=json``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from ccn_graph.index.portal_index import FACETS
from ccn_graph.rdfio import formats
from server import context
from server.caching import cached
from server.headers import declare
from server.negotiation import choose
from server.pages.members import members_json, members_view
from server.problems import BadRequest

blueprint = Blueprint("members", __name__)
PAGE = 50


@blueprint.get("/members")
@declare(vary=("Accept",))
@cached
def members():
    media_type = choose(request, (formats.JSON_FORMAT,), html=True)
    filters = {f: request.args[f] for f in FACETS if request.args.get(f)}
    after = request.args.get("after") or None
    if any(len(v) > 500 for v in filters.values()) or (after and len(after) > 1000):
        raise BadRequest("A facet value or page key is too long.")
    index = context.portal()
    page = index.members(filters, after=after, limit=PAGE)
    values = {v for counts in page.facets.values() for v, _ in counts} | set(filters.values())
    names = index.names_of(values)
    if media_type == formats.JSON:
        return current_app.json.response(members_json(filters, page, names, PAGE))
    return Response(
        render_template("members.html", **members_view(filters, page, names, after)),
        content_type=f"{formats.HTML}; charset=utf-8",
    )
