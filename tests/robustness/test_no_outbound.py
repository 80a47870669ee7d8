"""No outbound traffic, no file read: every way a query, an update, an RDF document, a shape or a
page can name a URL or a file is tried on every endpoint, naming a canary listener on 127.0.0.1
and a canary file (a named pipe: whoever opens it to read is seen). Both must stay untouched."""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
import urllib.parse

import pytest
import requests

from ..figures import record

PREFIXES = (
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
    "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "@prefix ccn: <https://w3id.org/ccn-graph/ontology#> .\n"
)


class Canary:
    """A TCP listener and a named pipe that record whoever reaches them."""

    def __init__(self, folder) -> None:
        self.connections: list[str] = []
        self.reads = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.fifo = folder / "canary.ttl"
        os.mkfifo(self.fifo)
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._watch_pipe, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/canary"

    @property
    def file(self) -> str:
        return f"file://{self.fifo}"

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                connection, peer = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(f"{peer}")
            connection.close()

    def _watch_pipe(self) -> None:
        # Opening a pipe to write without blocking fails (ENXIO) while nobody has it open to read;
        # a reader blocks in its open until a writer comes, so it cannot slip by.
        while not self.stop.is_set():
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                time.sleep(0.005)
                continue
            self.reads += 1
            os.close(fd)
            time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def attempts(canary: Canary) -> list[tuple[str, str, str, dict, bytes, str]]:
    """(what, method, path, headers, body, token) for every way we know to name a URL or a file."""
    out = []
    for target in (canary.url, canary.file):
        q = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
        for text in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }} LIMIT 1",
            f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
            f"SELECT * WHERE {{ GRAPH <{target}> {{ ?s ?p ?o }} }}",
            f"DESCRIBE <{target}>",
            f"LOAD <{target}>",
            f'SELECT * WHERE {{ BIND (IRI("{target}") AS ?x) }}',
        ):
            out.append(("query", "GET", f"/sparql?query={q(text)}", {}, b"", ""))
            out.append(
                (
                    "query",
                    "POST",
                    "/sparql",
                    {"Content-Type": "application/sparql-query"},
                    text.encode(),
                    "",
                )
            )
        out.append(
            (
                "query parameter",
                "GET",
                f"/sparql?query={q('ASK {}')}&default-graph-uri={q(target)}",
                {},
                b"",
                "",
            )
        )
        out.append(
            (
                "query parameter",
                "GET",
                f"/sparql?query={q('ASK {}')}&named-graph-uri={q(target)}",
                {},
                b"",
                "",
            )
        )
        for text in (
            f"LOAD <{target}>",
            f"LOAD SILENT <{target}> INTO GRAPH <http://ccn.test/graph/member/x>",
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            "INSERT { GRAPH <http://ccn.test/graph/member/x> { ?s ?p ?o } } "
            f"USING <{target}> WHERE {{ ?s ?p ?o }}",
        ):
            for token in ("network", ""):
                out.append(
                    (
                        "update",
                        "POST",
                        "/update",
                        {"Content-Type": "application/sparql-update"},
                        text.encode(),
                        token,
                    )
                )
        out.append(
            (
                "update parameter",
                "POST",
                f"/update?using-graph-uri={q(target)}",
                {"Content-Type": "application/sparql-update"},
                b"INSERT { GRAPH <http://ccn.test/graph/member/x> { ?s ?p ?o } } "
                b"WHERE { ?s ?p ?o }",
                "network",
            )
        )
        member = '<id/member/canary> a ccn:CommunityMember ; skos:prefLabel "Canary"@en'
        turtle = [
            f"@base <{target}> .\n" + PREFIXES + member + " .",
            PREFIXES + member + f" ; owl:imports <{target}> .",
            PREFIXES + "<id/member/canary> a sh:NodeShape ; sh:targetNode <id/ncc/ro> ; "
            'sh:sparql [ sh:select "SELECT $this WHERE { '
            f'SERVICE <{target}> {{ $this ?p ?o }} }}" ] ; '
            f"sh:shapesGraph <{target}> .",
            PREFIXES + member + f" ; owl:sameAs <{target}> ; skos:exactMatch <{target}> .",
        ]
        jsonld = [
            {"@context": target, "@id": "http://ccn.test/id/member/canary"},
            {"@context": [target], "@id": "http://ccn.test/id/member/canary"},
            {"@context": {"@import": target}, "@id": "http://ccn.test/id/member/canary"},
            {
                "@context": {"@vocab": target + "#"},
                "@id": "http://ccn.test/id/member/canary",
                "x": 1,
            },
            {
                "@id": "http://ccn.test/id/member/canary",
                "@type": "https://w3id.org/ccn-graph/ontology#CommunityMember",
                "http://www.w3.org/2002/07/owl#imports": {"@id": target},
            },
        ]
        rdfxml = [
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "{target}">]><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="http://www.w3.org/2004/02/skos/core#">'
            '<rdf:Description rdf:about="http://ccn.test/id/member/canary"><s:note>&e;</s:note></rdf:Description></rdf:RDF>',
            f'<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "{target}"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
            f'<?xml version="1.0"?><?xml-stylesheet href="{target}"?><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<xi:include href="{target}"/></rdf:RDF>',
        ]
        documents = (
            [("text/turtle", t.encode()) for t in turtle]
            + [("application/ld+json", json.dumps(j).encode()) for j in jsonld]
            + [("application/rdf+xml", x.encode()) for x in rdfxml]
        )
        graph = q("http://ccn.test/graph/member/canary")
        for media, body in documents:
            headers = {"Content-Type": media, "Accept": "application/json"}
            out.append(("document", "POST", "/validate", headers, body, ""))
            out.append(("document", "POST", "/submissions", headers, body, "ro"))
            out.append(("document", "PUT", f"/graphs?graph={graph}", headers, body, "ro"))
            out.append(("document", "POST", f"/graphs?graph={graph}", headers, body, "network"))
        for path in (
            f"/graphs?graph={q(target)}",
            f"/doc/{q(target)}",
            f"/id/{target}",
            f"/members?state={q(target)}",
            f"/search?q={q(target)}",
            f"/catalog?profile={q(target)}",
            f"/doc/ncc/ro?inverse_after={q(target + ' ' + target)}",
        ):
            out.append(("page", "GET", path, {"Accept": "text/html"}, b"", ""))
        out.append(
            (
                "header",
                "GET",
                "/doc/ncc/ro",
                {
                    "Accept": "text/turtle",
                    "Link": f"<{target}>; rel=profile",
                    "Referer": target,
                    "Accept-Profile": f"<{target}>",
                },
                b"",
                "",
            )
        )
    return out


def test_nothing_names_its_way_out(service, tmp_path):
    running, tokens, _ = service
    canary = Canary(tmp_path)
    try:
        tried = attempts(canary)
        assert len(tried) >= 150
        statuses = []
        for what, method, path, headers, body, token in tried:
            if token:
                headers = {**headers, "Authorization": f"Bearer {tokens[token]}"}
            response = requests.request(
                method, running.url + path, headers=headers, data=body or None, timeout=30
            )
            statuses.append((what, response.status_code))
        time.sleep(0.5)  # anything asynchronous would have reached the canary by now
    finally:
        canary.close()
    suite = "no outbound traffic"
    figures = [
        record(
            suite, "ways of naming a URL or a file tried", len(tried), ">= 150", len(tried) >= 150
        ),
        record(
            suite,
            "connections to the canary listener",
            len(canary.connections),
            "0",
            not canary.connections,
        ),
        record(suite, "reads of the canary file", canary.reads, "0", canary.reads == 0),
        record(
            suite,
            "answers with status 5xx",
            sum(1 for _, s in statuses if s >= 500),
            "0",
            all(s < 500 for _, s in statuses),
        ),
    ]
    assert all(figures), (canary.connections, canary.reads, [s for s in statuses if s[1] >= 500])


@pytest.mark.fast
def test_the_canary_sees_a_connection_and_a_read(tmp_path):
    """The canary itself works: a connection and a file read are seen."""
    canary = Canary(tmp_path)
    try:
        with pytest.raises(requests.RequestException):
            requests.get(canary.url, timeout=2)
        with open(canary.fifo, "rb") as pipe:
            pipe.read()
        time.sleep(0.3)
        assert canary.connections and canary.reads == 1
    finally:
        canary.close()
