"""Search by name over the portal index's full-text table: the query and its ranking, what it
answers with, and how names are folded for it."""

from __future__ import annotations

import dataclasses
import sqlite3
import unicodedata

from ccn_graph.model.iris import document_path

__all__ = ["Hit", "fold", "search"]


def fold(text: str) -> str:
    """Lower case, without diacritics, spacing collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclasses.dataclass(frozen=True)
class Hit:
    iri: str
    label: str
    matched: str
    kind: str
    types: tuple[str, ...]
    path: str


def search(
    db: sqlite3.Connection, base: str, query: str, *, offset: int = 0, limit: int = 20
) -> tuple[list[Hit], int]:
    """Things whose names match every word of `query` as a prefix, best first: the whole name,
    a name that starts with the query, then by relevance; and how many things match."""
    words = [w for w in fold(query).replace('"', " ").split() if w]
    if not words:
        return [], 0
    match = " ".join(f'"{w}"*' for w in words)
    wanted = " ".join(words)
    try:
        # One full-text match for the page and the total (a window over the grouped rows):
        # matching is most of a search's cost.
        rows = db.execute(
            """
            WITH matched AS MATERIALIZED (
                SELECT iri, label, kind,
                       (folded = :w) * -40 + (folded LIKE :p ESCAPE '\\') * -20 + bm25(names)
                           AS score
                FROM names WHERE names MATCH :m)
            SELECT iri, MIN(score) AS best, label, kind, COUNT(*) OVER () AS total FROM matched
            GROUP BY iri ORDER BY best, label, iri LIMIT :limit OFFSET :offset
            """,
            {
                "w": wanted,
                "p": _like_prefix(wanted),
                "m": match,
                "limit": limit,
                "offset": offset,
            },
        ).fetchall()
        if rows:
            total = rows[0][4]
        else:  # a page past the end: the total still counts
            total = db.execute(
                "SELECT COUNT(DISTINCT iri) FROM names WHERE names MATCH ?", (match,)
            ).fetchone()[0]
    except sqlite3.OperationalError:
        # Words are quoted, so only a query FTS5 still cannot read ends here: no hits.
        return [], 0
    hits = []
    for iri, _, label, kind, _ in rows:
        name, types = _thing(db, iri)
        hits.append(Hit(iri, name or label, label, kind, types, document_path(base, iri)))
    return hits, total


def _thing(db: sqlite3.Connection, iri: str) -> tuple[str | None, tuple[str, ...]]:
    rows = db.execute("SELECT name, name_rank, types FROM things WHERE iri = ?", (iri,)).fetchall()
    named = sorted((r[1], r[0]) for r in rows if r[0] is not None)
    types = sorted({t for r in rows for t in r[2].split()})
    return (named[0][1] if named else None), tuple(types)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
