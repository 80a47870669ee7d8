"""``/validate`` (anyone, writes nothing) and ``/submissions`` (stewards: the gate of DESIGN decision 5).

Submission: bearer token → body within the size limit (also once inflated) → RDF parsed with no
network or file access → subjects only inside the instance base, records split → the steward's
scope → `ingest.Gate.merge` (slice, our shapes, one atomic update with provenance, under the
write lock, If-Match checked) → 201 with ``Location`` and the report, or 422 with the report and
nothing written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from rdflib import Graph
from werkzeug.exceptions import HTTPException

from ccn_graph import formats, history, reference
from ccn_graph.ingest import Gate, record_etag
from ccn_graph.iris import (
    check_iri,
    entity_iri,
    provenance_graph_prefix,
    record_graph_for,
)
from ccn_graph.rdf_input import InputError, decompress, focus_lines, parse_graph
from ccn_graph.scope import scope_problem
from ccn_graph.stewards import Steward, Stewards
from ccn_graph.validation import ValidationReport
from server import context
from server.errors import error_response
from server.negotiation import NotAcceptable, choose

blueprint = Blueprint("submissions", __name__)
REPORT_OFFERS = (formats.JSON_FORMAT, formats.TURTLE)
_ID = re.compile(r"^[0-9a-f]{32}$")


def gate() -> Gate:
    return current_app.extensions["ccn_graph"]["gate"]


def stewards() -> Stewards:
    return current_app.extensions["ccn_graph"]["stewards"]


def authenticated_steward() -> Steward | Response:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    steward = stewards().verify(token.strip()) if scheme.lower() == "bearer" else None
    if steward is None:
        response = error_response(
            401, "Unauthorized",
            "Send a steward's token as 'Authorization: Bearer <token>' (ask an administrator for one: "
            "ccn-graph steward add).",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="ccn-graph"'
        return response
    return steward


def _read_body(limit: int | None = None) -> tuple[bytes, str, str]:
    """(body, media type, text for line numbers) from a direct body or an uploaded file, of at
    most `limit` bytes (`CCN_MAX_BODY` by default)."""
    return _read_bodies(limit)[0]


def _read_bodies(limit: int | None = None) -> list[tuple[bytes, str, str]]:
    """What `_read_body` gives, for each file of a multipart body (the form's ``file``, or every
    file part, as a Graph Store Protocol POST may send several)."""
    limit = limit or context.settings().max_body
    if request.mimetype != "multipart/form-data":
        body = decompress(_read_limited(limit), request.headers.get("Content-Encoding"), limit)
        return [(body, request.mimetype, body.decode("utf-8", errors="replace"))]
    uploads = [request.files["file"]] if "file" in request.files else list(request.files.values())
    uploads = [u for u in uploads if u.filename]
    if not uploads:
        raise InputError(400, "Choose a file to validate.")
    out, total = [], 0
    for upload in uploads:
        body = upload.read(limit + 1)
        total += len(body)
        if total > limit:
            raise InputError(413, f"The files are larger than {limit} bytes.")
        suffix = Path(upload.filename).suffix
        fmt = formats.rdf_format_for_suffix(suffix) if suffix else None
        media_type = request.form.get("format") or (fmt.media_type if fmt else upload.mimetype)
        out.append((body, media_type, body.decode("utf-8", errors="replace")))
    return out


def _read_limited(limit: int) -> bytes:
    """The request body, refused past `limit` bytes however it is sent (Content-Length or chunked)."""
    if request.content_length is not None and request.content_length > limit:
        raise InputError(413, f"The body is larger than {limit} bytes.")
    parts, size = [], 0
    while True:
        try:
            chunk = request.stream.read(65536)
        except HTTPException:
            raise
        except Exception as exc:
            raise InputError(400, f"The body could not be read: {exc or type(exc).__name__}.") from None
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise InputError(413, f"The body is larger than {limit} bytes.")
        parts.append(chunk)
    return b"".join(parts)


def report_json(report: ValidationReport, lines: dict[str, int]) -> dict:
    return {
        "conforms": report.conforms,
        "violations": len(report.violations),
        "warnings": len(report.warnings),
        "results": [
            {
                "focus": str(r.focus), "path": str(r.path) if r.path is not None else None,
                "value": str(r.value) if r.value is not None else None, "message": r.message,
                "severity": r.severity, "shape": str(r.rule),
                **({"line": lines[str(r.focus)]} if str(r.focus) in lines else {}),
            }
            for r in report.results
        ],
    }


def _lines(text: str, media_type: str, report: ValidationReport) -> dict[str, int]:
    fmt = formats.rdf_format_for_media_type(media_type or "")
    if fmt not in (formats.TURTLE, formats.N_TRIPLES):
        return {}
    return focus_lines(text, context.settings().base_iri, {r.focus for r in report.results})


def _report_response(report: ValidationReport, lines: dict[str, int], status: int, extra: dict | None = None) -> Response:
    try:
        media_type = choose(request, REPORT_OFFERS, html=True)
    except NotAcceptable as exc:
        return error_response(406, "Not Acceptable", str(exc))
    if media_type == formats.TURTLE.media_type:
        response = Response(report.graph.serialize(format="turtle"), status=status, content_type=f"{media_type}; charset=utf-8")
    elif media_type == formats.HTML:
        grouped: dict[str, list] = {}
        for item in report_json(report, lines)["results"]:
            grouped.setdefault(item["focus"], []).append(item)
        page = render_template("report.html", report=report, grouped=grouped, extra=extra or {}, status=status)
        response = Response(page, status=status, content_type=f"{formats.HTML}; charset=utf-8")
    else:
        body = {**(extra or {}), "report": report_json(report, lines)}
        response = current_app.json.response(body)
        response.status_code = status
    response.headers["Vary"] = "Accept"
    return response


@blueprint.route("/submit", methods=["GET"])
def submit_form():
    return render_template("submit.html")


@blueprint.route("/validate", methods=["GET"])
def validate_form():
    return render_template("validate.html")


@blueprint.route("/validate", methods=["POST"])
def validate():
    """Validate RDF against the shapes, with the graph's reference data as context. Writes nothing.

    Open to anyone, so bounded: a body of at most `CCN_VALIDATE_MAX_BODY`, and one validation at a
    time in this worker (503 while one runs), so that anonymous validations never queue ahead of
    the stewards' submissions, which share the validator."""
    settings = context.settings()
    try:
        body, media_type, text = _read_body(settings.validate_max_body)
        if not body.strip():
            raise InputError(400, "The body is empty: send the RDF to validate.")
        graph = parse_graph(body, media_type, settings.base_iri)
    except InputError as exc:
        if exc.status == 413:
            return error_response(413, "Refused", f"{exc} /validate takes at most {settings.validate_max_body} "
                                                  "bytes; check a larger file with `ccn-graph validate`.")
        return error_response(exc.status, "Bad Request" if exc.status == 400 else "Refused", str(exc))
    if not _validating.acquire(blocking=False):
        response = error_response(503, "Service Unavailable",
                                  "Another validation is running here; send this one again in a few seconds.")
        response.headers["Retry-After"] = "5"
        return response
    try:
        report = gate().check({"urn:x-ccn-graph:validate": graph})
    finally:
        _validating.release()
    return _report_response(report, _lines(text, media_type, report), 200)


#: One public validation at a time per worker (see `validate`).
_validating = threading.Lock()


@blueprint.route("/submissions", methods=["POST"])
def submit():
    steward = authenticated_steward()
    if isinstance(steward, Response):
        return steward
    settings = context.settings()
    base = settings.base_iri
    try:
        body, media_type, text = _read_body()
        graph = parse_graph(body, media_type, base)
    except InputError as exc:
        return error_response(exc.status, "Bad Request" if exc.status == 400 else "Refused", str(exc))
    if not len(graph):
        return error_response(400, "Bad Request", "The submission holds no triples.")
    try:
        records = reference.split_records(graph, base)
    except reference.ReferenceDataError as exc:
        return error_response(400, "Bad Request", f"Only records of this graph can be submitted: {exc}.")
    return gated_write(steward, records, text, media_type)


@blueprint.route("/doc/<path:path>/version/<int:number>/revert", methods=["POST"])
def revert(path: str, number: int):
    """Restore version `number` of a record: the same gate as a submission (scope, shapes,
    If-Match), and the restored triples become the record's newest version."""
    steward = authenticated_steward()
    if isinstance(steward, Response):
        return steward
    base = context.settings().base_iri
    iri = entity_iri(base, path)
    record = record_graph_for(base, iri) if iri else None
    kept = history.version(context.store(), record, number) if record else None
    if kept is None:
        return error_response(404, "Not Found", f"There is no version {number} of /doc/{path}: see /timemap/{path}.")
    if kept.deleted:
        return error_response(409, "Conflict", f"Version {number} of {iri} is its deletion; to delete the record, "
                                               f"DELETE /graphs?graph={record}.")
    return gated_write(steward, {record: kept.content}, history.snapshot(kept.content), formats.N_TRIPLES.media_type,
                       label=f"Revert of {iri} to version {number}", extra={"reverted_to": number})


def gated_write(steward: Steward, records: dict, text: str, media_type: str, *, created_status: int = 201,
                replaced_status: int = 201, label: str = "Submission", extra: dict | None = None) -> Response:
    """Scope, If-Match, the gate; the response for a submission, a Graph Store write or an update.

    `label` names the kind of change in the provenance; `extra` is kept with the submission's record.
    """
    base = context.settings().base_iri
    the_gate = gate()
    before = the_gate.current(records)
    problem = scope_problem(steward, records, before, base)
    if problem:
        return error_response(403, "Forbidden", f"{steward.name} may not write this: {problem}.")
    expected = None
    if request.if_match and not request.if_match.star_tag:
        if len(records) != 1:
            return error_response(400, "Bad Request", "If-Match applies to a submission of one record only.")
        # Weak tags never match for a write (RFC 9110 §13.1.1: If-Match compares strongly).
        tags = request.if_match.as_set()
        if not tags:
            return error_response(412, "Precondition Failed",
                                  "If-Match names only weak tags, which never match a write; send the record's ETag as it came.")
        expected = {next(iter(records)): tuple(sorted(tags))}
    submission_id = uuid.uuid4().hex
    outcome = the_gate.merge(
        records,
        label=f"{label} by steward {steward.name}",
        agent=(f"{base}id/steward/{_slug(steward.name)}", steward.name),
        expected=expected,
        activity_id=submission_id,
    )
    if outcome.stale:
        return error_response(412, "Precondition Failed",
                              "The record changed since you read it (If-Match no longer holds); read it again and resubmit.")
    lines = _lines(text, media_type, outcome.report)
    summary = {
        "id": submission_id, "status": "accepted" if outcome.accepted else "rejected", "steward": steward.name,
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "graphs": list(outcome.graphs), "triples_added": outcome.added, "triples_removed": outcome.removed,
        "activity": outcome.activity,
    }
    _save(submission_id, {**summary, **(extra or {}), "report": report_json(outcome.report, lines)})
    if outcome.accepted:
        from server.catalog import rebuild_in_background

        rebuild_in_background(current_app._get_current_object())
    existed = any(len(g) for g in before.values())
    status_code = (replaced_status if existed else created_status) if outcome.accepted else 422
    response = _report_response(outcome.report, lines, status_code, summary)
    response.headers["Location"] = url_for("submissions.status", submission_id=submission_id)
    if outcome.accepted and len(outcome.etags) == 1:
        response.set_etag(next(iter(outcome.etags.values())))
    return response


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "steward"


def _folder() -> Path:
    return Path(context.settings().data_dir) / "submissions"


def _save(submission_id: str, record: dict) -> None:
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{submission_id}.json").write_text(json.dumps(record))


@blueprint.route("/submissions", methods=["GET"])
def own_submissions():
    steward = authenticated_steward()
    if isinstance(steward, Response):
        return steward
    entries = []
    for path in sorted(_folder().glob("*.json")) if _folder().is_dir() else []:
        record = json.loads(path.read_text())
        if record.get("steward") == steward.name:
            entries.append({k: record[k] for k in ("id", "status", "time", "graphs")})
    entries.sort(key=lambda e: e["time"], reverse=True)
    return current_app.json.response({"steward": steward.name, "submissions": entries})


@blueprint.route("/submissions/<submission_id>", methods=["GET"])
def status(submission_id: str):
    if not _ID.match(submission_id):
        return error_response(404, "Not Found", "There is no such submission.")
    path = _folder() / f"{submission_id}.json"
    if not path.is_file():
        return error_response(404, "Not Found", "There is no such submission.")
    return current_app.json.response(json.loads(path.read_text()))


def _writable_graph_param(steward: Steward) -> tuple[str, bool] | Response:
    """(graph IRI, whether it is an open graph) of a Graph Store write, or the refusal."""
    iri = request.args.get("graph")
    settings = context.settings()
    base = settings.base_iri
    if "default" in request.args and not iri:
        return error_response(403, "Forbidden",
                              "The default graph is the union of the record graphs; write a record graph (?graph=<IRI>).")
    if not iri:
        return error_response(400, "Bad Request", "Name the graph: /graphs?graph=<IRI>.")
    try:
        check_iri(iri)
    except ValueError as exc:
        return error_response(400, "Bad Request", str(exc))
    if any(iri.startswith(prefix) for prefix in settings.open_graphs):
        if not steward.network:
            return error_response(403, "Forbidden", f"Only a network steward may write {iri}.")
        return iri, True
    if (not iri.startswith(f"{base}graph/") or iri.count("/") < f"{base}graph/".count("/") + 1
            or iri.startswith(provenance_graph_prefix(base))):
        return error_response(403, "Forbidden",
                              f"Only record graphs ({base}graph/{{type}}/{{ref}}) can be written here.")
    return iri, False


@blueprint.route("/graphs", methods=["PUT", "POST", "DELETE"])
def write_graph():
    """Graph Store Protocol, write side, for stewards: the same gate as a submission.

    PUT replaces the record graph, POST adds to it (a multipart POST: every file part), DELETE
    removes it; the triples sent must all belong to the record the graph holds. Network stewards may
    also write graphs under ``CCN_OPEN_GRAPHS``, with any triples, through the same shapes.
    """
    steward = authenticated_steward()
    if isinstance(steward, Response):
        return steward
    target = _writable_graph_param(steward)
    if isinstance(target, Response):
        return target
    iri, is_open = target
    base = context.settings().base_iri
    if request.method == "DELETE":
        current = gate().current([iri])[iri]
        if not len(current):
            return error_response(404, "Not Found", f"There is no graph {iri}.")
        response = gated_write(steward, {iri: Graph()}, "", "", replaced_status=204)
        return Response(status=204) if response.status_code == 204 else response
    try:
        bodies = _read_bodies()
        graph = Graph()
        for body, media_type, text in bodies:
            graph += parse_graph(body, media_type, base)
        if is_open:
            records = {iri: graph} if len(graph) else {}
        else:
            records = reference.split_records(graph, base) if len(graph) else {}
    except InputError as exc:
        return error_response(exc.status, "Bad Request" if exc.status == 400 else "Refused", str(exc))
    except reference.ReferenceDataError as exc:
        return error_response(400, "Bad Request", f"Only records of this graph can be written: {exc}.")
    if set(records) - {iri}:
        others = ", ".join(sorted(set(records) - {iri}))
        return error_response(400, "Bad Request", f"The triples belong to other records ({others}), not to {iri}.")
    new = records.get(iri, Graph())
    if request.method == "POST":
        new = new + gate().current([iri])[iri]
    response = gated_write(steward, {iri: new}, text, media_type, created_status=201, replaced_status=204)
    if response.status_code == 204:
        empty = Response(status=204)
        for header in ("ETag", "Location"):
            if header in response.headers:
                empty.headers[header] = response.headers[header]
        return empty
    return response


@blueprint.route("/graphs", methods=["GET", "HEAD"])
def read_graph():
    """Graph Store Protocol, read side: ``?graph=<record graph IRI>`` with its version as ETag."""
    iri = request.args.get("graph")
    if not iri:
        return error_response(400, "Bad Request", "Name the graph: /graphs?graph=<IRI>.")
    try:
        media_type = choose(request, formats.DOCUMENT_FORMATS)
    except NotAcceptable as exc:
        return error_response(406, "Not Acceptable", str(exc))
    try:
        graph = context.store().read_graph(iri)
    except ValueError as exc:
        return error_response(400, "Bad Request", str(exc))
    if not len(graph):
        return error_response(404, "Not Found", f"There is no graph {iri}.")
    fmt = next(f for f in formats.DOCUMENT_FORMATS if f.media_type == media_type)
    response = Response(graph.serialize(format=fmt.rdflib_name), content_type=f"{media_type}; charset=utf-8")
    response.set_etag(record_etag(graph))
    response.headers["Vary"] = "Accept"
    return response
