"""Which records a steward may write (DESIGN decision 5).

A Member-State steward may create or replace only the records of its Member States: their NCC and
the Community members established there — judged on the record as submitted and on the record it
replaces, so that nobody moves a record out of another steward's Member State. Every other record
(the Centre, its bodies, the Network, vocabularies, projects…) needs network scope.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ccn_graph.iris import COUNTRY_AUTHORITY, MEMBER_STATES, ONTOLOGY_NS, record_graph_for
from ccn_graph.stewards import Steward

__all__ = ["scope_problem"]

_STATE_SCOPED = {URIRef(ONTOLOGY_NS + "NationalCoordinationCentre"), URIRef(ONTOLOGY_NS + "CommunityMember")}
_MEMBER_STATE = URIRef(ONTOLOGY_NS + "memberState")
_CODES = {v: k for k, v in MEMBER_STATES.items()}


def _state_code(iri) -> str | None:
    text = str(iri)
    return _CODES.get(text[len(COUNTRY_AUTHORITY):]) if text.startswith(COUNTRY_AUTHORITY) else None


def scope_problem(steward: Steward, records: Mapping[str, Graph], before: Mapping[str, Graph], base: str) -> str | None:
    """Why `steward` may not write `records` (replacing `before`), or None when it may."""
    if steward.network:
        return None
    for graph_iri, graph in records.items():
        old = before.get(graph_iri, Graph())
        entities = {
            s for s in (*graph.subjects(), *old.subjects())
            if isinstance(s, URIRef) and "#" not in str(s) and record_graph_for(base, str(s)) == graph_iri
        }
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
