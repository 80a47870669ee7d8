"""Content negotiation: ``?format=`` first, then the Accept header (q-values honoured).

The highest quality wins, then the more specific media range (``text/html`` over ``text/*`` over
``*/*``), then the one the client listed first (so ``text/html, application/rdf+xml`` gets HTML, as
the linked-data checklists expect); a wildcard takes the first matching offer. Werkzeug's own
``best_match`` breaks ties by the server's order instead, hence this function. A missing Accept
header means ``*/*``, so the first offer is the default: machine formats come first and HTML last,
so a client that says nothing gets data and a browser gets the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ccn_graph.rdfio import formats

__all__ = ["NotAcceptable", "choose", "prefers_page", "prefers_rdf"]

_PARAMETER = re.compile(r';\s*(?![qQ]\s*=)[A-Za-z0-9!#$&^_.+-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,]*)')


_ASKED_SHOWN = 100


class NotAcceptable(Exception):
    """Nothing on offer fits the request; the message lists what is, and repeats what was asked
    (cut short, and escaped by the error answer: see `server.errors.render`)."""

    def __init__(self, offers: Sequence[str], asked: str) -> None:
        if len(asked) > _ASKED_SHOWN:
            asked = asked[:_ASKED_SHOWN] + "…"
        super().__init__(
            f"Nothing here can be sent as {asked or 'requested'}. Available: {', '.join(offers)}."
        )
        self.offers = list(offers)


def choose(request: Request, offers: Sequence, *, html: bool = False) -> str:
    """The media type to answer in: an offer's media type, or `formats.HTML` when `html` is
    allowed and preferred. Raises `NotAcceptable` (→ 406)."""
    names = [o.media_type for o in offers] + ([formats.HTML] if html else [])
    wanted = request.args.get("format")
    if not wanted and request.method == "POST" and request.mimetype == formats.FORM_URLENCODED:
        # The SPARQL Protocol's POST form may carry it too (Werkzeug reads the cached body).
        wanted = request.form.get("format")
    if wanted:
        if html and wanted.lower() in ("html", formats.HTML):
            return formats.HTML
        fmt = formats.format_named(wanted, offers)
        if fmt is None:
            raise NotAcceptable(names, f"format={wanted}")
        return fmt.media_type
    accept = _accept(request)
    if not accept:
        return names[0]
    # Other names of an offer (application/json for SPARQL JSON results) match after its own.
    canonical = {name: name for name in names}
    for offer in offers:
        for alias in offer.aliases:
            canonical.setdefault(alias, offer.media_type)
    best = _best(accept, list(canonical))
    if best is None:
        raise NotAcceptable(names, request.headers.get("Accept", ""))
    return canonical[best]


def prefers_page(request: Request) -> bool:
    """Whether an error is shown as a page rather than sent as problem details: ``?format=html``,
    or an Accept header that ranks HTML above JSON (a browser's). Anything else, a missing or
    unmatched Accept header included, gets problem details: an error is never a 406."""
    wanted = (request.args.get("format") or "").strip().lower()
    if wanted in ("html", formats.HTML):
        return True
    if wanted in ("json", formats.JSON, formats.PROBLEM_JSON):
        return False
    accept = _accept(request)
    return bool(accept) and _best(accept, [formats.PROBLEM_JSON, formats.JSON, formats.HTML]) == (
        formats.HTML
    )


def prefers_rdf(request: Request):
    """The RDF document format an error is written in for a client that asked for RDF and not
    for JSON (an RDF client that parses whatever comes back); None otherwise."""
    accept = _accept(request)
    if not accept:
        return None
    offers = [formats.PROBLEM_JSON, formats.JSON] + [f.media_type for f in formats.DOCUMENT_FORMATS]
    best = _best(accept, offers)
    return next((f for f in formats.DOCUMENT_FORMATS if f.media_type == best), None)


def _accept(request: Request) -> MIMEAccept:
    raw = request.headers.get("Accept", "")
    # Some clients write q=.5 for q=0.5; werkzeug would drop such a range altogether.
    raw = re.sub(r"(;\s*q=)\.(\d)", r"\g<1>0.\2", raw)
    # Parameters other than q (charset=utf-8, profile=…) do not change which offer fits; werkzeug
    # would match no offer against such a range.
    raw = _PARAMETER.sub("", raw)
    return parse_accept_header(raw, MIMEAccept)


def _specificity(media_range: str) -> int:
    bare = media_range.split(";", 1)[0].strip()
    if bare == "*/*":
        return 0
    return 1 if bare.endswith("/*") else 2


def _best(accept, names: list[str]) -> str | None:
    candidates = []
    for position, (client, quality) in enumerate(accept):
        if quality <= 0:
            continue
        for name in names:
            if accept[name] > 0 and accept._value_matches(name, client):
                candidates.append(((quality, _specificity(client), -position), name))
                break
    return max(candidates, key=lambda c: c[0])[1] if candidates else None
