"""Binding values into SPARQL text: escaped, checked, never able to change the query's shape."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Literal, URIRef, namespace

from ccn_graph.model.iris import InvalidIRI
from ccn_graph.sparql import queries

pytestmark = pytest.mark.fast


def test_bind_replaces_variables_by_terms():
    text = queries.bind(
        "SELECT ?o WHERE { ?s ?p ?o }", {"s": URIRef("http://e/s"), "p": URIRef("http://e/p")}
    )
    assert text == "SELECT ?o WHERE { <http://e/s> <http://e/p> ?o }"


def test_bind_accepts_dollar_variables():
    assert (
        queries.bind("ASK { $s ?p ?o }", {"s": URIRef("http://e/s")})
        == "ASK { <http://e/s> ?p ?o }"
    )


def test_bind_leaves_strings_iris_and_comments_alone():
    text = 'SELECT ?s WHERE { ?s <http://e/p?s=1> "?s" } # ?s in a comment\n'
    bound = queries.bind(text, {"s": URIRef("http://e/x")})
    assert (
        bound
        == 'SELECT <http://e/x> WHERE { <http://e/x> <http://e/p?s=1> "?s" } # ?s in a comment\n'
    )


def test_bind_does_not_touch_longer_names():
    assert queries.bind("SELECT ?sx ?s {}", {"s": Literal(1)}) == "SELECT ?sx 1 {}"


def test_integers_are_bare_so_they_fit_limit_and_offset():
    assert (
        queries.bind("SELECT * {} LIMIT ?n OFFSET ?m", {"n": Literal(51), "m": Literal(-0)})
        == "SELECT * {} LIMIT 51 OFFSET 0"
    )


@pytest.mark.parametrize(
    "literal, written",
    [
        (Literal('say "hi"'), r'"say \"hi\""'),
        (Literal("back\\slash"), r'"back\\slash"'),
        (Literal("two\nlines\r"), r'"two\nlines\r"'),
        (Literal("chat", lang="fr"), '"chat"@fr'),
        (
            Literal("2024-02-01", datatype=namespace.XSD.date),
            '"2024-02-01"^^<http://www.w3.org/2001/XMLSchema#date>',
        ),
    ],
)
def test_literals_are_escaped(literal, written):
    assert queries.sparql_term(literal) == written


@pytest.mark.parametrize(
    "iri",
    [
        "http://e/> } DROP ALL { <x",
        "http://e/a b",
        'http://e/"',
        "not-absolute",
        "http://e/{x}",
        "http://e/\n",
    ],
)
def test_unsafe_iris_are_refused(iri):
    with pytest.raises(InvalidIRI):
        queries.sparql_term(URIRef(iri))


def test_bad_language_tag_is_refused():
    literal = Literal("x", lang="en")
    object.__setattr__(literal, "_language", 'en" } DROP ALL {')
    with pytest.raises(ValueError):
        queries.sparql_term(literal)


def test_a_list_binds_as_values():
    text = queries.bind(
        "SELECT * { VALUES ?x { ?xs } }", {"xs": [URIRef("http://e/a"), Literal("b")]}
    )
    assert text == 'SELECT * { VALUES ?x { <http://e/a> "b" } }'
    assert (
        queries.bind("SELECT * { VALUES ?x { ?xs } }", {"xs": []}) == "SELECT * { VALUES ?x {  } }"
    )


def test_unused_binding_is_an_error():
    with pytest.raises(ValueError, match="no variable o"):
        queries.bind("ASK { ?s ?p 1 }", {"o": Literal(1)})


# Updates put bound terms where the grammar wants terms, not variables (DROP GRAPH ?g), so they
# are checked once bound.
SAMPLE_BINDINGS = {
    "state_graph": URIRef("http://e/state"),
    "g": URIRef("http://e/graph"),
    "nodes": [URIRef("http://e/a"), URIRef("http://e/b")],
    "states": [URIRef("http://e/ro")],
    "graphs": [URIRef("http://e/g1")],
    "things": [URIRef("http://e/a")],
    "sequences": [Literal(1), Literal(2)],
    "after_p": Literal(""),
    "after_owner": Literal(""),
    "limit": Literal(51),
    "offset": Literal(0),
    "own_prefix": Literal("http://e/x#"),
    "entity": URIRef("http://e/x"),
    "record": URIRef("http://e/graph/x"),
    "base": URIRef("http://e/"),
    "version": Literal(1),
    "reference": Literal("sha256:0"),
    "loaded_at": Literal("2026-01-01T00:00:00Z", datatype=namespace.XSD.dateTime),
}


def test_every_bundled_query_parses():
    import pyoxigraph
    from rdflib.plugins.sparql import prepareQuery

    names = sorted(p.stem for p in Path(queries.__file__).parent.glob("*.rq"))
    assert len(names) >= 5
    for name in names:
        text = queries.load(name)
        # List placeholders (VALUES ?x { ?list }) are only SPARQL once bound.
        # LIMIT ?limit is only SPARQL once bound too.
        lists = {
            k: v
            for k, v in SAMPLE_BINDINGS.items()
            if (isinstance(v, list) or k in ("limit", "offset")) and re.search(rf"\?{k}\b", text)
        }
        if any(word in text for word in ("INSERT", "DELETE", "DROP")):
            used = {k: v for k, v in SAMPLE_BINDINGS.items() if re.search(rf"\?{k}\b", text)}
            pyoxigraph.Store().update(queries.bind(text, used))
        else:
            prepareQuery(queries.bind(text, lists))


def test_every_bundled_query_is_used():
    """A query file nothing loads is a query nobody keeps right."""
    root = Path(queries.__file__).parents[3]
    code = "".join(
        path.read_text()
        for folder in ("ccn_graph", "server")
        for path in (root / folder).rglob("*.py")
    )
    names = sorted(p.stem for p in Path(queries.__file__).parent.glob("*.rq"))
    assert len(names) >= 30
    assert [name for name in names if f'"{name}"' not in code] == []


def test_write_triples_checks_iris_and_relabels_blank_nodes():
    from rdflib import BNode

    b = BNode("x y } DROP ALL")
    text = queries.write_triples(
        [(URIRef("http://e/s"), URIRef("http://e/p"), b), (b, URIRef("http://e/q"), Literal('a"b'))]
    )
    assert text == '<http://e/s> <http://e/p> _:b0 .\n_:b0 <http://e/q> "a\\"b" .\n'
    with pytest.raises(InvalidIRI):
        queries.write_triples([(URIRef("http://e/s>"), URIRef("http://e/p"), Literal(1))])
