"""Streaming result writers: every format parses back to the same result, and a cut is marked."""

from __future__ import annotations

import io
import json

import pytest
from rdflib import BNode, Graph
from rdflib.compare import isomorphic
from rdflib.query import Result

from ccn_graph.rdfio import formats
from ccn_graph.sparql import result_readers, results
from tests.conftest import ROOT

pytestmark = pytest.mark.fast

TSV = (
    "?x\t?y\t?z\n"
    '1\t"a\\tb\\nc"\t_:b1\n'
    "<http://e/x>\t\t_:b2\n"
    '"2"^^<http://www.w3.org/2001/XMLSchema#double>\t"e"@en\t"q\\"uote, with comma"\n'
    'true\t"\u00e9t\u00e9"\t-1.5e3\n'
)
NT = (
    '<http://e/a> <http://e/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    '<http://e/a> <http://e/p> "a\\tb\\nc \\"q\\" <x> & y" .\n'
    '<http://e/a> <http://www.w3.org/2000/01/rdf-schema#label> "label"@en .\n'
    "_:n1 <http://e/q> <http://e/a> .\n"
)


def select(media_type: str, limit: int = 100) -> str:
    return "".join(results.select_writer(media_type, results.read_lines([TSV.encode()]), limit))


def graph(media_type: str, limit: int = 100) -> str:
    return "".join(results.graph_writer(media_type, results.read_lines([NT.encode()]), limit))


def expected_rows():
    return Result.parse(io.BytesIO(TSV.encode()), format="tsv")


@pytest.mark.parametrize(
    "fmt, parser",
    [(formats.SPARQL_JSON, "json"), (formats.SPARQL_XML, "xml"), (formats.SPARQL_TSV, "tsv")],
)
def test_select_writers_round_trip(fmt, parser):
    parsed = Result.parse(io.BytesIO(select(fmt.media_type).encode()), format=parser)
    expected = expected_rows()
    assert [str(v) for v in parsed.vars] == ["x", "y", "z"]
    rows = [tuple(r) for r in parsed]
    want = [tuple(r) for r in expected]
    assert len(rows) == len(want) == 4
    for got, exp in zip(rows, want, strict=True):
        for g, e in zip(got, exp, strict=True):
            if e is None:
                assert g is None
            elif isinstance(e, BNode):
                assert isinstance(g, BNode)
            else:
                assert g == e or g.eq(e), (g, e)


def test_select_csv_follows_the_spec():
    text = select(formats.SPARQL_CSV.media_type)
    lines = text.split("\r\n")
    assert lines[0] == "x,y,z"
    assert lines[2].startswith("http://e/x,,_:")
    assert '"q""uote, with comma"' in text
    assert "été" in text


def test_select_json_has_types_languages_datatypes():
    body = json.loads(select(formats.SPARQL_JSON.media_type))
    first, second, third, fourth = body["results"]["bindings"]
    assert first["x"] == {
        "type": "literal",
        "value": "1",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }
    assert first["y"] == {"type": "literal", "value": "a\tb\nc"}
    assert first["z"]["type"] == "bnode"
    assert "y" not in second
    assert third["y"] == {"type": "literal", "value": "e", "xml:lang": "en"}
    assert fourth["x"]["datatype"].endswith("#boolean") and fourth["z"]["datatype"].endswith(
        "#double"
    )
    assert "truncated" not in body


@pytest.mark.parametrize(
    "fmt",
    [
        formats.TURTLE,
        formats.N_TRIPLES,
        formats.JSON_LD,
        formats.RDF_XML,
        formats.N_QUADS,
        formats.TRIG,
    ],
    ids=lambda f: f.suffix,
)
def test_graph_writers_round_trip(fmt):
    text = graph(fmt.media_type)
    if fmt.is_dataset:
        from rdflib import Dataset

        dataset = Dataset()
        dataset.parse(data=text, format=fmt.rdflib_name)
        parsed = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            parsed.add((s, p, o))
    else:
        parsed = Graph().parse(data=text, format=fmt.rdflib_name)
    assert isomorphic(parsed, Graph().parse(data=NT, format="nt"))


def test_a_cut_select_is_marked_in_json_and_xml():
    body = json.loads(select(formats.SPARQL_JSON.media_type, limit=2))
    assert len(body["results"]["bindings"]) == 2
    assert body["truncated"] is True and body["limit"] == 2
    xml = select(formats.SPARQL_XML.media_type, limit=2)
    assert xml.count("<result>") == 2 and '<?ccn-truncated limit="2"?>' in xml
    assert len(list(Result.parse(io.BytesIO(xml.encode()), format="xml"))) == 2


@pytest.mark.parametrize("fmt", [formats.SPARQL_CSV, formats.SPARQL_TSV])
def test_a_cut_table_without_a_place_for_a_mark_is_aborted(fmt):
    with pytest.raises(results.ResultTruncated):
        select(fmt.media_type, limit=2)


def test_an_exact_fit_is_not_marked():
    body = json.loads(select(formats.SPARQL_JSON.media_type, limit=4))
    assert len(body["results"]["bindings"]) == 4 and "truncated" not in body


def test_a_cut_graph_is_marked_or_aborted():
    text = graph(formats.N_TRIPLES.media_type, limit=2)
    assert len(Graph().parse(data=text, format="nt")) == 2 and "# truncated" in text
    assert '<?ccn-truncated limit="2"?>' in graph(formats.RDF_XML.media_type, limit=2)
    with pytest.raises(results.ResultTruncated):
        graph(formats.JSON_LD.media_type, limit=2)


def test_lines_split_across_chunks():
    chunks = [b"?x\n<http://e/a", b'>\n"\xc3', b'\xa9"\n']
    assert list(results.read_lines(chunks)) == ["?x", "<http://e/a>", '"é"']


def test_a_stream_the_store_breaks_off_is_marked_as_cut_with_its_words():
    heard = []
    lines = ["?s", "<http://ccn.test/a>", "The SPARQL operation has been cancelled"]
    body = "".join(
        results.select_writer(formats.SPARQL_JSON.media_type, iter(lines), 100, heard.append)
    )
    parsed = json.loads(body)
    assert [b["s"]["value"] for b in parsed["results"]["bindings"]] == ["http://ccn.test/a"]
    assert parsed["truncated"] is True and "cancelled" in parsed["reason"]
    xml = "".join(results.select_writer(formats.SPARQL_XML.media_type, iter(lines), 100))
    assert "<?ccn-truncated" in xml and "cancelled" in xml
    triples = [
        "<http://ccn.test/a> <http://ccn.test/p> <http://ccn.test/b> .",
        "The SPARQL operation has been cancelled",
    ]
    nt = "".join(
        results.graph_writer(formats.N_TRIPLES.media_type, iter(triples), 100, heard.append)
    )
    assert nt.splitlines()[-1].startswith("# truncated: the store broke off") and len(heard) == 2
    with pytest.raises(results.ResultTruncated):
        "".join(results.select_writer(formats.SPARQL_CSV.media_type, iter(lines), 100))


def test_the_turtle_writer_gives_back_the_same_graph():
    from rdflib import Literal, Namespace, URIRef
    from rdflib.namespace import RDF, XSD

    from ccn_graph.model.iris import PREFIXES
    from ccn_graph.rdfio.turtle import write_turtle

    ex = Namespace("http://ccn.test/id/")
    skos = Namespace("http://www.w3.org/2004/02/skos/core#")
    graph = Graph()
    node = BNode()
    graph.add(
        (ex["member/a"], RDF.type, URIRef("https://w3id.org/ccn-graph/ontology#CommunityMember"))
    )
    graph.add(
        (ex["member/a"], skos.prefLabel, Literal('Quote " back\\slash\nnew line\ttab', lang="en"))
    )
    graph.add((ex["member/a"], skos.altLabel, Literal("Ünïcödé ‮ 漢字", lang="ro")))
    graph.add((ex["member/a"], skos.note, Literal("42", datatype=XSD.integer)))
    graph.add((ex["member/a"], skos.note, Literal("plain")))
    graph.add((ex["member/a"], skos.note, Literal("typed string", datatype=XSD.string)))
    graph.add((ex["member/a"], skos.related, URIRef("http://elsewhere.example/odd/é?q=1&r=(2)")))
    graph.add((ex["member/a"], skos.related, URIRef("http://ccn.test/id/member/a.b.")))
    graph.add((ex["member/a"], skos.related, node))
    graph.add((node, skos.note, Literal("2024-05-01", datatype=XSD.date)))
    graph.add((URIRef("http://ccn.test/id/member/a#registration"), RDF.type, URIRef("urn:x:y")))
    text = write_turtle(graph, PREFIXES, first=ex["member/a"])
    assert text.index("member/a") < text.index("#registration")
    assert isomorphic(Graph().parse(data=text, format="turtle"), graph)


def test_an_answer_past_its_time_is_cut_and_marked():
    """The time limit holds for sending the answer too (rows with big values take long to
    pass on)."""
    import time

    heard = []
    lines = ["?s"] + [f"<http://ccn.test/r{i}>" for i in range(1000)]
    late = results.until(
        iter(lines), time.monotonic() - 1, "the answer took longer than the limit of 5 seconds"
    )
    parsed = json.loads(
        "".join(results.select_writer(formats.SPARQL_JSON.media_type, late, 100_000, heard.append))
    )
    assert (
        parsed["truncated"] is True and "limit of 5 seconds" in parsed["reason"] and len(heard) == 1
    )
    assert len(parsed["results"]["bindings"]) < 1000
    in_time = results.until(iter(lines), time.monotonic() + 60, "never")
    parsed = json.loads(
        "".join(results.select_writer(formats.SPARQL_JSON.media_type, in_time, 100_000))
    )
    assert len(parsed["results"]["bindings"]) == 1000 and "truncated" not in parsed


# Virtuoso's layout: one binding a line, so the lines are kept as they are.
SRJ = (
    '{ "head": { "link": [], "vars": ["s", "o"] },\n'
    '  "results": { "distinct": false, "ordered": true, "bindings": [\n'
    '    { "s": { "type": "uri", "value": "http://e/a" }, "o": { "type": "typed-literal", '
    '"datatype": "http://www.w3.org/2001/XMLSchema#decimal", "value": "2.5" }},\n'
    '    { "o": { "type": "bnode", "value": "nodeID://b10001" }},\n'
    '    { "s": { "type": "uri", "value": "http://e/a" }, "o": { "type": "literal", '
    '"xml:lang": "fr", "value": "tab\\there \\"q\\"\\nnew line \\u00e9t\u00e9" }},\n'
    '    { "o": { "type": "literal", "value": "" }} ] } }'
)


def test_sparql_json_results_become_standard_tsv_whatever_the_chunks():
    """Virtuoso's layout (one binding a line, "typed-literal", "nodeID://" blank nodes), cut
    anywhere, even inside a character."""
    body = SRJ.encode()
    for size in (1, 7, 64, len(body)):
        out = b"".join(
            results.tsv_from_json(body[i : i + size] for i in range(0, len(body), size))
        ).decode()
        assert out.splitlines() == [
            "?s\t?o",
            '<http://e/a>\t"2.5"^^<http://www.w3.org/2001/XMLSchema#decimal>',
            "\t_:b10001",
            '<http://e/a>\t"tab\\there \\"q\\"\\nnew line été"@fr',
            '\t""',
        ], size
    rows = list(
        results.select_writer(
            formats.SPARQL_JSON.media_type, results.read_lines(results.tsv_from_json([body])), 10
        )
    )
    assert json.loads("".join(rows))["results"]["bindings"][2]["o"] == {
        "type": "literal",
        "value": 'tab\there "q"\nnew line été',
        "xml:lang": "fr",
    }
    compact = json.dumps(json.loads(body)).encode()  # any layout, not only Virtuoso's
    assert b"".join(results.tsv_from_json([compact])).decode() == out


def test_results_that_are_not_sparql_json_are_a_value_error():
    for broken in (
        SRJ[:200].encode(),
        b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri"',
        b"<sparql/>",
    ):
        with pytest.raises(ValueError):
            list(results.tsv_from_json([broken]))


_TRICKY_NT = (
    r"""<http://ex.org/s> <http://ex.org/p> "plain" .
<http://ex.org/s> <http://ex.org/p> "tab\there \"quoted\" back\\slash \u00E9 \U0001F600"@en-GB .
<http://ex.org/s> <http://ex.org/p> "2026-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .
_:b0 <http://ex.org/p> _:b1 .
<http://ex.org/s\u0020x> <http://ex.org/p> <http://ex.org/o> .
<http://ex.org/s> <http://ex.org/p> "a line
 separator"  .
<http://ex.org/s><http://ex.org/p><http://ex.org/o>.
   <http://ex.org/s>TAB<http://ex.org/p>TAB"tabs between terms"TAB.
<http://ex.org/s> <http://ex.org/p> "trailing comment" . # a comment

# a comment line
<http://ex.org/s> <http://ex.org/p> "crlf" .\r
""".replace("\\r\n", "\r\n")
    .replace("line\n separator", "line\u2028separator")
    .replace("TAB", "\t")
)


def test_a_whole_n_triples_document_reads_as_its_lines_do():
    """The one-match reading of a line gives what reading it a term at a time gives: on the
    bundled data (as the store writes it) and on lines that only the term-by-term reader takes."""
    graph = Graph()
    for path in sorted(ROOT.joinpath("data").rglob("*.ttl")):
        graph.parse(path, format="turtle")
    text = graph.serialize(format="nt") + _TRICKY_NT
    expected = [t for t in map(result_readers._parse_nt_terms, text.split("\n")) if t is not None]
    assert len(expected) >= 1000
    assert list(results.parse_nt(text)) == expected
    # \u2028 inside a literal is not the end of a line.
    assert ("literal", "a line\u2028separator", None, None) in {o for _, _, o in expected}


def test_a_broken_n_triples_line_is_a_value_error_in_a_whole_document():
    with pytest.raises(ValueError, match="not an N-Triples line"):
        list(
            results.parse_nt(
                '<http://ex.org/s> <http://ex.org/p> "ok" .\n<http://ex.org/s> oops .\n'
            )
        )


def binding_of(term) -> dict:
    """A term's SPARQL JSON binding, as the results format defines it (§3.2.2)."""
    kind, value = term[0], term[1]
    if kind != "literal":
        return {"type": kind, "value": value}
    out = {"type": "literal", "value": value}
    if term[2]:
        out["xml:lang"] = term[2]
    elif term[3] and term[3] != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term[3]
    return out


def test_json_bindings_are_written_as_the_terms_read_whatever_the_cell():
    cells = [
        "<http://e/x>",
        "<http://e/\\u00e9t\\u00e9>",
        "_:b9",
        '"plain"',
        '"tab\\there"',
        '"quote \\" and \\\\ slash"',
        '"\u2028 and \\u0001 and \u00e9"@fr',
        '"x"^^<http://www.w3.org/2001/XMLSchema#string>',
        '"2026-01-01"^^<http://www.w3.org/2001/XMLSchema#date>',
        "42",
        "-0.5",
        "1e3",
        "false",
        '"' + "long " * 100 + '"@en',
        "<http://e/" + "p" * 400 + ">",
    ]
    lines = ["?a\t?b"] + [
        f"{cells[i % len(cells)]}\t{cells[(i * 7) % len(cells)] if i % 3 else ''}"
        for i in range(90)
    ]
    body = json.loads(
        "".join(results.select_writer(formats.SPARQL_JSON.media_type, iter(lines), 1000))
    )
    bindings = body["results"]["bindings"]
    assert len(bindings) == 90
    for line, binding in zip(lines[1:], bindings, strict=True):
        want = {
            name: binding_of(results.parse_tsv_term(cell))
            for name, cell in zip(("a", "b"), line.split("\t"), strict=True)
            if cell
        }
        assert binding == want
    assert bindings[7]["a"] == {"type": "literal", "value": "x"}
