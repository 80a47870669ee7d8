"""The headers every response carries for the browser's sake, set here and nowhere else.

Pages get a Content-Security-Policy that runs script only from this site's own files (no inline
script, no ``eval``), talks to this site only, and may not be framed; every other answer (data,
errors, dumps, static files) gets one that lets it load and run nothing, so that a document a
browser opens directly (RDF/XML, JSON, an SVG) can do no harm. The JSON-LD in a page is a
``<script type="application/ld+json">`` block: data, which the policy leaves alone.
"""

from __future__ import annotations

from flask import Flask, Response

from ccn_graph.rdfio import formats

__all__ = ["DATA_POLICY", "PAGE_POLICY", "YASGUI_STYLE_HASHES", "init_app"]

YASGUI_STYLE_HASHES = (
    "zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=",
    "c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=",
    "EntWS0hFrz2vH7susM+dPUxvHlL6sBswmM8K80E5oUk=",
)
PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # Our own style sheets, and three fixed styles YASGUI 4.6.2 writes inline, each allowed by its
        # hash and nothing else inline: the style sheet of its result table's column resizer, the
        # cursor while a column is dragged, and a style attribute in the editor's syntax-error tooltip
        # (an attribute, hence 'unsafe-hashes'; text-decoration:underline). The map is an SVG drawn on
        # the server with presentation attributes, no styles; YASGUI's other styles are set through the
        # DOM (element.style), which a policy does not govern. tests/test_security_headers.py checks
        # the hashes against the vendored script.
        "style-src 'self' 'unsafe-hashes' "
        + " ".join(f"'sha256-{h}'" for h in YASGUI_STYLE_HASHES),
        # The favicon and YASGUI's editor, which makes a one-pixel data: image while a selection is
        # dragged. The map is inline SVG: there are no tiles, and nothing comes from another site.
        "img-src 'self' data:",
        # YASGUI runs queries against /sparql, the submission form posts to /submissions.
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
DATA_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Full URLs stay on this site; another site learns the origin at most, never a query's text.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def init_app(app: Flask) -> None:
    app.after_request(_secure)


def _secure(response: Response) -> Response:
    page = response.mimetype == formats.HTML
    response.headers["Content-Security-Policy"] = PAGE_POLICY if page else DATA_POLICY
    response.headers.update(_HEADERS)
    return response
