"""``/catalog`` (DCAT-AP), ``/void`` and ``/dumps/``: what harvesters read.

The catalogue and VoID are built from the manifest of the published dumps, which are rebuilt for
each data version: after an accepted write in the background, and at the latest when a harvester
asks for the catalogue.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    has_request_context,
    render_template,
    request,
    send_file,
)
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from ccn_graph.model.iris import bind_prefixes, instance_iri, instance_prefix, service_url
from ccn_graph.publish import catalogue_feed, dumps
from ccn_graph.publish.catalogue import PROFILES, catalogue_graph
from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries, results
from server import context
from server.background import build_now, dumps_root
from server.caching import cached
from server.headers import declare
from server.negotiation import choose
from server.problems import BadRequest, NotFound
from server.request_checks import whole_number

blueprint = Blueprint("catalog", __name__)
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
PAGE_SIZE = 10
SUFFIXES = formats.document_suffixes()


def _root() -> Path:
    return dumps_root(context.settings())


def manifest(*, build: bool = False) -> dumps.Manifest:
    """The published dumps: built now only if none exist yet (or with `build`, if they are of an
    older data version). A request never waits for a rebuild: it gets the dumps last published,
    which its catalogue describes truly (sizes, checksums, dates), and a rebuild is under way."""
    store = context.store()
    state = store.state()
    published = dumps.current_manifest(_root())
    stale = published is not None and state is not None and published.version != state.data_version
    if published is None or (stale and build):
        published = build_now(context.settings(), store)
    elif stale and has_request_context():
        context.services().dumps.request()
    return published


def published_version() -> str:
    """What the catalogue and VoID are kept under in the cache: the dumps they describe (a write
    changes neither until its dumps are published), for the store as loaded."""
    state = context.state()
    return f"dumps {manifest().version}@{state.loaded_at if state else ''}"


def _serialize(graph: Graph, media_type: str) -> Response:
    """Byte-stable: sorted N-Triples, then written in the asked format."""
    lines = sorted(line for line in graph.serialize(format="nt11").splitlines() if line.strip())
    if media_type == formats.TURTLE.media_type:
        bind_prefixes(graph)
    writer = results.graph_writer(media_type, iter(lines), len(lines) + 1)
    return Response("".join(writer), content_type=f"{media_type}; charset=utf-8")


#: The kinds of IRI (``{base}id/{kind}/…``) the catalogue mints: its own, its datasets and their
#: distributions, its publisher and its services. They are described by the catalogue document.
CATALOGUE_KINDS = ("catalog", "dataset", "agent", "service")

_described: dict[str, frozenset[str]] = {}


def describes(iri: str) -> bool:
    """Whether the catalogue as published describes `iri` (a subject of it)."""
    version = published_version()
    if version not in _described:
        state = context.store().state()
        loaded = state.loaded_at if state and state.loaded_at else "1970-01-01T00:00:00"
        graph = catalogue_graph(context.settings().base_iri, manifest(), loaded, _names())
        _described.clear()
        _described[version] = frozenset(str(s) for s in graph.subjects() if isinstance(s, URIRef))
    return iri in _described[version]


def _names() -> dict[str, str]:
    return {
        str(r["code"]): str(r["name"])
        for r in context.store().select(queries.load("member_state_names"))
    }


@blueprint.route("/catalog", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/catalog.<suffix>", methods=["GET", "HEAD"])
@declare(vary=("Accept", "Accept-Profile"), cors=True)
@cached(version=published_version)
def catalog(suffix):
    if suffix:
        media_type = SUFFIXES.get(suffix)
    else:
        media_type = choose(request, formats.DOCUMENT_FORMATS, html=True)
    if media_type is None:
        raise NotFound(f"The catalogue comes as {', '.join(SUFFIXES)}.")
    profile = request.args.get("profile") or _profile_asked() or "3.0.1"
    if profile not in PROFILES:
        raise BadRequest(f"profile= is one of {', '.join(PROFILES)} (DCAT-AP versions).")
    page_text = request.args.get("page")
    page = whole_number(page_text)
    if page_text is not None and page is None:
        raise BadRequest("page= takes a page number from 1.")
    settings = context.settings()
    published = manifest()
    state = context.store().state()
    loaded = state.loaded_at if state and state.loaded_at else "1970-01-01T00:00:00"
    graph = catalogue_graph(settings.base_iri, published, loaded, _names(), profile)
    if page is not None:
        asked = "profile" in request.args
        graph = _page(graph, settings.base_iri, page, profile if asked else None)
        if graph is None:
            raise NotFound("There is no such page of the catalogue.")
    if media_type == formats.HTML:
        return Response(
            render_template("catalog.html", manifest=published, base=settings.base_iri),
            content_type=f"{formats.HTML}; charset=utf-8",
        )
    response = _serialize(graph, media_type)
    response.headers["Content-Profile"] = f"<{PROFILES[profile]}>"
    return response


def _profile_asked() -> str | None:
    """The DCAT-AP version an ``Accept-Profile`` header (W3C Content Negotiation by Profile)
    asks for: the first of its profile IRIs we write, by quality."""
    header = request.headers.get("Accept-Profile", "")
    known = {iri: name for name, iri in PROFILES.items()}
    ranked = []
    for position, part in enumerate(header.split(",")):
        iri, _, params = part.strip().partition(">")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if iri.startswith("<") and iri[1:] in known and quality > 0:
            ranked.append((-quality, position, known[iri[1:]]))
    return min(ranked)[2] if ranked else None


def _page(graph: Graph, base: str, number: int, profile: str | None) -> Graph | None:
    """One self-contained page of the catalogue: every node but the datasets of other pages; its
    links to other pages keep the `profile` asked for (a harvester follows them as given)."""
    catalog = URIRef(instance_iri(base, "catalog"))
    datasets = sorted(graph.objects(catalog, URIRef("http://www.w3.org/ns/dcat#dataset")), key=str)
    pages = max(1, (len(datasets) + PAGE_SIZE - 1) // PAGE_SIZE)
    if number < 1 or number > pages:
        return None
    keep = set(datasets[(number - 1) * PAGE_SIZE : number * PAGE_SIZE])
    dropped = set(datasets) - keep
    out = Graph()
    for s, p, o in graph:
        owner = str(s).split("/distribution/", 1)[0].split("#", 1)[0]
        if URIRef(owner) in dropped or o in dropped:
            continue
        out.add((s, p, o))
    keep_profile = f"&profile={profile}" if profile else ""
    url = lambda n: URIRef(service_url(base, f"catalog?page={n}{keep_profile}"))  # noqa: E731
    view = url(number)
    out.add((view, RDF.type, HYDRA.PartialCollectionView))
    out.add((view, RDF.type, HYDRA.PagedCollection))
    out.add((view, HYDRA.totalItems, Literal(len(datasets), datatype=XSD.integer)))
    out.add((view, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    for first, last in ((HYDRA.first, HYDRA.last), (HYDRA.firstPage, HYDRA.lastPage)):
        out.add((view, first, url(1)))
        out.add((view, last, url(pages)))
    if number < pages:
        out.add((view, HYDRA.next, url(number + 1)))
        out.add((view, HYDRA.nextPage, url(number + 1)))
    if number > 1:
        out.add((view, HYDRA.previous, url(number - 1)))
        out.add((view, HYDRA.previousPage, url(number - 1)))
    out.add((catalog, HYDRA.view, view))
    return out


@blueprint.route("/void", defaults={"suffix": None}, methods=["GET", "HEAD"])
@blueprint.route("/void.<suffix>", methods=["GET", "HEAD"])
@blueprint.route("/.well-known/void", defaults={"suffix": None}, methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
@cached(version=published_version)
def void(suffix):
    media_type = SUFFIXES.get(suffix) if suffix else choose(request, formats.DOCUMENT_FORMATS)
    if media_type is None or media_type == formats.HTML:
        raise NotFound("VoID comes as ttl, nt, jsonld or rdf.")
    base = context.settings().base_iri
    published = manifest()
    stats = published.statistics
    g = Graph()
    dataset = URIRef(instance_iri(base, "dataset", "graph"))
    g.add((dataset, RDF.type, VOID.Dataset))
    # What a client may try first, and the properties that link out of the graph.
    g.add((dataset, VOID.exampleResource, URIRef(instance_iri(base, "ncc", "ro"))))
    g.add((dataset, VOID.exampleResource, URIRef(instance_iri(base, "centre", "eccc"))))
    g.add((dataset, DCTERMS.title, Literal("CCN Graph", lang="en")))
    g.add((dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(service_url(base, "sparql"))))
    # Where each change to it is published (an LDES event stream; see the catalogue's services).
    g.add((dataset, RDFS.seeAlso, URIRef(service_url(base, "changes"))))
    g.add((dataset, VOID.uriSpace, Literal(instance_prefix(base))))
    g.add((dataset, VOID.triples, Literal(stats["triples"], datatype=XSD.integer)))
    g.add((dataset, VOID.distinctSubjects, Literal(stats["subjects"], datatype=XSD.integer)))
    g.add((dataset, VOID.distinctObjects, Literal(stats["objects"], datatype=XSD.integer)))
    g.add((dataset, VOID.classes, Literal(len(stats["classes"]), datatype=XSD.integer)))
    g.add((dataset, VOID.properties, Literal(len(stats["properties"]), datatype=XSD.integer)))
    # Typed things, each once (older manifests: one per type statement).
    entities = stats.get("entities", sum(stats["classes"].values()))
    g.add((dataset, VOID.entities, Literal(entities, datatype=XSD.integer)))
    for file in published.datasets["graph"]["files"].values():
        g.add((dataset, VOID.dataDump, URIRef(service_url(base, f"dumps/{file['file']}"))))
    for vocabulary in (
        "https://w3id.org/ccn-graph/ontology#",
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/2004/02/skos/core#",
        "http://purl.org/dc/terms/",
        "http://www.w3.org/ns/prov#",
        "http://www.w3.org/ns/locn#",
        "http://www.w3.org/2006/time#",
        "https://schema.org/",
        "http://data.europa.eu/s66#",
    ):
        g.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for index, (cls, count) in enumerate(sorted(stats["classes"].items())):
        partition = URIRef(f"{dataset}#class-{index}")
        g.add((dataset, VOID.classPartition, partition))
        g.add((partition, VOID["class"], URIRef(cls)))
        g.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    for index, (prefix, count) in enumerate(sorted(stats["links"].items())):
        linkset = URIRef(f"{dataset}#linkset-{index}")
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, VOID.subjectsTarget, dataset))
        g.add((linkset, VOID.objectsTarget, URIRef(prefix)))
        g.add((linkset, VOID.triples, Literal(count, datatype=XSD.integer)))
        for predicate in stats.get("link_predicates", {}).get(prefix, ()):
            g.add((linkset, VOID.linkPredicate, URIRef(predicate)))
    return _serialize(g, media_type)


@blueprint.route("/dumps/", methods=["GET"])
def dump_index():
    published = manifest()
    files = [
        (d, f) for d in sorted(published.datasets) for f in published.datasets[d]["files"].values()
    ]
    return Response(
        render_template("dumps.html", files=files, version=published.version),
        content_type=f"{formats.HTML}; charset=utf-8",
    )


@blueprint.route("/dumps/<name>", methods=["GET", "HEAD"])
@declare(
    vary=("Accept-Encoding",),
    cors=True,
    expose=("ETag", "Content-Encoding", "Content-Length", "Last-Modified"),
)
def dump_file(name: str):
    """A dump as its RDF type (RFC 9110 §8.4): to a client that takes gzip, the file's own bytes
    with gzip as the content coding; to one that does not say so (urllib, and so rdflib), the
    RDF decompressed on the way. Either way a client parses what the type says."""
    published = manifest()
    path = published.file(name)
    if path is None:
        raise NotFound(f"There is no dump {name!r}: /dumps/ lists those published.")
    suffix = name.removesuffix(".gz").rpartition(".")[2]
    fmt = next((f for f in dumps.DUMP_FORMATS if f.suffix == suffix), None)
    if fmt is None:
        return send_file(path, mimetype=formats.GZIP, conditional=True, etag=True)
    if "gzip" in request.accept_encodings:
        response = send_file(path, mimetype=fmt.media_type, conditional=True, etag=True)
        response.headers["Content-Encoding"] = "gzip"
        return response
    return Response(_gunzipped(path), mimetype=fmt.media_type)


def _gunzipped(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as source:
        while chunk := source.read(1 << 16):
            yield chunk


# -- the catalogue's changes, as a DCAT-AP Feed ------------------------------------------------

FEED_PAGE = 100
_FEED_OFFERS = (formats.TRIG, formats.N_QUADS)
_LDES = "https://w3id.org/ldes#"
_TREE = "https://w3id.org/tree#"
_AS = "https://www.w3.org/ns/activitystreams#"


@blueprint.route("/catalog/feed", defaults={"number": None}, methods=["GET", "HEAD"])
@blueprint.route("/catalog/feed/<int:number>", methods=["GET", "HEAD"])
@declare(vary=("Accept",), cors=True)
def catalog_feed(number: int | None):
    """The catalogue's changes (`ccn_graph.publish.catalogue_feed`) as an LDES in TriG or
    N-Quads: the stream (`/catalog/feed`) and its pages of `FEED_PAGE` activities
    (`/catalog/feed/{n}`), each activity's entity description in the named graph of the
    activity; full pages never change."""
    media_type = choose(request, _FEED_OFFERS)
    manifest()  # the catalogue is recorded once its first dumps are published
    base = context.settings().base_iri
    recorded = catalogue_feed.activities(_root())
    pages = len(recorded) // FEED_PAGE + 1
    if number is not None and not 1 <= number <= pages:
        raise NotFound(f"The catalogue's feed has {pages} page(s) so far.")
    stream = f"<{service_url(base, 'catalog/feed')}>"
    default = [
        f"{stream} <{RDF.type}> <{_LDES}EventStream>",
        f"{stream} <{_LDES}timestampPath> <{_AS}published>",
        f"{stream} <{_LDES}versionOfPath> <{_AS}object>",
        f"{stream} <{_TREE}view> <{service_url(base, 'catalog/feed/1')}>",
        f"{stream} <{DCTERMS.conformsTo}> <https://semiceu.github.io/LDES-DCAT-AP-feeds/>",
    ]
    named: dict[str, list[str]] = {}
    full = number is not None and len(recorded) >= number * FEED_PAGE
    if number is not None:
        _feed_page(base, number, recorded, full, default, named)
    response = Response(
        _quads(default, named, media_type), content_type=f"{media_type}; charset=utf-8"
    )
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if full else "public, max-age=10"
    )
    return response


def _feed_page(
    base: str, number: int, recorded: list, full: bool, default: list, named: dict
) -> None:
    """Add page `number` of the feed: its node and relation to `default`, each activity's
    entity description to `named`."""
    stream = f"<{service_url(base, 'catalog/feed')}>"
    shown = recorded[(number - 1) * FEED_PAGE : number * FEED_PAGE]
    page = f"<{service_url(base, f'catalog/feed/{number}')}>"
    default.append(f"{page} <{RDF.type}> <{_TREE}Node>")
    if full:
        relation = f"<{service_url(base, f'catalog/feed/{number}')}#next>"
        default += [
            f"{page} <{_TREE}relation> {relation}",
            f"{relation} <{RDF.type}> <{_TREE}GreaterThanOrEqualToRelation>",
            f"{relation} <{_TREE}node> <{service_url(base, f'catalog/feed/{number + 1}')}>",
            f"{relation} <{_TREE}path> <{_AS}published>",
            f'{relation} <{_TREE}value> "{shown[-1]["published"]}"^^<{XSD.dateTime}>',
        ]
    for activity in shown:
        node = f"<{instance_iri(base, 'catalog-change', str(activity['sequence']))}>"
        default += [
            f"{stream} <{_TREE}member> {node}",
            f"{node} <{RDF.type}> <{_AS}{activity['type']}>",
            f"{node} <{_AS}object> <{activity['object']}>",
            f'{node} <{_AS}published> "{activity["published"]}"^^<{XSD.dateTime}>',
        ]
        # The entity as it then was, in the activity's own graph.
        named[node] = [
            line.rstrip()[:-1].rstrip()
            for line in activity.get("description", "").splitlines()
            if line
        ]


def _quads(default: list[str], named: dict[str, list[str]], media_type: str) -> str:
    """The statements, sorted, as N-Quads or TriG."""
    text = "".join(f"{t} .\n" for t in sorted(default))
    if media_type == formats.N_QUADS.media_type:
        return text + "".join(f"{t} {g} .\n" for g in sorted(named) for t in sorted(named[g]))
    return text + "".join(
        f"\n{g} {{\n" + "".join(f"  {t} .\n" for t in sorted(named[g])) + "}\n"
        for g in sorted(named)
    )
