"""The one N-Triples term writer: every tricky term written by it is read back as the same term by
rdflib's and Oxigraph's N-Triples parsers."""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from ccn_graph import history
from ccn_graph.model.iris import InvalidIRI
from ccn_graph.rdfio import ntriples
from ccn_graph.sparql import queries, results

pytestmark = pytest.mark.fast

S, P = "http://example.org/s", "http://example.org/p"

TEXTS = [
    "",
    "plain",
    'say "hello"',
    "back\\slash \\n not a newline",
    "two\nlines\r\nand a\ttab",
    "bell \x07 backspace \x08 form feed \x0c vertical tab \x0b",
    "nul \x00 escape \x1b unit separator \x1f delete \x7f",
    "next line \x85 line separator \u2028",
    "non-BMP: \U0001f600 \U00010348 \U0010fffd",
    "accents: é ß ñ 中文",
    '"\\"\\\\\n',
]
LITERALS = [
    *(Literal(text) for text in TEXTS),
    Literal("tagged\ttext", lang="en"),
    Literal("regional", lang="en-GB"),
    Literal("private use", lang="x-ccn-2024"),
    Literal("42", datatype=XSD.integer),
    Literal("2024-02-29T12:00:00Z", datatype=XSD.dateTime),
    Literal('odd "datatype"\n', datatype=URIRef("http://example.org/type#with-hash")),
]


def _rdflib_object(line: str):
    graph = Graph().parse(data=line, format="nt")
    ((_, _, o),) = list(graph)
    return o


def _oxigraph_object(line: str, lenient: bool = False):
    (quad,) = list(pyoxigraph.parse(line, format=pyoxigraph.RdfFormat.N_TRIPLES, lenient=lenient))
    return quad.object


@pytest.mark.parametrize("term", LITERALS, ids=repr)
def test_a_literal_is_read_back_as_itself(term):
    line = f"<{S}> <{P}> {ntriples.term(term)} .\n"
    assert line.count("\n") == 1 and "\t" not in line
    back = _rdflib_object(line)
    assert str(back) == str(term) and back.language == term.language
    if term.datatype and term.datatype != XSD.string:
        assert back.datatype == term.datatype
    ox = _oxigraph_object(line)
    assert ox.value == str(term)
    # Language tags are case-insensitive; Oxigraph gives them in lower case.
    assert (ox.language or None) == (term.language.lower() if term.language else None)
    if term.datatype:
        assert ox.datatype.value == str(term.datatype)


def test_literals_are_written_in_the_canonical_form():
    assert ntriples.quoted('a"b\\c') == '"a\\"b\\\\c"'
    assert ntriples.quoted("\b\t\n\f\r") == '"\\b\\t\\n\\f\\r"'
    assert ntriples.quoted("\x00\x1f\x7f") == '"\\u0000\\u001F\\u007F"'
    assert ntriples.quoted("\U0001f600é") == '"\U0001f600é"'
    assert ntriples.literal("x", datatype=str(XSD.string)) == '"x"'
    assert ntriples.literal("x", "en", str(XSD.integer)) == '"x"@en'


@pytest.mark.parametrize("tag", ["en US", "en_GB", "-en", "en-", "e\nn", "fr@x"])
def test_a_language_tag_outside_the_grammar_is_refused(tag):
    with pytest.raises(ValueError):
        ntriples.literal("x", tag)


@pytest.mark.parametrize(
    "iri",
    [
        "http://example.org/a",
        "http://example.org/ü/中文?q=1&r=2#frag",
        "http://example.org/\U0001f600",
        "urn:x-ccn:a:b",
    ],
)
def test_a_valid_iri_is_written_as_itself(iri):
    written = ntriples.iri(iri)
    assert written == f"<{iri}>"
    line = f"{written} <{P}> {written} .\n"
    assert str(_rdflib_object(line)) == iri
    assert _oxigraph_object(line).value == iri


@pytest.mark.parametrize(
    "iri",
    [
        "http://example.org/with space",
        "http://example.org/<angle>",
        'http://example.org/"quoted"',
        "http://example.org/{curly}|pipe^caret`tick",
        "http://example.org/back\\slash",
        "http://example.org/new\nline\x00nul",
    ],
)
def test_an_iri_with_characters_iriref_leaves_out(iri):
    """Escaped as UCHARs, so the line still parses and names the same text; the IRI itself is
    not valid, so the writers that keep or bind IRIs refuse it first."""
    written = ntriples.iri(iri)
    assert written.count("<") == 1 and written.count(">") == 1 and "\n" not in written
    line = f"<{S}> <{P}> {written} .\n"
    assert str(_rdflib_object(line)) == iri
    assert _oxigraph_object(line, lenient=True).value == iri
    with pytest.raises(SyntaxError):
        _oxigraph_object(line)
    with pytest.raises(InvalidIRI):
        history.nt_line((URIRef(S), URIRef(P), URIRef(iri)))
    with pytest.raises(InvalidIRI):
        queries.sparql_term(URIRef(iri))


@pytest.mark.parametrize("label", ["b0", "c12ab", "genid-1", "x.y", "_under", "9lives"])
def test_a_blank_node_is_read_back(label):
    line = f"{ntriples.blank_node(label)} <{P}> <{S}> .\n"
    assert isinstance(next(iter(Graph().parse(data=line, format="nt")))[0], BNode)
    (quad,) = list(pyoxigraph.parse(line, format=pyoxigraph.RdfFormat.N_TRIPLES))
    assert quad.subject.value == label


@pytest.mark.parametrize("label", ["", "-x", ".x", "x.", "a b", "a:b", "a/b"])
def test_a_blank_node_label_outside_the_grammar_is_refused(label):
    with pytest.raises(ValueError):
        ntriples.blank_node(label)


@pytest.mark.parametrize("term", LITERALS, ids=repr)
def test_the_three_writers_agree(term):
    """The history's lines, the results' terms and the values bound into queries are the same
    writer's output (queries keep xsd:string and bare integers, as SPARQL lets them)."""
    written = ntriples.term(term)
    assert history.nt_line((URIRef(S), URIRef(P), term)) == f"<{S}> <{P}> {written} .\n"
    datatype = str(term.datatype) if term.datatype else None
    assert results.term_text(("literal", str(term), term.language, datatype)) == written
    if term.datatype in (None, XSD.string) or term.language:
        assert queries.sparql_term(term) == written


def test_a_snapshot_round_trips():
    graph = Graph()
    node = BNode()
    for number, term in enumerate(LITERALS):
        graph.add((URIRef(S), URIRef(f"{P}{number}"), term))
        graph.add((node, URIRef(f"{P}{number}"), term))
    graph.add((URIRef(S), URIRef(P), node))
    text = history.snapshot(graph)
    back = history.parse_snapshot(text)
    assert len(back) == len(graph)
    assert len(list(pyoxigraph.parse(text, format=pyoxigraph.RdfFormat.N_TRIPLES))) == len(graph)
