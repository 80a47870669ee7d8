"""The `Writer` a deployment's settings call for: one per process, its lock in the data dir."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from ccn_graph.model import reference
from ccn_graph.settings import Settings
from ccn_graph.store import Store
from ccn_graph.write.ingest import Gate
from ccn_graph.write.scope import Scope
from ccn_graph.write.validation import Validator
from ccn_graph.write.writer import UpdateLimits, Writer

__all__ = ["build_writer", "lock_path"]

_SHAPES = URIRef("https://w3id.org/ccn-graph/shapes")


def lock_path(settings: Settings) -> Path:
    """The write lock's file, shared by every process that writes through this data dir."""
    return Path(settings.data_dir) / "write.lock"


def build_writer(
    settings: Settings, store: Store, ontology: Graph | None = None, shapes: Graph | None = None
) -> Writer:
    """The writer over `store` for `settings`, with `ontology` and `shapes` (the bundled ones,
    parsed here, when not given)."""
    if ontology is None or shapes is None:
        ontology, shapes = reference.ontology_and_shapes(settings.base_iri)
    return Writer(
        store,
        Gate(store, Validator(shapes, ontology), settings.base_iri),
        Scope(settings.base_iri, ontology, settings.open_graphs),
        settings.base_iri,
        lock_path=lock_path(settings),
        shapes_version=str(shapes.value(_SHAPES, OWL.versionInfo) or ""),
        max_blank_nodes=settings.max_blank_nodes,
        max_records=settings.max_write_records,
        max_triples=settings.max_write_triples,
        update_limits=UpdateLimits(
            settings.query_timeout, settings.environ(inherit=True), Path(settings.data_dir)
        ),
    )
