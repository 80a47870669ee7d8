"""How the SPARQL 1.1 Protocol carries a query to ``/sparql``: GET ``query=``, a POST form, or a
POST ``application/sparql-query`` body, with ``default-graph-uri`` / ``named-graph-uri``; and how
the endpoint refuses what it cannot read."""

from __future__ import annotations

from flask import request

from ccn_graph.rdfio import formats
from server.problems import Problem, problem
from server.request_checks import strict_form

__all__ = ["read_request", "refusal"]


def refusal(status: int, reason: str, message: str, **options) -> Problem:
    """A request the endpoint refuses, by `reason` (the ``error`` code, the problem type and the
    label it is counted under: see `endpoint`)."""
    return problem(status, message, code=reason, kind=reason, **options)


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise refusal(400, "protocol", f"Give the {name} parameter once, not {len(values)} times.")
    return values[0] if values else None


def read_request() -> tuple[str | None, list[str], list[str]]:
    """(query or None, default graphs, named graphs) as the SPARQL 1.1 Protocol carries them."""
    args = request.args
    if request.method in ("GET", "HEAD"):
        if "update" in args:
            raise refusal(403, "update", _read_only("update"))
        return (
            _one(args.getlist("query"), "query"),
            args.getlist("default-graph-uri"),
            args.getlist("named-graph-uri"),
        )
    media_type = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise refusal(415, "charset", f"Send the request in UTF-8, not {charset}.")
    if media_type == formats.FORM_URLENCODED:
        try:
            form = strict_form()
        except ValueError as exc:
            raise refusal(400, "encoding", str(exc)) from None
        if "update" in form:
            raise refusal(403, "update", _read_only("update"))
        if "query" in args:
            raise refusal(
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
            raise refusal(400, "encoding", "The query is not valid UTF-8.") from None
        if "query" in args:
            raise refusal(400, "protocol", "Send the query in the body or in the URL, not in both.")
        return text, args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    if media_type == formats.SPARQL_UPDATE:
        raise refusal(403, "update", _read_only("update"))
    if not media_type:
        raise refusal(
            400,
            "content_type",
            f"Say what the body is: Content-Type {formats.FORM_URLENCODED} or "
            f"{formats.SPARQL_QUERY}.",
        )
    raise refusal(
        415,
        "content_type",
        f"A query is sent as {formats.FORM_URLENCODED} or {formats.SPARQL_QUERY}, "
        f"not {media_type}.",
    )


def _read_only(what: str) -> str:
    return (
        f"This endpoint is read-only and does not accept an {what}. Changes to the graph go "
        "through the submission API: POST /submissions with a steward's token."
    )
