"""The header policy: ``Vary``, CORS and the security headers of every response, set here and
nowhere else.

A view declares what its answers depend on and who may read them (`declare`); the policy reads the
declaration of the endpoint that answered, after the request, errors included. Every error says
``Vary: Accept`` too, since it is a page or problem details by the Accept header.

Pages get a Content-Security-Policy that runs script only from this site's own files (no inline
script, no ``eval``), talks to this site only, and may not be framed; every other answer (data,
errors, dumps, static files) gets one that lets it load and run nothing, so that a document a
browser opens directly (RDF/XML, JSON, an SVG) can do no harm. The JSON-LD in a page is a
``<script type="application/ld+json">`` block: data, which the policy leaves alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import Flask, Response, current_app, request

from ccn_graph.rdfio import formats

__all__ = ["DATA_POLICY", "PAGE_POLICY", "YASGUI_STYLE_HASHES", "Declared", "declare", "init_app"]

YASGUI_STYLE_HASHES = (
    "zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=",
    "c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=",
    "EntWS0hFrz2vH7susM+dPUxvHlL6sBswmM8K80E5oUk=",
)
PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # Our own style sheets, and three fixed styles YASGUI 4.6.2 writes inline, each allowed by
        # its hash and nothing else inline: the style sheet of its result table's column resizer,
        # the cursor while a column is dragged, and a style attribute in the editor's syntax-error
        # tooltip (an attribute, hence 'unsafe-hashes'; text-decoration:underline). The map is an
        # SVG drawn on the server with presentation attributes, no styles; YASGUI's other styles
        # are set through the DOM (element.style), which a policy does not govern.
        # tests/test_security_headers.py checks the hashes against the vendored script.
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


@dataclasses.dataclass(frozen=True)
class Declared:
    """What a view's answers carry: `vary`, the request headers they depend on (`page_vary` as
    well on its HTML pages: the reader's languages, say); `cors`, whether any site's script may
    read them (``Access-Control-Allow-Origin: *``, never credentials), with the headers such a
    script may see besides the simple ones (`expose`) and, for a preflight (OPTIONS), the methods
    and request headers it may use (`preflight`)."""

    vary: tuple[str, ...] = ()
    page_vary: tuple[str, ...] = ()
    cors: bool = False
    expose: tuple[str, ...] = ()
    preflight: tuple[tuple[str, ...], tuple[str, ...]] | None = None


_NOTHING = Declared()
#: What a script of another site may read of any answer it may read at all: the links (alternates,
#: Memento, paging), versions, redirects and profiles that linked-data clients in a browser follow.
_EXPOSED = ("Link", "ETag", "Location", "Memento-Datetime", "Content-Profile", "Content-Location")
#: How long a browser may keep a preflight's answer, in seconds.
_PREFLIGHT_MAX_AGE = "86400"


def declare(**declared) -> Callable:
    """Decorate a view with its `Declared` headers (placed under its route)."""

    def mark(view: Callable) -> Callable:
        view.declared_headers = Declared(**declared)
        return view

    return mark


def init_app(app: Flask) -> None:
    app.after_request(_apply)


def _apply(response: Response) -> Response:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    declared = getattr(view, "declared_headers", _NOTHING)
    page = response.mimetype == formats.HTML
    vary = [*declared.vary, *(declared.page_vary if page else ())]
    if response.status_code >= 400:
        vary.append("Accept")
    _add_vary(response, vary)
    if declared.cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
        exposed = dict.fromkeys((*_EXPOSED, *declared.expose))
        response.headers["Access-Control-Expose-Headers"] = ", ".join(exposed)
        if declared.preflight and request.method == "OPTIONS":
            methods, headers = declared.preflight
            response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
            response.headers["Access-Control-Allow-Headers"] = ", ".join(headers)
            response.headers["Access-Control-Max-Age"] = _PREFLIGHT_MAX_AGE
    response.headers["Content-Security-Policy"] = PAGE_POLICY if page else DATA_POLICY
    response.headers.update(_HEADERS)
    return response


def _add_vary(response: Response, names: list[str]) -> None:
    """Add `names` to the response's ``Vary`` (one a forwarded answer brought is kept)."""
    present = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    for name in names:
        if name.lower() not in {v.lower() for v in present}:
            present.append(name)
    if present:
        response.headers["Vary"] = ", ".join(present)
