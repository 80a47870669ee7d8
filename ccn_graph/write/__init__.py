"""The one write path (DESIGN decision 10): `Writer.write` applies a `Change` for an author,
all or nothing, and tells its listeners; refusals are `WriteRefused` types."""

from ccn_graph.write.changes import Add, Change, Delete, Replace, Update
from ccn_graph.write.errors import (
    BadWrite,
    NotAllowed,
    NothingToDelete,
    Stale,
    TooCostly,
    WorkedOutTooLong,
    WriteRefused,
)
from ccn_graph.write.log import SubmissionLog
from ccn_graph.write.scope import Scope
from ccn_graph.write.writer import UpdateLimits, WriteOutcome, Writer

__all__ = [
    "Add",
    "BadWrite",
    "Change",
    "Delete",
    "NotAllowed",
    "NothingToDelete",
    "Replace",
    "Scope",
    "Stale",
    "SubmissionLog",
    "TooCostly",
    "Update",
    "UpdateLimits",
    "WorkedOutTooLong",
    "WriteOutcome",
    "WriteRefused",
    "Writer",
]
