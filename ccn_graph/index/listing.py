"""The member listing read from the portal index: members matching facet filters, paged by sort
key, with the counts per facet value among them, and the facet a value belongs to."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Mapping

from ccn_graph.model.iris import document_path

__all__ = ["FACETS", "MemberPage", "counts", "facet_of", "members"]

#: The facets of the member listing, in the order pages show them.
FACETS = (
    "state",
    "category",
    "domain",
    "expertise",
    "sector",
    "technology",
    "field",
    "role",
    "ncc",
)


@dataclasses.dataclass(frozen=True)
class MemberPage:
    """One page of a member listing: rows (iri, label, path), the key of the next page (None on
    the last), how many members match, and counts per facet value among them."""

    rows: list[tuple[str, str, str]]
    next_key: str | None
    total: int
    facets: dict[str, list[tuple[str, int]]]


def counts(db: sqlite3.Connection, facet: str) -> dict[str, int]:
    """Members per value of `facet` ('all' → {'': total}), as maintained on write."""
    return dict(db.execute("SELECT value, n FROM counts WHERE facet = ?", (facet,)).fetchall())


def members(
    db: sqlite3.Connection,
    base: str,
    filters: Mapping[str, str],
    *,
    after: str | None = None,
    limit: int = 50,
    facets: bool = True,
) -> MemberPage:
    """Members matching every facet filter, sorted by name, from after the key `after`; with
    `facets`, the counts per facet value among them (read from the maintained counts for none
    or one filter; counted among the matching members for two or more)."""
    filters = {f: v for f, v in filters.items() if f in FACETS and v}
    sql, params, key_column = _matching(db, filters)
    page_sql = sql + (f" AND {key_column} > ?" if after else "") + f" ORDER BY {key_column} LIMIT ?"
    rows = db.execute(page_sql, params + ([after] if after else []) + [limit + 1]).fetchall()
    next_key = rows[limit - 1][2] if len(rows) > limit else None
    rows = [(iri, label, document_path(base, iri)) for iri, label, _ in rows[:limit]]
    total, counted = _figures(db, filters, sql, params, facets)
    for values in counted.values():
        values.sort(key=lambda vn: (-vn[1], vn[0]))
    return MemberPage(rows, next_key, total, counted)


def _matching(db: sqlite3.Connection, filters: dict[str, str]) -> tuple[str, list, str]:
    """The statement selecting (iri, label, sort key) of the members matching `filters`, its
    parameters, and the column to page by: the page and the figures share its conditions."""
    if not filters:
        return "SELECT m.iri, m.label, m.sort_key FROM members m WHERE 1", [], "m.sort_key"
    # The rarest value drives the scan; the others are checked per member.
    first, *rest = sorted(filters.items(), key=lambda fv: (counts(db, fv[0]).get(fv[1], 0), fv))
    sql = (
        "SELECT mv.iri, m.label, mv.sort_key FROM member_values mv JOIN members m ON "
        "m.iri = mv.iri "
        "WHERE mv.facet = ? AND mv.value = ?"
    )
    params = list(first)
    for facet, value in rest:
        sql += (
            " AND EXISTS (SELECT 1 FROM member_values o"
            " WHERE o.iri = mv.iri AND o.facet = ? AND o.value = ?)"
        )
        params += [facet, value]
    return sql, params, "mv.sort_key"


def _figures(
    db: sqlite3.Connection, filters: dict[str, str], sql: str, params: list, facets: bool
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """How many members `sql` matches and, with `facets`, the counts per facet value among them
    (unsorted)."""
    counted: dict[str, list[tuple[str, int]]] = {}
    if not filters:
        total = counts(db, "all").get("", 0)
        if facets:
            counted = {
                f: sorted(counts(db, f).items(), key=lambda kv: (-kv[1], kv[0])) for f in FACETS
            }
    elif len(filters) == 1:
        # One value: its count and the counts of the values that go with it are maintained.
        ((facet, value),) = filters.items()
        total = counts(db, facet).get(value, 0)
        if facets and total:
            counted = {f: [] for f in FACETS}
            counted[facet].append((value, total))
            for other, other_value, n in db.execute(
                "SELECT other_facet, other_value, n FROM pair_counts WHERE facet = ? AND "
                "value = ? AND n > 0",
                (facet, value),
            ):
                counted.setdefault(other, []).append((other_value, n))
    else:
        total = db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]  # noqa: S608
        if facets:
            counted = {f: [] for f in FACETS}
            for facet, value, n in db.execute(
                f"SELECT o.facet, o.value, COUNT(*) FROM ({sql}) matched "  # noqa: S608
                "JOIN member_values o ON o.iri = matched.iri GROUP BY o.facet, o.value",
                params,
            ):
                counted.setdefault(facet, []).append((value, n))
    return total, counted


def facet_of(db: sqlite3.Connection, iri: str) -> str | None:
    """The facet that has `iri` as a value (the one listing the most members), or None."""
    row = db.execute(
        "SELECT facet FROM counts WHERE value = ? AND facet != 'domain' ORDER BY n DESC LIMIT 1",
        (iri,),
    ).fetchone()
    domain = db.execute(
        "SELECT 1 FROM counts WHERE facet = 'domain' AND value = ?", (iri,)
    ).fetchone()
    # A concept of the taxonomy lists everything under it (its "domain" facet).
    return "domain" if domain else (row[0] if row else None)
