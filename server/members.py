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
from server.errors import error_response
from server.negotiation import NotAcceptable, choose
from server.urls import document_url, members_url

blueprint = Blueprint("members", __name__)
PAGE = 50
FACET_TITLES = {
    "state": "Member State",
    "category": "Category",
    "domain": "Research domain",
    "expertise": "Expertise",
    "sector": "Sector",
    "technology": "Technology",
    "field": "Field of activity",
    "role": "Role profile",
    "ncc": "Assessed by",
}


@blueprint.get("/members")
@cached
def members():
    try:
        media_type = choose(request, (formats.JSON_FORMAT,), html=True)
    except NotAcceptable as exc:
        return error_response(406, "Not Acceptable", str(exc))
    filters = {f: request.args[f] for f in FACETS if request.args.get(f)}
    after = request.args.get("after") or None
    if any(len(v) > 500 for v in filters.values()) or (after and len(after) > 1000):
        return error_response(400, "Bad Request", "A facet value or page key is too long.")
    index = context.portal()
    page = index.members(filters, after=after, limit=PAGE)
    values = {v for counts in page.facets.values() for v, _ in counts} | set(filters.values())
    names = index.names_of(values)
    next_url = members_url(**filters, after=page.next_key) if page.next_key else None
    if media_type == formats.JSON:
        body = {
            "filters": filters,
            "total": page.total,
            "limit": PAGE,
            "members": [
                {"iri": iri, "label": label, "document": document_url(path)}
                for iri, label, path in page.rows
            ],
            "facets": {
                f: [{"value": v, "label": names.get(v, v), "count": n} for v, n in counts]
                for f, counts in page.facets.items()
            },
        }
        if next_url:
            body["next"] = members_url(**filters, after=page.next_key, format="json")
        response = current_app.json.response(body)
    else:
        facets = []
        for facet in FACETS:
            entries = []
            for value, count in page.facets.get(facet, [])[:30]:
                chosen = filters.get(facet) == value
                narrowed = (
                    {**filters, facet: value}
                    if not chosen
                    else {k: v for k, v in filters.items() if k != facet}
                )
                entries.append(
                    {
                        "label": names.get(value, value),
                        "count": count,
                        "chosen": chosen,
                        "href": members_url(**narrowed),
                    }
                )
            if entries:
                facets.append({"title": FACET_TITLES[facet], "entries": entries})
        chosen = [
            {
                "title": FACET_TITLES[f],
                "label": names.get(v, v),
                "href": members_url(**{k: x for k, x in filters.items() if k != f}),
            }
            for f, v in filters.items()
        ]
        response = Response(
            render_template(
                "members.html",
                total=page.total,
                facets=facets,
                chosen=chosen,
                next_url=next_url,
                first_url=members_url(**filters) if after else None,
                rows=[{"label": label, "href": document_url(path)} for _, label, path in page.rows],
            ),
            content_type=f"{formats.HTML}; charset=utf-8",
        )
    response.headers["Vary"] = "Accept"
    return response
