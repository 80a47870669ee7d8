"""The IRIs CCN Graph mints, and the fixed namespaces that never depend on a deployment.

Instance IRIs follow the EU persistent-URI pattern (DESIGN decision 3): ``{base}id/{type}/{ref}``
names a thing, ``{base}doc/{type}/{ref}`` the document about it, and ``{base}graph/…`` the named
graph that holds a record (DESIGN decision 2).
"""

from __future__ import annotations

import re

__all__ = [
    "ONTOLOGY_NS",
    "SHAPES_NS",
    "STORE_STATE_GRAPH",
    "InvalidIRI",
    "check_iri",
    "graph_iri",
    "record_graph_for",
]

#: The ontology's namespace: fixed, so that data published by any deployment shares its terms.
ONTOLOGY_NS = "https://w3id.org/ccn-graph/ontology#"
#: The namespace of the SHACL shapes.
SHAPES_NS = "https://w3id.org/ccn-graph/shapes#"
#: The named graph in which the store records what it was loaded with and its data version.
STORE_STATE_GRAPH = "https://w3id.org/ccn-graph/store-state"

# RFC 3987 leaves these out of an IRI; refusing them keeps a bound IRI from ever closing the
# <…> it is written in.
_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class InvalidIRI(ValueError):
    """A string is not an absolute IRI that can be written safely in SPARQL or Turtle."""


def check_iri(iri: str) -> str:
    """Return `iri` unchanged if it is absolute and free of forbidden characters.

    Raises `InvalidIRI` otherwise.
    """
    if not _SCHEME.match(iri):
        raise InvalidIRI(f"not an absolute IRI: {iri!r}")
    bad = _FORBIDDEN.search(iri)
    if bad:
        raise InvalidIRI(f"IRI {iri!r} contains the forbidden character {bad.group()!r}")
    return iri


def graph_iri(base: str, name: str) -> str:
    """The named graph ``{base}graph/{name}`` (e.g. 'ontology', 'shapes', 'taxonomy')."""
    return check_iri(f"{base}graph/{name}")


def record_graph_for(base: str, entity_iri: str) -> str | None:
    """The record graph of an entity ``{base}id/{type}/{ref}``: ``{base}graph/{type}/{ref}``.

    None when the IRI is not an instance IRI of this base.
    """
    prefix = f"{base}id/"
    if not entity_iri.startswith(prefix):
        return None
    rest = entity_iri[len(prefix):].split("#", 1)[0]
    if rest.count("/") < 1 or not all(rest.split("/")):
        return None
    return check_iri(f"{base}graph/{rest}")
