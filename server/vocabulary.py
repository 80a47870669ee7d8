"""What pages need to know about the terms: labels, and the layout the shapes give each class.

Built once per app from the bundled ontology and shapes (the same versions as the code).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

__all__ = ["Slot", "Vocabulary"]


@dataclasses.dataclass(frozen=True)
class Slot:
    """Where a property goes on the page of a class: its group, its order, its name."""

    group: str
    group_order: float
    order: float
    name: str


class Vocabulary:
    def __init__(self, ontology: Graph, shapes: Graph) -> None:
        self.ontology = ontology
        self.shapes = shapes
        self._slots: dict[URIRef, dict[URIRef, Slot]] = defaultdict(dict)
        # The graphs never change after start-up; a page asks the same terms again and again.
        self._labels: dict[tuple, str] = {}
        self._found: dict[tuple, Slot] = {}
        for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
            classes = list(shapes.objects(node_shape, SH.targetClass))
            for prop in shapes.objects(node_shape, SH.property):
                path = shapes.value(prop, SH.path)
                if not isinstance(path, URIRef):
                    continue
                group = shapes.value(prop, SH.group)
                slot = Slot(
                    group=str(shapes.value(group, RDFS.label) or "Other") if group else "Other",
                    group_order=float(shapes.value(group, SH.order) or 50) if group else 50.0,
                    order=float(shapes.value(prop, SH.order) or 50),
                    name=str(shapes.value(prop, SH.name) or self.label(path)),
                )
                for cls in classes:
                    self._slots[cls].setdefault(path, slot)

    def label(self, term: URIRef, languages: tuple[str, ...] = ("en",)) -> str:
        """The term's label in the first of `languages` it has, else its local name."""
        key = (term, languages)
        if key not in self._labels:
            if (
                len(self._labels) > 100_000
            ):  # terms from requests (datatypes) must not grow it forever
                self._labels.clear()
            self._labels[key] = self._label(term, languages)
        return self._labels[key]

    def _label(self, term: URIRef, languages: tuple[str, ...]) -> str:
        labels = list(self.ontology.objects(term, RDFS.label)) + list(
            self.ontology.objects(term, SKOS.prefLabel)
        )
        for language in (*languages, "en", None):
            for label in labels:
                if getattr(label, "language", None) == language:
                    return str(label)
        text = str(term)
        return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or text

    def definition(self, term: URIRef) -> str | None:
        value = self.ontology.value(term, SKOS.definition) or self.ontology.value(
            term, RDFS.comment
        )
        return str(value) if value else None

    def superclasses(self, cls: URIRef) -> set[URIRef]:
        return {cls, *self.ontology.transitive_objects(cls, RDFS.subClassOf)}

    def slot(self, classes: list[URIRef], predicate: URIRef) -> Slot:
        """The slot of `predicate` on a page of something of `classes` (the first class that
        says)."""
        key = (tuple(classes), predicate)
        if key not in self._found:
            if len(self._found) > 100_000:
                self._found.clear()
            self._found[key] = self._slot(classes, predicate)
        return self._found[key]

    def _slot(self, classes: list[URIRef], predicate: URIRef) -> Slot:
        for cls in classes:
            for ancestor in self.superclasses(cls):
                slot = self._slots.get(ancestor, {}).get(predicate)
                if slot:
                    return slot
        return Slot("Other", 90.0, 50.0, self.label(predicate))
