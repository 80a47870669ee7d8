"""The bundled reference data: ontology, shapes, taxonomy and records, as named graphs.

In a checkout the files are read from ``ontology/``, ``shapes/`` and ``data/`` at the top of the
repository; an installed wheel carries them as ``ccn_graph/bundled/…``. Files are written with
IRIs relative to the instance base and resolved against it here (DESIGN decision 3). Each file of
``data/vocabularies/`` (taxonomy, member states, legislation, …) is one named graph
``{base}graph/{file stem}``; the files of ``data/records/`` are split into records — one entity
``{base}id/{type}/{ref}`` and the blank nodes and ``#fragment`` nodes it owns — each in its own
named graph (DESIGN decision 2).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from rdflib import Graph
from rdflib.term import BNode, URIRef

from ccn_graph.model.entailment import TypeClosure
from ccn_graph.model.iris import graph_iri, instance_prefix, record_graph_for
from ccn_graph.rdfio import formats

__all__ = [
    "ReferenceDataError",
    "bundled_dir",
    "ontology_and_shapes",
    "reference_graphs",
    "reference_version",
    "split_records",
]

# The ccn_graph package (this module sits in its model/ room).
_PACKAGE = Path(__file__).resolve().parent.parent
_FOLDERS = ("ontology", "shapes", "data")


class ReferenceDataError(ValueError):
    """A reference file is malformed or describes something that belongs to no record."""


def bundled_dir(name: str) -> Path:
    """The folder `name` ('ontology', 'shapes' or 'data') of this installation."""
    for candidate in (_PACKAGE / "bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled folder {name!r} is missing from this installation")


def _files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and formats.rdf_format_for_suffix(p.suffix)
    )


def reference_version() -> str:
    """A fingerprint of every bundled reference file (path and content)."""
    digest = hashlib.sha256()
    for name in _FOLDERS:
        root = bundled_dir(name)
        for path in _files(root):
            digest.update(f"{name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return f"sha256:{digest.hexdigest()}"


def _parse(paths: list[Path], base: str) -> Graph:
    graph = Graph()
    for path in paths:
        fmt = formats.rdf_format_for_suffix(path.suffix)
        try:
            graph.parse(path, format=fmt.rdflib_name, publicID=base)
        except Exception as exc:  # rdflib raises many unrelated types for bad syntax
            raise ReferenceDataError(f"{path}: {exc}") from None
    return graph


def split_records(graph: Graph, base: str) -> dict[str, Graph]:
    """Split instance data into record graphs, keyed by record graph IRI.

    Raises `ReferenceDataError` for a subject that is neither an instance IRI of `base` nor a
    blank node reachable from one.
    """
    owners: dict[BNode, set[URIRef]] = defaultdict(set)
    for s, _, o in graph:
        if isinstance(o, BNode) and isinstance(s, URIRef):
            owners[o].add(s)
    # Blank nodes nested in blank nodes take the owner of their parent.
    changed = True
    while changed:
        changed = False
        for s, _, o in graph:
            if isinstance(o, BNode) and isinstance(s, BNode) and owners[s] - owners[o]:
                owners[o] |= owners[s]
                changed = True
    records: dict[str, Graph] = defaultdict(Graph)
    for triple in graph:
        s = triple[0]
        subjects = [s] if isinstance(s, URIRef) else sorted(owners.get(s, ()))
        if len(subjects) != 1:
            raise ReferenceDataError(
                f"blank node {s.n3()} belongs to {len(subjects)} records; it must belong to one"
            )
        record = record_graph_for(base, str(subjects[0]))
        if record is None:
            raise ReferenceDataError(
                f"{subjects[0]} is not an instance IRI ({instance_prefix(base)}{{type}}/{{ref}}); "
                "reference records may only describe their own entities"
            )
        records[record].add(triple)
    return dict(records)


def ontology_and_shapes(base: str) -> tuple[Graph, Graph]:
    """The bundled ontology and shapes, parsed (what a `validation.Validator` needs)."""
    return _parse(_files(bundled_dir("ontology")), base), _parse(
        _files(bundled_dir("shapes")), base
    )


def reference_graphs(base: str) -> dict[str, Graph]:
    """Every bundled reference named graph for instance base `base`, keyed by graph IRI, each
    with the standard types its own entail (`entailment.TypeClosure`).

    Raises `ReferenceDataError` naming the file or node at fault.
    """
    data = bundled_dir("data")
    ontology = _parse(_files(bundled_dir("ontology")), base)
    graphs = {
        graph_iri(base, "ontology"): ontology,
        graph_iri(base, "shapes"): _parse(_files(bundled_dir("shapes")), base),
    }
    vocabularies = data / "vocabularies"
    for path in _files(vocabularies) if vocabularies.is_dir() else []:
        graphs[graph_iri(base, path.stem)] = _parse([path], base)
    records = _files(data / "records") if (data / "records").is_dir() else []
    graphs.update(split_records(_parse(records, base), base))
    types = TypeClosure(ontology)
    return {iri: types.entail(graph) for iri, graph in graphs.items()}
