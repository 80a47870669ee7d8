"""A client of a running CCN Graph service: `ccn-graph submit`, and the forwarding of writes to
the instance that makes them (server/forwarding.py)."""

from __future__ import annotations

from pathlib import Path

import requests

from ccn_graph.rdfio import formats
from ccn_graph.runtime.http_failures import never_sent

__all__ = ["AnswerLost", "Unreachable", "forward", "submit"]


def submit(url: str, path: Path, token: str, *, timeout: float = 120) -> tuple[int, dict]:
    """POST `path` to ``{url}/submissions`` as the steward of `token`; (status, JSON answer)."""
    fmt = formats.rdf_format_for_suffix(path.suffix)
    if fmt is None:
        raise ValueError(f"{path}: cannot tell the RDF format from its suffix")
    response = requests.post(
        f"{url.rstrip('/')}/submissions",
        data=path.read_bytes(),
        headers={
            "Content-Type": fmt.media_type,
            "Authorization": f"Bearer {token}",
            "Accept": formats.JSON,
        },
        timeout=timeout,
    )
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text[:500]}
    return response.status_code, body


class Unreachable(Exception):
    """The instance could not be reached (refused, or no connection in time): nothing was sent."""


class AnswerLost(Exception):
    """The request was sent, but no whole answer came back (timed out, cut off): the instance may
    have acted on it."""


def forward(
    url: str, method: str, path: str, headers: dict[str, str], body: bytes, *, timeout: float
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send a request as it came to the instance at `url`; (status, headers, body) of its answer.
    Raises `Unreachable` when no connection was made (nothing was sent), `AnswerLost` when one
    was and no whole answer came back (what was sent may have been acted on)."""
    try:
        response = requests.request(
            method,
            f"{url.rstrip('/')}{path}",
            data=body,
            headers=headers,
            timeout=(5, timeout),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        if never_sent(exc):
            raise Unreachable(type(exc).__name__) from None
        raise AnswerLost(type(exc).__name__) from None
    return response.status_code, list(response.headers.items()), response.content
