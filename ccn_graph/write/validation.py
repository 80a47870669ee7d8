"""SHACL validation against the CCN Graph shapes: the one module that uses pyshacl.

A `Validator` is built once (shapes and ontology parsed at start-up) and validates any number of
data graphs. Only violations make data non-conforming; warnings and infos are reported.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Iterable, Mapping

import rdflib
from pyshacl import validate as _pyshacl_validate
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor
from rdflib.term import Node

from ccn_graph.model.entailment import TypeClosure

__all__ = ["ValidationReport", "ValidationResult", "Validator"]

_SKOLEM = str(BNode("x").skolemize()).rsplit("/", 1)[0] + "/"
SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """One result of a report, in the terms a steward reads."""

    focus: Node
    path: Node | None
    value: Node | None
    message: str
    severity: str
    shape: Node
    component: Node
    constraint: Node | None = None

    @property
    def rule(self) -> Node:
        """What was broken: the SPARQL constraint for SPARQL-based results, else the shape."""
        return self.constraint if self.constraint is not None else self.shape


@dataclasses.dataclass(frozen=True)
class ValidationReport:
    """The outcome of one validation: `conforms` is true when there is no Violation."""

    results: tuple[ValidationResult, ...]
    graph: Graph

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    def as_json(self, lines: Mapping[str, int] | None = None) -> dict:
        """The report as JSON values; `lines` gives the line of a focus node in what was sent."""
        lines = lines or {}
        return {
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "results": [
                {
                    "focus": str(r.focus),
                    "path": str(r.path) if r.path is not None else None,
                    "value": str(r.value) if r.value is not None else None,
                    "message": r.message,
                    "severity": r.severity,
                    "shape": str(r.rule),
                    **({"line": lines[str(r.focus)]} if str(r.focus) in lines else {}),
                }
                for r in self.results
            ],
        }


class Validator:
    """Validates data graphs against `shapes`, with `ontology` mixed in for class hierarchies.

    Thread-safe: pyshacl flips process-wide rdflib settings while it runs, so validations are
    serialised and the settings restored afterwards.
    """

    def __init__(self, shapes: Graph, ontology: Graph) -> None:
        self.shapes = shapes
        # SHACL's class semantics (SHACL §1.5 "SHACL instance", §2.1.3.1 targets) read rdf:type and
        # rdfs:subClassOf only, and pyshacl copies the whole ontology graph into every data graph
        # it validates: labels and definitions (three quarters of it) would be copied for nothing.
        self.ontology = Graph()
        for predicate in (RDF.type, RDFS.subClassOf):
            for triple in ontology.triples((None, predicate, None)):
                self.ontology.add(triple)
        #: What the data is judged with: the standard types its own entail, as the write path
        #: stores them (`entailment`), so a draft is judged as it would be stored.
        self.types = TypeClosure(ontology)
        self._lock = threading.Lock()

    def validate(
        self, data: Graph, focus: Iterable[Node] | None = None, *, add_types: bool = True
    ) -> ValidationReport:
        """Validate `data` (which should hold what its values point to). Never writes.

        With `focus`, only those nodes are judged (each against the shapes that target it); the rest
        of `data` is context, such as the slice of the store a submission points to. `add_types`:
        judge `data` with the standard types it entails (as the write path stores it); False:
        exactly as given, as any SHACL engine reading the published shapes would.
        """
        focus_nodes = sorted(set(focus), key=str) if focus is not None else None
        missing = self.types.entailed(data) if add_types else None
        if missing:
            data = self.types.entail(data + Graph())  # a copy: the caller's graph is left as is
        if focus_nodes and any(isinstance(n, BNode) for n in focus_nodes):
            # pyshacl takes IRIs as focus nodes only: judge blank nodes under stable stand-in IRIs.
            data = data.skolemize()
            focus_nodes = [n.skolemize() if isinstance(n, BNode) else n for n in focus_nodes]
        with self._lock:
            normalize = rdflib.NORMALIZE_LITERALS
            try:
                _, report_graph, _ = _pyshacl_validate(
                    data,
                    shacl_graph=self.shapes,
                    ont_graph=self.ontology,
                    inference="none",
                    allow_warnings=True,
                    allow_infos=True,
                    advanced=False,
                    focus_nodes=focus_nodes,
                )
            finally:
                rdflib.NORMALIZE_LITERALS = normalize
        return ValidationReport(_results(report_graph), report_graph)


class _PreparedSPARQLProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor, each query text parsed and translated once. pyshacl runs the
    shapes' SPARQL constraints as text on every validation: parsing them again was two fifths of
    a one-member validation. A translated query is what rdflib's own `prepareQuery` gives for
    reuse with any bindings."""

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(strOrQuery, str):
            strOrQuery = _translated(strOrQuery, base, tuple(sorted((initNs or {}).items())))
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@functools.lru_cache(maxsize=256)
def _translated(text: str, base: str | None, namespaces: tuple) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces))


# Graph.query looks its processor up by name on every call: every SPARQL query rdflib runs in this
# process goes through the one above (only pyshacl's do: CCN Graph queries its store, not rdflib).
rdflib.plugin.register("sparql", Processor, __name__, _PreparedSPARQLProcessor.__name__)


def _results(report: Graph) -> tuple[ValidationResult, ...]:
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        messages = [str(m) for m in report.objects(node, SH.resultMessage)]
        english = [
            str(m)
            for m in report.objects(node, SH.resultMessage)
            if getattr(m, "language", None) == "en"
        ]
        results.append(
            ValidationResult(
                focus=_unskolem(report.value(node, SH.focusNode)),
                path=report.value(node, SH.resultPath),
                value=_unskolem(report.value(node, SH.value)),
                message=(english or messages or [""])[0],
                severity=SEVERITIES.get(report.value(node, SH.resultSeverity), "Violation"),
                shape=report.value(node, SH.sourceShape),
                component=report.value(node, SH.sourceConstraintComponent),
                constraint=report.value(node, SH.sourceConstraint),
            )
        )
    results.sort(key=lambda r: (r.severity != "Violation", str(r.focus), str(r.path), r.message))
    return tuple(results)


def _unskolem(term: Node | None) -> Node | None:
    if isinstance(term, URIRef) and str(term).startswith(_SKOLEM):
        try:
            return term.de_skolemize()
        except Exception:  # noqa: BLE001 - rdflib refuses IRIs under its prefix it did not mint
            return term
    return term
