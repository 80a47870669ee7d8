"""A seeded corpus of malformed and hostile requests, for every endpoint and input format.

Each `Case` is one HTTP request that the service must refuse with a 4xx and a message. Mutants
of valid inputs (SPARQL text, updates, Turtle, N-Triples, JSON-LD, RDF/XML) are kept only when an
independent parser says they are invalid (Oxigraph's for SPARQL, rdflib's for RDF), so that every
case is wrong by construction; hostile inputs that parse (20,000 levels of nesting, bodies just
over the limits, SERVICE and LOAD, remote contexts, entity declarations, decompression bombs) are
wrong by our limits. The same seed gives the same corpus.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import random
import urllib.parse
import zlib

import pyoxigraph
from rdflib import Graph

BASE = "http://ccn.test/"
PREFIXES = """@prefix ccn: <https://w3id.org/ccn-graph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix country: <http://publications.europa.eu/resource/authority/country/> .
"""
QUERIES = (
    "SELECT ?s ?label WHERE { ?s a <https://w3id.org/ccn-graph/ontology#CommunityMember> ; "
    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?label LIMIT 10",
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT (COUNT(*) AS ?n) WHERE { ?c skos:broader+ ?d . "
    'FILTER (STRSTARTS(STR(?d), "http://ccn.test/")) }',
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5",
    "DESCRIBE <http://ccn.test/id/ncc/ro>",
    "SELECT ?state (COUNT(?m) AS ?n) WHERE { "
    "?m <https://w3id.org/ccn-graph/ontology#memberState> ?state "
    "OPTIONAL { ?m <http://www.w3.org/2004/02/skos/core#altLabel> ?alt } } "
    "GROUP BY ?state HAVING (COUNT(?m) > 0)",
    'SELECT * WHERE { VALUES ?x { 1 2 "three"@en } BIND (?x AS ?y) '
    "{ SELECT ?z WHERE { ?z ?q ?w } LIMIT 1 } }",
)
UPDATES = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "INSERT DATA { GRAPH <http://ccn.test/graph/member/x> "
    '{ <http://ccn.test/id/member/x> skos:altLabel "x"@en } }',
    "DELETE { ?s <http://www.w3.org/2004/02/skos/core#altLabel> ?o } WHERE { ?s "
    '<http://www.w3.org/2004/02/skos/core#altLabel> ?o FILTER (LANG(?o) = "fr") }',
    "WITH <http://ccn.test/graph/member/x> "
    'DELETE { ?s ?p ?o } INSERT { ?s ?p "y" } WHERE { ?s ?p ?o }',
)
MEMBER = (
    PREFIXES
    + """
<id/member/robust> a ccn:CommunityMember ;
    skos:prefLabel "Robust Lab"@en ;
    ccn:memberState country:ROU ;
    ccn:category <id/member-category/industry> ;
    ccn:registration <id/member/robust#registration> .
<id/member/robust#registration> a ccn:Registration ;
    org:member <id/member/robust> ; org:organization <id/community/ccc> ;
    ccn:assessedBy <id/ncc/ro> .
"""
)
# Characters that break the syntax of something somewhere.
POISON = (
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    '"',
    "'",
    "\\",
    ";",
    ".",
    ",",
    "#",
    "@",
    "^^",
    "?",
    "$",
    "\x00",
    "\u202e",
    "\ufffd",
    "\ud7ff",
    "<<",
    ">>",
    "_:",
    ":",
    "{{",
    "}}",
    '"""',
    "\\u12",
    "SELECT",
    "WHERE",
    "GRAPH",
    "a a",
    "<http://x y>",
    "\n",
    "%",
    "&",
    "\t\t",
)
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One request: `kind` groups cases for the figures; `auth` names the token to send
    ("" none, "bad" a wrong one, else a steward key of the fixture)."""

    kind: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    auth: str = ""


def _mutate(rng: random.Random, text: str) -> str:
    """One to three random edits: insert poison, delete a span, duplicate a span, truncate."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        op = rng.random()
        if op < 0.5:
            text = text[:at] + rng.choice(POISON) + text[at:]
        elif op < 0.7:
            text = text[:at] + text[at + rng.randint(1, 12) :]
        elif op < 0.85:
            end = min(len(text), at + rng.randint(1, 20))
            text = text[:end] + text[at:end] + text[end:]
        else:
            text = text[:at]
    return text


def _invalid_sparql(text: str, update: bool) -> bool:
    store = pyoxigraph.Store()
    try:
        # The endpoint resolves relative IRIs against its own URL: so does the oracle.
        (store.update if update else store.query)(
            text, base_iri=BASE + ("update" if update else "sparql")
        )
    except SyntaxError:
        return True
    except (OSError, ValueError, RuntimeError):
        return False
    return False


_OXIGRAPH_FORMATS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "nt": pyoxigraph.RdfFormat.N_TRIPLES,
    "json-ld": pyoxigraph.RdfFormat.JSON_LD,
    "xml": pyoxigraph.RdfFormat.RDF_XML,
}


def _invalid_rdf(body: bytes, fmt: str) -> bool:
    """Whether rdflib or Oxigraph refuses `body` (Oxigraph is the stricter about IRIs, and what
    it refuses could not be stored)."""
    try:
        list(pyoxigraph.parse(body, format=_OXIGRAPH_FORMATS[fmt], base_iri=BASE))
    except (SyntaxError, ValueError, OSError):
        return True
    logging.disable(logging.WARNING)  # rdflib warns on each odd IRI it accepts
    try:
        Graph().parse(data=body, format=fmt, publicID=BASE)
    except Exception:  # noqa: BLE001 - any refusal of the parser makes the case invalid
        return True
    finally:
        logging.disable(logging.NOTSET)
    return False


def _documents() -> dict[str, bytes]:
    graph = Graph().parse(data=MEMBER, format="turtle", publicID=BASE)
    return {media: graph.serialize(format=fmt).encode() for media, fmt in RDF_FORMATS.items()}


def _query_requests(kind: str, text: str | bytes) -> list[Case]:
    raw = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass")
    quoted = urllib.parse.quote_from_bytes(raw, safe="")
    return [
        Case(
            kind, "GET", f"/sparql?query={quoted}", (("Accept", "application/sparql-results+json"),)
        ),
        Case(
            kind,
            "POST",
            "/sparql",
            (("Content-Type", "application/x-www-form-urlencoded"),),
            b"query=" + quoted.encode(),
        ),
        Case(kind, "POST", "/sparql", (("Content-Type", "application/sparql-query"),), raw),
    ]


def _update_requests(kind: str, text: str | bytes, auth: str = "network") -> list[Case]:
    raw = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass")
    return [
        Case(kind, "POST", "/update", (("Content-Type", "application/sparql-update"),), raw, auth),
        Case(
            kind,
            "POST",
            "/update",
            (("Content-Type", "application/x-www-form-urlencoded"),),
            b"update=" + urllib.parse.quote_from_bytes(raw, safe="").encode(),
            auth,
        ),
    ]


def _document_requests(kind: str, media: str, body: bytes, extra: tuple = ()) -> list[Case]:
    headers = (("Content-Type", media), ("Accept", "application/json"), *extra)
    return [
        Case(kind, "POST", "/validate", headers, body),
        Case(kind, "POST", "/submissions", headers, body, "ro"),
        Case(
            kind,
            "PUT",
            f"/graphs?graph={urllib.parse.quote(BASE + 'graph/member/robust', safe='')}",
            headers,
            body,
            "ro",
        ),
    ]


def nested(depth: int, open_: str, close: str, inner: str = "") -> str:
    return open_ * depth + inner + close * depth


def cases(seed: int, *, limits: dict[str, int], mutants: int = 900) -> list[Case]:
    """The corpus for `seed`; `limits` gives the service's query_max_bytes, query_max_depth and
    max_body, so that sizes land just under and just over them."""
    rng = random.Random(seed)
    out: list[Case] = []

    # SPARQL queries: mutants that Oxigraph's parser refuses.
    made = 0
    while made < mutants:
        text = _mutate(rng, rng.choice(QUERIES))
        if _invalid_sparql(text, update=False):
            out += _query_requests("query: syntax", text)
            made += 1
    for _ in range(60):
        out += _query_requests(
            "query: invalid UTF-8",
            rng.choice(QUERIES).encode()[: rng.randint(0, 30)]
            + bytes([rng.choice((0x80, 0xC0, 0xFF, 0xFE, 0xED))])
            + b" }",
        )
    depth = limits["query_max_depth"]
    for levels in (depth + 1, depth * 4, 1000, 20_000):
        for open_, close in (("(", ")"), ("{", "}"), ("[", "]")):
            inner = {
                "(": "SELECT * WHERE { FILTER ",
                "{": "SELECT * WHERE ",
                "[": "SELECT * WHERE { ?s ?p ",
            }[open_]
            text = (
                inner
                + nested(levels, open_, close, "1" if open_ != "{" else "")
                + {"(": " }", "{": "", "[": " }"}[open_]
            )
            out += _query_requests("query: deep nesting", text)
    too_long = limits["query_max_bytes"]
    out += _query_requests("query: over the size limit", "ASK { ?s ?p ?o } #" + "x" * too_long)
    out += _query_requests(
        "query: at the size limit, invalid",
        ("SELECT * WHERE { " + "?s ?p ?o . " * too_long)[: too_long - 2],
    )
    for text in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://ccn.test/graph/x>",
        "INSERT DATA { <a:b> <a:c> <a:d> }",
        "",
    ):
        out += _query_requests("query: refused operation", text)
    for params in (
        "query=ASK{}&query=ASK{}",
        "default-graph-uri=not%20an%20iri&query=ASK%7B%7D",
        "named-graph-uri=%3Cbad%3E&query=ASK%7B%7D",
        "query=%ZZ",
        "query=%E0%A4%A",
    ):
        out.append(Case("query: bad parameters", "GET", f"/sparql?{params}"))
    out.append(
        Case(
            "query: bad parameters", "POST", "/sparql", (("Content-Type", "text/plain"),), b"ASK {}"
        )
    )
    out.append(
        Case("query: bad parameters", "GET", "/sparql?query=ASK%7B%7D", (("Accept", "image/png"),))
    )

    # SPARQL Update: no token, a wrong token, syntax, refused operations.
    for text in UPDATES:
        out += _update_requests("update: no token", text, "")
        out += _update_requests("update: wrong token", text, "bad")
    made = 0
    while made < mutants // 3:
        text = _mutate(rng, rng.choice(UPDATES))
        if _invalid_sparql(text, update=True):
            out += _update_requests("update: syntax", text)
            made += 1
    for text in (
        "LOAD <http://127.0.0.1:9/x.ttl>",
        "LOAD <file:///etc/passwd> INTO GRAPH <http://ccn.test/graph/x>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "INSERT DATA { <http://elsewhere.example/a> <http://elsewhere.example/b> 1 }",
        "DROP ALL",
        "CLEAR DEFAULT",
        "INSERT DATA { GRAPH <http://ccn.test/graph/member/x> { "
        + nested(20_000, "[ <a:p> ", "]")
        + " } }",
    ):
        out += _update_requests("update: refused operation", text)
    out.append(
        Case(
            "update: bad parameters",
            "POST",
            "/update",
            (("Content-Type", "text/plain"),),
            b"CLEAR ALL",
            "network",
        )
    )
    out.append(Case("update: bad parameters", "GET", "/update?update=CLEAR%20ALL", auth="network"))

    # RDF documents: mutants each format's parser refuses, then hostile documents that parse.
    documents = _documents()
    for media, valid in documents.items():
        made = 0
        text = valid.decode()
        while made < mutants // 7:
            body = _mutate(rng, text).encode("utf-8", errors="surrogatepass")
            if _invalid_rdf(body, RDF_FORMATS[media]):
                out += _document_requests(f"document: {media} syntax", media, body)
                made += 1
        for _ in range(8):
            cut = rng.randrange(len(valid))
            out += _document_requests(
                f"document: {media} invalid UTF-8",
                media,
                valid[:cut] + b"\xff\xfe\xc0" + valid[cut:],
            )
    out += _document_requests(
        "document: deep nesting",
        "text/turtle",
        (
            PREFIXES + "<id/member/robust> skos:note " + nested(20_000, "[ skos:note ", "]") + " ."
        ).encode(),
    )
    out += _document_requests(
        "document: deep nesting",
        "text/turtle",
        (PREFIXES + "<id/member/robust> skos:note " + nested(20_000, "( ", ")") + " .").encode(),
    )
    out += _document_requests(
        "document: deep nesting", "application/ld+json", nested(20_000, "[", "]").encode()
    )
    out += _document_requests(
        "document: deep nesting",
        "application/ld+json",
        nested(20_000, '{"@id": "http://ccn.test/id/x", "http://ex.org/p": ', "}", "1").encode(),
    )
    out += _document_requests(
        "document: deep nesting",
        "application/rdf+xml",
        (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:e="http://ex.org/">'
            + nested(20_000, "<rdf:Description><e:p>", "</e:p></rdf:Description>")
            + "</rdf:RDF>"
        ).encode(),
    )
    out += _document_requests(
        "document: remote context",
        "application/ld+json",
        json.dumps(
            {
                "@context": "http://127.0.0.1:9/context.jsonld",
                "@id": BASE + "id/member/robust",
                "name": "x",
            }
        ).encode(),
    )
    out += _document_requests(
        "document: remote context",
        "application/ld+json",
        json.dumps(
            {"@context": {"@import": "file:///etc/passwd"}, "@id": BASE + "id/member/robust"}
        ).encode(),
    )
    for entity in (
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE r [<!ENTITY e SYSTEM "http://127.0.0.1:9/e">]>',
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    ):
        out += _document_requests(
            "document: entity declarations",
            "application/rdf+xml",
            (
                '<?xml version="1.0"?>'
                + entity
                + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:skos="http://www.w3.org/2004/02/skos/core#"><rdf:Description rdf:about="'
                + BASE
                + 'id/member/robust"><skos:note>&e;</skos:note></rdf:Description></rdf:RDF>'
            ).encode(),
        )
    limit = limits["max_body"]
    turtle = documents["text/turtle"]
    over = turtle + b"\n#" + b"x" * (limit - len(turtle))
    out += _document_requests("document: over the size limit", "text/turtle", over)
    out += _document_requests(
        "document: decompression bomb",
        "text/turtle",
        gzip.compress(over + b"x" * limit, 9),
        (("Content-Encoding", "gzip"),),
    )
    out += _document_requests(
        "document: bad compression",
        "text/turtle",
        b"\x1f\x8b\x08\x00not gzip at all",
        (("Content-Encoding", "gzip"),),
    )
    out += _document_requests(
        "document: bad compression",
        "text/turtle",
        zlib.compress(turtle)[:-4],
        (("Content-Encoding", "deflate"),),
    )
    out += _document_requests(
        "document: unknown encoding", "text/turtle", turtle, (("Content-Encoding", "br"),)
    )
    for media in (
        "text/plain",
        "application/octet-stream",
        "image/png",
        "text/html",
        "application/x-www-form-urlencoded",
    ):
        out += _document_requests("document: unsupported type", media, turtle)
    for auth in ("", "bad"):
        for media, body in documents.items():
            out.append(
                Case(
                    "document: no or wrong token",
                    "POST",
                    "/submissions",
                    (("Content-Type", media),),
                    body,
                    auth,
                )
            )
            out.append(
                Case(
                    "document: no or wrong token",
                    "PUT",
                    f"/graphs?graph={urllib.parse.quote(BASE + 'graph/member/robust', safe='')}",
                    (("Content-Type", media),),
                    body,
                    auth,
                )
            )
    # (An empty PUT to /graphs is no mistake: it empties the record, as the Graph Store
    # Protocol says.)
    out += _document_requests("document: empty", "text/turtle", b"")[:2]
    for graph in ("not an iri", "http://elsewhere.example/g", BASE + "graph/member/<x>", "", "%00"):
        out.append(
            Case(
                "document: bad graph",
                "PUT",
                f"/graphs?graph={urllib.parse.quote(graph)}",
                (("Content-Type", "text/turtle"),),
                turtle,
                "ro",
            )
        )

    # Paths and query strings of the pages.
    for path in (
        "/doc/../../etc/passwd",
        "/doc/%2e%2e/%2e%2e/etc/passwd",
        "/doc/member/%00",
        "/id/x%ZZ",
        "/doc/" + "a" * 5000,
        "/id/member/" + urllib.parse.quote("é" * 800),
        "/doc/member/x.exe",
        "/dumps/../../etc/passwd",
        "/dumps/%2e%2e%2fwrite.lock",
        "/dumps/stewards.json",
        "/catalog.exe",
        "/ontology.php",
        "/submissions/../stewards.json",
        "/submissions/zz",
        "/nowhere",
        "/doc/",
        "/id/",
        "/.well-known/void.bin",
        "/shapes.zip",
        "/doc/ncc/ro.ttl.gz",
    ):
        out.append(Case("path", "GET", path))
    for _ in range(120):
        junk = "".join(
            rng.choice("abc/%.~-_?#é\u202e\x7f0123456789") for _ in range(rng.randint(1, 40))
        )
        out.append(Case("path", "GET", "/doc/zz-" + urllib.parse.quote(junk, safe="/%")))
    for query in ("q=" + "a" * 5000, "q=%ZZ", "q=%C3", "q=%FF%FE", "q=x&q=%E0%A4%A"):
        out.append(Case("query string", "GET", f"/search?{query}"))
    for query in (
        "state=" + "x" * 600,
        "after=" + "y" * 1200,
        "state=http://x&after=" + "%FF" * 400,
    ):
        out.append(Case("query string", "GET", f"/members?{query}"))
    for query in (
        "profile=9.9",
        "profile=" + "x" * 300,
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
    ):
        out.append(Case("query string", "GET", f"/catalog?{query}", (("Accept", "text/turtle"),)))
    # Forms whose bytes are not UTF-8, or with a '%' that starts no escape (read leniently, they
    # would be run with U+FFFD or the '%' in place).
    for form in (b"query=ASK%7BFILTER(%22%FF%22)%7D", b"query=ASK%7B%7D%ZZ", b"qu%C3ery=ASK%7B%7D"):
        out.append(
            Case(
                "form: not UTF-8",
                "POST",
                "/sparql",
                (("Content-Type", "application/x-www-form-urlencoded"),),
                form,
            )
        )
        out.append(
            Case(
                "form: not UTF-8",
                "POST",
                "/update",
                (("Content-Type", "application/x-www-form-urlencoded"),),
                form.replace(b"query", b"update"),
                "network",
            )
        )
    # Numbers `str.isdigit` takes and `int` or SQLite do not: superscripts, other scripts,
    # past 64 bits.
    for number in ("%C2%B2", "%D9%A1%C2%B2", "%EF%BC%91", "9" * 25):
        out.append(Case("query string: number", "GET", f"/search?q=eccc&offset={number}"))
        out.append(Case("query string: number", "GET", f"/sitemap.xml?page={number}"))
        out.append(
            Case(
                "query string: number",
                "GET",
                f"/catalog?page={number}",
                (("Accept", "text/turtle"),),
            )
        )
        out.append(Case("path: number", "GET", f"/doc/ncc/ro/version/{number}"))
    for query in (
        "inverse_after=-1",
        "inverse_after=abc%20def",
        "inverse_after=" + "9" * 40,
        "inverse_after=http%3A%2F%2Fx%2Fp%20http%3A%2F%2Fx%2F%3Cy%3E",
    ):
        out.append(Case("query string", "GET", f"/doc/ncc/ro?{query}", (("Accept", "text/html"),)))
    for target in (
        "/doc/ncc/ro",
        "/catalog",
        "/ontology",
        "/shapes",
        "/members",
        "/sparql?query=ASK%7B%7D",
        "/void",
    ):
        for accept in ("image/png", "application/x-unknown", "text/xml;q=0, */*;q=0"):
            out.append(Case("header: nothing acceptable", "GET", target, (("Accept", accept),)))
    for header in (
        "Bearer",
        "Bearer " + "x" * 5000,
        "Basic dXNlcjpwYXNz",
        "bearer  ",
        "Token abc",
        "Bearer \u00e9\u00e9",
    ):
        out.append(
            Case(
                "header: bad authorization",
                "POST",
                "/submissions",
                (("Content-Type", "text/turtle"), ("Authorization", header)),
                turtle,
            )
        )
    for method, path in (
        ("PUT", "/sparql"),
        ("DELETE", "/doc/ncc/ro"),
        ("POST", "/catalog"),
        ("PATCH", "/graphs"),
        ("DELETE", "/submissions"),
        ("POST", "/members"),
        ("PUT", "/"),
    ):
        out.append(Case("method", method, path))
    return out


def raw_requests(limits: dict[str, int]) -> list[tuple[str, bytes]]:
    """Requests whose HTTP framing itself is wrong (sent on a socket as they are): (kind, bytes)."""
    turtle = _documents()["text/turtle"]
    head = (
        "POST /validate HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: text/turtle\r\nAccept: application/json\r\n"
    )
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(turtle[i : i + 100]), turtle[i : i + 100])
        for i in range(0, len(turtle), 100)
    )
    big = b"x" * 65536
    over = b"".join(
        b"%x\r\n%s\r\n" % (len(big), big) for _ in range(limits["max_body"] // len(big) + 2)
    )
    out = [
        (
            "framing: chunked, bad size",
            (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"zz\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "framing: chunked, invalid document",
            (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
            + chunks[:-40]
            + b"5\r\n}}}}}\r\n0\r\n\r\n",
        ),
        (
            "framing: chunked, over the limit",
            (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + over + b"0\r\n\r\n",
        ),
        (
            "framing: chunked and gzip, invalid",
            (head + "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n").encode()
            + b"%x\r\n%s\r\n0\r\n\r\n"
            % (len(gzip.compress(turtle[:-30])), gzip.compress(turtle[:-30])),
        ),
        ("framing: bad request line", b"GET /sparql\r\n\r\n"),
        ("framing: bad request line", b"GET /sparql HTTP/9.9\r\nHost: x\r\n\r\n"),
        (
            "framing: bad request line",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",
        ),
        ("framing: bad header", b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"),
        (
            "framing: header too long",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n",
        ),
        (
            "framing: too many headers",
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(500))
            + b"\r\n",
        ),
        ("framing: negative length", (head + "Content-Length: -5\r\n\r\n").encode() + turtle),
        (
            "framing: two lengths",
            (head + "Content-Length: 5\r\nContent-Length: 7\r\n\r\n").encode() + turtle[:7],
        ),
        (
            "framing: length and chunked",
            (head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + b"zz\r\n",
        ),
    ]
    return out
