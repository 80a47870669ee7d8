"""Every error answers here, once: its status and a message a person can act on, never a traceback.

Views and the library raise (a `server.problems.Problem`, a `WriteRefused`, a store error, …);
`problem_for` turns each into a `Problem` and `render` answers it in the negotiated format: a page
in the site's layout for a browser (an Accept header that ranks HTML above JSON), problem details
(RFC 9457, ``application/problem+json``) for everyone else. Besides the standard members the
details keep ``error`` (the code name: the status phrase, or a reason such as ``timeout``) and
``message`` (the detail again), which clients read before problem details were sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from flask import Flask, Response, render_template, request
from jinja2.utils import htmlsafe_json_dumps
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from werkzeug.exceptions import HTTPException

from ccn_graph.model.iris import PROBLEMS_NS
from ccn_graph.rdfio import formats
from ccn_graph.rdfio.rdf_input import InputError
from ccn_graph.sparql.sparql_guard import QueryRefused
from ccn_graph.store import QueryTimeout, StoreUnavailable, WriteUnconfirmed
from ccn_graph.write import (
    BadWrite,
    NotAllowed,
    NothingToDelete,
    Stale,
    TooCostly,
    WorkedOutTooLong,
    WriteRefused,
)
from server.negotiation import NotAcceptable, prefers_page, prefers_rdf
from server.problems import Problem, problem

__all__ = ["init_app", "problem_for", "render"]

log = logging.getLogger(__name__)

#: What a person can do next, by status, on an error page.
ADVICE = {
    400: "Check the address or what was sent, then try again.",
    401: "This needs a steward's token: ask an administrator for one (ccn-graph steward add) and "
    "send it as 'Authorization: Bearer <token>'.",
    403: "This is not open to you with the rights you have; a network steward can tell you more.",
    404: "Check the address, or look for what you want with the search or the query page.",
    405: "This address does not take that method: open it in the browser, or see the API section "
    "of the service's documentation.",
    406: "Ask for one of the formats listed, or open the address without a format.",
    409: "Look at the record as it is now, then send your change again.",
    410: "Look for it with the search, or follow the link to its last version.",
    412: "Read the record again for its current ETag, then send your change with it.",
    413: "Send less: split the file, or check a large one offline with ccn-graph validate.",
    414: "Shorten the address: send a long query with POST, from the query page.",
    415: "Send it in one of the formats listed.",
    422: "Correct what the report lists, then send it again.",
    429: "Wait a moment, then try again.",
    500: "Try again later; the error was logged for the service's administrators.",
    502: "Try again in a few seconds.",
    503: "Try again in a few seconds.",
    504: "Look at the record before you send it again: it may have been written.",
}

#: The problem type of each refused write, by its class (docs/errors.md).
_WRITE_KINDS = {
    BadWrite: "bad-write",
    NotAllowed: "not-allowed",
    NothingToDelete: "nothing-to-delete",
    Stale: "stale",
    TooCostly: "too-costly",
    WorkedOutTooLong: "worked-out-too-long",
}


def _from_http(exc: HTTPException) -> Problem:
    code = exc.code or 500
    headers = {}
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem(code, exc.description or exc.name, code=exc.name, headers=headers)


def _from_write(exc: WriteRefused) -> Problem:
    text = str(exc)
    # A sentence, unless it starts with a name (an IRI keeps its case).
    first = text[:1] if text.startswith(("http://", "https://", "<")) else text[:1].upper()
    return problem(
        exc.status,
        f"{first}{text[1:]}{'' if text.endswith('.') else '.'}",
        code=exc.title,
        kind=_WRITE_KINDS.get(type(exc)),
        headers={"Retry-After": "5"} if isinstance(exc, WorkedOutTooLong) else None,
    )


def _from_unconfirmed(exc: WriteUnconfirmed) -> Problem:
    # No Retry-After: sent again, it could be written twice.
    return problem(504, f"The write may not have been made: {exc}.", kind="write-unconfirmed")


def _from_store_down(exc: StoreUnavailable) -> Problem:
    return problem(
        503,
        f"The store is unavailable: {exc}",
        kind="store-unavailable",
        headers={"Retry-After": "5"},
    )


def _from_timeout(exc: QueryTimeout) -> Problem:
    # A page the service builds from its own queries: the store is busy, not the request wrong.
    return problem(
        503,
        f"The store took too long to answer: {exc}. Try again shortly.",
        code="timeout",
        kind="timeout",
        headers={"Retry-After": "5"},
    )


def _from_not_acceptable(exc: NotAcceptable) -> Problem:
    return problem(406, str(exc), members={"available": exc.offers})


def _from_input(exc: InputError) -> Problem:
    return problem(exc.status, str(exc), code="Bad Request" if exc.status == 400 else "Refused")


def _from_refused_query(exc: QueryRefused) -> Problem:
    return problem(exc.status, str(exc), code=exc.reason, kind=exc.reason)


#: How each error of the library (and Werkzeug's) is answered, by class; a subclass takes its
#: nearest ancestor's entry.
_MAPPED: dict[type, Callable[..., Problem]] = {
    HTTPException: _from_http,
    WriteRefused: _from_write,
    WriteUnconfirmed: _from_unconfirmed,
    StoreUnavailable: _from_store_down,
    QueryTimeout: _from_timeout,
    NotAcceptable: _from_not_acceptable,
    InputError: _from_input,
    QueryRefused: _from_refused_query,
}


def problem_for(exc: BaseException) -> Problem:
    """The `Problem` `exc` stands for; an error nobody foresaw is logged and becomes a 500 that
    says no more."""
    if isinstance(exc, Problem):
        return exc
    for cls in type(exc).__mro__:
        if cls in _MAPPED:
            return _MAPPED[cls](exc)
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "An unexpected error occurred; it has been logged.")


def type_iri(found: Problem) -> str:
    return f"{PROBLEMS_NS}{found.kind}" if found.kind else "about:blank"


def details(found: Problem) -> dict:
    """The problem details members (RFC 9457 §3), then the extension members."""
    return {
        "type": type_iri(found),
        "title": found.title,
        "status": found.status,
        "detail": found.detail,
        "instance": quote(request.path),
        "error": found.code,
        "message": found.detail,
        **found.members,
    }


def render(found: Problem) -> Response:
    """`found` as a page or as problem details, with the headers it comes with."""
    page = found.page if found.page is not None else prefers_page(request)
    response = _page(found) if page else None
    rdf = None if page else prefers_rdf(request)
    if rdf is not None:
        response = _rdf(found, rdf)
    if response is None:
        # A message may repeat part of the request, so ``<``, ``>``, ``&`` and ``'`` are written
        # as ``\\u`` escapes: the same text once parsed, never markup to a browser.
        body = htmlsafe_json_dumps(details(found))
        response = Response(f"{body}\n", status=found.status, mimetype=formats.PROBLEM_JSON)
    response.headers.update(found.headers)
    return response


def _rdf(found: Problem, fmt) -> Response:
    """The problem for a client that asked for RDF only: the request's URL, what went wrong as
    its comment and the problem type as its type, in the asked format (a client parses it as it
    would the document it asked for)."""
    graph = Graph()
    here = URIRef(request.url)
    graph.add((here, RDFS.comment, Literal(found.detail, lang="en")))
    graph.add((here, RDF.type, URIRef(type_iri(found))))
    body = graph.serialize(format=fmt.rdflib_name)
    return Response(body, status=found.status, content_type=f"{fmt.media_type}; charset=utf-8")


def _page(found: Problem) -> Response | None:
    try:
        body = render_template(
            "error.html",
            status=found.status,
            title=found.title,
            detail=found.detail,
            advice=ADVICE.get(found.status, ADVICE[500 if found.status >= 500 else 400]),
        )
    except Exception:
        # The page needs the templates; the details need nothing, and still say what went wrong.
        log.exception("the error page could not be made")
        return None
    return Response(body, status=found.status, content_type=f"{formats.HTML}; charset=utf-8")


def init_app(app: Flask) -> None:
    @app.errorhandler(Exception)
    def _answer(exc: Exception):
        return render(problem_for(exc))
