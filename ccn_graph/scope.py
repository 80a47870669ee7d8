"""Which records a steward may write (DESIGN decision 5).

A Member-State steward may create or replace only the records of its Member States: their NCC and
the Community members established there — judged on the record as submitted and on the record it
replaces, so that nobody moves a record out of another steward's Member State. Every other record
(the Centre, its bodies, the Network, vocabularies, projects…, and a record that says what it
is nowhere) needs network scope. What the service keeps itself — the provenance activities, the
versions of the history and the stewards, and the history's own terms in any record — no steward
writes: the history is read from them, so a forged version would be served as a past record.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ccn_graph import history
from ccn_graph.iris import COUNTRY_AUTHORITY, MEMBER_STATES, ONTOLOGY_NS, record_graph_for
from ccn_graph.stewards import Steward

__all__ = ["scope_problem"]

_STATE_SCOPED = {URIRef(ONTOLOGY_NS + "NationalCoordinationCentre"), URIRef(ONTOLOGY_NS + "CommunityMember")}
#: Kinds of record (``{base}graph/{kind}/…``) only the service writes.
_KEPT_BY_THE_SERVICE = ("activity", "version", "steward")
_MEMBER_STATE = URIRef(ONTOLOGY_NS + "memberState")
_CODES = {v: k for k, v in MEMBER_STATES.items()}


def _state_code(iri) -> str | None:
    text = str(iri)
    return _CODES.get(text[len(COUNTRY_AUTHORITY):]) if text.startswith(COUNTRY_AUTHORITY) else None


def scope_problem(steward: Steward, records: Mapping[str, Graph], before: Mapping[str, Graph], base: str) -> str | None:
    """Why `steward` may not write `records` (replacing `before`), or None when it may."""
    for graph_iri, graph in records.items():
        kind = graph_iri[len(f"{base}graph/"):].split("/", 1)[0] if graph_iri.startswith(f"{base}graph/") else ""
        if kind in _KEPT_BY_THE_SERVICE:
            return f"{graph_iri} is kept by the service itself (its {kind} records); no steward writes it"
        for term in history.TERMS:
            if (None, term, None) in graph:
                return f"<{term}> is written by the service's history only, never in a record"
    if steward.network:
        return None
    for graph_iri, graph in records.items():
        old = before.get(graph_iri, Graph())
        entities = {
            s for s in (*graph.subjects(), *old.subjects())
            if isinstance(s, URIRef) and "#" not in str(s) and record_graph_for(base, str(s)) == graph_iri
        }
        for entity in entities:
            if not any((entity, RDF.type, None) in version for version in (graph, old)):
                return f"{entity} says nowhere what it is (no rdf:type); only a network steward may write it"
        for version in (graph, old):
            for entity in entities:
                types = set(version.objects(entity, RDF.type))
                if not types:
                    continue
                if not types & _STATE_SCOPED:
                    return (
                        f"{entity} is not a National Coordination Centre or a Community member; "
                        "only a network steward may write it"
                    )
                states = {_state_code(s) for s in version.objects(entity, _MEMBER_STATE)} or {None}
                for code in states:
                    if not steward.may_write(code):
                        return (
                            f"{entity} belongs to Member State {code or '(none)'}, outside this steward's "
                            f"scope ({', '.join(steward.scope)})"
                        )
    return None
