"""Why a write was refused, as types: each carries its HTTP status and a message a steward can act
on. Raised by `Writer.write` before anything is written; the service renders them in one place."""

from __future__ import annotations

__all__ = [
    "BadWrite",
    "NotAllowed",
    "NothingToDelete",
    "Stale",
    "TooCostly",
    "WorkedOutTooLong",
    "WriteRefused",
]


class WriteRefused(Exception):
    """A write refused as a whole: nothing was written."""

    status = 400
    title = "Bad Request"


class BadWrite(WriteRefused):
    """The write is malformed: triples outside their record, a graph that cannot be written so."""


class NotAllowed(WriteRefused):
    """The author may not write this (scope, ownership, what only the service writes)."""

    status = 403
    title = "Forbidden"


class NothingToDelete(WriteRefused):
    """The graph to delete does not exist."""

    status = 404
    title = "Not Found"


class Stale(WriteRefused):
    """If-Match no longer holds: the record changed since it was read."""

    status = 412
    title = "Precondition Failed"


class TooCostly(WriteRefused):
    """The write would cost more than its bounds (blank nodes per record)."""

    status = 413
    title = "Payload Too Large"


class WorkedOutTooLong(WriteRefused):
    """Working out a SPARQL Update took longer than the time limit; nothing was written."""

    status = 503
    title = "Service Unavailable"
