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

This module keeps the file and its state; `schema` has its layout, `rows` turns graphs into its
rows, `listing` reads the member listing and `search` the names.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import Graph

from ccn_graph import history
from ccn_graph.index import listing, rows, schema, search
from ccn_graph.index.listing import FACETS, MemberPage
from ccn_graph.index.schema import index_path
from ccn_graph.index.search import Hit
from ccn_graph.model.iris import ONTOLOGY_NS
from ccn_graph.sparql import queries
from ccn_graph.store import Store

__all__ = ["FACETS", "MemberPage", "PortalIndex", "index_path"]

#: Most records an index catches up with from the store's history (each is read); past it, a
#: rebuild (which reads only the predicates it needs, in one pass) is cheaper.
_CATCH_UP_MOST = 2_000


class PortalIndex:
    """The derived index of one store, in the SQLite file `path`, for instance base `base`."""

    def __init__(self, path: Path, base: str) -> None:
        self.path = path
        self.base = base
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as db:
            schema.create(db)

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
        closure = rows.taxonomy_closure(broader)
        with self._transaction() as db:
            schema.empty(db)
            db.executemany("INSERT INTO class_kinds VALUES (?, ?)", sorted(kinds.items()))
            db.executemany("INSERT INTO closure VALUES (?, ?)", sorted(closure))
            seen, gathered = set(), rows.Rows([], [])
            for graph, triples in rows.graphs(store):
                if graph in seen:
                    rows.remove_graph(db, graph)
                    gathered.members[:] = [r for r in gathered.members if r[1] != graph]
                    gathered.values[:] = [r for r in gathered.values if r[1] != graph]
                seen.add(graph)
                rows.add_graph(db, self.base, graph, triples, kinds, closure, gathered)
            # In key order, so that each B-tree grows at its end.
            db.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?)", sorted(gathered.members)
            )
            db.executemany(
                "INSERT OR REPLACE INTO member_values VALUES (?, ?, ?, ?, ?)",
                sorted(gathered.values, key=lambda r: (r[2], r[3], r[0])),
            )
            schema.count_rows(
                db, sorted(rows.pair_counts((r[0], r[2], r[3]) for r in gathered.values))
            )
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
                rows.remove_graph(db, graph)
                rows.add_graph(
                    db, self.base, graph, [rows.as_tuple(t) for t in content], kinds, closure
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
            if counts is not None:
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('history', ?)",
                    (f"{counts[0]}/{counts[1]}",),
                )
            else:
                db.execute("DELETE FROM meta WHERE key = 'history'")

    # -- reading -------------------------------------------------------------------------------

    def counts(self, facet: str) -> dict[str, int]:
        """Members per value of `facet` ('all' → {'': total}), as maintained on write."""
        return listing.counts(self._db(), facet)

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
        member_values = self._db().execute(
            "SELECT iri, facet, value FROM member_values ORDER BY iri"
        )
        out.update({_pair_key(*pair): n for *pair, n in rows.pair_counts(member_values)})
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
        """Things whose names match every word of `query` as a prefix, best first; and how many
        things match (see `search.search`)."""
        return search.search(self._db(), self.base, query, offset=offset, limit=limit)

    def members(
        self,
        filters: Mapping[str, str],
        *,
        after: str | None = None,
        limit: int = 50,
        facets: bool = True,
    ) -> MemberPage:
        """One page of the members matching every facet filter (see `listing.members`)."""
        return listing.members(
            self._db(), self.base, filters, after=after, limit=limit, facets=facets
        )

    def facet_of(self, iri: str) -> str | None:
        """The facet that has `iri` as a value (the one listing the most members), or None."""
        return listing.facet_of(self._db(), iri)

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


def _pair_key(facet: str, value: str, other_facet: str, other_value: str) -> tuple[str, str]:
    return f"pair {facet} {other_facet}", f"{value} {other_value}"
