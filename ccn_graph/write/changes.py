"""What a write asks for, as values: each says what the graphs it touches become, worked out from
what they hold now (`current`, read once per write and kept for the rest of it) — under the write
lock, so that nothing written in between is lost."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rdflib import Graph

from ccn_graph.write.errors import BadWrite, NothingToDelete

if TYPE_CHECKING:
    from ccn_graph.write.writer import Writer

__all__ = ["Add", "Change", "Delete", "Replace", "Update"]

#: The graphs as the store holds them now (graph IRI → triples), read under the write lock.
Current = Callable[[list[str]], Mapping[str, Graph]]


@dataclasses.dataclass(frozen=True)
class Replace:
    """Replace each record graph by the triples given (a submission, a Graph Store PUT, a revert,
    an import). An empty graph removes the record."""

    records: Mapping[str, Graph]

    def new_graphs(self, writer: Writer, current: Current) -> dict[str, Graph]:
        if not self.records:
            raise BadWrite("the write names no graph")
        return dict(self.records)


@dataclasses.dataclass(frozen=True)
class Add:
    """Add triples to one graph (a Graph Store POST): the graph becomes what it holds now plus
    them."""

    graph: str
    triples: Graph

    def new_graphs(self, writer: Writer, current: Current) -> dict[str, Graph]:
        return {self.graph: current([self.graph])[self.graph] + self.triples}


@dataclasses.dataclass(frozen=True)
class Delete:
    """Remove one graph (a Graph Store DELETE). Raises `NothingToDelete` when it holds nothing."""

    graph: str

    def new_graphs(self, writer: Writer, current: Current) -> dict[str, Graph]:
        if not len(current([self.graph])[self.graph]):
            raise NothingToDelete(f"there is no graph {self.graph}")
        return {self.graph: Graph()}


@dataclasses.dataclass(frozen=True)
class Update:
    """A SPARQL 1.1 Update, checked already (`sparql_guard.prepare_update`): the graphs it changes
    become what it makes of them, worked out on a copy of the data (`ccn_graph.write.updates`)."""

    text: str

    def new_graphs(self, writer: Writer, current: Current) -> dict[str, Graph]:
        return writer.work_out(self.text)


Change = Replace | Add | Delete | Update
