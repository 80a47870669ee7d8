"""``/sparql``: the public, read-only, bounded SPARQL 1.1 Protocol endpoint.

Query via GET ``query=``, POST form or POST ``application/sparql-query``, with
``default-graph-uri`` / ``named-graph-uri``. Without a query: the service description (RDF) or the
query page (HTML). Every query is checked first (`ccn_graph.sparql.sparql_guard`: size, nesting, no
updates, nothing that fetches), then run under the time limit and streamed back, counted against
the result limit (`ccn_graph.sparql.results`). With ``at=`` a time, over the graph as it was then
(`ccn_graph.store.past`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for

from ccn_graph import history
from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import formats
from ccn_graph.runtime import children
from ccn_graph.sparql import queries, results
from ccn_graph.sparql.sparql_guard import QueryInfo, QueryRefused, analyse
from ccn_graph.store import QueryTimeout, Store, StoreRequestError, StoreUnavailable
from ccn_graph.store.past import PastBusy, PastStore
from server import context, metrics, service_description
from server.caching import StreamedAnswer, cached
from server.errors import problem_for
from server.headers import declare
from server.negotiation import NotAcceptable, choose
from server.pages.sparql import result_table
from server.problems import Problem
from server.sparql_protocol import read_request, refusal

log = logging.getLogger(__name__)
blueprint = Blueprint("sparql", __name__)

_METHODS = ["GET", "POST", "HEAD", "OPTIONS"]
_HTML_ROWS = 1000


@blueprint.route("/sparql", methods=_METHODS)
@declare(vary=("Accept",), cors=True, preflight=(tuple(_METHODS), ("Content-Type", "Accept")))
@cached(per_host=True)
def endpoint():
    """The answer, or the refusal, counted by its reason in `/metrics`."""
    try:
        return _answer()
    except Problem as refused:
        _count(refused)
        raise


def _count(refused: Problem) -> None:
    metrics.REFUSALS.labels(reason=refused.code).inc()


def _answer() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204)
    query, default_graphs, named_graphs = read_request()
    if query is None:
        return _no_query()
    settings = context.settings()
    try:
        info = analyse(
            query, max_bytes=settings.query_max_bytes, max_depth=settings.query_max_depth
        )
    except QueryRefused as exc:
        raise refusal(exc.status, exc.reason, str(exc)) from None
    media_type = _choose(_offers(info))
    past = _past()
    source = past if past is not None else context.store()
    run = query if info.has_base else _with_base(query)
    if media_type == formats.HTML:
        return _html_page(query, info, default_graphs, named_graphs, source=source, run=run)
    return _run(source, run, info, media_type, default_graphs, named_graphs)


def _choose(offers) -> str:
    try:
        return choose(request, offers, html=True)
    except NotAcceptable as exc:
        raise refusal(406, "not_acceptable", str(exc), members={"available": exc.offers}) from None


def _past() -> PastStore | None:
    """With ``at=`` (an ISO 8601 or RFC 1123 time): the graph as it was then (see
    ccn_graph/store/past.py), under the same limits; None without."""
    asked = request.values.get("at")
    if asked is None:
        return None
    when = history.parse_http_date(asked) or _iso_time(asked)
    if when is None:
        raise refusal(
            400,
            "at",
            "at= takes a time such as 2026-10-01T12:00:00Z (or an RFC 1123 date); "
            f"got {asked[:80]!r}.",
        )
    settings = context.settings()
    return PastStore(
        context.store(),
        settings.base_iri,
        when,
        Path(settings.data_dir) / "past",
        settings.query_timeout,
        settings.environ(inherit=True),
        memory_mb=settings.child_memory_mb,
        slots=settings.past_queries,
    )


def _iso_time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _with_base(query: str) -> str:
    """The query with the endpoint's URL as its base IRI (the protocol lets the service choose it;
    left to the store, relative IRIs would resolve against the store's own address)."""
    try:
        base = check_iri(request.base_url)
    except ValueError:
        return query
    return f"BASE <{base}>\n{query}"


def _offers(info: QueryInfo):
    if info.returns_graph:
        return formats.GRAPH_FORMATS
    return formats.ASK_FORMATS if info.form == "ASK" else formats.SELECT_FORMATS


def _store_media_type(info: QueryInfo) -> str:
    if info.returns_graph:
        return formats.N_TRIPLES.media_type
    return formats.SPARQL_JSON.media_type if info.form == "ASK" else formats.SPARQL_TSV.media_type


def _start(source: Store | PastStore, query: str, info: QueryInfo, default_graphs, named_graphs):
    """The store's stream; a refusal (`Problem`) when the store would not or could not run it."""
    settings = context.settings()
    retry = {"Retry-After": "5"}
    try:
        return source.query_stream(query, _store_media_type(info), default_graphs, named_graphs)
    except StoreRequestError as exc:
        raise refusal(400, "invalid", f"The query was refused: {exc}") from None
    except QueryTimeout as exc:
        metrics.TIMEOUTS.inc()
        if not exc.stopped:
            context.services().on_query_deadline()
        raise refusal(
            503,
            "timeout",
            f"The query ran longer than this endpoint's limit of {settings.query_timeout:g} "
            "seconds and was stopped. Narrow it down (a LIMIT, more specific patterns) and try "
            "again.",
            headers=retry,
        ) from None
    except PastBusy as exc:
        raise refusal(
            503, "busy", f"{_sentence(exc)}: try again in a few seconds.", headers=retry
        ) from None
    except children.OutOfMemory as exc:
        raise refusal(
            503,
            "memory",
            f"{_sentence(exc)}. Narrow it down (a LIMIT, more specific patterns) and try again.",
            headers=retry,
        ) from None


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _run(
    source: Store | PastStore,
    query: str,
    info: QueryInfo,
    media_type: str,
    default_graphs,
    named_graphs,
) -> Response:
    limit = context.settings().result_limit
    started = time.perf_counter()
    stream = _start(source, query, info, default_graphs, named_graphs)
    if info.form == "ASK":
        try:
            answer = bool(json.loads(stream.read())["boolean"])
        except (ValueError, KeyError, StoreUnavailable):
            raise refusal(
                502, "store", "The store sent an answer that is not a SPARQL boolean result."
            ) from None
        body = _ask_body(answer, media_type)
        metrics.QUERY_SECONDS.observe(time.perf_counter() - started)
        return Response(body, content_type=_with_charset(media_type))
    # The time limit holds for the whole answer: rows the store made in time but with big values
    # (long literals) could otherwise take longer to pass on than the query took to run.
    timeout = context.settings().query_timeout
    lines = results.until(
        results.read_lines(stream.chunks),
        time.monotonic() + timeout + 2,
        f"the answer took longer than the limit of {timeout:g} seconds to send",
    )

    def broken_off(reason: str) -> None:
        log.warning("the store broke off a result (%s); it is marked as cut", reason)
        # What a time limit cut short is no answer to keep.
        response.cut()

    writer = (results.graph_writer if info.returns_graph else results.select_writer)(
        media_type, lines, limit, on_broken_off=broken_off
    )
    response = StreamedAnswer(
        stream_with_context(_buffered(writer, stream, started, limit)),
        content_type=_with_charset(media_type),
    )
    response.headers["CCN-Result-Limit"] = str(limit)
    return response


def _buffered(writer, stream, started: float, limit: int) -> Iterator[bytes]:
    """The writer's text in whole buffers, not its pieces: the server writes each chunk it is
    given with a system call and its own chunk framing."""
    pending, size = [], 0
    try:
        for chunk in writer:
            pending.append(chunk)
            size += len(chunk)
            if size >= _FLUSH_CHARS:
                yield "".join(pending).encode("utf-8")
                pending, size = [], 0
        if pending:
            yield "".join(pending).encode("utf-8")
    except results.ResultTruncated:
        log.warning(
            "result cut at the limit of %s in a format that cannot mark it: aborting", limit
        )
        # What was written goes out, then the connection is cut: never a shortened answer.
        if pending:
            yield "".join(pending).encode("utf-8")
        raise
    finally:
        stream.close()
        metrics.QUERY_SECONDS.observe(time.perf_counter() - started)


#: Characters of results gathered before they are passed to the server.
_FLUSH_CHARS = 32 * 1024


def _ask_body(answer: bool, media_type: str) -> str:
    word = "true" if answer else "false"
    # CSV and TSV results define no boolean; this is the form Jena and RDF4J write.
    if media_type == formats.SPARQL_CSV.media_type:
        return f"_askResult\r\n{word}\r\n"
    if media_type == formats.SPARQL_TSV.media_type:
        return f"?_askResult\n{word}\n"
    if media_type == formats.SPARQL_XML.media_type:
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if answer else 'false'}</boolean></sparql>\n"
        )
    return json.dumps({"head": {}, "boolean": answer})


def _with_charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


def _no_query() -> Response:
    offers = formats.DOCUMENT_FORMATS
    media_type = _choose(offers)
    if media_type == formats.HTML:
        return _html_page(None, None, [], [])
    graph = service_description.describe(
        endpoint=request.base_url,
        store=context.store(),
        void=url_for("sparql.endpoint", _external=True).rsplit("/sparql", 1)[0] + "/void",
    )
    fmt = next(f for f in offers if f.media_type == media_type)
    body = graph.serialize(format=fmt.rdflib_name)
    return Response(body, content_type=_with_charset(media_type))


def _html_page(
    query: str | None,
    info: QueryInfo | None,
    default_graphs,
    named_graphs,
    *,
    source: Store | PastStore | None = None,
    run: str | None = None,
) -> Response:
    """The query page; with a query, its result as a table (`run` is the text sent to `source`),
    or what kept it from running."""
    settings = context.settings()
    table = error = None
    status = 200
    if query is not None:
        try:
            stream = _start(
                source or context.store(), run or query, info, default_graphs, named_graphs
            )
        except (Problem, StoreUnavailable) as exc:
            if isinstance(exc, Problem):
                _count(exc)
            refused = problem_for(exc)
            error, status = refused.detail, refused.status
        else:
            try:
                table = result_table(info, stream, _HTML_ROWS)
            finally:
                stream.close()
    downloads = []
    if query is not None and info is not None:
        for fmt in _offers(info):
            downloads.append(
                (fmt.media_type, url_for("sparql.endpoint", query=query, format=fmt.suffix))
            )
    page = render_template(
        "sparql.html",
        query=query,
        examples=queries.examples(),
        table=table,
        error=error,
        downloads=downloads,
        limit=settings.result_limit,
        timeout=settings.query_timeout,
        html_rows=_HTML_ROWS,
    )
    return Response(page, status=status, content_type=_with_charset(formats.HTML))
