"""The portal index's SQLite layout: its tables, the triggers that keep the counts on each write,
the layout version, and where the file lives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["count_rows", "create", "empty", "index_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS things (graph TEXT NOT NULL, iri TEXT NOT NULL, name TEXT, name_rank
    INTEGER,
    types TEXT NOT NULL, kind TEXT, PRIMARY KEY (graph, iri));
CREATE INDEX IF NOT EXISTS things_iri ON things (iri);
CREATE INDEX IF NOT EXISTS things_kind ON things (kind, iri);
CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5 (
    folded, label UNINDEXED, kind UNINDEXED, iri UNINDEXED, graph UNINDEXED,
    tokenize = "unicode61 remove_diacritics 2", prefix = '2 3 4');
CREATE TABLE IF NOT EXISTS name_rows (id INTEGER PRIMARY KEY, graph TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS name_rows_graph ON name_rows (graph);
CREATE TABLE IF NOT EXISTS members (iri TEXT PRIMARY KEY, graph TEXT NOT NULL, label TEXT NOT NULL,
    sort_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS members_graph ON members (graph);
CREATE INDEX IF NOT EXISTS members_sort ON members (sort_key, iri);
CREATE TABLE IF NOT EXISTS member_values (iri TEXT NOT NULL, graph TEXT NOT NULL, facet TEXT NOT
    NULL,
    value TEXT NOT NULL, sort_key TEXT NOT NULL, PRIMARY KEY (facet, value, iri));
CREATE INDEX IF NOT EXISTS member_values_keyset ON member_values (facet, value, sort_key, iri);
CREATE INDEX IF NOT EXISTS member_values_member ON member_values (iri, facet, value);
CREATE INDEX IF NOT EXISTS member_values_graph ON member_values (graph);
CREATE TABLE IF NOT EXISTS counts (facet TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (facet, value));
CREATE TABLE IF NOT EXISTS pair_counts (facet TEXT NOT NULL, value TEXT NOT NULL, other_facet TEXT
    NOT NULL,
    other_value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (facet, value, other_facet,
        other_value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS closure (ancestor TEXT NOT NULL, descendant TEXT NOT NULL,
    PRIMARY KEY (ancestor, descendant));
CREATE INDEX IF NOT EXISTS closure_descendant ON closure (descendant);
CREATE TABLE IF NOT EXISTS class_kinds (class TEXT PRIMARY KEY, kind TEXT NOT NULL);
"""


#: Raised whenever the tables or triggers change: an index of another version is rebuilt.
_SCHEMA_VERSION = "2"


def _schema_version(db: sqlite3.Connection) -> str | None:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return row[0] if row else "1"


def index_path(data_dir: Path) -> Path:
    """Where the portal index of a data dir lives."""
    return Path(data_dir) / "index" / "portal.sqlite"


_TRIGGERS = (
    # A member's values pair with each other value it has (both ways round): the facet counts
    # of a listing narrowed by one value are then read, not counted. Each pair is counted when
    # its second row arrives and uncounted when its first row goes; pairs at 0 stay (read n > 0).
    """CREATE TRIGGER IF NOT EXISTS member_values_added AFTER INSERT ON member_values BEGIN
    INSERT INTO counts (facet, value, n) VALUES (new.facet, new.value, 1)
        ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
    INSERT INTO pair_counts (facet, value, other_facet, other_value, n)
        SELECT new.facet, new.value, o.facet, o.value, 1 FROM member_values o
        WHERE o.iri = new.iri AND (o.facet != new.facet OR o.value != new.value)
        ON CONFLICT (facet, value, other_facet, other_value) DO UPDATE SET n = n + 1;
    INSERT INTO pair_counts (facet, value, other_facet, other_value, n)
        SELECT o.facet, o.value, new.facet, new.value, 1 FROM member_values o
        WHERE o.iri = new.iri AND (o.facet != new.facet OR o.value != new.value)
        ON CONFLICT (facet, value, other_facet, other_value) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS member_values_removed AFTER DELETE ON member_values BEGIN
    UPDATE counts SET n = n - 1 WHERE facet = old.facet AND value = old.value;
    DELETE FROM counts WHERE facet = old.facet AND value = old.value AND n <= 0;
    UPDATE pair_counts SET n = n - 1 WHERE (facet, value, other_facet, other_value) IN (
        SELECT old.facet, old.value, o.facet, o.value FROM member_values o WHERE o.iri = old.iri);
    UPDATE pair_counts SET n = n - 1 WHERE (facet, value, other_facet, other_value) IN (
        SELECT o.facet, o.value, old.facet, old.value FROM member_values o WHERE o.iri = old.iri);
END""",
    """CREATE TRIGGER IF NOT EXISTS members_added AFTER INSERT ON members BEGIN
    INSERT INTO counts (facet, value, n) VALUES ('all', '', 1) ON CONFLICT (facet, value) DO UPDATE
        SET n = n + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS members_removed AFTER DELETE ON members BEGIN
    UPDATE counts SET n = n - 1 WHERE facet = 'all' AND value = '';
END""",
    """CREATE TRIGGER IF NOT EXISTS things_added AFTER INSERT ON things WHEN new.kind IS NOT NULL
        BEGIN
    INSERT INTO counts (facet, value, n) VALUES ('kind', new.kind, 1)
        ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER IF NOT EXISTS things_removed AFTER DELETE ON things WHEN old.kind IS NOT NULL
        BEGIN
    UPDATE counts SET n = n - 1 WHERE facet = 'kind' AND value = old.kind;
    DELETE FROM counts WHERE facet = 'kind' AND value = old.kind AND n <= 0;
END""",
)
_TRIGGER_NAMES = (
    "member_values_added",
    "member_values_removed",
    "members_added",
    "members_removed",
    "things_added",
    "things_removed",
)
_COUNTS_FROM_ROWS = (
    "INSERT INTO counts (facet, value, n) SELECT facet, value, COUNT(*) FROM member_values GROUP "
    "BY facet, value",
    "INSERT INTO counts (facet, value, n) SELECT 'all', '', COUNT(*) FROM members HAVING COUNT(*) "
    "> 0",
    "INSERT INTO counts (facet, value, n) SELECT 'kind', kind, COUNT(*) FROM things WHERE kind IS "
    "NOT NULL GROUP BY kind",
)
# What a rebuild empties before it writes every row again.
_TABLES = (
    "things",
    "names",
    "name_rows",
    "members",
    "member_values",
    "counts",
    "pair_counts",
    "closure",
    "class_kinds",
)


def create(db: sqlite3.Connection) -> None:
    """Make the tables and triggers, dropping an index of another layout first."""
    if _schema_version(db) not in (None, _SCHEMA_VERSION):
        # An index of an older layout is dropped whole; the next reader rebuilds it.
        for kind, name in db.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'names_%'"
        ).fetchall():
            db.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    for trigger in _TRIGGERS:
        db.execute(trigger)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))


def empty(db: sqlite3.Connection) -> None:
    """Every row gone and the counting triggers off, for a rebuild to write the rows anew."""
    # Rows first, counts once at the end: the triggers that keep the counts on each write
    # would cost more than everything else together in a rebuild.
    for name in _TRIGGER_NAMES:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")  # noqa: S608 - fixed names
    for table in _TABLES:
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def count_rows(db: sqlite3.Connection, pairs: list[tuple[str, str, str, str, int]]) -> None:
    """The counts of the rows `empty` was followed by, the pair counts given, and the triggers
    back on to keep them from here."""
    for statement in _COUNTS_FROM_ROWS:
        db.execute(statement)
    db.executemany("INSERT INTO pair_counts VALUES (?, ?, ?, ?, ?)", pairs)
    for trigger in _TRIGGERS:
        db.execute(trigger)
