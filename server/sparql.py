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

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from ccn_graph import history
from ccn_graph.store.past import PastBusy, PastStore
from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import formats
from ccn_graph.runtime import children
from ccn_graph.sparql import queries, results
from ccn_graph.sparql.sparql_guard import QueryInfo, QueryRefused, analyse
from ccn_graph.store import QueryTimeout, StoreRequestError, StoreUnavailable
from server import context, metrics, service_description
from server.caching import cached
from server.errors import error_response
from server.negotiation import NotAcceptable, choose
from server.request_checks import strict_form

log = logging.getLogger(__name__)
blueprint = Blueprint("sparql", __name__)

_METHODS = ["GET", "POST", "HEAD", "OPTIONS"]
_HTML_ROWS = 1000


class ProtocolError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(
            400, "protocol", f"Give the {name} parameter once, not {len(values)} times."
        )
    return values[0] if values else None


def _read_request() -> tuple[str | None, list[str], list[str]]:
    """(query or None, default graphs, named graphs) as the SPARQL 1.1 Protocol carries them."""
    args = request.args
    if request.method in ("GET", "HEAD"):
        if "update" in args:
            raise ProtocolError(403, "update", _read_only("update"))
        return (
            _one(args.getlist("query"), "query"),
            args.getlist("default-graph-uri"),
            args.getlist("named-graph-uri"),
        )
    media_type = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, "charset", f"Send the request in UTF-8, not {charset}.")
    if media_type == formats.FORM_URLENCODED:
        try:
            form = strict_form()
        except ValueError as exc:
            raise ProtocolError(400, "encoding", str(exc)) from None
        if "update" in form:
            raise ProtocolError(403, "update", _read_only("update"))
        if "query" in args:
            raise ProtocolError(
                400, "protocol", "Send the query in the form body or in the URL, not in both."
            )
        return (
            _one(form.getlist("query"), "query"),
            form.getlist("default-graph-uri") + args.getlist("default-graph-uri"),
            form.getlist("named-graph-uri") + args.getlist("named-graph-uri"),
        )
    if media_type == formats.SPARQL_QUERY:
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "encoding", "The query is not valid UTF-8.") from None
        if "query" in args:
            raise ProtocolError(
                400, "protocol", "Send the query in the body or in the URL, not in both."
            )
        return text, args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    if media_type == formats.SPARQL_UPDATE:
        raise ProtocolError(403, "update", _read_only("update"))
    if not media_type:
        raise ProtocolError(
            400,
            "content_type",
            f"Say what the body is: Content-Type {formats.FORM_URLENCODED} or {formats.SPARQL_QUERY}.",
        )
    raise ProtocolError(
        415,
        "content_type",
        f"A query is sent as {formats.FORM_URLENCODED} or {formats.SPARQL_QUERY}, not {media_type}.",
    )


def _read_only(what: str) -> str:
    return (
        f"This endpoint is read-only and does not accept an {what}. Changes to the graph go through "
        "the submission API: POST /submissions with a steward's token."
    )


def _refuse(status: int, reason: str, message: str) -> Response:
    metrics.REFUSALS.labels(reason=reason).inc()
    response = error_response(status, reason, message)
    return _common_headers(response)


def _common_headers(response: Response) -> Response:
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.route("/sparql", methods=_METHODS)
@cached(per_host=True)
def endpoint():
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(_METHODS)
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response.headers["Access-Control-Max-Age"] = "86400"
        return _common_headers(response)
    try:
        query, default_graphs, named_graphs = _read_request()
    except ProtocolError as exc:
        return _refuse(exc.status, exc.reason, str(exc))
    if query is None:
        return _no_query()
    settings = context.settings()
    try:
        info = analyse(
            query, max_bytes=settings.query_max_bytes, max_depth=settings.query_max_depth
        )
    except QueryRefused as exc:
        return _refuse(exc.status, exc.reason, str(exc))
    offers = _offers(info)
    try:
        media_type = choose(request, offers, html=True)
    except NotAcceptable as exc:
        return _refuse(406, "not_acceptable", str(exc))
    at = _past()
    if isinstance(at, Response):
        return at
    g.past = at
    run = query if info.has_base else _with_base(query)
    if media_type == formats.HTML:
        return _html_page(query, info, default_graphs, named_graphs, run=run)
    return _run(run, info, media_type, default_graphs, named_graphs)


def _past() -> PastStore | Response | None:
    """With ``at=`` (an ISO 8601 or RFC 1123 time): the graph as it was then (see
    ccn_graph/store/past.py), under the same limits; None without."""
    asked = request.values.get("at")
    if asked is None:
        return None
    when = history.parse_http_date(asked) or _iso_time(asked)
    if when is None:
        return _refuse(
            400,
            "at",
            f"at= takes a time such as 2026-10-01T12:00:00Z (or an RFC 1123 date); got {asked[:80]!r}.",
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


def _start(query: str, info: QueryInfo, default_graphs, named_graphs):
    """The store's stream, or an error response."""
    settings = context.settings()
    try:
        source = g.get("past") or context.store()
        return source.query_stream(query, _store_media_type(info), default_graphs, named_graphs)
    except StoreRequestError as exc:
        return _refuse(400, "invalid", f"The query was refused: {exc}")
    except QueryTimeout as exc:
        metrics.TIMEOUTS.inc()
        if not exc.stopped:
            current_app.extensions["ccn_graph"]["on_query_deadline"]()
        response = _refuse(
            503,
            "timeout",
            f"The query ran longer than this endpoint's limit of {settings.query_timeout:g} seconds and was "
            "stopped. Narrow it down (a LIMIT, more specific patterns) and try again.",
        )
        response.headers["Retry-After"] = "5"
        return response
    except PastBusy as exc:
        response = _refuse(503, "busy", f"{_sentence(exc)}: try again in a few seconds.")
        response.headers["Retry-After"] = "5"
        return response
    except children.OutOfMemory as exc:
        response = _refuse(
            503,
            "memory",
            f"{_sentence(exc)}. Narrow it down (a LIMIT, more specific patterns) and try again.",
        )
        response.headers["Retry-After"] = "5"
        return response
    except StoreUnavailable as exc:
        response = error_response(503, "Service Unavailable", f"The store is unavailable: {exc}")
        response.headers["Retry-After"] = "5"
        return _common_headers(response)


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _run(query: str, info: QueryInfo, media_type: str, default_graphs, named_graphs) -> Response:
    limit = context.settings().result_limit
    started = time.perf_counter()
    stream = _start(query, info, default_graphs, named_graphs)
    if isinstance(stream, Response):
        return stream
    if info.form == "ASK":
        try:
            answer = bool(json.loads(stream.read())["boolean"])
        except (ValueError, KeyError, StoreUnavailable):
            return _refuse(
                502, "store", "The store sent an answer that is not a SPARQL boolean result."
            )
        body = _ask_body(answer, media_type)
        metrics.QUERY_SECONDS.observe(time.perf_counter() - started)
        return _common_headers(Response(body, content_type=_with_charset(media_type)))
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
        response.ccn_do_not_keep = True

    writer = (results.graph_writer if info.returns_graph else results.select_writer)(
        media_type, lines, limit, on_broken_off=broken_off
    )

    def generate() -> Iterator[bytes]:
        # Whole buffers, not the writer's pieces: the server writes each chunk it is given with a
        # system call and its own chunk framing.
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
            if (
                pending
            ):  # what was written goes out, then the connection is cut: never a shortened answer
                yield "".join(pending).encode("utf-8")
            raise
        finally:
            stream.close()
            metrics.QUERY_SECONDS.observe(time.perf_counter() - started)

    response = Response(stream_with_context(generate()), content_type=_with_charset(media_type))
    response.headers["CCN-Result-Limit"] = str(limit)
    return _common_headers(response)


#: Characters of results gathered before they are passed to the server.
_FLUSH_CHARS = 32 * 1024


def _ask_body(answer: bool, media_type: str) -> str:
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
    try:
        media_type = choose(request, offers, html=True)
    except NotAcceptable as exc:
        return _refuse(406, "not_acceptable", str(exc))
    if media_type == formats.HTML:
        return _html_page(None, None, [], [])
    graph = service_description.describe(
        endpoint=request.base_url,
        store=context.store(),
        void=url_for("sparql.endpoint", _external=True).rsplit("/sparql", 1)[0] + "/void",
    )
    fmt = next(f for f in offers if f.media_type == media_type)
    body = graph.serialize(format=fmt.rdflib_name)
    return _common_headers(Response(body, content_type=_with_charset(media_type)))


def _html_page(
    query: str | None, info: QueryInfo | None, default_graphs, named_graphs, run: str | None = None
) -> Response:
    """The query page; with a query, its result as a table (`run` is the text sent to the store)."""
    settings = context.settings()
    table = None
    error = None
    if query is not None:
        stream = _start(run or query, info, default_graphs, named_graphs)
        if isinstance(stream, Response):
            error = json.loads(stream.get_data())["message"]
            status = stream.status_code
        else:
            status = 200
            try:
                table = _html_table(info, stream)
            finally:
                stream.close()
    else:
        status = 200
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
    response = Response(page, status=status, content_type=_with_charset(formats.HTML))
    return _common_headers(response)


def _html_table(info: QueryInfo, stream) -> dict:
    """Columns and rows (at most `_HTML_ROWS`) of a result, for the page."""
    if info.form == "ASK":
        return {
            "columns": ["answer"],
            "rows": [[("literal", str(json.loads(stream.read())["boolean"]).lower(), None, None)]],
            "cut": False,
        }
    lines = results.read_lines(stream.chunks)
    if info.returns_graph:
        columns = ["subject", "predicate", "object"]
        source = (t for t in (results.parse_nt_line(line) for line in lines) if t is not None)
    else:
        header = next(lines, "")
        columns = [h[1:] for h in header.split("\t")] if header else []
        source = ([results.parse_tsv_term(c) for c in line.split("\t")] for line in lines)
    rows, cut = [], False
    for row in source:
        if len(rows) == _HTML_ROWS:
            cut = True
            break
        rows.append(list(row))
    return {"columns": columns, "rows": rows, "cut": cut}
