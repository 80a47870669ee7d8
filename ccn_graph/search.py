"""Label search: names and alternative names, insensitive to case and diacritics, ranked.

The index is built from the store in one query and kept for as long as the data version does not
change (each write raises it). Ranking: a whole-name match, then a name that starts with the
query, then one whose words start with the query's words, then a name that contains it; names
before alternative names; then alphabetically.
"""

from __future__ import annotations

import dataclasses
import threading
import unicodedata

from ccn_graph import queries
from ccn_graph.iris import document_path
from ccn_graph.store import Store

__all__ = ["Hit", "SearchIndex", "fold"]


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


class SearchIndex:
    """Search over the labels of one store, rebuilt when its data version changes."""

    def __init__(self, store: Store, base: str) -> None:
        self.store = store
        self.base = base
        self._version = None
        self._entries: list[tuple[str, str, str, str]] = []
        self._names: dict[str, tuple[int, str]] = {}
        self._types: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        state = self.store.state()
        version = state.data_version if state else None
        with self._lock:
            if version == self._version and self._entries:
                return
            entries, names, types = [], {}, {}
            for row in self.store.select(queries.load("labels_for_search")):
                iri = str(row["thing"])
                if document_path(self.base, iri) is None:
                    continue
                label, kind = str(row["label"]), str(row["kind"])
                entries.append((fold(label), label, kind, iri))
                # The name shown: a name in English, else any name, else an English label.
                language = getattr(row["label"], "language", None)
                rank = {"name": 0, "label": 2}.get(kind, 9) + (0 if language == "en" else 1)
                if rank < 9 and rank < names.get(iri, (99, ""))[0]:
                    names[iri] = (rank, label)
                if "type" in row:
                    types.setdefault(iri, set()).add(str(row["type"]))
            self._entries, self._names, self._types, self._version = entries, names, types, version

    def search(self, query: str, *, offset: int = 0, limit: int = 20) -> tuple[list[Hit], int]:
        """One page of hits for `query`, and the number of things that match."""
        self._refresh()
        wanted = fold(query)
        if not wanted:
            return [], 0
        words = wanted.split()
        best: dict[str, tuple[tuple, str, str]] = {}
        for folded, label, kind, iri in self._entries:
            if wanted not in folded and not all(w in folded for w in words):
                continue
            if folded == wanted:
                rank = 0
            elif folded.startswith(wanted):
                rank = 1
            elif all(any(part.startswith(w) for part in folded.split()) for w in words):
                rank = 2
            else:
                rank = 3
            key = (rank, {"name": 0, "label": 1, "alternative": 2}.get(kind, 3), folded)
            if iri not in best or key < best[iri][0]:
                best[iri] = (key, label, kind)
        ordered = sorted(best.items(), key=lambda item: (item[1][0], item[0]))
        page = ordered[offset:offset + limit]
        hits = [
            Hit(iri, self._names.get(iri, (0, label))[1], label, kind, tuple(sorted(self._types.get(iri, ()))),
                document_path(self.base, iri))
            for iri, (_, label, kind) in page
        ]
        return hits, len(ordered)
