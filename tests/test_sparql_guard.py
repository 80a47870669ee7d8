"""The checks before a query reaches the store: tokens, size, nesting, no updates, no fetching."""

from __future__ import annotations

import pytest

from ccn_graph.sparql.sparql_guard import QueryRefused, analyse, tokens

pytestmark = pytest.mark.fast

LIMITS = {"max_bytes": 10_000, "max_depth": 64}


def refused(text: str, **limits) -> QueryRefused:
    with pytest.raises(QueryRefused) as info:
        analyse(text, **{**LIMITS, **limits})
    return info.value


@pytest.mark.parametrize(
    "text, form",
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://e/> ASK { ex:a ex:b ?c }", "ASK"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("describe <http://e/a>", "DESCRIBE"),
        ('SELECT ?x { BIND("SERVICE <http://x/>" AS ?x) }', "SELECT"),
        ("SELECT ?service { ?service <http://e/p> ?load }", "SELECT"),
        ("PREFIX service: <http://e/> SELECT * { service:load ?p ?o }", "SELECT"),
        ("SELECT * { ?s <http://e/SERVICE> ?o } # SERVICE in a comment", "SELECT"),
        ('SELECT * { ?s ?p """a "quoted" SERVICE\nacross lines""" }', "SELECT"),
        (
            "SELECT (COUNT(*) AS ?n) { ?s a ?t ; ?p 1.5e3, -2, .5 . "
            "FILTER(?n >= 2 && !BOUND(?x) || ?y != 'q') }",
            "SELECT",
        ),
        (
            "SELECT * { ?s ^<http://e/p>/<http://e/q>* ?o . ?o <http://e/r>? ?z . "
            "?s <http://e/t>|<http://e/u> [] }",
            "SELECT",
        ),
        (
            'SELECT * { ?s ?p "x"@en-GB, "1"^^<http://www.w3.org/2001/XMLSchema#int>, _:b1 }',
            "SELECT",
        ),
        ("SELECT * { VALUES (?a ?b) { (1 UNDEF) } }", "SELECT"),
    ],
)
def test_acceptable_queries(text, form):
    assert analyse(text, **LIMITS).form == form


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { SeRvIcE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * {\nSERVICE#comment\n?endpoint { ?s ?p ?o } }",
        "SELECT * { {} SERVICE\t<http://127.0.0.1:9/>{} }",
        "PREFIX x: <http://127.0.0.1:9/> SELECT * { SERVICE x: {} }",
    ],
)
def test_service_is_refused_in_every_spelling(text):
    error = refused(text)
    assert (error.status, error.reason) == (400, "fetching")
    assert "never fetches" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "load silent <file:///etc/passwd> INTO GRAPH <http://e/g>",
    ],
)
def test_load_is_refused(text):
    assert refused(text).reason == "fetching"


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://e/a> <http://e/b> 1 }",
        "DELETE WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "drop graph <http://e/g>",
        "CREATE GRAPH <http://e/g>",
        "WITH <http://e/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "COPY <http://e/a> TO <http://e/b>",
        "MOVE DEFAULT TO <http://e/b>",
        "ADD <http://e/a> TO <http://e/b>",
    ],
)
def test_updates_are_refused_with_a_pointer_to_submissions(text):
    error = refused(text)
    assert (error.status, error.reason) == (403, "update")
    assert "/submissions" in str(error)


def test_size_limit_is_413():
    error = refused("SELECT * { ?s ?p ?o }" + " " * 20_000)
    assert (error.status, error.reason) == (413, "too_large")
    assert "10000 bytes" in str(error)


@pytest.mark.parametrize("depth", [65, 5000, 20_000])
def test_deep_nesting_is_refused_before_the_store(depth):
    text = "SELECT * WHERE " + "{" * depth + "}" * depth
    error = refused(text, max_bytes=1_000_000)
    assert (error.status, error.reason) == (400, "too_deep")


def test_nesting_at_the_bound_passes():
    text = "SELECT * WHERE " + "{" * 64 + "}" * 64
    assert analyse(text, **LIMITS).form == "SELECT"


@pytest.mark.parametrize(
    "text",
    ["SELECT * { ?s ?p ?o } \x00", "SELECT * { ?s ?p ?o } `", 'SELECT * { ?s ?p "unterminated }'],
)
def test_what_cannot_be_tokenised_is_refused(text):
    error = refused(text)
    assert (error.status, error.reason) == (400, "untokenisable")
    assert "line 1" in str(error)


def test_empty_and_formless_queries_are_refused():
    assert refused("   ").reason == "empty"
    assert refused("PREFIX ex: <http://e/>").reason == "no_form"


def test_base_is_noticed():
    assert analyse("BASE <http://e/> SELECT * {}", **LIMITS).has_base
    assert not analyse("SELECT * { ?s <http://e/base> ?o }", **LIMITS).has_base


def test_tokens_of_a_query():
    kinds = [k for k, _ in tokens('PREFIX ex: <http://e/> SELECT ?x { ex:a ex:b "c"@en }')]
    assert kinds == [
        "word",
        "pname",
        "iri",
        "word",
        "var",
        "punct",
        "pname",
        "pname",
        "string",
        "langtag",
        "punct",
    ]
