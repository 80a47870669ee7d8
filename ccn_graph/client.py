"""A client of a running CCN Graph service, for `ccn-graph submit`."""

from __future__ import annotations

from pathlib import Path

import requests

from ccn_graph import formats

__all__ = ["submit"]


def submit(url: str, path: Path, token: str, *, timeout: float = 120) -> tuple[int, dict]:
    """POST `path` to ``{url}/submissions`` as the steward of `token`; (status, JSON answer)."""
    fmt = formats.rdf_format_for_suffix(path.suffix)
    if fmt is None:
        raise ValueError(f"{path}: cannot tell the RDF format from its suffix")
    response = requests.post(
        f"{url.rstrip('/')}/submissions",
        data=path.read_bytes(),
        headers={"Content-Type": fmt.media_type, "Authorization": f"Bearer {token}", "Accept": formats.JSON},
        timeout=timeout,
    )
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text[:500]}
    return response.status_code, body
