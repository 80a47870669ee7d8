"""The VoID statistics of the dataset the endpoint answers from, counted as the dumps stream it.

Counted over every quad the store holds (the store's own state included, which the dumps leave
out), so that VoID says what a query of the endpoint would find: triples, distinct subjects and
objects, properties, classes with their entities (a thing typed in several graphs, or with several
types, counted once per class and once among the entities), and the links to the EU authority
tables, Wikidata and EuroVoc with the properties that make them.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["LINK_TARGETS", "Tally"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: The datasets outside the graph whose IRIs its links point to (VoID linksets).
LINK_TARGETS = (
    "http://publications.europa.eu/resource/authority/",
    "http://www.wikidata.org/entity/",
    "http://eurovoc.europa.eu/",
)


class Tally:
    """Counts quads given as (graph, subject, predicate, object) in the results' term tuples."""

    def __init__(self) -> None:
        self.triples = 0
        self.subjects: set = set()
        self.objects: set = set()
        self.properties: Counter = Counter()
        self.links: Counter = Counter()
        self.link_predicates: dict[str, set[str]] = {}
        self.members: dict[str, set] = {}

    def add(self, s: tuple, p: tuple, o: tuple) -> None:
        self.triples += 1
        self.subjects.add(s[1])
        self.properties[p[1]] += 1
        if o[0] == "literal":
            self.objects.add(o[1:])
            return
        self.objects.add(o[1])
        for prefix in LINK_TARGETS:
            if o[1].startswith(prefix):
                self.links[prefix] += 1
                self.link_predicates.setdefault(prefix, set()).add(p[1])
        if p[1] == RDF_TYPE:
            self.members.setdefault(o[1], set()).add(s[1])

    def as_manifest(self) -> dict:
        """The statistics as the dumps' manifest keeps them."""
        classes = {cls: len(things) for cls, things in sorted(self.members.items())}
        return {
            "triples": self.triples,
            "entities": len(set().union(*self.members.values())) if self.members else 0,
            "subjects": len(self.subjects),
            "objects": len(self.objects),
            "classes": classes,
            "properties": dict(sorted(self.properties.items())),
            "links": dict(sorted(self.links.items())),
            "link_predicates": {k: sorted(v) for k, v in sorted(self.link_predicates.items())},
        }
