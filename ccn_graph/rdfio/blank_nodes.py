"""Blank nodes given stable labels in time linear in the graph, and skolemised at the write gate.

rdflib's `to_canonical_graph` is exact but its cost explodes with interchangeable blank nodes
(bench/reports/figures-behind-comments.md), and a record is any steward's input. Here labels come
from colour refinement instead: each blank node starts from a hash of its own triples (the other
terms, blank ones as ``_``), then takes in its neighbours' colours, for at most `ROUNDS` rounds or
until the partition stops splitting; each round costs one pass over the triples. Nodes that end
with the same colour are told apart by their order (their triples' text), which is a true tie only
for nodes that are interchangeable, so for the graphs records hold the labels are canonical: the
same graph gives the same labels whatever its blank nodes were called. For a pathological graph
(nodes alike to every depth but not interchangeable) two equal graphs may get different labels;
that costs a needless version in the history, never a wrong one.

No kept library offers this with a bound: RDFC-1.0 implementations (pyld's, oxrdf's) are exact and
share the same worst case.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping

from rdflib import BNode, Graph, URIRef

__all__ = ["ROUNDS", "TooManyBlankNodes", "count", "labels", "relabel", "skolemise"]

#: The most refinement rounds: colours reach this many links away (records nest far less).
ROUNDS = 8
#: Where a record's skolemised blank nodes live: ``{entity}#genid-{label}``.
SKOLEM_FRAGMENT = "genid-"


class TooManyBlankNodes(ValueError):
    """A record holds more blank nodes than the limit (`CCN_MAX_BLANK_NODES`)."""


def _key(term) -> str:
    return "_" if isinstance(term, BNode) else term.n3()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def count(triples: Iterable[tuple]) -> int:
    """How many distinct blank nodes `triples` hold."""
    return len({t for triple in triples for t in triple if isinstance(t, BNode)})


def labels(triples: Iterable[tuple]) -> dict[BNode, str]:
    """A label (hex) for each blank node of `triples`, the same for the same graph (see the
    module's docstring). Time: at most `ROUNDS` passes over the triples, plus a sort."""
    triples = list(triples)
    edges: dict[BNode, list[tuple[str, str, object]]] = defaultdict(list)
    for s, p, o in triples:
        if isinstance(s, BNode):
            edges[s].append(("out", p.n3(), o))
        if isinstance(o, BNode):
            edges[o].append(("in", p.n3(), s))
    if not edges:
        return {}
    colour = {
        node: _digest("\n".join(sorted(f"{d} {p} {_key(other)}" for d, p, other in links)))
        for node, links in edges.items()
    }
    classes = len(set(colour.values()))
    for _ in range(ROUNDS):
        if classes == len(colour):
            break
        colour = {
            node: _digest(
                colour[node]
                + "\n"
                + "\n".join(
                    sorted(
                        f"{d} {p} {colour[other] if isinstance(other, BNode) else other.n3()}"
                        for d, p, other in links
                    )
                )
            )
            for node, links in edges.items()
        }
        refined = len(set(colour.values()))
        if refined == classes:
            break
        classes = refined
    out: dict[BNode, str] = {}
    seen: dict[str, int] = defaultdict(int)
    # Ties broken by the node's triples as text, named by colour where they could be: a stable
    # order.
    for node in sorted(
        edges,
        key=lambda n: (colour[n], sorted(f"{d} {p} {_key(other)}" for d, p, other in edges[n])),
    ):
        index = seen[colour[node]]
        seen[colour[node]] += 1
        out[node] = f"{colour[node][:24]}{index:x}"
    return out


def relabel(triples: Iterable[tuple]) -> list[tuple]:
    """`triples` with every blank node renamed by `labels` (so equal graphs read equal)."""
    triples = list(triples)
    names = labels(triples)
    if not names:
        return triples
    fresh = {node: BNode(f"c{label}") for node, label in names.items()}
    return [tuple(fresh.get(term, term) for term in triple) for triple in triples]


def skolemise(
    records: Mapping[str, Graph], entity_of: Mapping[str, str | None], limit: int
) -> dict[str, Graph]:
    """`records` with the blank nodes of each record graph replaced by IRIs of its entity,
    ``{entity}#genid-{label}`` (RDF 1.1 §3.5), so that a record's nodes are named, owned by their
    record, and its versions compare in linear time. Graphs whose `entity_of` is None (open
    graphs) keep their blank nodes. Raises `TooManyBlankNodes` for a graph with more than `limit`
    blank nodes (0: no limit)."""
    out = {}
    for graph_iri, graph in records.items():
        if limit and count(graph) > limit:
            raise TooManyBlankNodes(
                f"{graph_iri} holds {count(graph)} blank nodes; a record may hold at most "
                f"{limit}. Name its "
                f"nodes with IRIs of the record (<…#name>), or split it"
            )
        entity = entity_of.get(graph_iri)
        names = labels(graph) if entity else {}
        if not names:
            out[graph_iri] = graph
            continue
        iris = {node: URIRef(f"{entity}#{SKOLEM_FRAGMENT}{label}") for node, label in names.items()}
        skolemised = Graph()
        for triple in graph:
            skolemised.add(tuple(iris.get(term, term) for term in triple))
        out[graph_iri] = skolemised
    return out
