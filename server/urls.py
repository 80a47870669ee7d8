"""The links pages hold by the hundred, built without the router.

A listing names every facet value and every row, an entity page every value it links to; at about
40 µs a call, `url_for` was a third of the cost of a members page. These give the same text as
`url_for` would (tested), with the route's own quoting.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urljoin

from flask import request

from server import context

__all__ = ["absolute", "document_url", "members_url"]

# As werkzeug quotes a path segment and a query string.
_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"


def document_url(path: str) -> str:
    """The URL of `linked_data.document` for `path`."""
    return f"{request.script_root}/doc/{quote(path, safe=_PATH_SAFE)}"


def members_url(**params: str | None) -> str:
    """The URL of `members.members` with these query parameters (None ones left out)."""
    items = [(k, v) for k, v in params.items() if v is not None]
    return f"{request.script_root}/members" + (
        "?" + urlencode(items, safe=_QUERY_SAFE) if items else ""
    )


def absolute(url: str) -> str:
    """`url`, a path on this service, as an absolute URL under the public base
    (`CCN_BASE_IRI`, as every document is named; a proxy in front changes neither host nor
    scheme): what `Link` headers, TimeMaps and other answers read by programs give, since a
    client resolves a relative one against the wrong base, or not at all."""
    return urljoin(context.settings().base_iri, url)
