"""pyoxigraph in this process: in memory, or on the managed store's folder while no server runs.

For offline work only (validating a file, loading before the service starts, unit tests of pure
code): pyoxigraph cannot stop a running query, so a public endpoint never runs on it (DESIGN
decision 1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import pyoxigraph

from ccn_graph.rdfio import formats
from ccn_graph.store.base import (
    QueryStream,
    RequestSyntaxError,
    Store,
    StoreError,
    StoreRequestError,
)

__all__ = ["EmbeddedStore", "StoreLocked", "syntax_error"]


def fmt_media(fmt) -> str:
    return fmt.media_type.split(";", 1)[0]


def syntax_error(body: bytes, fmt: formats.RdfFormat, base: str) -> str | None:
    """What Oxigraph's parser for `fmt` finds wrong in `body` (None: nothing).

    The store is Oxigraph: what its parser refuses could not be written, whatever a laxer parser
    made of it. Nothing is fetched (no document loader is given for JSON-LD contexts)."""
    try:
        for _ in pyoxigraph.parse(
            body, format=pyoxigraph.RdfFormat.from_media_type(fmt.media_type), base_iri=base
        ):
            pass
    except (SyntaxError, ValueError) as exc:
        return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return None


#: Lines of N-Quads loaded at a time from a stream (see `_pieces`).
_PIECE_LINES = 50_000


def _pieces(lines: Iterable[bytes]) -> Iterable[bytes]:
    """N-Quads `lines` in pieces of about `_PIECE_LINES`, each cut where the graph changes: loaded
    one after the other, the loading keeps up with a stream as it comes, and costs less than one
    load of the whole (1.9 s against 2.8 s for 300,000 quads). A blank node label names one node
    within one load only: from the first line that may hold one, the rest is one piece."""
    piece: list[bytes] = []
    last_graph, whole = b"", False
    for line in lines:
        if not whole:
            graph = line[line.rfind(b"<") :]
            if len(piece) >= _PIECE_LINES and graph != last_graph:
                yield b"".join(piece)
                piece = []
            last_graph, whole = graph, b"_:" in line
        piece.append(line)
    if piece:
        yield b"".join(piece)


#: Triples or quads written to N-Triples or N-Quads at a time.
_PIECE_ITEMS = 10_000


def _serialized(items: Iterable, fmt: pyoxigraph.RdfFormat) -> Iterator[bytes]:
    """`items` (triples or quads) in `fmt`, `_PIECE_ITEMS` at a time."""
    items = iter(items)
    while piece := list(itertools.islice(items, _PIECE_ITEMS)):
        yield pyoxigraph.serialize(piece, format=fmt)


class StoreLocked(StoreError):
    """Another process (usually the running service) holds the store's folder."""


class EmbeddedStore(Store):
    """A pyoxigraph store; in memory when `path` is None, else persisted in that folder.

    Raises `StoreLocked` when another process has the folder open. With `read_only`, the folder
    is only read (any number of processes may, as long as none writes it).
    """

    backend = "embedded"
    #: pyoxigraph cannot stop a running query: no public endpoint runs on it.
    supports_time_limit = False
    #: An answer is written whole, but for N-Triples (and the dump), written as it comes.
    streams_results = False

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only and path is not None
        self._opened: pyoxigraph.Store | None = None
        self._open()

    def _open(self) -> pyoxigraph.Store:
        if self._opened is not None:
            return self._opened
        path = self.path
        try:
            if path is None:
                self._opened = pyoxigraph.Store()
            elif self.read_only:
                self._opened = pyoxigraph.Store.read_only(str(path))
            else:
                self._opened = pyoxigraph.Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreLocked(
                    f"the store in {path} is in use by another process (is `ccn-graph serve` "
                    "running?); stop it first"
                ) from None
            raise StoreError(f"cannot open the store in {path}: {exc}") from None
        return self._opened

    def query_stream(
        self,
        query: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryStream:
        dataset = {}
        if default_graphs:
            dataset["default_graph"] = [pyoxigraph.NamedNode(g) for g in default_graphs]
        else:
            dataset["use_default_graph_as_union"] = True
        if named_graphs:
            dataset["named_graphs"] = [pyoxigraph.NamedNode(g) for g in named_graphs]
        try:
            results = self._open().query(query, **dataset)
        except SyntaxError as exc:
            raise StoreRequestError(f"invalid query: {exc}") from None
        if isinstance(results, pyoxigraph.QueryTriples):
            fmt = pyoxigraph.RdfFormat.from_media_type(accept)
        else:
            fmt = pyoxigraph.QueryResultsFormat.from_media_type(accept)
        if fmt is None:
            raise StoreRequestError(f"the results of this query cannot be written as {accept}")
        if fmt in (pyoxigraph.RdfFormat.N_TRIPLES, pyoxigraph.RdfFormat.N_QUADS):
            # Line formats: written as the triples come, a piece at a time.
            return QueryStream(fmt_media(fmt), _serialized(results, fmt))
        body = results.serialize(format=fmt)
        return QueryStream(fmt.media_type.split(";", 1)[0], iter([body]))

    def dataset_stream(self) -> QueryStream:
        """Every quad, a piece at a time: a store on disk may hold more than memory."""
        quads = self._open().quads_for_pattern(None, None, None, None)
        return QueryStream(
            fmt_media(pyoxigraph.RdfFormat.N_QUADS),
            _serialized(quads, pyoxigraph.RdfFormat.N_QUADS),
        )

    def _update(self, update: str) -> None:
        try:
            self._open().update(update)
        except SyntaxError as exc:
            raise RequestSyntaxError(f"invalid update: {exc}") from None
        except RuntimeError as exc:
            # What pyoxigraph raises for an update it read but cannot apply (a graph that is not
            # there).
            raise StoreRequestError(f"the update cannot be applied: {exc}") from None

    def run_update(self, update: str) -> None:
        """Apply `update` as it is (no data version is kept here): for working copies.

        Raises `RequestSyntaxError` with the parser's message when it is not valid SPARQL Update,
        `StoreRequestError` when it cannot be applied (DROP of a graph that does not exist).
        """
        self._update(update)

    def load_as_is(self, source: Path | BinaryIO, fmt: formats.RdfFormat) -> None:
        """Bulk-load a dataset (a file, or a stream read to its end) and nothing else (no data
        version is kept here): for copies.

        Raises `StoreRequestError` with the parser's message when it cannot be read."""
        if isinstance(source, Path):
            self._load_file(source, fmt, None)
            return
        rdf_format = pyoxigraph.RdfFormat.from_media_type(fmt.media_type)
        try:
            if fmt != formats.N_QUADS:
                self._open().bulk_load(source, format=rdf_format)
                return
            for piece in _pieces(source):
                self._open().bulk_load(piece, format=rdf_format)
        except SyntaxError as exc:
            raise StoreRequestError(str(exc)) from None

    def copy_to(self, target: Path) -> None:
        """A copy of this store (on disk, opened or not read-only) in the new folder `target`,
        independent of it: its files are linked, not copied, where they never change."""
        try:
            self._open().backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot copy the store in {self.path} to {target}: {exc}") from None

    def remove_graphs(self, graphs: Iterable[str]) -> None:
        """Remove these named graphs and their triples (those that are not here are passed over)."""
        store = self._open()
        for graph in graphs:
            store.remove_graph(pyoxigraph.NamedNode(graph))

    def graph_lines(self) -> dict[str | None, set[str]]:
        """Every triple, written in N-Triples without the final dot, per graph (None: the default
        graph); blank nodes keep their labels within this store."""
        out: dict[str | None, set[str]] = {}
        for quad in self._open():
            graph = quad.graph_name
            key = graph.value if isinstance(graph, pyoxigraph.NamedNode) else None
            out.setdefault(key, set()).add(f"{quad.subject} {quad.predicate} {quad.object}")
        return out

    def _load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None) -> None:
        rdf_format = pyoxigraph.RdfFormat.from_media_type(fmt.media_type)
        target = {"to_graph": pyoxigraph.NamedNode(graph_iri)} if graph_iri else {}
        try:
            self._open().bulk_load(path=str(path), format=rdf_format, **target)
        except SyntaxError as exc:
            raise StoreRequestError(f"{path}: {exc}") from None

    def close(self) -> None:
        """Flush, and release the folder's lock (an in-memory store keeps its data)."""
        if self._opened is not None and self.path is not None:
            if not self.read_only:
                self._opened.flush()
            self._opened = None
