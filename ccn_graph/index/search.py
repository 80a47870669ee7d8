"""What a search answers with, and how names are folded for it (the index itself is the portal
index's full-text table, `ccn_graph.index.portal_index`)."""

from __future__ import annotations

import dataclasses
import unicodedata

__all__ = ["Hit", "fold"]


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
