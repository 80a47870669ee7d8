"""Every media type CCN Graph speaks, in one place.

An `RdfFormat` ties a media type to its file suffix, its rdflib parser/serializer name and the
name Oxigraph's bulk loader knows it by; a `ResultFormat` does the same for SPARQL results.
The order of the tuples is the order of preference when a client's Accept header ties.
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "RdfFormat",
    "ResultFormat",
    "rdf_format_for_media_type",
    "rdf_format_for_suffix",
    "JSON",
    "HTML",
    "PROBLEM_JSON",
    "SELECT_FORMATS",
    "ASK_FORMATS",
    "GRAPH_FORMATS",
    "DOCUMENT_FORMATS",
    "document_suffixes",
    "format_named",
]

JSON = "application/json"
HTML = "text/html"
#: Problem details (RFC 9457): how the service says what went wrong, to clients.
PROBLEM_JSON = "application/problem+json"


_W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclasses.dataclass(frozen=True)
class RdfFormat:
    media_type: str
    suffix: str
    rdflib_name: str
    is_dataset: bool = False
    aliases: tuple[str, ...] = ()
    #: The format's IRI in the W3C "Unique URIs for file formats" namespace.
    iri: str = ""
    #: Names a client may give as ``?format=``.
    names: tuple[str, ...] = ()


TURTLE = RdfFormat(
    "text/turtle",
    "ttl",
    "turtle",
    aliases=("application/x-turtle",),
    iri=_W3C_FORMATS + "Turtle",
    names=("ttl", "turtle"),
)
N_TRIPLES = RdfFormat(
    "application/n-triples",
    "nt",
    "nt11",
    aliases=("text/plain",),
    iri=_W3C_FORMATS + "N-Triples",
    names=("nt", "ntriples", "n-triples"),
)
JSON_LD = RdfFormat(
    "application/ld+json",
    "jsonld",
    "json-ld",
    iri=_W3C_FORMATS + "JSON-LD",
    names=("jsonld", "json-ld"),
)
RDF_XML = RdfFormat(
    "application/rdf+xml",
    "rdf",
    "xml",
    aliases=("application/xml",),
    iri=_W3C_FORMATS + "RDF_XML",
    names=("rdf", "rdfxml", "rdf+xml", "xml"),
)
N_QUADS = RdfFormat(
    "application/n-quads",
    "nq",
    "nquads",
    is_dataset=True,
    iri=_W3C_FORMATS + "N-Quads",
    names=("nq", "nquads", "n-quads"),
)
TRIG = RdfFormat(
    "application/trig", "trig", "trig", is_dataset=True, iri=_W3C_FORMATS + "TriG", names=("trig",)
)

RDF_FORMATS: tuple[RdfFormat, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, N_QUADS, TRIG)


@dataclasses.dataclass(frozen=True)
class ResultFormat:
    media_type: str
    suffix: str
    iri: str = ""
    names: tuple[str, ...] = ()
    #: Other media types clients ask for it by (answered with `media_type`).
    aliases: tuple[str, ...] = ()


SPARQL_JSON = ResultFormat(
    "application/sparql-results+json",
    "srj",
    _W3C_FORMATS + "SPARQL_Results_JSON",
    ("json", "srj"),
    aliases=("application/json",),
)
SPARQL_XML = ResultFormat(
    "application/sparql-results+xml",
    "srx",
    _W3C_FORMATS + "SPARQL_Results_XML",
    ("xml", "srx"),
    aliases=("application/xml",),
)
SPARQL_CSV = ResultFormat("text/csv", "csv", _W3C_FORMATS + "SPARQL_Results_CSV", ("csv",))
SPARQL_TSV = ResultFormat(
    "text/tab-separated-values", "tsv", _W3C_FORMATS + "SPARQL_Results_TSV", ("tsv",)
)

#: What a query form can be answered in, in order of preference when an Accept header ties.
SELECT_FORMATS: tuple[ResultFormat, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
ASK_FORMATS: tuple[ResultFormat, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
GRAPH_FORMATS: tuple[RdfFormat, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, N_QUADS, TRIG)
#: Formats for documents about the service and the graph (service description, entity pages).
DOCUMENT_FORMATS: tuple[RdfFormat, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML)
#: Plain JSON, for the service's own APIs (search, reports).
JSON_FORMAT = ResultFormat(JSON, "json", "", ("json",))
#: Memento TimeMaps (RFC 7089 §5, RFC 6690).
LINK_FORMAT = ResultFormat("application/link-format", "link", "", ("link", "link-format"))
#: The change feed as an Activity Streams 2.0 collection.
ACTIVITY_STREAMS = ResultFormat("application/activity+json", "json", "", ("as", "activity"))
XML = "application/xml"
GZIP = "application/gzip"
FORM_URLENCODED = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
PROMETHEUS_TEXT = "text/plain; version=0.0.4"

RESULT_FORMATS: tuple[ResultFormat, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)


def rdf_format_for_media_type(media_type: str) -> RdfFormat | None:
    """The RDF format for a Content-Type value (parameters ignored), or None."""
    bare = media_type.split(";", 1)[0].strip().lower()
    for fmt in RDF_FORMATS:
        if bare == fmt.media_type or bare in fmt.aliases:
            return fmt
    return None


def rdf_format_for_suffix(suffix: str) -> RdfFormat | None:
    """The RDF format for a file suffix such as 'ttl' or '.nt', or None."""
    bare = suffix.lstrip(".").lower()
    for fmt in RDF_FORMATS:
        if bare == fmt.suffix:
            return fmt
    return None


def document_suffixes() -> dict[str, str]:
    """File suffix → media type of every variant of a document, HTML included."""
    return {"html": HTML, **{f.suffix: f.media_type for f in DOCUMENT_FORMATS}}


def format_named(name: str, offers):
    """The offer a ``?format=`` value names (by name, suffix or media type), or None."""
    wanted = name.strip().lower()
    for fmt in offers:
        if wanted in fmt.names or wanted == fmt.suffix or wanted == fmt.media_type:
            return fmt
    return None
