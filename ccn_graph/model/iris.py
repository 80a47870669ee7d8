"""The IRIs CCN Graph mints, and the fixed namespaces that never depend on a deployment.

Instance IRIs follow the EU persistent-URI pattern (DESIGN decision 3): ``{base}id/{type}/{ref}``
names a thing, ``{base}doc/{type}/{ref}`` the document about it, and ``{base}graph/…`` the named
graph that holds a record (DESIGN decision 2).
"""

from __future__ import annotations

import re

from rdflib import Namespace

__all__ = [
    "CCN",
    "ONTOLOGY_NS",
    "PROBLEMS_NS",
    "SHAPES_NS",
    "STORE_STATE_GRAPH",
    "InvalidIRI",
    "activity_iri",
    "bind_prefixes",
    "check_iri",
    "document_iri",
    "document_path",
    "entity_for_record",
    "entity_iri",
    "graph_iri",
    "graph_prefix",
    "instance_iri",
    "instance_prefix",
    "record_graph",
    "record_graph_for",
    "service_url",
    "steward_iri",
    "version_iri",
]

#: The ontology's namespace: fixed, so that data published by any deployment shares its terms.
ONTOLOGY_NS = "https://w3id.org/ccn-graph/ontology#"
#: The ontology's terms: ``CCN.memberState``, ``CCN["Project"]``.
CCN = Namespace(ONTOLOGY_NS)
#: The namespace of the SHACL shapes.
SHAPES_NS = "https://w3id.org/ccn-graph/shapes#"
#: The namespace of the problem types an error answer names (RFC 9457 ``type``), one per kind
#: of error a client may act on; docs/errors.md describes each under its name.
PROBLEMS_NS = "https://w3id.org/ccn-graph/problems#"
#: The named graph in which the store records what it was loaded with and its data version.
STORE_STATE_GRAPH = "https://w3id.org/ccn-graph/store-state"

# RFC 3987 leaves these out of an IRI; refusing them keeps a bound IRI from ever closing the
# <…> it is written in.
_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# What else RFC 3987 refuses and stores check: a "%" not starting two hex digits, C1 controls,
# surrogates and non-characters, a second "#", and brackets outside the host.
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NOT_UCSCHAR = re.compile("[\x80-\x9f\ud800-\udfff\ufdd0-\ufdef\ufff0-\uffff]")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")


class InvalidIRI(ValueError):
    """A string is not an absolute IRI that can be written safely in SPARQL or Turtle."""


def check_iri(iri: str) -> str:
    """Return `iri` unchanged if it is absolute and free of forbidden characters.

    Raises `InvalidIRI` otherwise.
    """
    if not _SCHEME.match(iri):
        raise InvalidIRI(f"not an absolute IRI: {iri!r}")
    bad = _FORBIDDEN.search(iri) or _NOT_UCSCHAR.search(iri)
    if bad:
        raise InvalidIRI(f"IRI {iri!r} contains the forbidden character {bad.group()!r}")
    if _BAD_PERCENT.search(iri):
        raise InvalidIRI(f"IRI {iri!r} has a '%' that does not start a percent-encoded byte (%XX)")
    if iri.count("#") > 1:
        raise InvalidIRI(f"IRI {iri!r} has more than one '#'")
    authority = _AUTHORITY.match(iri)
    rest = iri[authority.end() :] if authority else iri
    if "[" in rest or "]" in rest:
        raise InvalidIRI(f"IRI {iri!r} has a bracket outside its host")
    return iri


def instance_prefix(base: str) -> str:
    """Where the things this service names live: ``{base}id/``."""
    return f"{base}id/"


def graph_prefix(base: str) -> str:
    """Where the named graphs of this service live: ``{base}graph/``."""
    return f"{base}graph/"


def instance_iri(base: str, *segments: str) -> str:
    """The thing ``{base}id/{segment}/…`` (``instance_iri(base, "project", "101")``); the
    segments are joined as given, not checked."""
    return instance_prefix(base) + "/".join(segments)


def record_graph(base: str, kind: str, ref: str) -> str:
    """The record graph ``{base}graph/{kind}/{ref}`` of the entity ``{base}id/{kind}/{ref}``."""
    return f"{graph_prefix(base)}{kind}/{ref}"


def activity_iri(base: str, activity_id: str) -> str:
    """The provenance activity ``{base}id/activity/{id}`` of one accepted change."""
    return instance_iri(base, "activity", activity_id)


def version_iri(base: str, sequence: int) -> str:
    """The version with sequence number `sequence`: ``{base}id/version/{sequence}``."""
    return instance_iri(base, "version", str(sequence))


def document_iri(base: str, path: str) -> str:
    """The document ``{base}doc/{path}`` about the thing ``{base}id/{path}``."""
    return f"{base}doc/{path}"


def service_url(base: str, path: str = "") -> str:
    """A resource the site serves beside its documents: ``{base}sparql``, ``{base}changes/3``,
    ``{base}dumps/{file}``, ``{base}catalog?page=2``."""
    return f"{base}{path}"


def graph_iri(base: str, name: str) -> str:
    """The named graph ``{base}graph/{name}`` (e.g. 'ontology', 'shapes', 'taxonomy')."""
    return check_iri(graph_prefix(base) + name)


def provenance_graph_prefix(base: str) -> str:
    """Where the provenance activities live: ``{base}graph/activity/{id}``, one graph each."""
    return graph_prefix(base) + "activity/"


def record_graph_for(base: str, entity_iri: str) -> str | None:
    """The record graph of an entity ``{base}id/{type}/{ref}``: ``{base}graph/{type}/{ref}``.

    None when the IRI is not an instance IRI of this base.
    """
    prefix = instance_prefix(base)
    if not entity_iri.startswith(prefix):
        return None
    rest = entity_iri[len(prefix) :].split("#", 1)[0]
    if rest.count("/") < 1 or not all(rest.split("/")):
        return None
    return check_iri(graph_prefix(base) + rest)


def steward_iri(base: str, name: str) -> str:
    """The IRI of a steward as the agent of its activities: ``{base}id/steward/{slug of name}``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "steward"
    return instance_iri(base, "steward", slug)


def entity_for_record(base: str, graph: str) -> str | None:
    """The entity ``{base}id/{type}/{ref}`` whose record graph is `graph`; None for any other graph
    (the activities' graphs among them)."""
    prefix = graph_prefix(base)
    if not graph.startswith(prefix) or graph.startswith(provenance_graph_prefix(base)):
        return None
    rest = graph[len(prefix) :]
    if rest.count("/") < 1 or not all(rest.split("/")) or "#" in rest:
        return None
    return instance_prefix(base) + rest


COUNTRY_AUTHORITY = "http://publications.europa.eu/resource/authority/country/"
#: ISO 3166-1 alpha-2 code of each of the 27 Member States → its code in the EU country table.
MEMBER_STATES = {
    "AT": "AUT",
    "BE": "BEL",
    "BG": "BGR",
    "HR": "HRV",
    "CY": "CYP",
    "CZ": "CZE",
    "DK": "DNK",
    "EE": "EST",
    "FI": "FIN",
    "FR": "FRA",
    "DE": "DEU",
    "GR": "GRC",
    "HU": "HUN",
    "IE": "IRL",
    "IT": "ITA",
    "LV": "LVA",
    "LT": "LTU",
    "LU": "LUX",
    "MT": "MLT",
    "NL": "NLD",
    "PL": "POL",
    "PT": "PRT",
    "RO": "ROU",
    "SK": "SVK",
    "SI": "SVN",
    "ES": "ESP",
    "SE": "SWE",
}
_MEMBER_STATE_CODES = {v: k for k, v in MEMBER_STATES.items()}


def entity_iri(base: str, path: str) -> str | None:
    """The IRI a document path ``{type}/{ref}`` is about, or None if it names nothing we publish.

    ``member-state/{cc}`` names a Member State by its EU country authority IRI (we publish pages
    about them, but the IRIs are the Publications Office's); everything else is ``{base}id/{path}``.
    """
    parts = path.split("/")
    if len(parts) < 2 or not all(parts):
        return None
    if parts[0] == "member-state" and len(parts) == 2:
        code = MEMBER_STATES.get(parts[1].upper())
        return f"{COUNTRY_AUTHORITY}{code}" if code else None
    try:
        return check_iri(instance_prefix(base) + path)
    except InvalidIRI:
        return None


def document_path(base: str, iri: str) -> str | None:
    """The path ``{type}/{ref}`` of the document about `iri` on this site (fragment dropped), or
    None for an IRI that has no document here."""
    bare = iri.split("#", 1)[0]
    prefix = instance_prefix(base)
    if bare.startswith(prefix):
        return bare[len(prefix) :]
    if bare.startswith(COUNTRY_AUTHORITY):
        code = _MEMBER_STATE_CODES.get(bare[len(COUNTRY_AUTHORITY) :])
        return f"member-state/{code.lower()}" if code else None
    return None


#: The prefixes CCN Graph writes RDF with.
PREFIXES = {
    "ccn": ONTOLOGY_NS,
    "ccnsh": SHAPES_NS,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": "http://www.w3.org/ns/locn#",
    "time": "http://www.w3.org/2006/time#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "m8g": "http://data.europa.eu/m8g/",
    "eurio": "http://data.europa.eu/s66#",
    "country": COUNTRY_AUTHORITY,
}


def bind_prefixes(graph) -> None:
    """Give an rdflib graph the project's prefixes (for readable Turtle and JSON-LD)."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
