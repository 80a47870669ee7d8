"""``/update``: SPARQL 1.1 Update for stewards, through the same gate as every submission.

The public ``/sparql`` stays read-only (DESIGN decision 4). Here a steward's update — ``update=``
in a form, or an ``application/sparql-update`` body, with ``using-graph-uri`` /
``using-named-graph-uri`` — is checked (`sparql_guard.prepare_update`: size, nesting, nothing that
fetches), then written through the one write path (`ccn_graph.write.Update`): under the write lock
it is evaluated on a working copy (`ccn_graph.write.updates`); the graphs it changed must be
record graphs holding their own record (or, for network stewards, graphs under
``CCN_OPEN_GRAPHS``), within the steward's scope, and conform to the shapes; then they are replaced
in one atomic write with a provenance activity. Otherwise nothing is written.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import formats
from ccn_graph.sparql.sparql_guard import prepare_update
from ccn_graph.write import Update
from server import context
from server.headers import declare
from server.problems import MethodNotAllowed, problem
from server.request_checks import strict_form
from server.submissions import authenticated_steward, outcome_response, preconditions, writer

blueprint = Blueprint("sparql_update", __name__)


def _refused(status: int, message: str):
    """A request this endpoint cannot read (the ``error`` code ``Refused``, as it always was)."""
    return problem(status, message, code="Refused")


def _one(values: list[str]) -> str:
    if len(values) != 1:
        raise _refused(400, f"Send the update parameter once, not {len(values)} times.")
    return values[0]


def _read_request() -> tuple[str, list[str], list[str]]:
    """(update, using graphs, using named graphs) as the SPARQL 1.1 Protocol carries them."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise _refused(415, f"Send the update in UTF-8, not {charset}.")
    args = request.args
    if request.mimetype == formats.FORM_URLENCODED:
        try:
            form = strict_form()
        except ValueError as exc:
            raise _refused(400, str(exc)) from None
        if "update" in args:
            raise _refused(400, "Send the update in the form body, not in the URL.")
        if "query" in form:
            raise _refused(400, "This is the update endpoint; send queries to /sparql.")
        return (
            _one(form.getlist("update")),
            form.getlist("using-graph-uri") + args.getlist("using-graph-uri"),
            form.getlist("using-named-graph-uri") + args.getlist("using-named-graph-uri"),
        )
    if request.mimetype == formats.SPARQL_UPDATE:
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            raise _refused(400, "The update is not valid UTF-8.") from None
        return text, args.getlist("using-graph-uri"), args.getlist("using-named-graph-uri")
    if not request.mimetype:
        raise _refused(
            400,
            f"Say what the body is: Content-Type {formats.FORM_URLENCODED} or "
            f"{formats.SPARQL_UPDATE}.",
        )
    raise _refused(
        415,
        f"An update is sent as {formats.FORM_URLENCODED} or {formats.SPARQL_UPDATE}, "
        f"not {request.mimetype}.",
    )


def _with_base(update: str) -> str:
    """Relative IRIs resolve against this endpoint's URL, as the protocol lets the service
    choose."""
    try:
        return f"BASE <{check_iri(request.base_url)}>\n{update}"
    except ValueError:
        return update


@blueprint.route("/update", methods=["GET", "HEAD"])
def update_by_get():
    raise MethodNotAllowed(
        "A SPARQL Update is sent with POST (a form with update=, or an "
        "application/sparql-update body) and a steward's token.",
        headers={"Allow": "POST"},
    )


@blueprint.route("/update", methods=["POST"])
@declare(vary=("Accept",))
def update():
    steward = authenticated_steward()
    settings = context.settings()
    text, using, using_named = _read_request()
    prepared = prepare_update(
        text,
        max_bytes=settings.max_body,
        max_depth=settings.query_max_depth,
        using=using,
        using_named=using_named,
    )
    outcome = writer().write(
        Update(_with_base(prepared)),
        steward,
        label="SPARQL Update",
        extra={"update": text},
        **preconditions(),
    )
    if outcome.unchanged:
        return current_app.json.response(
            {"status": "unchanged", "steward": steward.name, "graphs": []}
        )
    return outcome_response(outcome, "", "", created_status=200, replaced_status=200)
