"""The entity page's view model: a description from the store (`ccn_graph.publish.describe`) as
entity.html shows it — labels in the reader's languages, properties grouped and ordered by the
shapes, inverse links named, owned nodes, a scheme's tree."""

from __future__ import annotations

from collections import defaultdict

from flask import request, url_for
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ccn_graph.model.iris import CCN, document_path
from ccn_graph.publish.describe import Change, Description
from ccn_graph.rdfio import formats
from ccn_graph.rdfio.jsonld import write_jsonld
from ccn_graph.sparql import queries
from server import context
from server.urls import document_url, members_url

__all__ = ["entity_view", "label_of", "link", "reader_languages"]

SUFFIXES = formats.document_suffixes()


def _members_section(description) -> dict | None:
    """The first page of the Community members that point at the entity, with links to all."""
    page = description.members
    if page is None or not page.total:
        return None
    filters = description.members_filter or {}
    return {
        "total": page.total,
        "rows": [{"text": label, "href": document_url(path)} for _, label, path in page.rows],
        "all": members_url(**filters),
        "next": members_url(**filters, after=page.next_key) if page.next_key else None,
    }


# How a page names the links that point at its entity, by the predicate of the link.
INVERSE_NAMES = {
    str(SKOS.broader): "Narrower concepts",
    str(SKOS.inScheme): "Concepts",
    str(SKOS.topConceptOf): "Top concepts",
    "http://www.w3.org/ns/org#memberOf": "Members",
    "http://www.w3.org/ns/org#unitOf": "Bodies",
    "http://www.w3.org/ns/org#postIn": "Posts",
    "http://www.w3.org/ns/org#member": "Registrations",
    "http://www.w3.org/ns/org#organization": "Registered members",
    "https://w3id.org/ccn-graph/ontology#assessedBy": "Members registered through this NCC",
    "https://w3id.org/ccn-graph/ontology#registeredBy": "Members registered by the Centre",
    "https://w3id.org/ccn-graph/ontology#memberState": "Established here",
    "https://w3id.org/ccn-graph/ontology#expertise": "Community members with this expertise",
    "https://w3id.org/ccn-graph/ontology#sector": "Community members in this sector",
    "https://w3id.org/ccn-graph/ontology#technology": "Community members on this technology",
    "https://w3id.org/ccn-graph/ontology#participant": "Takes part in projects",
    "https://w3id.org/ccn-graph/ontology#fundingProgramme": "Funded under this programme",
    "https://w3id.org/ccn-graph/ontology#coordinatedBy": "Coordinates",
    "https://w3id.org/ccn-graph/ontology#hostOrganisation": "Hosts",
    "https://w3id.org/ccn-graph/ontology#topic": "Projects on this topic",
    "https://w3id.org/ccn-graph/ontology#call": "Under this call",
}


def reader_languages() -> tuple[str, ...]:
    return tuple(lang.split("-")[0].lower() for lang in request.accept_languages.values()) + ("en",)


class _Facts:
    """The description's triples by subject and predicate: a page asks a few hundred
    "objects of this node" questions, which an rdflib graph answers one index walk each."""

    def __init__(self, graph: Graph) -> None:
        self._by_subject: dict = defaultdict(lambda: defaultdict(list))
        for s, p, o in graph:
            self._by_subject[s][p].append(o)

    def objects(self, subject, predicate) -> list:
        found = self._by_subject.get(subject)
        return found.get(predicate, []) if found else []

    def predicates(self, subject) -> list:
        found = self._by_subject.get(subject)
        return list(found) if found else []


def _pick(literals, languages) -> str | None:
    for language in (*languages, None):
        for literal in literals:
            if isinstance(literal, Literal) and (literal.language or None) == language:
                return str(literal)
    return str(literals[0]) if literals else None


def label_of(facts: _Facts, node, languages) -> str | None:
    """The name in the reader's languages (a name, then a label), else any name or label."""
    names, labels = facts.objects(node, SKOS.prefLabel), facts.objects(node, RDFS.label)
    for language in languages:
        for candidates in (names, labels):
            for literal in candidates:
                if (
                    isinstance(literal, Literal)
                    and (literal.language or "").split("-")[0].lower() == language
                ):
                    return str(literal)
    return _pick(names, languages) or _pick(labels, languages)


def link(iri: str) -> dict:
    """How a page links to an IRI: on this site when we publish it, else marked external."""
    base = context.settings().base_iri
    path = document_path(base, iri)
    if path is not None:
        href = document_url(path) + (f"#{iri.split('#', 1)[1]}" if "#" in iri else "")
        return {"href": href, "external": False}
    if iri.startswith(("http://", "https://")):
        return {"href": iri, "external": True}
    # mailto:, urn: and anything else is shown, never made clickable (javascript: stays text).
    if iri.startswith("mailto:"):
        return {"href": iri, "external": True}
    return {"href": None, "external": True}


def _value(facts: _Facts, node, languages, vocabulary) -> dict:
    if isinstance(node, Literal):
        return {
            "kind": "literal",
            "text": str(node),
            "language": node.language,
            "datatype": vocabulary.label(node.datatype) if node.datatype else None,
        }
    if isinstance(node, BNode):
        return {"kind": "bnode", "text": "(unnamed node)"}
    label = label_of(facts, node, languages)
    if label is None and str(node).startswith("https://w3id.org/ccn-graph/"):
        label = vocabulary.label(node, languages)
    if label is None and "#" in str(node):
        # An owned node (an address, a registration) is named by what it is.
        label = (
            ", ".join(vocabulary.label(t, languages) for t in facts.objects(node, RDF.type)) or None
        )
    return {"kind": "iri", "iri": str(node), "text": label or str(node), **link(str(node))}


def _groups(facts: _Facts, subject, languages, vocabulary) -> list[dict]:
    classes = facts.objects(subject, RDF.type)
    slots = defaultdict(list)
    for predicate in sorted(facts.predicates(subject), key=str):
        if predicate == RDF.type:
            continue
        slot = vocabulary.slot(classes, predicate)
        values = [
            _value(facts, o, languages, vocabulary) for o in facts.objects(subject, predicate)
        ]
        values.sort(key=lambda v: v["text"].lower())
        slots[(slot.group_order, slot.group)].append(
            (slot.order, slot.name, str(predicate), values)
        )
    return [
        {
            "name": group,
            "rows": [{"name": n, "predicate": p, "values": v} for _, n, p, v in sorted(rows)],
        }
        for (_, group), rows in sorted(slots.items())
    ]


def entity_view(description: Description, path: str, *, memento: dict | None = None) -> dict:
    """What entity.html shows of `description` (the document at ``/doc/{path}``; a kept
    version's when `memento` says which)."""
    vocabulary = context.services().vocabulary
    languages = reader_languages()
    graph = description.graph
    facts = _Facts(graph)
    subject = description.subject
    title = label_of(facts, subject, languages) or description.iri
    types = [
        {"iri": str(t), "text": vocabulary.label(t, languages)}
        for t in facts.objects(subject, RDF.type)
    ]
    owned = [
        {
            "id": str(node).split("#", 1)[1],
            "title": label_of(facts, node, languages)
            or ", ".join(vocabulary.label(t, languages) for t in facts.objects(node, RDF.type))
            or str(node),
            "groups": _groups(facts, node, languages, vocabulary),
        }
        for node in description.owned_nodes()
    ]
    inverse = defaultdict(list)
    for pointing in description.inverse:
        name = (
            INVERSE_NAMES.get(pointing.predicate)
            or f"As {vocabulary.label(URIRef(pointing.predicate), languages)}"
        )
        inverse[name].append({"text": pointing.label or pointing.owner, **link(pointing.owner)})
    about = description.about()
    # No raw "<" inside the script element: a value can never close it or open a tag.
    jsonld = write_jsonld(about, subject, indent=None).replace("<", "\\u003c")
    alternates = [
        (m, document_url(f"{path}.{s}")) for s, m in SUFFIXES.items() if m != formats.HTML
    ]
    query = f"DESCRIBE <{description.iri}>"
    tree = _scheme_tree(description) if (subject, RDF.type, SKOS.ConceptScheme) in graph else None
    change = _change(description.last_change) if memento is None else None
    return dict(
        title=title,
        iri=description.iri,
        types=types,
        groups=_with_kept_versions(facts, subject, _groups(facts, subject, languages, vocabulary)),
        owned=owned,
        inverse=sorted(inverse.items()),
        members=_members_section(description),
        inverse_first=description.inverse_after is not None,
        inverse_next=" ".join(description.inverse_next) if description.inverse_next else None,
        jsonld=jsonld,
        alternates=alternates,
        query_url=url_for("sparql.endpoint", query=query, format="html"),
        path=path,
        tree=tree,
        change=change,
        versions_url=url_for("history.timemap", path=path) if change else None,
        memento=memento,
    )


def _with_kept_versions(facts: _Facts, subject, groups: list[dict]) -> list[dict]:
    """On a version's page, its snapshot (the record's triples as they were, one N-Triples
    literal) is named and linked to the version's own page rather than printed."""
    entities = facts.objects(subject, DCTERMS.isVersionOf)
    numbers = facts.objects(subject, CCN.versionNumber)
    path = (
        document_path(context.settings().base_iri, str(entities[0]))
        if entities and numbers
        else None
    )
    snapshot = str(CCN.snapshot)
    for group in groups:
        for row in group["rows"]:
            if row["predicate"] != snapshot:
                continue
            href = document_url(f"{path}/version/{numbers[0]}") if path else None
            row["values"] = [
                {
                    "kind": "iri",
                    "iri": href or "",
                    "href": href,
                    "external": False,
                    "text": f"The record as it was: {_lines(v['text'])} triples",
                }
                for v in row["values"]
            ]
    return groups


def _lines(snapshot: str) -> int:
    """The triples of a snapshot, one a line (see `history.snapshot`): counted, not parsed."""
    return sum(1 for line in snapshot.split("\n") if line.strip())


def _change(change: Change | None) -> dict | None:
    """Who changed the entity's record last, and when, as the page shows it."""
    if change is None:
        return None
    return {
        "time": change.time[:19].replace("T", " "),
        "by": change.by,
        "activity": link(change.activity)["href"],
    }


def _scheme_tree(description: Description) -> list[dict]:
    """The concepts of a scheme as nested nodes (a third query, for scheme pages only)."""
    rows = context.store().select(queries.load("scheme_tree"), {"scheme": description.subject})
    nodes = {}
    for row in rows:
        iri = str(row["concept"])
        if iri not in nodes:
            nodes[iri] = {
                "text": (f"{row['code']} " if "code" in row else "") + str(row["label"]),
                "href": link(iri)["href"],
                "children": [],
                "broader": str(row["broader"]) if "broader" in row else None,
            }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["broader"]) if node["broader"] else None
        (parent["children"] if parent else roots).append(node)
    return roots
