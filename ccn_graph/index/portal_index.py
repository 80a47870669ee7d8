"""The portal's derived index: figures, facets, names and the taxonomy closure, in SQLite.

Portal pages ask questions a triple store answers slowly at 100,000 members (counts by Member
State, facets, sorted paging, name search, everything under a taxonomy branch). This index holds
exactly what those pages need, in ``{data_dir}/index/portal.sqlite``:

* ``things``: every thing with a page, its display name, types and kind (for the totals);
* ``names`` (FTS5, case- and diacritic-insensitive, prefix matching): its names and alternative
  names, for search;
* ``members`` and ``member_values``: each Community member's sort key and facet values (Member
  State, category, NCC, sector, technology, expertise and the research domains above it);
* ``counts``: members per facet value, kept by triggers in the same transaction as the rows, so
  they are never recomputed on a request;
* ``closure``: which concepts lie under which (the taxonomy's ``skos:broader`` closure).

It is derived from the store, graph by graph, with one function for both paths: a rebuild reads the
whole dataset (`rebuild`), and an accepted write updates the graphs it replaced (`apply`) in one
SQLite transaction, under the write lock, right after the store's update. ``meta.generation``
says which state of the store the index reflects; a reader that finds it behind (a crash between
the two, a bulk load) has it repaired before answering (`ensure`).
"""

# size: one class over one SQLite file (schema, build, queries, upkeep); split pending

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef

from ccn_graph import history
from ccn_graph.index.search import Hit, fold
from ccn_graph.model.iris import CCN, ONTOLOGY_NS, STORE_STATE_GRAPH, document_path
from ccn_graph.sparql import queries, results
from ccn_graph.store import Store

__all__ = ["FACETS", "MemberPage", "PortalIndex", "index_path"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_LABELS = {
    _SKOS + "prefLabel": "name",
    _SKOS + "altLabel": "alternative",
    _SKOS + "hiddenLabel": "alternative",
    "http://www.w3.org/2000/01/rdf-schema#label": "label",
}
_MEMBER = str(CCN.CommunityMember)
_VALUES = {
    str(CCN.sector): "sector",
    str(CCN.expertise): "expertise",
    str(CCN.technology): "technology",
    str(CCN.fieldOfActivity): "field",
    str(CCN.roleProfile): "role",
}
_SINGLE = {str(CCN.memberState): "state", str(CCN.category): "category"}
_REGISTRATION, _ASSESSED_BY = str(CCN.registration), str(CCN.assessedBy)

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
# Substrings of the N-Quads lines a rebuild reads (the rest is skipped before parsing).
#: Most records an index catches up with from the store's history (each is read); past it, a
#: rebuild (which reads only the predicates it needs, in one pass) is cheaper.
_CATCH_UP_MOST = 2_000
_NEEDED = (
    "22-rdf-syntax-ns#type>",
    "core#prefLabel>",
    "core#altLabel>",
    "core#hiddenLabel>",
    "rdf-schema#label>",
    "ontology#memberState>",
    "ontology#category>",
    "ontology#sector>",
    "ontology#expertise>",
    "ontology#technology>",
    "ontology#registration>",
    "ontology#assessedBy>",
    "ontology#fieldOfActivity>",
    "ontology#roleProfile>",
)


@dataclasses.dataclass
class _Rows:
    """Member rows a rebuild gathers before writing them in key order."""

    members: list
    values: list


@dataclasses.dataclass(frozen=True)
class MemberPage:
    """One page of a member listing: rows (iri, label, path), the key of the next page (None on
    the last), how many members match, and counts per facet value among them."""

    rows: list[tuple[str, str, str]]
    next_key: str | None
    total: int
    facets: dict[str, list[tuple[str, int]]]


class PortalIndex:
    """The derived index of one store, in the SQLite file `path`, for instance base `base`."""

    def __init__(self, path: Path, base: str) -> None:
        self.path = path
        self.base = base
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as db:
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

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        # A connection must not cross a fork (the service forks its workers after start-up).
        if db is None or self._local.pid != os.getpid():
            db = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # A row that INSERT OR REPLACE displaces must pass through the delete triggers too,
            # or the counts they keep would drift.
            db.execute("PRAGMA recursive_triggers=ON")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- state ---------------------------------------------------------------------------------

    def generation(self) -> str | None:
        """The store generation this index reflects (None: never built)."""
        row = self._db().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row[0] if row else None

    def _meta(self, key: str) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def ensure(self, store: Store, generation: str | None, lock) -> str | None:
        """Bring the index to `generation` if it is behind: wait for a writer that holds `lock`
        (it updates the index before releasing it); if still behind — the store was written by
        another instance, or not through the gate — apply the records its history says changed
        since, or rebuild. Returns None (it was current), "caught up" or "rebuilt"."""
        if generation is None or self.generation() == generation:
            return None
        with lock():
            current = store.generation()
            if self.generation() == current:
                return None
            if self._catch_up(store, current):
                return "caught up"
            self.rebuild(store, current)
            return "rebuilt"

    def _catch_up(self, store: Store, generation: str | None) -> bool:
        """Apply the records changed since the index's generation, as the store's history names
        them. Only when every write since went through the gate (the data version moved by as
        many steps as the gate counted writes: then each changed record has a version); False
        otherwise — never built, the store loaded anew (its vocabularies may have changed, which
        no version records), a write past the gate, or more changes than a rebuild costs."""
        mine, last = self.generation(), self._meta("history")
        if (
            not mine
            or not generation
            or not last
            or mine.split("@", 1)[-1] != generation.split("@", 1)[-1]
        ):
            return False
        versions_then, writes_then = (int(n) for n in last.split("/"))
        now = history.heads(store, ())
        steps = int(generation.split("@", 1)[0]) - int(mine.split("@", 1)[0])
        if (
            now.writes - writes_then != steps
            or now.count < versions_then
            or now.count - versions_then > _CATCH_UP_MOST
        ):
            return False
        changed = history.graphs_changed(store, versions_then, now.count)
        self._replace(
            {g: store.read_graph(g) for g in sorted(changed)}, generation, (now.count, now.writes)
        )
        return True

    # -- building ------------------------------------------------------------------------------

    # size: the whole index replaced in one transaction, read graph by graph
    def rebuild(self, store: Store, generation: str | None) -> None:
        """Replace the whole index by what `store` holds now (one transaction: readers see the
        old index until it commits)."""
        # Read first: the changes after it are caught up later (again, if the rows read have them).
        heads = history.heads(store, ())
        kinds = {
            str(r["class"]): str(r["kind"]) for r in store.select(queries.load("index_class_kinds"))
        }
        broader = [
            (str(r["concept"]), str(r["broader"]))
            for r in store.select(queries.load("index_broader"))
        ]
        closure = _closure(broader)
        with self._transaction() as db:
            # Rows first, counts once at the end: the triggers that keep the counts on each write
            # would cost more than everything else together here.
            for name in _TRIGGER_NAMES:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")  # noqa: S608 - fixed names
            for table in (
                "things",
                "names",
                "name_rows",
                "members",
                "member_values",
                "counts",
                "pair_counts",
                "closure",
                "class_kinds",
            ):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.executemany("INSERT INTO class_kinds VALUES (?, ?)", sorted(kinds.items()))
            db.executemany("INSERT INTO closure VALUES (?, ?)", sorted(closure))
            seen, rows = set(), _Rows([], [])
            for graph, triples in _graphs(store, _NEEDED):
                if graph in seen:
                    self._remove_graph(db, graph)
                    rows.members[:] = [r for r in rows.members if r[1] != graph]
                    rows.values[:] = [r for r in rows.values if r[1] != graph]
                seen.add(graph)
                self._add_graph(db, graph, triples, kinds, closure, rows)
            # In key order, so that each B-tree grows at its end.
            db.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", sorted(rows.members)
            )
            db.executemany(
                "INSERT OR REPLACE INTO member_values VALUES (?, ?, ?, ?, ?)",
                sorted(rows.values, key=lambda r: (r[2], r[3], r[0])),
            )
            for statement in _COUNTS_FROM_ROWS:
                db.execute(statement)
            db.executemany(
                "INSERT INTO pair_counts VALUES (?, ?, ?, ?, ?)",
                sorted(_pair_counts((r[0], r[2], r[3]) for r in rows.values)),
            )
            for trigger in _TRIGGERS:
                db.execute(trigger)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('history', ?)",
                (f"{heads.count}/{heads.writes}",),
            )

    def apply(
        self, graphs: Mapping[str, Graph], before: str | None, after: str | None, store: Store
    ) -> None:
        """Replace the rows of `graphs` (their new content; empty: removed) after a write that
        took the store from generation `before` to `after`. If the index was not at `before`, it
        is rebuilt instead."""
        if self.generation() != before:
            self.rebuild(store, after)
            return
        self._replace(graphs, after, history.counts_in(graphs))

    def _replace(
        self, graphs: Mapping[str, Graph], generation: str | None, counts: tuple[int, int] | None
    ) -> None:
        """Replace the rows of `graphs` and record the generation (and the history's counts of
        versions and writes) reached."""
        db = self._db()
        kinds = dict(db.execute("SELECT class, kind FROM class_kinds").fetchall())
        closure = set(db.execute("SELECT ancestor, descendant FROM closure").fetchall())
        with self._transaction() as db:
            for graph, content in graphs.items():
                self._remove_graph(db, graph)
                self._add_graph(db, graph, [_tuple(t) for t in content], kinds, closure)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
            if counts is not None:
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('history', ?)",
                    (f"{counts[0]}/{counts[1]}",),
                )
            else:
                db.execute("DELETE FROM meta WHERE key = 'history'")

    def _remove_graph(self, db: sqlite3.Connection, graph: str) -> None:
        db.execute(
            "DELETE FROM names WHERE rowid IN (SELECT id FROM name_rows WHERE graph = ?)", (graph,)
        )
        for table in ("name_rows", "things", "members", "member_values"):
            db.execute(f"DELETE FROM {table} WHERE graph = ?", (graph,))  # noqa: S608

    def _add_graph(
        self,
        db,
        graph: str,
        triples: Iterable[tuple],
        kinds: dict,
        closure: set,
        rows: _Rows | None = None,
    ) -> None:
        """Index one graph. Member rows go to `rows` when given (a rebuild writes them at the end,
        in key order), else straight to the database."""
        by_subject: dict[str, list[tuple]] = defaultdict(list)
        for s, p, o in triples:
            if s[0] == "uri":
                by_subject[s[1]].append((p[1], o))
        for iri, pairs in by_subject.items():
            if "#" in iri or document_path(self.base, iri) is None:
                continue
            types = sorted({o[1] for p, o in pairs if p == _RDF_TYPE and o[0] == "uri"})
            labels = [
                (o[1], _LABELS[p], o[2]) for p, o in pairs if p in _LABELS and o[0] == "literal"
            ]
            if not types and not labels:
                continue
            name_rank, name = 99, None
            for text, kind, language in labels:
                rank = {"name": 0, "label": 2}.get(kind, 9) + (0 if language == "en" else 1)
                if rank < 9 and rank < name_rank:
                    name_rank, name = rank, text
            kind = next((kinds[t] for t in types if t in kinds), None)
            db.execute(
                "INSERT OR REPLACE INTO things VALUES (?, ?, ?, ?, ?, ?)",
                (graph, iri, name, name_rank, " ".join(types), kind),
            )
            for text, kind_, _ in labels:
                row = db.execute(
                    "INSERT INTO names VALUES (?, ?, ?, ?, ?)",
                    (fold(text), text, kind_, iri, graph),
                )
                db.execute("INSERT INTO name_rows VALUES (?, ?)", (row.lastrowid, graph))
            if _MEMBER in types:
                self._add_member(db, graph, iri, pairs, by_subject, name or iri, closure, rows)

    def _add_member(
        self, db, graph, iri, pairs, by_subject, label, closure, rows: _Rows | None
    ) -> None:
        sort_key = fold(label) + "\x00" + iri
        values = set()
        for p, o in pairs:
            if o[0] != "uri":
                continue
            if p in _SINGLE:
                values.add((_SINGLE[p], o[1]))
            elif p in _VALUES:
                values.add((_VALUES[p], o[1]))
                if p == str(CCN.expertise):
                    values |= {("domain", a) for a, d in closure if d == o[1]}
                    values.add(("domain", o[1]))
            elif p == _REGISTRATION:
                for q, v in by_subject.get(o[1], ()):
                    if q == _ASSESSED_BY and v[0] == "uri":
                        values.add(("ncc", v[1]))
        member_row = (iri, graph, label, sort_key)
        value_rows = [(iri, graph, facet, value, sort_key) for facet, value in sorted(values)]
        if rows is not None:
            rows.members.append(member_row)
            rows.values.extend(value_rows)
            return
        db.execute("INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", member_row)
        db.executemany("INSERT OR REPLACE INTO member_values VALUES (?, ?, ?, ?, ?)", value_rows)

    # -- reading -------------------------------------------------------------------------------

    def counts(self, facet: str) -> dict[str, int]:
        """Members per value of `facet` ('all' → {'': total}), as maintained on write."""
        return dict(
            self._db().execute("SELECT value, n FROM counts WHERE facet = ?", (facet,)).fetchall()
        )

    def totals(self) -> dict[str, int]:
        """How many things of each kind (local names of the kinds' classes), as maintained."""
        return {kind[len(ONTOLOGY_NS) :]: n for kind, n in self.counts("kind").items() if n > 0}

    def under(self, concept: str) -> list[str]:
        """The concepts below `concept` in the taxonomy (not itself)."""
        return [
            r[0]
            for r in self._db().execute(
                "SELECT descendant FROM closure WHERE ancestor = ?", (concept,)
            )
        ]

    def recount(self) -> dict[tuple[str, str], int]:
        """Members per facet value counted from the rows now (to check the maintained counts)."""
        out = {
            (f, v): n
            for f, v, n in self._db().execute(
                "SELECT facet, value, COUNT(*) FROM member_values GROUP BY facet, value"
            )
        }
        total = self._db().execute("SELECT COUNT(*) FROM members").fetchone()[0]
        if total:
            out[("all", "")] = total
        for kind, n in self._db().execute(
            "SELECT kind, COUNT(*) FROM things WHERE kind IS NOT NULL GROUP BY kind"
        ):
            out[("kind", kind)] = n
        rows = self._db().execute("SELECT iri, facet, value FROM member_values ORDER BY iri")
        out.update({_pair_key(*pair): n for *pair, n in _pair_counts(rows)})
        return out

    def maintained(self) -> dict[tuple[str, str], int]:
        """The maintained figures, keyed as `recount` keys them."""
        out = {
            (f, v): n
            for f, v, n in self._db().execute("SELECT facet, value, n FROM counts WHERE n > 0")
        }
        out.update(
            {
                _pair_key(*pair): n
                for *pair, n in self._db().execute(
                    "SELECT facet, value, other_facet, other_value, n FROM pair_counts WHERE n > 0"
                )
            }
        )
        return out

    def search(self, query: str, *, offset: int = 0, limit: int = 20) -> tuple[list[Hit], int]:
        """Things whose names match every word of `query` as a prefix, best first: the whole name,
        a name that starts with the query, then by relevance; and how many things match."""
        words = [w for w in fold(query).replace('"', " ").split() if w]
        if not words:
            return [], 0
        match = " ".join(f'"{w}"*' for w in words)
        wanted = " ".join(words)
        db = self._db()
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
            name, types = self._thing(iri)
            hits.append(Hit(iri, name or label, label, kind, types, document_path(self.base, iri)))
        return hits, total

    def _thing(self, iri: str) -> tuple[str | None, tuple[str, ...]]:
        rows = (
            self._db()
            .execute("SELECT name, name_rank, types FROM things WHERE iri = ?", (iri,))
            .fetchall()
        )
        named = sorted((r[1], r[0]) for r in rows if r[0] is not None)
        types = sorted({t for r in rows for t in r[2].split()})
        return (named[0][1] if named else None), tuple(types)

    # size: filters, paging by key and facet counts share one statement's conditions
    def members(
        self,
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
        db = self._db()
        params: list = []
        if filters:
            # The rarest value drives the scan; the others are checked per member.
            first, *rest = sorted(
                filters.items(), key=lambda fv: (self.counts(fv[0]).get(fv[1], 0), fv)
            )
            sql = (
                "SELECT mv.iri, m.label, mv.sort_key FROM member_values mv JOIN members m ON "
                "m.iri = mv.iri "
                "WHERE mv.facet = ? AND mv.value = ?"
            )
            params += list(first)
            for facet, value in rest:
                sql += (
                    " AND EXISTS (SELECT 1 FROM member_values o"
                    " WHERE o.iri = mv.iri AND o.facet = ? AND o.value = ?)"
                )
                params += [facet, value]
            key_column = "mv.sort_key"
        else:
            sql = "SELECT m.iri, m.label, m.sort_key FROM members m WHERE 1"
            key_column = "m.sort_key"
        page_sql = (
            sql + (f" AND {key_column} > ?" if after else "") + f" ORDER BY {key_column} LIMIT ?"
        )
        rows = db.execute(page_sql, params + ([after] if after else []) + [limit + 1]).fetchall()
        next_key = rows[limit - 1][2] if len(rows) > limit else None
        rows = [(iri, label, document_path(self.base, iri)) for iri, label, _ in rows[:limit]]
        counted: dict[str, list[tuple[str, int]]] = {}
        if not filters:
            total = self.counts("all").get("", 0)
            if facets:
                counted = {
                    f: sorted(self.counts(f).items(), key=lambda kv: (-kv[1], kv[0]))
                    for f in FACETS
                }
        elif len(filters) == 1:
            # One value: its count and the counts of the values that go with it are maintained.
            ((facet, value),) = filters.items()
            total = self.counts(facet).get(value, 0)
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
        for values in counted.values():
            values.sort(key=lambda vn: (-vn[1], vn[0]))
        return MemberPage(rows, next_key, total, counted)

    def facet_of(self, iri: str) -> str | None:
        """The facet that has `iri` as a value (the one listing the most members), or None."""
        row = (
            self._db()
            .execute(
                "SELECT facet FROM counts WHERE value = ? AND facet != 'domain' ORDER BY n DESC "
                "LIMIT 1",
                (iri,),
            )
            .fetchone()
        )
        domain = (
            self._db()
            .execute("SELECT 1 FROM counts WHERE facet = 'domain' AND value = ?", (iri,))
            .fetchone()
        )
        # A concept of the taxonomy lists everything under it (its "domain" facet).
        return "domain" if domain else (row[0] if row else None)

    def names_of(self, iris: Iterable[str]) -> dict[str, str]:
        """Display names of `iris` that the index knows (one query per 500: a listing names
        hundreds of facet values)."""
        wanted = sorted(set(iris))
        best: dict[str, tuple] = {}
        db = self._db()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for iri, name, rank in db.execute(
                # Only the placeholders are spliced in.
                "SELECT iri, name, name_rank FROM things WHERE name IS NOT NULL"
                f" AND iri IN ({marks})",
                chunk,
            ):
                if iri not in best or (rank, name) < best[iri]:
                    best[iri] = (rank, name)
        return {iri: name for iri, (_, name) in best.items()}


def _pair_counts(rows: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str, str, int]]:
    """How many members have each two of their values together (both ways round), from rows
    (member, facet, value) grouped by member."""
    # Values as numbers and pairs as one integer: a rebuild counts millions of pairs, and this is
    # several times faster than tuples (bench/reports/figures-behind-comments.md).
    ids: dict[tuple[str, str], int] = {}
    counter: Counter = Counter()
    for _, group in itertools.groupby(rows, key=lambda r: r[0]):
        numbers = sorted({ids.setdefault((f, v), len(ids)) for _, f, v in group})
        counter.update(a << 32 | b for a, b in itertools.combinations(numbers, 2))
    values = list(ids)
    out = []
    for key, n in counter.items():
        (f, v), (g, w) = values[key >> 32], values[key & 0xFFFFFFFF]
        out += [(f, v, g, w, n), (g, w, f, v, n)]
    return out


def _pair_key(facet: str, value: str, other_facet: str, other_value: str) -> tuple[str, str]:
    return f"pair {facet} {other_facet}", f"{value} {other_value}"


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _closure(edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(ancestor, descendant) for every concept reachable downwards through skos:broader."""
    parents: dict[str, set[str]] = defaultdict(set)
    for concept, broader in edges:
        parents[concept].add(broader)
    out = set()
    for concept in parents:
        seen, todo = set(), list(parents[concept])
        while todo:
            ancestor = todo.pop()
            if ancestor in seen:
                continue
            seen.add(ancestor)
            todo.extend(parents.get(ancestor, ()))
        out |= {(a, concept) for a in seen if a != concept}
    return out


def _graphs(store: Store, needed: tuple[str, ...]) -> Iterator[tuple[str, list[tuple]]]:
    """(graph, triples as term tuples) for every named graph of the store but its state graph.

    Streams: the store writes a dataset graph by graph, so each graph is handed on when the next
    begins. A graph met again later (a store that interleaves) is read whole at the end.
    """
    stream = store.dataset_stream()
    wanted = re.compile("|".join(re.escape(n) for n in needed)).search
    current, triples, done, again = None, [], set(), set()
    try:
        for line in results.read_lines(stream.chunks):
            if not wanted(line):
                continue
            quad = results.parse_nq_line(line)
            if quad is None or quad[3] is None or quad[3][1] == STORE_STATE_GRAPH:
                continue
            graph = quad[3][1]
            if graph != current:
                if current is not None:
                    yield current, triples
                    done.add(current)
                if graph in done:
                    again.add(graph)
                current, triples = graph, []
            if graph not in again:
                triples.append(quad[:3])
        if current is not None and current not in again:
            yield current, triples
    finally:
        stream.close()
    for graph in sorted(again):
        yield (
            graph,
            [_tuple(t) for t in store.read_graph(graph)],
        )  # every triple: a superset of `needed`


def _tuple(triple) -> tuple:
    return tuple(_term(t) for t in triple)


def _term(term) -> tuple:
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, BNode):
        return ("bnode", str(term))
    if isinstance(term, Literal):
        return ("literal", str(term), term.language, str(term.datatype) if term.datatype else None)
    raise ValueError(f"not an RDF term: {term!r}")
