"""Responses kept per data version, shared by the worker processes (SQLite in the data dir).

The graph changes only through writes that raise the store's data version, so an answer computed
for version N stays right for as long as the store is at N. Entries carry the version they were
computed for (with the time the store was loaded, since a reset starts counting again) and are found
only under the current one: a write makes every older entry
unreachable at once, and they are dropped as space is needed. The file is bounded in bytes; the
least recently used entries go first. SQLite's locking makes it safe across processes; a cache
that cannot be read or written is skipped, never an error for the request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["CachedResponse", "ResponseCache"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    used REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_used ON entries (used);
CREATE INDEX IF NOT EXISTS entries_version ON entries (version);
CREATE TABLE IF NOT EXISTS totals (bytes INTEGER NOT NULL);
INSERT INTO totals SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM totals);
CREATE TRIGGER IF NOT EXISTS entries_added AFTER INSERT ON entries
    BEGIN UPDATE totals SET bytes = bytes + new.size; END;
CREATE TRIGGER IF NOT EXISTS entries_replaced AFTER UPDATE OF size ON entries
    BEGIN UPDATE totals SET bytes = bytes - old.size + new.size; END;
CREATE TRIGGER IF NOT EXISTS entries_dropped AFTER DELETE ON entries
    BEGIN UPDATE totals SET bytes = bytes - old.size; END;
"""


def _statements(script: str) -> list[str]:
    """The statements of `script` (executescript would commit the caller's transaction)."""
    out, pending = [], ""
    for line in script.strip().splitlines():
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            out.append(pending)
            pending = ""
    return out


@dataclasses.dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: dict[str, str]
    body: bytes


#: Stale answers dropped with each put once the cache is three quarters full: more than a put adds
#: on average, few enough to cost a put little.
_STALE_PER_PUT = 16


class ResponseCache:
    """At most `max_bytes` of response bodies in `path`, each for one data version.

    `max_entry` bounds a single body: larger answers are not kept (they would push out many
    small ones and cost more to copy than to recompute). An entry's last use is recorded to within
    `touch_seconds`, which is precise enough to choose what to drop and spares a write per hit.
    """

    def __init__(
        self, path: Path, max_bytes: int, max_entry: int | None = None, touch_seconds: float = 60
    ) -> None:
        self.path = path
        self.touch_seconds = touch_seconds
        self.max_bytes = max_bytes
        self.max_entry = max_entry if max_entry is not None else max(1, max_bytes // 16)
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'totals'").fetchone():
                # A file of the layout without running totals: its entries are only a cache.
                db.execute("DROP TABLE IF EXISTS entries")
            for statement in _statements(_SCHEMA):
                db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        # A connection must not cross a fork (the service forks its workers after start-up).
        if db is None or self._local.pid != os.getpid():
            db = sqlite3.connect(self.path, timeout=2, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    @staticmethod
    def key(*parts: str) -> str:
        """A key from the parts of a request that decide its answer."""
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def get(self, key: str, version: str) -> CachedResponse | None:
        """The entry for `key` computed at `version`, or None."""
        try:
            db = self._connection()
            row = db.execute(
                "SELECT status, headers, body, used FROM entries WHERE key = ? AND version = ?",
                (key, version),
            ).fetchone()
            if row is None:
                return None
            now = time.time()
            # Recency to the minute is enough to choose what to drop, and spares a write per hit.
            if now - row[3] > self.touch_seconds:
                db.execute("UPDATE entries SET used = ? WHERE key = ?", (now, key))
        except sqlite3.Error:
            return None
        return CachedResponse(row[0], json.loads(row[1]), bytes(row[2]))

    def put(self, key: str, version: str, response: CachedResponse) -> bool:
        """Keep `response` for `key` at `version` (replacing any older one); False when not kept."""
        size = len(response.body)
        if size > self.max_entry:
            return False
        try:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                # An upsert, not INSERT OR REPLACE: the rows REPLACE deletes fire no triggers.
                db.execute(
                    "INSERT INTO entries (key, version, status, headers, body, size, used) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                    "version = excluded.version, "
                    "status = excluded.status, headers = excluded.headers, body = excluded.body, "
                    "size = excluded.size, used = excluded.used",
                    (
                        key,
                        version,
                        response.status,
                        json.dumps(response.headers),
                        response.body,
                        size,
                        time.time(),
                    ),
                )
                self._evict(db, version)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            return False
        return True

    def _evict(self, db: sqlite3.Connection, version: str) -> None:
        """Answers of other versions are never served again (a write makes every kept answer
        stale): from three quarters of the bound on, each put drops a few of them, so that no put
        (and no worker waiting for its write) pays for deleting a whole cache's worth at once. Past
        the bound, the least recently used go until it holds."""
        # The running total, not SUM(size): summing reads every body, megabytes per write.
        total = self._total(db)
        if total <= self.max_bytes * 3 // 4:
            return
        db.execute(
            "DELETE FROM entries WHERE key IN "
            "(SELECT key FROM entries WHERE version < ? OR version > ? LIMIT ?)",
            (version, version, _STALE_PER_PUT),
        )
        total = self._total(db)
        while total > self.max_bytes:
            rows = db.execute("SELECT key, size FROM entries ORDER BY used LIMIT 64").fetchall()
            if not rows:
                break
            for key, size in rows:
                db.execute("DELETE FROM entries WHERE key = ?", (key,))
                total -= size
                if total <= self.max_bytes:
                    break

    @staticmethod
    def _total(db: sqlite3.Connection) -> int:
        return db.execute("SELECT bytes FROM totals").fetchone()[0]

    def size(self) -> int:
        """Bytes of bodies held."""
        return self._total(self._connection())

    def clear(self) -> None:
        self._connection().execute("DELETE FROM entries")
