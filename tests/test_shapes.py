"""Every shape, judged by examples: each invalid example names the constraints it breaks, and
validation must report exactly those (and nothing else) for the nodes the example describes.

An example is a record a steward could submit: it replaces the reference records it describes
and is validated together with the rest of the reference data, as a submission would be.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import FOAF, ORG, RDF, SH, SKOS

from ccn_graph.model import reference
from ccn_graph.model.iris import graph_iri
from ccn_graph.write import validation
from ccn_graph.write.validation import Validator

pytestmark = pytest.mark.fast

BASE = "http://ccn.test/"
EXAMPLES = Path(__file__).parent / "shapes"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))


@pytest.fixture(scope="module")
def world():
    graphs = reference.reference_graphs(BASE)
    ontology = graphs.pop(graph_iri(BASE, "ontology"))
    shapes = graphs.pop(graph_iri(BASE, "shapes"))
    return Validator(shapes, ontology), graphs


def expectations(path: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]] | None]:
    text = path.read_text()
    violations = set(re.findall(r"^# expect: (\S+) (\S+)$", text, re.M))
    warnings = set(re.findall(r"^# expect-warning: (\S+) (\S+)$", text, re.M))
    if "# expect-warning: none" in text:
        return violations, set()
    return violations, warnings or None


def local(term) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def judge(world, path: Path):
    """Validate the example in place of the reference records it describes."""
    validator, graphs = world
    example = Graph().parse(path, format="turtle", publicID=BASE)
    replaced = {reference.record_graph_for(BASE, str(s)) for s in example.subjects()}
    data = Graph()
    for iri, graph in graphs.items():
        if iri not in replaced:
            data += graph
    for subject in example.subjects():
        if reference.record_graph_for(BASE, str(subject)) is None:
            data.remove((subject, None, None))  # a vocabulary entry is replaced by the example's
    data += example
    report = validator.validate(data)
    subjects = set(example.subjects())
    mine = [r for r in report.results if r.focus in subjects]
    found = {(local(r.rule), local(r.component)) for r in mine if r.severity == "Violation"}
    warned = {(local(r.rule), local(r.component)) for r in mine if r.severity == "Warning"}
    return found, warned, mine


def test_there_are_enough_examples():
    assert len(VALID) >= 5
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_conforms(world, path):
    expected, expected_warnings = expectations(path)
    assert not expected, f"{path.name} is a valid example and may not expect violations"
    found, warned, results = judge(world, path)
    assert found == set(), [r.message for r in results]
    if expected_warnings is not None:
        assert warned == expected_warnings


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_breaks_exactly_what_it_says(world, path):
    expected, expected_warnings = expectations(path)
    assert expected, f"{path.name} must name the constraints it breaks (# expect: Shape Component)"
    found, warned, results = judge(world, path)
    assert found == expected, "\n".join(
        f"{local(r.rule)} {local(r.component)}: {r.message}" for r in results
    )
    for result in results:
        assert result.message, f"{local(result.shape)} gave a result without a message"
    if expected_warnings is not None:
        assert warned == expected_warnings


def test_every_shape_is_exercised_by_an_invalid_example(world):
    validator, _ = world
    named = {
        local(s)
        for s in validator.shapes.subjects()
        if (s, SH.message, None) in validator.shapes
        and str(s).startswith("https://w3id.org/ccn-graph/shapes#")
    }
    covered = set()
    for path in INVALID + VALID:
        violations, warnings = expectations(path)
        covered |= {shape for shape, _ in violations} | {shape for shape, _ in (warnings or set())}
    # Hold by construction for what CCN Graph validates: see the test below.
    exempt = STANDARD_TYPES
    missing = named - covered - exempt
    assert not missing, f"shapes without an invalid example: {sorted(missing)}"


def test_sparql_constraints_judge_each_graph_afresh(world):
    """The shapes' SPARQL constraints are parsed once (ccn_graph/write/validation.py) and judge each
    data graph on its own: a violation found in one graph is not carried into the next."""
    bad = EXAMPLES / "invalid" / "registration-ends-before-it-begins.ttl"
    good = VALID[0]
    before = validation._translated.cache_info()
    for _ in range(3):
        assert ("BeginningBeforeEnd", "SPARQLConstraintComponent") in judge(world, bad)[0]
        assert judge(world, good)[0] == set()
    after = validation._translated.cache_info()
    assert after.hits - before.hits >= 10 and after.misses - before.misses <= 5


#: The shapes that require the standard types (docs/model.md, "Standard types").
STANDARD_TYPES = {"OrganizationType", "AgentType", "ConceptType"}
_STANDARD = {ORG.Organization, FOAF.Agent, SKOS.Concept}


def test_the_standard_types_are_required_and_added_before_judging(world):
    """Data without the standard types breaks the three shapes when judged as given (as anyone
    validating the published data with the published shapes does); CCN Graph's validator adds
    the types first, so the same data conforms, and the reference data carries them already."""
    validator, graphs = world
    data = Graph()
    for graph in graphs.values():
        data += graph
    assert validator.validate(data, add_types=False).conforms
    for triple in list(data.triples((None, RDF.type, None))):
        if triple[2] in _STANDARD:
            data.remove(triple)
    bare = validator.validate(data, add_types=False)
    broken = {local(r.rule) for r in bare.violations}
    assert broken == STANDARD_TYPES
    assert len(bare.violations) >= 238 + 2 * 28
    assert validator.validate(data).conforms
