"""What a view raises when it cannot give the answer asked for: a `Problem`, with its HTTP status
and a message a person can act on, rendered once by `server.errors` (problem details for clients,
a page for browsers).

The library raises its own errors (`ccn_graph.write.WriteRefused`, the store's errors, …);
`server.errors` maps those. A view raises a `Problem` for what only the web layer knows: a missing
parameter, a path that names nothing, a token that is not a steward's.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

__all__ = [
    "BadGateway",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "MethodNotAllowed",
    "NotAcceptableProblem",
    "NotFound",
    "PayloadTooLarge",
    "Problem",
    "ServiceUnavailable",
    "Unauthorized",
    "UnsupportedMediaType",
    "problem",
]


class Problem(Exception):
    """An error answer: `status`, the `detail` a person reads, and for clients `code` (the
    ``error`` member: the status phrase, or a reason such as ``timeout``), `kind` (the problem
    type's name, documented in docs/errors.md; None for ``about:blank``), the `headers` it comes
    with (``Retry-After``, ``WWW-Authenticate``, ``Link``…) and extension `members`. `page`: True
    or False when the view already settled whether the answer is a page (its own negotiation
    chose HTML or data); None leaves it to the request's Accept header."""

    status = 500
    title = "Internal Server Error"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        kind: str | None = None,
        headers: Mapping[str, str] | None = None,
        members: Mapping[str, object] | None = None,
        page: bool | None = None,
    ) -> None:
        super().__init__(detail)
        if status is not None:
            self.status = status
            self.title = HTTPStatus(status).phrase
        self.detail = detail
        self.code = code or self.title
        self.kind = kind
        self.headers = dict(headers or {})
        self.members = dict(members or {})
        self.page = page


class BadRequest(Problem):
    status, title = 400, "Bad Request"


class Unauthorized(Problem):
    status, title = 401, "Unauthorized"


class Forbidden(Problem):
    status, title = 403, "Forbidden"


class NotFound(Problem):
    status, title = 404, "Not Found"


class MethodNotAllowed(Problem):
    status, title = 405, "Method Not Allowed"


class NotAcceptableProblem(Problem):
    status, title = 406, "Not Acceptable"


class Conflict(Problem):
    status, title = 409, "Conflict"


class Gone(Problem):
    status, title = 410, "Gone"


class PayloadTooLarge(Problem):
    status, title = 413, "Payload Too Large"


class UnsupportedMediaType(Problem):
    status, title = 415, "Unsupported Media Type"


class BadGateway(Problem):
    status, title = 502, "Bad Gateway"


class ServiceUnavailable(Problem):
    status, title = 503, "Service Unavailable"


class GatewayTimeout(Problem):
    status, title = 504, "Gateway Timeout"


_BY_STATUS = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptableProblem,
        Conflict,
        Gone,
        PayloadTooLarge,
        UnsupportedMediaType,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


def problem(status: int, detail: str, **options) -> Problem:
    """The `Problem` for a status known only when the request is read (a library error that
    carries its own status); `options` as for `Problem`."""
    cls = _BY_STATUS.get(status)
    return cls(detail, **options) if cls else Problem(detail, status=status, **options)
