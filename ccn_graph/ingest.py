"""The gate every write goes through: slice → validate → merge, all or nothing.

Records arrive as named graphs (``{base}graph/{type}/{ref}`` → triples). The gate fetches from the
store, in one query, what the shapes need to know about the nodes the records point to (the
*slice*), validates records and slice together, and — only when there is no Violation — replaces
the record graphs and records a provenance activity in one SPARQL Update, which the store applies
atomically. A rejected batch writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from ccn_graph import queries
from ccn_graph.iris import ONTOLOGY_NS, check_iri, record_graph_for
from ccn_graph.store import Store
from ccn_graph.validation import ValidationReport, Validator

__all__ = ["Gate", "MergeOutcome"]

_MEMBER_STATE = URIRef(ONTOLOGY_NS + "memberState")


@dataclasses.dataclass(frozen=True)
class MergeOutcome:
    """What happened to a batch: accepted (written) or not, and why."""

    accepted: bool
    report: ValidationReport
    graphs: tuple[str, ...]
    activity: str | None = None


class Gate:
    """Validates and merges record graphs into `store` for instance base `base`."""

    def __init__(self, store: Store, validator: Validator, base: str) -> None:
        self.store = store
        self.validator = validator
        self.base = base

    def slice(self, records: Mapping[str, Graph]) -> Graph:
        """The store's triples about the nodes `records` point to, less the records themselves."""
        own = {s for graph in records.values() for s in graph.subjects()}
        nodes = sorted(
            {o for graph in records.values() for o in graph.objects() if isinstance(o, URIRef)} - own
        )
        states = sorted({o for graph in records.values() for o in graph.objects(None, _MEMBER_STATE)})
        if not nodes and not states:
            return Graph()
        fetched = self.store.construct(
            queries.load("slice"),
            {"nodes": [n for n in nodes if _safe(n)], "states": [s for s in states if _safe(s)]},
        )
        # A record being replaced is judged by its new version only.
        replaced = set(records)
        stale = [s for s in set(fetched.subjects()) if record_graph_for(self.base, str(s)) in replaced]
        for subject in stale:
            fetched.remove((subject, None, None))
        return fetched

    def check(self, records: Mapping[str, Graph]) -> ValidationReport:
        """Validate `records` against the shapes, with their slice. Writes nothing."""
        data = Graph()
        for graph in records.values():
            data += graph
        focus = set(data.subjects())
        data += self.slice(records)
        return self.validator.validate(data, focus)

    def merge(self, records: Mapping[str, Graph], *, label: str, sources: tuple[str, ...] = ()) -> MergeOutcome:
        """Validate `records` and, if they conform, replace their graphs and record an activity.

        All or nothing: either every record graph and the activity are written in one update, or
        (on a Violation, or if the store refuses the update) nothing is.
        """
        for iri in records:
            check_iri(iri)
        report = self.check(records)
        if not report.conforms:
            return MergeOutcome(False, report, tuple(records))
        activity_id = uuid.uuid4().hex
        activity_iri = f"{self.base}id/activity/{activity_id}"
        activity = Graph()
        node = URIRef(activity_iri)
        now = Literal(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
        activity.add((node, RDF.type, PROV.Activity))
        activity.add((node, RDFS.label, Literal(label, lang="en")))
        activity.add((node, PROV.endedAtTime, now))
        for iri in records:
            activity.add((node, PROV.generated, URIRef(iri)))
        for source in sources:
            activity.add((node, DCTERMS.source, Literal(source)))
        graphs = dict(records)
        graphs[f"{self.base}graph/activity/{activity_id}"] = activity
        self.store.replace_graphs(graphs)
        return MergeOutcome(True, report, tuple(records), activity_iri)


def _safe(term: URIRef) -> bool:
    try:
        check_iri(str(term))
    except ValueError:
        return False
    return True
