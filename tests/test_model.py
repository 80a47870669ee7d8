"""The domain model: ontology, shapes and reference data hold together and match the facts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from owlrl import DeductiveClosure, OWLRL_Semantics
from owlrl.Namespaces import ERRNS
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from ccn_graph.importers import generate
from ccn_graph.model import reference
from ccn_graph.model.iris import ONTOLOGY_NS, graph_iri
from ccn_graph.write.validation import Validator

from .conftest import facts_path

BASE = "http://ccn.test/"
CCN = ONTOLOGY_NS
ONTOLOGY = URIRef("https://w3id.org/ccn-graph/ontology")
TERM_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}


@pytest.fixture(scope="module")
def graphs():
    return reference.reference_graphs(BASE)


@pytest.fixture(scope="module")
def ontology(graphs) -> Graph:
    return graphs[graph_iri(BASE, "ontology")]


@pytest.fixture(scope="module")
def shapes(graphs) -> Graph:
    return graphs[graph_iri(BASE, "shapes")]


@pytest.fixture(scope="module")
def data(graphs) -> Graph:
    merged = Graph()
    for iri, graph in graphs.items():
        if iri not in (graph_iri(BASE, "ontology"), graph_iri(BASE, "shapes")):
            merged += graph
    return merged


def instances(data: Graph, cls: str) -> set:
    return set(data.subjects(RDF.type, URIRef(CCN + cls)))


@pytest.mark.fast
def test_counts(data):
    assert len(instances(data, "MemberState")) == 27
    assert len(instances(data, "NationalCoordinationCentre")) == 27
    domains = instances(data, "ResearchDomain")
    top = {d for d in domains if (d, SKOS.broader, None) not in data}
    assert (len(top), len(domains) - len(top)) == (15, 150)
    assert len(instances(data, "Sector")) == 15
    assert len(instances(data, "Technology")) == 23
    assert len(instances(data, "RoleProfile")) == 12
    assert len(instances(data, "MemberCategory")) == 6
    assert len(instances(data, "FieldOfActivity")) == 6
    assert len(instances(data, "CompetenceCentre")) == 1
    assert len(instances(data, "FundingProgramme")) == 2
    assert len(instances(data, "ProjectStatus")) == 3
    assert len(instances(data, "ParticipationRole")) == 5
    assert not instances(data, "Project"), "no invented projects in reference data"
    assert not instances(data, "CommunityMember"), "no invented Community members in reference data"


@pytest.mark.fast
def test_reference_data_conforms_with_only_the_expected_warnings(ontology, shapes, data):
    report = Validator(shapes, ontology).validate(data)
    assert report.conforms, [(str(r.focus), r.message) for r in report.violations]
    warned_shapes = {str(r.shape).rsplit("#", 1)[-1] for r in report.warnings}
    assert warned_shapes <= {"NCCNameKnown", "NCCHostKnown", "NCCHomepageKnown"}
    # Eight Member States' NCCs have no known host (FACTS.md §3).
    assert sum(1 for r in report.warnings if str(r.shape).endswith("NCCHostKnown")) == 8


@pytest.mark.fast
def test_owl_rl_closure_is_consistent(ontology, data):
    closure = Graph()
    closure += ontology
    closure += data
    DeductiveClosure(OWLRL_Semantics).expand(closure)
    errors = [str(m) for m in closure.objects(None, ERRNS.error)]
    assert not errors
    ncc = URIRef(f"{BASE}id/ncc/ro")
    assert (ncc, RDF.type, URIRef("http://www.w3.org/ns/org#Organization")) in closure


@pytest.mark.fast
def test_ontology_header(ontology):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    version_iri = ontology.value(ONTOLOGY, OWL.versionIRI)
    version = ontology.value(ONTOLOGY, OWL.versionInfo)
    assert version_iri is not None and str(version_iri).endswith(str(version))
    assert ontology.value(ONTOLOGY, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert ontology.value(ONTOLOGY, DCTERMS.creator) is not None
    assert ontology.value(ONTOLOGY, DCTERMS.publisher) is not None
    assert ontology.value(ONTOLOGY, DCTERMS.source) == URIRef(
        "http://data.europa.eu/eli/reg/2021/887/oj"
    )


@pytest.mark.fast
def test_every_term_is_typed_labelled_defined(ontology):
    terms = {s for s in ontology.subjects() if str(s).startswith(CCN)}
    assert len(terms) >= 40
    for term in terms:
        assert ontology.value(term, RDF.type) is not None, term
        labels = [label for label in ontology.objects(term, RDFS.label) if label.language == "en"]
        assert labels, f"{term} has no English rdfs:label"
        assert ontology.value(term, SKOS.definition) is not None, f"{term} has no skos:definition"
        assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY, term


@pytest.mark.fast
def test_every_ccn_term_used_anywhere_is_declared(ontology, shapes, data):
    declared = {s for s, t in ontology.subject_objects(RDF.type) if t in TERM_TYPES}
    used = {
        term
        for graph in (data, shapes)
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(CCN)
    }
    assert used, "the data uses no ontology terms?"
    assert used <= declared, f"undeclared: {sorted(used - declared)}"


@pytest.mark.fast
def test_classes_with_instances_have_shapes(ontology, shapes, data):
    targeted = set(shapes.objects(None, SH.targetClass))
    # Types that always come with another, shaped type.
    exempt = {
        URIRef(
            "http://data.europa.eu/m8g/PublicOrganisation"
        ): "ENISA is also a ccn:Organisation, whose shape applies",
    }
    subclass = lambda c: {c} | {s for s in ontology.transitive_subjects(RDFS.subClassOf, c)}  # noqa: E731
    covered = set().union(*(subclass(c) for c in targeted))
    # The standard types asserted with a shaped class (docs/model.md, "Standard types") are
    # covered by that class's shape.
    covered |= {sup for c in targeted for sup in ontology.transitive_objects(c, RDFS.subClassOf)}
    used = set(data.objects(None, RDF.type))
    assert len(used) >= 15
    missing = used - covered - set(exempt)
    assert not missing, f"classes with instances but no shape: {sorted(missing)}"


@pytest.mark.fast
def test_every_constraint_speaks_to_a_steward(shapes):
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    assert len(property_shapes) >= 40
    for shape in property_shapes:
        for predicate in (SH.name, SH.group, SH.order, SH.message, SH.severity):
            assert shapes.value(shape, predicate) is not None, f"{shape} lacks {predicate}"
        assert shapes.value(shape, SH.message).language == "en"
    for constraint in shapes.subjects(RDF.type, SH.SPARQLConstraint):
        assert (
            shapes.value(constraint, SH.message) is not None
            and shapes.value(constraint, SH.severity) is not None
        )
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        node_level = any(
            (node_shape, p, None) in shapes for p in (SH.pattern, SH.xone, SH.nodeKind)
        )
        if node_level:
            assert (
                shapes.value(node_shape, SH.message) is not None
                and shapes.value(node_shape, SH.severity) is not None
            )
    severities = set(shapes.objects(None, SH.severity))
    assert {SH.Violation, SH.Warning} <= severities


@pytest.mark.fast
def test_every_fact_about_an_ncc_or_the_centre_has_a_source(graphs):
    checked = 0
    for iri, graph in graphs.items():
        if not re.match(rf"{BASE}graph/(ncc|centre)/", iri):
            continue
        for subject in set(graph.subjects()):
            assert graph.value(subject, DCTERMS.source) is not None, f"{subject} cites no source"
            checked += 1
    assert checked >= 27 + 5


def test_ncc_facts_match_the_fact_sheet(data):
    rows = list(csv.DictReader(facts_path("ncc.csv").open(encoding="utf-8")))
    assert len(rows) == 27
    for row in rows:
        ncc = URIRef(f"{BASE}id/ncc/{row['country_code'].lower()}")
        assert data.value(ncc, URIRef(CCN + "memberState")) == URIRef(row["country_authority_iri"])
        homepage = data.value(ncc, URIRef("http://xmlns.com/foaf/0.1/homepage"))
        site = re.match(r"https?://\S+", row["website"])
        assert (str(homepage) if homepage else None) == (site.group(0) if site else None), ncc
        host = data.value(ncc, URIRef(CCN + "hostOrganisation"))
        host_known = not row["host_org"].lower().startswith("unknown")
        assert (host is not None) == host_known, ncc
        name = data.value(ncc, SKOS.prefLabel)
        if name is not None:
            cells = f"{row['ncc_name']} {row['ncc_name_en']}"
            assert str(name) in cells, f"{ncc}: {name!r} is not in the fact sheet"


def test_wikidata_links_only_where_the_facts_give_them(data):
    facts = facts_path("FACTS.md").read_text(encoding="utf-8")
    links = {str(o) for o in data.objects() if str(o).startswith("http://www.wikidata.org/entity/")}
    assert links, "the Centre and ENISA have Wikidata items in the facts"
    for link in links:
        assert link.rsplit("/", 1)[-1] in facts, link


def test_taxonomy_matches_the_fact_sheet(data):
    rows = list(csv.DictReader(facts_path("jrc_taxonomy.csv").open(encoding="utf-8")))
    assert len(rows) == 203
    for row in rows:
        concept = URIRef(f"{BASE}id/taxonomy/{row['code']}")
        assert data.value(concept, SKOS.prefLabel) == Literal(row["label"], lang="en"), concept
        parent = data.value(concept, SKOS.broader)
        assert (str(parent) if parent else "") == (
            f"{BASE}id/taxonomy/{row['parent']}" if row["parent"] else ""
        )


def test_eurovoc_matches_point_into_the_eurovoc_extract(data):
    from .conftest import suites_path

    extract = Graph().parse(suites_path("eu-vocabularies", "eurovoc-cyber-extract.ttl"))
    matches = set(data.objects(None, SKOS.closeMatch)) | set(data.objects(None, SKOS.exactMatch))
    eurovoc = {m for m in matches if str(m).startswith("http://eurovoc.europa.eu/")}
    assert len(eurovoc) >= 4
    for concept in eurovoc:
        assert (concept, RDF.type, SKOS.Concept) in extract, concept


# -- synthetic members -----------------------------------------------------------------------


def generated(count: int, seed: int, projects: int = 0) -> str:
    out = io.StringIO()
    generate.write_nquads(out, count, seed, BASE, projects)
    return out.getvalue()


def flatten(nquads: str) -> tuple[Graph, list]:
    """The triples of an N-Quads text in one graph, and its quads."""
    dataset = Dataset()
    dataset.parse(data=nquads, format="nquads")
    quads = list(dataset.quads((None, None, None, None)))
    graph = Graph()
    for s, p, o, _ in quads:
        graph.add((s, p, o))
    return graph, quads


@pytest.mark.fast
def test_generation_is_deterministic_flagged_and_kept_apart():
    text = generated(50, seed=3)
    assert text == generated(50, seed=3)
    assert text != generated(50, seed=4)
    dataset, quads = flatten(text)
    members = set(dataset.subjects(RDF.type, URIRef(CCN + "CommunityMember")))
    assert len(members) == 50
    for s, _, _, g in quads:
        assert str(g).startswith(f"{BASE}graph/synthetic-member/")
        assert str(s).startswith(f"{BASE}id/synthetic-member/")
    for member in members:
        assert dataset.value(member, URIRef(CCN + "synthetic")) == Literal(True)
        assert str(dataset.value(member, SKOS.prefLabel)).startswith("Synthetic member ")
        homepage = str(dataset.value(member, URIRef("http://xmlns.com/foaf/0.1/homepage")))
        assert re.fullmatch(r"https://[a-z0-9-]+\.synthetic\.example/", homepage)


@pytest.mark.fast
def test_generated_members_and_projects_conform_at_1000(ontology, shapes, data):
    combined, _ = flatten(generated(1000, seed=1, projects=100))
    combined += data
    report = Validator(shapes, ontology).validate(combined)
    assert report.conforms, [(str(r.focus), r.message) for r in report.violations[:5]]
    members = set(combined.subjects(RDF.type, URIRef(CCN + "CommunityMember")))
    assert len(members) == 1000
    warned = {r.focus for r in report.warnings}
    assert not warned & members
    projects = set(combined.subjects(RDF.type, URIRef(CCN + "Project")))
    assert len(projects) == 100
    for project in projects:
        assert combined.value(project, URIRef(CCN + "synthetic")) == Literal(True)
        assert str(project).startswith(f"{BASE}id/synthetic-project/")
