"""The members list's view models: a page of the portal index as JSON and as members.html shows
it (facets with counts, the filters chosen, links that narrow or widen the list)."""

from __future__ import annotations

from ccn_graph.index.portal_index import FACETS
from server.urls import document_url, members_url

__all__ = ["FACET_TITLES", "members_json", "members_view"]

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
#: Values listed per facet on the page.
_SHOWN = 30


def members_json(filters: dict, page, names: dict, limit: int) -> dict:
    body = {
        "filters": filters,
        "total": page.total,
        "limit": limit,
        "members": [
            {"iri": iri, "label": label, "document": document_url(path)}
            for iri, label, path in page.rows
        ],
        "facets": {
            f: [{"value": v, "label": names.get(v, v), "count": n} for v, n in counts]
            for f, counts in page.facets.items()
        },
    }
    if page.next_key:
        body["next"] = members_url(**filters, after=page.next_key, format="json")
    return body


def members_view(filters: dict, page, names: dict, after: str | None) -> dict:
    chosen = [
        {
            "title": FACET_TITLES[f],
            "label": names.get(v, v),
            "href": members_url(**{k: x for k, x in filters.items() if k != f}),
        }
        for f, v in filters.items()
    ]
    return {
        "total": page.total,
        "facets": _facets(filters, page, names),
        "chosen": chosen,
        "next_url": members_url(**filters, after=page.next_key) if page.next_key else None,
        "first_url": members_url(**filters) if after else None,
        "rows": [{"label": label, "href": document_url(path)} for _, label, path in page.rows],
    }


def _facets(filters: dict, page, names: dict) -> list[dict]:
    facets = []
    for facet in FACETS:
        entries = []
        for value, count in page.facets.get(facet, [])[:_SHOWN]:
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
    return facets
