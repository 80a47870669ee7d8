"""The DCAT-AP catalogue of CCN Graph, built from the published dumps' manifest.

Every node has an IRI (no blank nodes) and the output is written from sorted N-Triples, so the
same data state always gives the same bytes, which harvesters hash. A dataset's ``dct:modified``
is the time of the last accepted change of one of its graphs (from the provenance), else when the
store was loaded.

Authority-table IRIs are used only where verified against the EU tables (data themes, file types,
continent, countries); the language table is not among the verified ones, so the catalogue states
no `dct:language` (a recommended property); the publisher is described with our own IRI, typed
and named, because the corporate-body code of the Centre is not confirmed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD

from ccn_graph.model.iris import ONTOLOGY_NS, SHAPES_NS, instance_iri, service_url
from ccn_graph.publish.dumps import Manifest

__all__ = ["catalogue_graph"]

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SPDX_HTTPS = Namespace("https://spdx.org/rdf/terms#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
THEMES = (URIRef(AUTHORITY + "data-theme/TECH"), URIRef(AUTHORITY + "data-theme/GOVE"))
# The English labels of these two themes in the EU data-theme table.
THEME_LABELS = {
    AUTHORITY + "data-theme/TECH": "Science and technology",
    AUTHORITY + "data-theme/GOVE": "Government and public sector",
}
FILE_TYPES = {"nq": "RDF_N_QUADS", "ttl": "RDF_TURTLE", "jsonld": "JSON_LD"}
#: CC BY 4.0 as the EU licence table names it (data.europa.eu scores a licence from the table).
LICENCE = URIRef(AUTHORITY + "licence/CC_BY_4_0")
#: The licence's own deed, which the table's entry stands for.
LICENCE_DEED = URIRef("https://creativecommons.org/licenses/by/4.0/")
PUBLIC = URIRef(AUTHORITY + "access-right/PUBLIC")
#: Dumps are rebuilt after every change at the same URLs: their availability is stable.
STABLE = URIRef(AUTHORITY + "planned-availability/STABLE")
DCATAP = Namespace("http://data.europa.eu/r5r/")
EUROPE = URIRef(AUTHORITY + "continent/EUROPE")
#: The Linked Data Event Streams specification (SEMIC), which the change feed follows.
LDES = URIRef("https://w3id.org/ldes/specification")
START = Literal("2021-06-28", datatype=XSD.date)  # entry into force of Regulation (EU) 2021/887

DESCRIPTIONS = {
    "graph": "The whole CCN Graph: the European Cybersecurity Competence Centre, the National "
    "Coordination Centres, the Cybersecurity Competence Community, their expertise, programmes "
    "and projects.",
    "ontology": "The OWL ontology of CCN Graph (terms for the Centre, the Network, the Community "
    "and funding).",
    "shapes": "The SHACL shapes every record of CCN Graph is validated against.",
    "taxonomy": "The JRC European Cybersecurity Taxonomy as SKOS: research domains and "
    "sub-domains, sectors, technologies and use cases.",
}
KEYWORDS = (
    "cybersecurity",
    "ECCC",
    "National Coordination Centre",
    "Regulation (EU) 2021/887",
    "linked data",
)


def _time(value: str | None, fallback: str) -> Literal:
    """A time of the store (UTC, with or without its offset written) with its offset."""
    when = dt.datetime.fromisoformat((value or fallback).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return Literal(when.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


#: The DCAT-AP versions the catalogue can be written for, and the profile IRI each announces.
PROFILES = {
    "3.0.1": "http://data.europa.eu/r5r/",
    "2.1.1": "https://joinup.ec.europa.eu/collection/semantic-interoperability-community-semic/solution/dcat-application-profile-data-portals-europe/release/211",
}


def catalogue_graph(
    base: str, manifest: Manifest, loaded_at: str, names: dict[str, str], version: str = "3.0.1"
) -> Graph:
    """The catalogue for `manifest`; `names` gives the English name of each Member State by code.

    `version` is the DCAT-AP version to follow where they differ: 3.0.1 types a byte size as
    ``xsd:nonNegativeInteger`` and takes a SHA-256 checksum (its algorithm under the https SPDX
    namespace, as its controlled-vocabulary shapes require); 2.1.1 (which data.europa.eu converts
    everything to) wants ``xsd:decimal`` and SHA-1.
    """
    g = Graph()
    nodes = _Nodes.of(base)
    _describe_catalogue(g, nodes, manifest, loaded_at)
    _describe_publisher(g, nodes)
    for name, dataset in sorted(manifest.datasets.items()):
        _describe_dataset(g, nodes, name, dataset, names, loaded_at, version)
    _describe_services(g, nodes)
    _type_the_values(g)
    return g


@dataclasses.dataclass(frozen=True)
class _Nodes:
    """The catalogue's own nodes, named under the instance's base."""

    base: str
    catalog: URIRef
    publisher: URIRef
    contact: URIRef
    service: URIRef
    feed: URIRef
    ontology: URIRef
    shapes: URIRef

    @classmethod
    def of(cls, base: str) -> _Nodes:
        publisher = URIRef(instance_iri(base, "agent", "ccn-graph"))
        return cls(
            base=base,
            catalog=URIRef(instance_iri(base, "catalog")),
            publisher=publisher,
            contact=URIRef(f"{publisher}#contact"),
            service=URIRef(instance_iri(base, "service", "sparql")),
            feed=URIRef(instance_iri(base, "service", "changes")),
            ontology=URIRef(ONTOLOGY_NS.rstrip("#")),
            shapes=URIRef(SHAPES_NS.rstrip("#")),
        )


def _describe_catalogue(g: Graph, nodes: _Nodes, manifest: Manifest, loaded_at: str) -> None:
    base, catalog, publisher = nodes.base, nodes.catalog, nodes.publisher
    service, feed = nodes.service, nodes.feed
    modified_all = max(
        [d["modified"] for d in manifest.datasets.values() if d["modified"]] or [loaded_at]
    )
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal("CCN Graph catalogue", lang="en")))
    g.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                "Datasets of CCN Graph, the linked-data knowledge graph of the EU cybersecurity "
                "competence ecosystem established by Regulation (EU) 2021/887: the whole graph, "
                "its vocabulary, shapes and taxonomy, and one dataset per Member State.",
                lang="en",
            ),
        )
    )
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, FOAF.homepage, URIRef(base)))
    g.add((catalog, DCTERMS.license, LICENCE))
    g.add((catalog, DCTERMS.issued, _time(loaded_at, loaded_at)))
    g.add((catalog, DCTERMS.modified, _time(modified_all, loaded_at)))
    g.add((catalog, DCTERMS.spatial, EUROPE))
    g.add((catalog, DCAT.themeTaxonomy, URIRef(AUTHORITY + "data-theme")))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, DCAT.service, feed))


def _describe_publisher(g: Graph, nodes: _Nodes) -> None:
    base, publisher, contact = nodes.base, nodes.publisher, nodes.contact
    ontology, shapes = nodes.ontology, nodes.shapes
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal("CCN Graph", lang="en")))
    g.add(
        (
            publisher,
            DCTERMS.type,
            URIRef("http://purl.org/adms/publishertype/NonProfitOrganisation"),
        )
    )
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal("CCN Graph maintainers", lang="en")))
    g.add((contact, VCARD.hasURL, URIRef(base)))
    g.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    g.add((LICENCE, RDFS.seeAlso, LICENCE_DEED))
    for standard in (ontology, shapes):
        g.add((standard, RDF.type, DCTERMS.Standard))
    g.add((URIRef(ONTOLOGY_NS.rstrip("#")), RDFS.label, Literal("CCN Graph ontology", lang="en")))
    g.add((URIRef(SHAPES_NS.rstrip("#")), RDFS.label, Literal("CCN Graph shapes", lang="en")))


def _describe_dataset(
    g: Graph,
    nodes: _Nodes,
    name: str,
    dataset: dict,
    names: dict[str, str],
    loaded_at: str,
    version: str,
) -> None:
    base, catalog, service = nodes.base, nodes.catalog, nodes.service
    publisher, contact, ontology, shapes = (
        nodes.publisher,
        nodes.contact,
        nodes.ontology,
        nodes.shapes,
    )
    node = URIRef(instance_iri(base, "dataset", name))
    g.add((catalog, DCAT.dataset, node))
    g.add((service, DCAT.servesDataset, node))
    g.add((node, RDF.type, DCAT.Dataset))
    code = dataset.get("code")
    title = dataset["title"] if not code else f"CCN Graph: {names.get(code, code)}"
    g.add((node, DCTERMS.title, Literal(title, lang="en")))
    description = DESCRIPTIONS.get(name) or (
        f"The National Coordination Centre of {names.get(code, code)} and the Community members "
        "established there, as linked data."
    )
    g.add((node, DCTERMS.description, Literal(description, lang="en")))
    g.add((node, DCTERMS.identifier, Literal(str(node))))
    for keyword in KEYWORDS:
        g.add((node, DCAT.keyword, Literal(keyword, lang="en")))
    for theme in THEMES:
        g.add((node, DCAT.theme, theme))
    g.add((node, DCTERMS.publisher, publisher))
    g.add((node, DCAT.contactPoint, contact))
    g.add((node, DCTERMS.spatial, URIRef(dataset["state"]) if code else EUROPE))
    period = URIRef(f"{node}#period")
    g.add((node, DCTERMS.temporal, period))
    g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    g.add((period, DCAT.startDate, START))
    g.add((node, DCTERMS.modified, _time(dataset["modified"], loaded_at)))
    g.add((node, DCTERMS.issued, _time(loaded_at, loaded_at)))
    g.add((node, DCTERMS.conformsTo, ontology))
    g.add((node, DCTERMS.conformsTo, shapes))
    g.add((node, DCTERMS.license, LICENCE))
    g.add((node, DCTERMS.accessRights, PUBLIC))
    for suffix, file in sorted(dataset["files"].items()):
        _describe_distribution(
            g, base, node, title, suffix, file, dataset["modified"], loaded_at, version
        )


def _describe_distribution(
    g: Graph,
    base: str,
    node: URIRef,
    title: str,
    suffix: str,
    file: dict,
    modified: str | None,
    loaded_at: str,
    version: str,
) -> None:
    dist = URIRef(f"{node}/distribution/{suffix}")
    url = URIRef(service_url(base, f"dumps/{file['file']}"))
    g.add((node, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal(f"{title} ({file['media_type']}, gzip)", lang="en")))
    g.add(
        (
            dist,
            DCTERMS.description,
            Literal(
                f"A gzip-compressed {file['media_type']} dump, regenerated after every "
                "accepted change.",
                lang="en",
            ),
        )
    )
    g.add((dist, DCAT.accessURL, url))
    g.add((dist, DCAT.downloadURL, url))
    g.add(
        (
            dist,
            DCAT.mediaType,
            URIRef(f"https://www.iana.org/assignments/media-types/{file['media_type']}"),
        )
    )
    g.add(
        (
            dist,
            DCAT.compressFormat,
            URIRef("https://www.iana.org/assignments/media-types/application/gzip"),
        )
    )
    g.add((dist, DCTERMS.format, URIRef(AUTHORITY + "file-type/" + FILE_TYPES[suffix])))
    size_type = XSD.decimal if version == "2.1.1" else XSD.nonNegativeInteger
    g.add((dist, DCAT.byteSize, Literal(file["size"], datatype=size_type)))
    _describe_checksum(g, dist, file, version)
    g.add((dist, DCTERMS.license, LICENCE))
    g.add((dist, DCATAP.availability, STABLE))
    g.add((dist, DCTERMS.modified, _time(modified, loaded_at)))


def _describe_checksum(g: Graph, dist: URIRef, file: dict, version: str) -> None:
    """The checksum of a distribution's file, with the algorithm `version` of DCAT-AP wants."""
    checksum = URIRef(f"{dist}#checksum")
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    if version == "2.1.1":
        algorithm, value = SPDX.checksumAlgorithm_sha1, file["sha1"]
    else:
        # DCAT-AP 3.0.1's controlled-vocabulary shapes want the algorithm under
        # https://spdx.org/rdf/terms; SPDX 2 names it under http:. Use the first, say both.
        algorithm, value = SPDX_HTTPS.checksumAlgorithm_sha256, file["sha256"]
        g.add((algorithm, OWL.sameAs, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.algorithm, algorithm))
    g.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((checksum, SPDX.checksumValue, Literal(value, datatype=XSD.hexBinary)))


def _describe_services(g: Graph, nodes: _Nodes) -> None:
    """The SPARQL endpoint and the change feed, as data services."""
    base, service, feed = nodes.base, nodes.service, nodes.feed
    publisher, contact = nodes.publisher, nodes.contact
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("CCN Graph SPARQL endpoint", lang="en")))
    g.add(
        (
            service,
            DCTERMS.description,
            Literal("A read-only, bounded SPARQL 1.1 endpoint over the whole graph.", lang="en"),
        )
    )
    g.add((service, DCAT.endpointURL, URIRef(service_url(base, "sparql"))))
    g.add((service, DCAT.endpointDescription, URIRef(service_url(base, "sparql"))))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((URIRef("https://www.w3.org/TR/sparql11-protocol/"), RDF.type, DCTERMS.Standard))
    # The change feed: every version of every record, for harvesters that follow changes rather
    # than download the dumps again.
    g.add((feed, RDF.type, DCAT.DataService))
    g.add((feed, DCTERMS.title, Literal("CCN Graph change feed", lang="en")))
    g.add(
        (
            feed,
            DCTERMS.description,
            Literal(
                "Every version of every record of the whole graph, oldest first, as a Linked Data "
                "Event Stream (and as an Activity Streams 2.0 collection): replaying it from the "
                "start rebuilds the records.",
                lang="en",
            ),
        )
    )
    g.add((feed, DCAT.endpointURL, URIRef(service_url(base, "changes"))))
    g.add((feed, DCAT.endpointDescription, URIRef(service_url(base, "changes"))))
    g.add((feed, DCTERMS.conformsTo, LDES))
    g.add((LDES, RDF.type, DCTERMS.Standard))
    g.add((feed, DCAT.servesDataset, URIRef(instance_iri(base, "dataset", "graph"))))
    for node in (service, feed):
        g.add((node, DCTERMS.publisher, publisher))
        g.add((node, DCAT.contactPoint, contact))
        g.add((node, DCTERMS.license, LICENCE))
        for keyword in KEYWORDS:
            g.add((node, DCAT.keyword, Literal(keyword, lang="en")))
        for theme in THEMES:
            g.add((node, DCAT.theme, theme))


def _type_the_values(g: Graph) -> None:
    """Say what each value is, so that validators without background vocabularies (the EU
    validator's "zero" profiles) can check ranges."""
    for theme in set(g.objects(None, DCAT.theme)):
        g.add((theme, RDF.type, SKOS.Concept))
        g.add((theme, SKOS.inScheme, URIRef(AUTHORITY + "data-theme")))
        g.add((theme, SKOS.prefLabel, Literal(THEME_LABELS[str(theme)], lang="en")))
    for place in set(g.objects(None, DCTERMS.spatial)):
        g.add((place, RDF.type, DCTERMS.Location))
    for contact in set(g.objects(None, DCAT.contactPoint)):
        g.add((contact, RDF.type, VCARD.Kind))
    for fmt in set(g.objects(None, DCTERMS.format)):
        g.add((fmt, RDF.type, DCTERMS.MediaTypeOrExtent))
    for media in set(g.objects(None, DCAT.mediaType)) | set(g.objects(None, DCAT.compressFormat)):
        g.add((media, RDF.type, DCTERMS.MediaType))
    for right in set(g.objects(None, DCTERMS.accessRights)):
        g.add((right, RDF.type, DCTERMS.RightsStatement))
        g.add((right, SKOS.inScheme, URIRef(AUTHORITY + "access-right")))
    for available in set(g.objects(None, DCATAP.availability)):
        g.add((available, RDF.type, SKOS.Concept))
        g.add((available, SKOS.inScheme, URIRef(AUTHORITY + "planned-availability")))
        # Its English label, as DCAT-AP 2.1.1's availability vocabulary gives it.
        g.add((available, SKOS.prefLabel, Literal("stable", lang="en")))
    for language in set(g.objects(None, DCTERMS.language)):
        g.add((language, RDF.type, DCTERMS.LinguisticSystem))
    scheme = URIRef(AUTHORITY + "data-theme")
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    # A description of the table, not its official title, which none of our sources gives.
    g.add(
        (
            scheme,
            DCTERMS.title,
            Literal("The data-theme authority table of the EU Publications Office", lang="en"),
        )
    )
    for kind in set(g.objects(None, DCTERMS.type)):
        g.add((kind, RDF.type, SKOS.Concept))
        g.add((kind, SKOS.prefLabel, Literal("Non-Profit Organisation", lang="en")))
    for page in set(g.objects(None, FOAF.homepage)):
        g.add((page, RDF.type, FOAF.Document))
