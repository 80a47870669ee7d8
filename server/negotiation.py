"""Content negotiation: ``?format=`` first, then the Accept header (q-values honoured).

Offers are tried in the order given; werkzeug returns the first offer when qualities tie, and
treats a missing Accept header as ``*/*``, so the first offer is also the default. Machine formats
come first and HTML last: a client that says nothing gets data, a browser (which ranks text/html
above ``*/*``) gets the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Request

from ccn_graph import formats

__all__ = ["NotAcceptable", "choose"]


class NotAcceptable(Exception):
    """Nothing on offer fits the request; the message lists what is."""

    def __init__(self, offers: Sequence[str], asked: str) -> None:
        super().__init__(
            f"Nothing here can be sent as {asked or 'requested'}. Available: {', '.join(offers)}."
        )
        self.offers = list(offers)


def choose(request: Request, offers: Sequence, *, html: bool = False) -> str:
    """The media type to answer in: an offer's media type, or `formats.HTML` when `html` is
    allowed and preferred. Raises `NotAcceptable` (→ 406)."""
    names = [o.media_type for o in offers] + ([formats.HTML] if html else [])
    wanted = request.args.get("format")
    if wanted:
        if html and wanted.lower() in ("html", formats.HTML):
            return formats.HTML
        fmt = formats.format_named(wanted, offers)
        if fmt is None:
            raise NotAcceptable(names, f"format={wanted}")
        return fmt.media_type
    accept = request.accept_mimetypes
    if not accept:
        return names[0]
    best = accept.best_match(names)
    if best is None or accept[best] == 0:
        raise NotAcceptable(names, request.headers.get("Accept", ""))
    return best
