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
]

JSON = "application/json"
HTML = "text/html"


@dataclasses.dataclass(frozen=True)
class RdfFormat:
    media_type: str
    suffix: str
    rdflib_name: str
    is_dataset: bool = False
    aliases: tuple[str, ...] = ()


TURTLE = RdfFormat("text/turtle", "ttl", "turtle", aliases=("application/x-turtle",))
N_TRIPLES = RdfFormat("application/n-triples", "nt", "nt11", aliases=("text/plain",))
JSON_LD = RdfFormat("application/ld+json", "jsonld", "json-ld")
RDF_XML = RdfFormat("application/rdf+xml", "rdf", "xml", aliases=("application/xml",))
N_QUADS = RdfFormat("application/n-quads", "nq", "nquads", is_dataset=True)
TRIG = RdfFormat("application/trig", "trig", "trig", is_dataset=True)

RDF_FORMATS: tuple[RdfFormat, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, N_QUADS, TRIG)


@dataclasses.dataclass(frozen=True)
class ResultFormat:
    media_type: str
    suffix: str


SPARQL_JSON = ResultFormat("application/sparql-results+json", "srj")
SPARQL_XML = ResultFormat("application/sparql-results+xml", "srx")
SPARQL_CSV = ResultFormat("text/csv", "csv")
SPARQL_TSV = ResultFormat("text/tab-separated-values", "tsv")

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
