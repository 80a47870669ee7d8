"""Where a store answers each protocol: the URLs, and nothing of how it answers (that is the
store's class: `RemoteStore`, `VirtuosoStore`, `ManagedOxigraphStore`)."""

from __future__ import annotations

import dataclasses

__all__ = ["Endpoints"]


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """The SPARQL 1.1 Query, Update and Graph Store Protocol endpoints of one store."""

    query: str
    update: str
    graph_store: str

    @classmethod
    def for_oxigraph(cls, root: str) -> Endpoints:
        """The endpoints of an Oxigraph server whose root URL is `root`."""
        root = root.rstrip("/")
        return cls(f"{root}/query", f"{root}/update", f"{root}/store")
