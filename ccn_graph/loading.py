"""Putting the reference data into a store, and checking that a store fits the settings."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from ccn_graph import formats, reference
from ccn_graph.iris import check_iri, graph_iri
from ccn_graph.store import Store, StoreState

__all__ = ["BaseMismatch", "LoadReport", "check_base", "load_file", "load_reference_data"]

log = logging.getLogger(__name__)


class BaseMismatch(RuntimeError):
    """The store was loaded with another base IRI than the one configured."""

    def __init__(self, stored: str, configured: str) -> None:
        super().__init__(
            f"the store was loaded with base IRI {stored} but CCN_BASE_IRI is {configured}. "
            f"Either set CCN_BASE_IRI={stored}, or reload the store for the new base with "
            f"`ccn-graph load --reset --base-iri {configured}` (this drops every graph in it)."
        )
        self.stored = stored
        self.configured = configured


@dataclasses.dataclass(frozen=True)
class LoadReport:
    graphs: int
    triples: int
    data_version: int


def check_base(state: StoreState | None, base_iri: str) -> None:
    """Raise `BaseMismatch` when a loaded store's base differs from `base_iri`."""
    if state is not None and state.base_iri != base_iri:
        raise BaseMismatch(state.base_iri, base_iri)


def load_reference_data(store: Store, base_iri: str, *, reset: bool = False) -> LoadReport:
    """Put ontology, shapes, taxonomy and reference records into their named graphs.

    Idempotent: each graph is replaced whole, all of them in one atomic update, so loading twice
    gives the same store. With `reset`, every graph is dropped first (needed to change the base
    IRI). Raises `BaseMismatch` when the store holds data for another base and `reset` is false,
    and `reference.ReferenceDataError` for a broken reference file (nothing is written then).
    """
    graphs = reference.reference_graphs(base_iri)
    if reset:
        store.clear()
    else:
        check_base(store.state(), base_iri)
    store.replace_graphs(graphs)
    store.write_state(base_iri, reference.reference_version())
    state = store.state()
    report = LoadReport(len(graphs), sum(len(g) for g in graphs.values()), state.data_version)
    log.info("loaded %d reference graphs (%d triples)", report.graphs, report.triples)
    return report


def load_file(store: Store, path: Path, base_iri: str, graph: str | None = None) -> str | None:
    """Bulk-load one RDF file: a graph file into a named graph (default
    ``{base}graph/load/{file stem}``), a dataset file (N-Quads, TriG) into the graphs it names.

    Returns the graph IRI (None for a dataset). Raises ValueError for a file whose format is not
    known by its suffix.
    """
    fmt = formats.rdf_format_for_suffix(path.suffix)
    if fmt is None:
        known = ", ".join(f".{f.suffix}" for f in formats.RDF_FORMATS)
        raise ValueError(f"{path}: cannot tell the RDF format from its suffix (known: {known})")
    if fmt.is_dataset:
        store.load_file(path, fmt)
        return None
    target = check_iri(graph) if graph else graph_iri(base_iri, f"load/{path.stem}")
    store.load_file(path, fmt, target)
    return target
