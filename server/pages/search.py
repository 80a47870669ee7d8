"""The search's view models: the portal index's hits as JSON and as search.html shows them."""

from __future__ import annotations

from flask import url_for
from rdflib import URIRef

from server import context
from server.urls import document_url

__all__ = ["search_json", "search_view"]


def search_json(query: str, hits, total: int, offset: int, page: int) -> dict:
    body = {
        "query": query,
        "total": total,
        "offset": offset,
        "limit": page,
        "results": [
            {
                "iri": h.iri,
                "label": h.label,
                "matched": h.matched,
                "kind": h.kind,
                "types": list(h.types),
                "document": url_for("linked_data.document", path=h.path),
            }
            for h in hits
        ],
    }
    if offset + page < total:
        body["next"] = url_for("home.search", q=query, offset=offset + page, format="json")
    return body


def search_view(query: str, hits, total: int, offset: int, page: int) -> dict:
    vocabulary = context.services().vocabulary
    return {
        "query": query,
        "total": total,
        "offset": offset,
        "page": page,
        "hits": [
            {
                "label": h.label,
                "matched": h.matched if h.matched != h.label else None,
                "href": document_url(h.path),
                "types": ", ".join(
                    vocabulary.label(URIRef(t))
                    for t in h.types
                    if t.startswith("https://w3id.org/")
                ),
            }
            for h in hits
        ],
    }
