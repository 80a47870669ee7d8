"""``/validate`` (anyone, writes nothing), ``/submissions`` and the Graph Store writes (stewards).

A write view only reads the request — bearer token, body within the size limit (also once
inflated), RDF parsed with no network or file access, records split — then makes one call,
`ccn_graph.write.Writer.write` (scope, If-Match, shapes, one atomic update with provenance, under
the write lock), and maps its outcome: 201 (or 204) with ``Location`` and the report, 422 with the
report; a refusal is a `WriteRefused`, rendered by `server.errors`. Nothing is written unless all
of it holds.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, render_template, request, url_for
from rdflib import Graph

from ccn_graph import history
from ccn_graph.model import reference
from ccn_graph.model.iris import check_iri, entity_iri, graph_prefix, record_graph_for
from ccn_graph.model.stewards import Steward, Stewards
from ccn_graph.rdfio import formats
from ccn_graph.rdfio.rdf_input import InputError, focus_lines, parse_graph
from ccn_graph.write import (
    Add,
    Delete,
    Replace,
    Stale,
    SubmissionLog,
    WriteOutcome,
    Writer,
)
from ccn_graph.write.ingest import record_etag
from ccn_graph.write.validation import ValidationReport
from server import context
from server.headers import declare
from server.negotiation import choose
from server.problems import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
)
from server.request_checks import read_bodies, read_body

blueprint = Blueprint("submissions", __name__)
REPORT_OFFERS = (formats.JSON_FORMAT, formats.TURTLE)


def writer() -> Writer:
    return context.services().writer


def submissions_log() -> SubmissionLog:
    return context.services().submissions_log


def stewards() -> Stewards:
    return context.services().stewards


def authenticated_steward() -> Steward:
    """The steward whose bearer token the request carries; `Unauthorized` without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    steward = stewards().verify(token.strip()) if scheme.lower() == "bearer" else None
    if steward is None:
        raise Unauthorized(
            "Send a steward's token as 'Authorization: Bearer <token>' (ask an administrator "
            "for one: ccn-graph steward add).",
            headers={"WWW-Authenticate": 'Bearer realm="ccn-graph"'},
        )
    return steward


def _lines(text: str, media_type: str, report: ValidationReport) -> dict[str, int]:
    fmt = formats.rdf_format_for_media_type(media_type or "")
    if fmt not in (formats.TURTLE, formats.N_TRIPLES):
        return {}
    return focus_lines(text, context.settings().base_iri, {r.focus for r in report.results})


def _report_response(
    report: ValidationReport, lines: dict[str, int], status: int, extra: dict | None = None
) -> Response:
    media_type = choose(request, REPORT_OFFERS, html=True)
    if media_type == formats.TURTLE.media_type:
        response = Response(
            report.graph.serialize(format="turtle"),
            status=status,
            content_type=f"{media_type}; charset=utf-8",
        )
    elif media_type == formats.HTML:
        grouped: dict[str, list] = {}
        for item in report.as_json(lines)["results"]:
            grouped.setdefault(item["focus"], []).append(item)
        page = render_template(
            "report.html", report=report, grouped=grouped, extra=extra or {}, status=status
        )
        response = Response(page, status=status, content_type=f"{formats.HTML}; charset=utf-8")
    else:
        body = {**(extra or {}), "report": report.as_json(lines)}
        response = current_app.json.response(body)
        response.status_code = status
    return response


@blueprint.route("/submit", methods=["GET"])
def submit_form():
    return render_template("submit.html")


@blueprint.route("/validate", methods=["GET"])
def validate_form():
    return render_template("validate.html")


@blueprint.route("/validate", methods=["POST"])
@declare(vary=("Accept",))
def validate():
    """Validate RDF against the shapes, with the graph's reference data as context. Writes nothing.

    Open to anyone, so bounded: a body of at most `CCN_VALIDATE_MAX_BODY`, and one validation at a
    time in this worker (503 while one runs), so that anonymous validations never queue ahead of
    the stewards' submissions, which share the validator."""
    settings = context.settings()
    try:
        body, media_type, text = read_body(settings.validate_max_body)
        if not body.strip():
            raise InputError(400, "The body is empty: send the RDF to validate.")
        graph = parse_graph(body, media_type, settings.base_iri)
    except InputError as exc:
        if exc.status != 413:
            raise
        raise PayloadTooLarge(
            f"{exc} /validate takes at most {settings.validate_max_body} "
            "bytes; check a larger file with `ccn-graph validate`.",
            code="Refused",
        ) from None
    if not _validating.acquire(blocking=False):
        raise ServiceUnavailable(
            "Another validation is running here; send this one again in a few seconds.",
            headers={"Retry-After": "5"},
        )
    try:
        report = writer().gate.check({"urn:x-ccn-graph:validate": graph})
    finally:
        _validating.release()
    return _report_response(report, _lines(text, media_type, report), 200)


#: One public validation at a time per worker (see `validate`).
_validating = threading.Lock()


@blueprint.route("/submissions", methods=["POST"])
@declare(vary=("Accept",))
def submit():
    steward = authenticated_steward()
    base = context.settings().base_iri
    body, media_type, text = read_body()
    graph = parse_graph(body, media_type, base)
    if not len(graph):
        raise BadRequest("The submission holds no triples.")
    try:
        records = reference.split_records(graph, base)
    except reference.ReferenceDataError as exc:
        raise BadRequest(f"Only records of this graph can be submitted: {exc}.") from None
    outcome = writer().write(Replace(records), steward, label="Submission", **preconditions())
    return outcome_response(outcome, text, media_type)


@blueprint.route("/doc/<path:path>/version/<int:number>/revert", methods=["POST"])
@declare(vary=("Accept",))
def revert(path: str, number: int):
    """Restore version `number` of a record: the same write path as a submission (scope, shapes,
    If-Match), and the restored triples become the record's newest version."""
    steward = authenticated_steward()
    base = context.settings().base_iri
    iri = entity_iri(base, path)
    record = record_graph_for(base, iri) if iri else None
    kept = history.version(context.store(), record, number) if record else None
    if kept is None:
        raise NotFound(f"There is no version {number} of /doc/{path}: see /timemap/{path}.")
    if kept.deleted:
        raise Conflict(
            f"Version {number} of {iri} is its deletion; to delete the record, "
            f"DELETE /graphs?graph={record}."
        )
    outcome = writer().write(
        Replace({record: kept.triples()}),
        steward,
        label=f"Revert of {iri} to version {number}",
        **preconditions(),
        extra={"reverted_to": number},
    )
    return outcome_response(outcome, kept.text(), formats.N_TRIPLES.media_type)


def preconditions() -> dict:
    """The conditions ``If-Match`` and ``If-None-Match: *`` put on a write, as `Writer.write`
    arguments (`expected` versions, whether the record must `exist`). Raises `Stale` for an
    ``If-Match`` of weak tags only: it compares strongly (RFC 9110 §13.1.1), so they never match."""
    out: dict = {}
    if request.if_match and request.if_match.star_tag:
        out["exists"] = True
    elif request.if_match:
        tags = request.if_match.as_set()
        if not tags:
            raise Stale(
                "If-Match names only weak tags, which never match a write; send the record's "
                "ETag as it came"
            )
        out["expected"] = frozenset(tags)
    if request.if_none_match and request.if_none_match.star_tag:
        out["exists"] = False
    return out


def outcome_response(
    outcome: WriteOutcome,
    text: str,
    media_type: str,
    *,
    created_status: int = 201,
    replaced_status: int = 201,
) -> Response:
    """The answer to a write that reached validation: 201 (or `replaced_status` over an existing
    record) with ``Location`` and the report, or 422 with the report."""
    lines = _lines(text, media_type, outcome.report)
    summary = SubmissionLog.entry(outcome)
    if outcome.unchanged:
        # Nothing written: the record already is what was sent.
        summary["status"] = "unchanged"
        status_code = 204 if replaced_status == 204 else 200
    else:
        status_code = (
            (replaced_status if outcome.existed else created_status) if outcome.accepted else 422
        )
    response = _report_response(outcome.report, lines, status_code, {**summary, **outcome.extra})
    if not outcome.unchanged:
        response.headers["Location"] = url_for("submissions.status", submission_id=outcome.id)
    if outcome.accepted and len(outcome.etags) == 1:
        response.set_etag(next(iter(outcome.etags.values())))
    return response


@blueprint.route("/submissions", methods=["GET"])
def own_submissions():
    steward = authenticated_steward()
    return current_app.json.response(
        {"steward": steward.name, "submissions": submissions_log().of(steward.name)}
    )


@blueprint.route("/submissions/<submission_id>", methods=["GET"])
def status(submission_id: str):
    """A submission's log entry, report and text: for the steward who made it and network stewards
    (the public reads its provenance activity, /id/activity/{id})."""
    steward = authenticated_steward()
    entry = submissions_log().get(submission_id)
    if entry is None or not (steward.network or entry.get("steward") == steward.name):
        raise NotFound("There is no such submission of yours.")
    return current_app.json.response(entry)


def _graph_param() -> str:
    """The graph IRI a Graph Store write names."""
    iri = request.args.get("graph")
    base = context.settings().base_iri
    if "default" in request.args and not iri:
        raise Forbidden(
            "The default graph is the union of the record graphs; write a record graph "
            "(?graph=<IRI>)."
        )
    if not iri:
        raise BadRequest(
            f"Name the graph: /graphs?graph=<IRI> ({graph_prefix(base)}{{type}}/{{ref}})."
        )
    try:
        return check_iri(iri)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


@blueprint.route("/graphs", methods=["PUT", "POST", "DELETE"])
@declare(vary=("Accept",))
def write_graph():
    """Graph Store Protocol, write side, for stewards: the same write path as a submission.

    PUT replaces the record graph, POST adds to it (a multipart POST: every file part), DELETE
    removes it; the triples sent must all belong to the record the graph holds (the writer checks:
    400 otherwise), blank nodes included. Network stewards may
    also write graphs under ``CCN_OPEN_GRAPHS``, with any triples, through the same shapes.
    """
    steward = authenticated_steward()
    iri = _graph_param()
    base = context.settings().base_iri
    the_writer = writer()
    if request.method == "DELETE":
        outcome = the_writer.write(
            Delete(iri), steward, label="Graph Store DELETE", **preconditions()
        )
        return _no_content(outcome_response(outcome, "", "", replaced_status=204))
    new = Graph()
    bodies = read_bodies()
    for body, media_type, _ in bodies:
        new += parse_graph(body, media_type, base)
    # The report's line numbers are those of the last file sent.
    _, media_type, text = bodies[-1]
    change = Add(iri, new) if request.method == "POST" else Replace({iri: new})
    outcome = the_writer.write(
        change, steward, label=f"Graph Store {request.method}", **preconditions()
    )
    return _no_content(
        outcome_response(outcome, text, media_type, created_status=201, replaced_status=204)
    )


def _no_content(response: Response) -> Response:
    """A 204 as the Graph Store Protocol has it: no body, the ETag and Location kept."""
    if response.status_code != 204:
        return response
    empty = Response(status=204)
    for header in ("ETag", "Location"):
        if header in response.headers:
            empty.headers[header] = response.headers[header]
    return empty


@blueprint.route("/graphs", methods=["GET", "HEAD"])
@declare(vary=("Accept",))
def read_graph():
    """Graph Store Protocol, read side: ``?graph=<record graph IRI>`` with its version as ETag."""
    iri = request.args.get("graph")
    if not iri:
        raise BadRequest("Name the graph: /graphs?graph=<IRI>.")
    media_type = choose(request, formats.DOCUMENT_FORMATS)
    try:
        graph = context.store().read_graph(iri)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if not len(graph):
        raise NotFound(f"There is no graph {iri}.")
    fmt = next(f for f in formats.DOCUMENT_FORMATS if f.media_type == media_type)
    response = Response(
        graph.serialize(format=fmt.rdflib_name), content_type=f"{media_type}; charset=utf-8"
    )
    response.set_etag(record_etag(graph))
    return response
