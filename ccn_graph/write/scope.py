"""Which graphs an author may write, judged by record ownership (DESIGN decisions 5 and 10).

A record graph ``{base}graph/{kind}/{ref}`` holds one record: its entity ``{base}id/{kind}/{ref}``
and the nodes it owns (``…#name``; blank nodes are skolemised to such IRIs before this runs). So:

* every subject of a record graph belongs to that record, fragments and skolemised nodes included;
* a record's kind is fixed by its IRI, and its entity must say it is of that kind (`KIND_CLASSES`);
  the other nodes of a record may not claim a kind of record, or anything the service keeps
  (`_NOT_FOR_OWNED_NODES`), so that no fragment passes for a member, an NCC or an activity;
* a Member-State steward writes only member and NCC records whose entity is in its Member
  States, judged on the record as written and on the record it replaces;
* nobody but the service writes what the service keeps: provenance activities, versions, steward
  records, and the terms they are read by (`SERVICE_TERMS`), in any graph;
* graphs under ``CCN_OPEN_GRAPHS`` hold any triples and are written by network stewards only.

What else a record's entity may be typed as is said by the shapes (closed lists of types).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, PROV, RDF, RDFS, SKOS

from ccn_graph import history
from ccn_graph.model.iris import (
    CCN,
    COUNTRY_AUTHORITY,
    MEMBER_STATES,
    entity_for_record,
    graph_prefix,
    instance_prefix,
    record_graph_for,
)
from ccn_graph.model.stewards import Steward
from ccn_graph.write.errors import BadWrite, NotAllowed

__all__ = ["KIND_CLASSES", "SERVICE_TERMS", "Scope"]

#: The class a record's entity must have, by the kind in its IRI (kinds not listed: any class).
KIND_CLASSES = {
    "member": CCN.CommunityMember,
    "ncc": CCN.NationalCoordinationCentre,
    "centre": CCN.CompetenceCentre,
    "network": CCN.NetworkOfNationalCoordinationCentres,
    "community": CCN.CompetenceCommunity,
    "project": CCN.Project,
    "programme": CCN.FundingProgramme,
    "post": CCN.ExecutiveDirector,
}
#: Kinds a Member-State steward writes (the records of its Member States).
_STATE_KINDS = ("member", "ncc")
#: Kinds of graph (``{base}graph/{kind}/…``) only the service writes.
_KEPT_BY_THE_SERVICE = ("activity", "version", "steward")
#: Terms of what the service keeps (provenance activities, versions, the history's count): the
#: pages and feeds read who changed what from them, so no steward writes them anywhere.
SERVICE_TERMS = frozenset(
    {
        *history.TERMS,
        PROV.generated,
        PROV.endedAtTime,
        PROV.startedAtTime,
        PROV.wasAssociatedWith,
        PROV.wasGeneratedBy,
        PROV.generatedAtTime,
        CCN.triplesAdded,
        CCN.triplesRemoved,
        CCN.shapesVersion,
        CCN.warning,
    }
)
_SERVICE_CLASSES = frozenset({PROV.Activity, CCN.RecordVersion})
#: Classes no owned node (a fragment or skolemised node) of a record may have, besides the kinds'
#: own: what catalogues, vocabularies and counts take for a thing of their own.
_NOT_FOR_OWNED_NODES = frozenset(
    {
        CCN.GoverningBoard,
        CCN.StrategicAdvisoryGroup,
        DCAT.Catalog,
        DCAT.Dataset,
        DCAT.Distribution,
        DCAT.DataService,
        SKOS.Concept,
        SKOS.ConceptScheme,
        SKOS.Collection,
    }
)
_MEMBER_STATE = CCN.memberState
#: A kind or ref as written in a record's IRI: a plain name.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")
_CODES = {v: k for k, v in MEMBER_STATES.items()}


def _state_code(iri) -> str | None:
    text = str(iri)
    return (
        _CODES.get(text[len(COUNTRY_AUTHORITY) :]) if text.startswith(COUNTRY_AUTHORITY) else None
    )


class Scope:
    """The ownership rules for instance base `base`; `ontology` gives the subclasses of the classes
    owned nodes may not have (every kind of SKOS concept, for one)."""

    def __init__(self, base: str, ontology: Graph, open_graphs: Collection[str] = ()) -> None:
        self.base = base
        self.open_graphs = tuple(open_graphs)
        roots = set(KIND_CLASSES.values()) | _SERVICE_CLASSES | _NOT_FOR_OWNED_NODES
        closed = set(roots)
        frontier = list(roots)
        while frontier:
            for sub in ontology.subjects(RDFS.subClassOf, frontier.pop()):
                if isinstance(sub, URIRef) and sub not in closed:
                    closed.add(sub)
                    frontier.append(sub)
        self._record_classes = frozenset(closed)

    def is_open(self, graph_iri: str) -> bool:
        return any(graph_iri.startswith(prefix) for prefix in self.open_graphs)

    def kind(self, graph_iri: str) -> str | None:
        """The kind of record a graph ``{base}graph/{kind}/{ref}`` holds; None for any other graph
        (a ref of more than one segment, or one that is not a plain name: ``..``, ``x?y``, ``x%2Fy``
        would name another document, or none, once a client resolves or decodes it)."""
        entity = entity_for_record(self.base, graph_iri)
        if entity is None:
            return None
        parts = entity[len(instance_prefix(self.base)) :].split("/")
        if len(parts) != 2 or not all(_PLAIN.fullmatch(part) for part in parts):
            return None
        return parts[0]

    def check_target(self, graph_iri: str, author: Steward | None) -> None:
        """Raises `NotAllowed` unless `author` (None: the service) may write graph `graph_iri` at
        all."""
        if self.is_open(graph_iri):
            if author is not None and not author.network:
                raise NotAllowed(f"only a network steward may write {graph_iri}")
            return
        prefix = graph_prefix(self.base)
        rest = graph_iri[len(prefix) :] if graph_iri.startswith(prefix) else ""
        kind = rest.split("/", 1)[0]
        if kind in _KEPT_BY_THE_SERVICE:
            raise NotAllowed(
                f"{graph_iri} is kept by the service itself (its {kind} records); no steward "
                "writes it"
            )
        if self.kind(graph_iri) is None:
            raise NotAllowed(
                f"{graph_iri} is not a record graph ({prefix}{{type}}/{{ref}}, the ref without "
                "'/'); "
                "only record graphs can be written"
            )

    def check(
        self, author: Steward | None, records: Mapping[str, Graph], before: Mapping[str, Graph]
    ) -> None:
        """Raises `NotAllowed` or `BadWrite` unless `author` may replace `before` by `records`
        (graph → triples); returns when it may."""
        for graph_iri, graph in records.items():
            self.check_target(graph_iri, author)
            for term in SERVICE_TERMS:
                if (None, term, None) in graph:
                    raise NotAllowed(
                        f"<{term}> is written by the service only (provenance and history), never "
                        "in "
                        f"{graph_iri}"
                    )
            for cls in _SERVICE_CLASSES:
                if (None, RDF.type, cls) in graph:
                    raise NotAllowed(
                        f"<{cls}> nodes are written by the service only, never in {graph_iri}"
                    )
            if self.is_open(graph_iri):
                # Records, activities, versions and stewards are described in their own graphs
                # only: read through the union, a triple here would change them past their shapes
                # and history ("last changed by" an agent renamed here).
                for subject in set(graph.subjects()):
                    if str(subject).startswith(instance_prefix(self.base)):
                        raise NotAllowed(
                            f"{subject} is described in its own graph only, never in {graph_iri}"
                        )
                continue
            self._check_record(author, graph_iri, graph, before.get(graph_iri, Graph()))

    def _check_record(
        self, author: Steward | None, graph_iri: str, graph: Graph, old: Graph
    ) -> None:
        entity = URIRef(entity_for_record(self.base, graph_iri))
        kind = self.kind(graph_iri)
        for subject in set(graph.subjects()):
            if (
                not isinstance(subject, URIRef)
                or record_graph_for(self.base, str(subject)) != graph_iri
            ):
                raise BadWrite(
                    f"{subject.n3()} is not a node of the record {graph_iri} (its entity "
                    f"<{entity}> or "
                    f"<{entity}#…>); write each record's triples in its own graph"
                )
            if subject != entity:
                claimed = set(graph.objects(subject, RDF.type)) & self._record_classes
                if claimed:
                    raise NotAllowed(
                        f"{subject} is a node of the record <{entity}>, and only the record's "
                        "entity may "
                        f"be a <{min(claimed)}>; give it a record of its own"
                    )
        expected = KIND_CLASSES.get(kind)
        for version in (graph, old) if len(graph) else (old,):
            if not len(version):
                continue
            types = set(version.objects(entity, RDF.type))
            if expected is not None and expected not in types:
                raise NotAllowed(
                    f"{entity} is a record of kind '{kind}' by its IRI, so it must be a "
                    f"<{expected}>; it says {_what_it_is(types)}"
                )
            if author is None or author.network:
                continue
            if not types:
                raise NotAllowed(
                    f"{entity} says nowhere what it is (no rdf:type); only a network steward may "
                    "write it"
                )
            if kind not in _STATE_KINDS:
                raise NotAllowed(
                    f"{entity} is not a National Coordination Centre or a Community member; only a "
                    "network steward may write it"
                )
            states = {_state_code(s) for s in version.objects(entity, _MEMBER_STATE)} or {None}
            for code in states:
                if not author.may_write(code):
                    raise NotAllowed(
                        f"{entity} belongs to Member State {code or '(none)'}, outside this "
                        "steward's "
                        f"scope ({', '.join(author.scope)})"
                    )
        if author is not None and not author.network and kind not in _STATE_KINDS:
            # Also when there is nothing to judge the record by (an empty write of a new graph).
            raise NotAllowed(
                f"{graph_iri} holds a record of kind '{kind}'; only a network steward may write it "
                "(a Member-State steward writes member and NCC records)"
            )


def _what_it_is(types: set) -> str:
    if not types:
        return "nowhere what it is"
    return "it is " + ", ".join(f"<{t}>" for t in sorted(types))
