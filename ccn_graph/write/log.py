"""The submission log: one JSON file per write that reached validation, in
``{data_dir}/submissions``.

It holds the author, the outcome, the graphs and the full report (and, for an update, its text):
steward business, read only by stewards; the public keeps the provenance activity. Registered as a
listener of the `Writer`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from ccn_graph.write.writer import WriteOutcome

__all__ = ["SubmissionLog"]

_ID = re.compile(r"^[0-9a-f]{32}$")


class SubmissionLog:
    """The log in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def entry(outcome: WriteOutcome) -> dict:
        """What is kept of `outcome` (and shown to its steward)."""
        return {
            "id": outcome.id,
            "status": "accepted" if outcome.accepted else "rejected",
            "steward": outcome.author,
            "time": outcome.time.isoformat(timespec="seconds"),
            "graphs": list(outcome.graphs),
            "triples_added": outcome.added,
            "triples_removed": outcome.removed,
            "activity": outcome.activity,
        }

    def __call__(self, outcome: WriteOutcome) -> None:
        """Keep `outcome` (a listener of the write path); written whole or not at all."""
        if outcome.unchanged:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {**self.entry(outcome), **outcome.extra, "report": outcome.report.as_json()}
        with tempfile.NamedTemporaryFile("w", dir=self.folder, suffix=".tmp", delete=False) as out:
            json.dump(record, out)
        os.replace(out.name, self.folder / f"{outcome.id}.json")

    def get(self, submission_id: str) -> dict | None:
        """The entry `submission_id`, or None."""
        if not _ID.match(submission_id):
            return None
        path = self.folder / f"{submission_id}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def of(self, steward: str) -> list[dict]:
        """The entries of `steward`, newest first (id, status, time, graphs)."""
        entries = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            record = json.loads(path.read_text())
            if record.get("steward") == steward:
                entries.append({k: record[k] for k in ("id", "status", "time", "graphs")})
        entries.sort(key=lambda e: e["time"], reverse=True)
        return entries
