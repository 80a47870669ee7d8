"""What a failed HTTP exchange (made with requests) says about the request: whether it can have
reached the other side. A request that never left may be sent again; one that may have arrived
and been acted on must not be, and its sender must say so."""

from __future__ import annotations

import requests
from urllib3.exceptions import NewConnectionError

__all__ = ["never_sent"]


def never_sent(exc: requests.RequestException) -> bool:
    """Whether `exc` means no connection was made (refused, no such host, no connection in time,
    TLS refused), so that nothing of the request was sent."""
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 wraps it in MaxRetryError
    return isinstance(reason, NewConnectionError)
