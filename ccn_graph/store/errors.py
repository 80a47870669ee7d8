"""What can go wrong talking to a store, as the service tells its callers apart."""

from __future__ import annotations

__all__ = [
    "QueryTimeout",
    "RequestSyntaxError",
    "StoreBusy",
    "StoreError",
    "StoreRequestError",
    "StoreUnavailable",
    "WriteUnconfirmed",
]


class StoreError(Exception):
    """Something went wrong talking to the store; the message says what."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (down, restarting, refusing connections)."""


class WriteUnconfirmed(StoreUnavailable):
    """A write was sent and the store did not confirm it (no answer in time, or the connection
    broke): it may have been applied. The message says whether the store was restarted to stop
    it."""


class StoreBusy(StoreUnavailable):
    """The store was sent as many queries as it can hold for now; this one was not sent."""


class QueryTimeout(StoreError):
    """A query outlived its time limit.

    `stopped` is true when the store itself stopped it; false when the client gave up waiting,
    in which case the store may still be busy with it (the managed store is then restarted).
    """

    def __init__(self, message: str, *, stopped: bool = True) -> None:
        super().__init__(message)
        self.stopped = stopped


class StoreRequestError(StoreError):
    """The store refused a request as invalid (syntax, unsupported feature); not retryable."""


class RequestSyntaxError(StoreRequestError):
    """The request is not valid SPARQL: the store could not read it."""
