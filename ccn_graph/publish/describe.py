"""An entity's description: its record, the labels of what it links to, and what links to it.

At most three store queries whatever the entity: one CONSTRUCT for the record and the labels of
its links (`queries/describe.rq`), one SELECT for a page of inverse links and the record's latest
change (`queries/inverse_links_and_change.rq`), and, when that page has links, one for the labels
of their owners (`queries/labels_of.rq`); the Community members that point at it come from the
portal index, paged by key.
"""

from __future__ import annotations

import dataclasses
import functools

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ccn_graph.index.portal_index import MemberPage, PortalIndex
from ccn_graph.model.iris import CCN, record_graph_for
from ccn_graph.sparql import queries
from ccn_graph.store import Store

__all__ = ["INVERSE_PAGE", "Change", "Description", "InverseLink", "describe", "exists"]

#: Inverse links shown per page.
INVERSE_PAGE = 50
#: Every Community member points at these (through its registration).
_ALL_MEMBERS = {str(CCN.CompetenceCommunity), str(CCN.CompetenceCentre)}


@dataclasses.dataclass(frozen=True)
class InverseLink:
    """`owner` (the entity whose record holds the link) points at the entity through `predicate`."""

    owner: str
    predicate: str
    label: str | None


@dataclasses.dataclass(frozen=True)
class Change:
    """The latest accepted change of a record (from the public provenance): the activity, when it
    ended (xsd:dateTime text), and the name of the steward or agent behind it, if known."""

    activity: str
    time: str
    by: str | None


@dataclasses.dataclass(frozen=True)
class Description:
    iri: str
    graph: Graph
    inverse: tuple[InverseLink, ...]
    #: The key (predicate, owner) this page of inverse links starts after, and the key of the
    #: next page (None on the last).
    inverse_after: tuple[str, str] | None
    inverse_next: tuple[str, str] | None
    #: The first page of the Community members that point at the entity (from the portal index),
    #: and the facet filter that lists them all; None when none can.
    members: MemberPage | None = None
    members_filter: dict[str, str] | None = None
    #: The record's latest change; None when it has none or when it was not asked for.
    last_change: Change | None = None

    @property
    def subject(self) -> URIRef:
        return URIRef(self.iri)

    @functools.cached_property
    def _owned(self) -> tuple:
        # Found once per page (the page and its embedded JSON-LD both ask); a description's graph
        # only gains the document's own triples after, about the document, never owned nodes.
        prefix = f"{self.iri}#"
        owned = {
            s for s in self.graph.subjects() if isinstance(s, URIRef) and str(s).startswith(prefix)
        }
        return tuple(sorted(owned, key=str))

    def owned_nodes(self) -> list:
        """Nodes the entity owns (its ``#fragments`` and blank nodes) that the graph describes."""
        return list(self._owned)

    def about(self) -> list[tuple]:
        """The triples of the record itself, without the labels fetched for its links."""
        own = {self.subject, *self._owned}
        return [
            triple for triple in self.graph if triple[0] in own or not isinstance(triple[0], URIRef)
        ]


def exists(store: Store, base: str, iri: str) -> bool:
    """Whether the store says anything about `iri` (one ASK)."""
    record = URIRef(record_graph_for(base, iri) or iri)
    return store.ask(queries.load("entity_exists"), {"entity": URIRef(iri), "record": record})


# size: one query and the view model it gives, inverse links paged
def describe(
    store: Store,
    base: str,
    iri: str,
    *,
    inverse_after: tuple[str, str] | None = None,
    index: PortalIndex | None = None,
    inverse: bool = True,
) -> Description | None:
    """The description of `iri`, with one page of inverse links after the key `inverse_after` and
    its record's latest change (unless not `inverse`) and, from `index`, the first page of the
    Community members that point at it; None when the store has nothing about it."""
    entity = URIRef(iri)
    record_iri = record_graph_for(base, iri)
    record = URIRef(record_iri or iri)
    graph = store.construct(queries.load("describe"), {"entity": entity, "record": record})
    if (entity, None, None) not in graph:
        return None
    if not inverse:
        # The RDF documents hold the record and the labels of its links only.
        return Description(iri, graph, (), None, None)
    answer = store.select(
        queries.load("inverse_links_and_change"),
        {
            "entity": entity,
            "record": record,
            "own_prefix": Literal(f"{iri}#"),
            "limit": Literal(INVERSE_PAGE + 1),
            "after_p": Literal(inverse_after[0] if inverse_after else ""),
            "after_owner": Literal(inverse_after[1] if inverse_after else ""),
        },
    )
    rows = sorted((r for r in answer if "owner" in r), key=lambda r: (str(r["p"]), str(r["owner"])))
    # Only records have changes of their own (a vocabulary entry is matched against itself).
    change = (
        next(
            (
                Change(str(r["activity"]), str(r["time"]), str(r["name"]) if "name" in r else None)
                for r in answer
                if "activity" in r
            ),
            None,
        )
        if record_iri
        else None
    )
    rows_shown = [r for r in rows[:INVERSE_PAGE] if str(r["owner"]) != iri]
    labels = {}
    owners = sorted({r["owner"] for r in rows_shown if isinstance(r["owner"], URIRef)}, key=str)
    if owners:
        labels = {
            str(r["thing"]): str(r["label"])
            for r in store.select(queries.load("labels_of"), {"things": owners})
        }
    links = tuple(
        InverseLink(str(r["owner"]), str(r["p"]), labels.get(str(r["owner"]))) for r in rows_shown
    )
    members, members_filter = None, None
    if index is not None:
        types = {str(t) for t in graph.objects(entity, RDF.type)}
        if types & _ALL_MEMBERS:
            members_filter = {}
        else:
            facet = index.facet_of(iri)
            members_filter = {facet: iri} if facet else None
        if members_filter is not None:
            members = index.members(members_filter, limit=INVERSE_PAGE, facets=False)
    last = rows[INVERSE_PAGE - 1] if len(rows) > INVERSE_PAGE else None
    following = (str(last["p"]), str(last["owner"])) if last else None
    return Description(iri, graph, links, inverse_after, following, members, members_filter, change)
