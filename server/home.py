"""The home page, search and the sitemap."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from ccn_graph.model.iris import document_path
from ccn_graph.publish.figures import figures
from ccn_graph.rdfio import formats
from ccn_graph.sparql import queries
from server import context
from server.caching import cached
from server.headers import declare
from server.negotiation import choose
from server.pages.home import home_view
from server.pages.search import search_json, search_view
from server.problems import BadRequest
from server.request_checks import whole_number

blueprint = Blueprint("home", __name__)
PAGE = 20
SITEMAP_PAGE = 50_000


@blueprint.get("/")
@cached
def home():
    data = figures(context.store(), context.portal())
    return render_template("home.html", **home_view(data))


@blueprint.get("/search")
@declare(vary=("Accept",))
@cached
def search():
    query = request.args.get("q", "")
    offset = whole_number(request.args.get("offset", "0"))
    if offset is None:
        raise BadRequest("offset= takes the number of results to skip, such as 20.")
    if len(query) > 200:
        raise BadRequest("Search for at most 200 characters.")
    media_type = choose(request, (formats.JSON_FORMAT,), html=True)
    hits, total = (
        context.portal().search(query, offset=offset, limit=PAGE) if query.strip() else ([], 0)
    )
    args = (query, hits, total, offset, PAGE)
    if media_type == formats.JSON:
        return current_app.json.response(search_json(*args))
    return Response(
        render_template("search.html", **search_view(*args)),
        content_type=f"{formats.HTML}; charset=utf-8",
    )


@blueprint.get("/sitemap.xml")
@cached(per_host=True)
def sitemap():
    """Every entity document (pages of 50,000, with a sitemap index past that)."""
    settings = context.settings()
    things = [str(r["thing"]) for r in context.store().select(queries.load("entity_subjects"))]
    paths = sorted({p for p in (document_path(settings.base_iri, t) for t in things) if p})
    root = request.url_root.rstrip("/")
    page = request.args.get("page")
    start = 0 if page is None else whole_number(page)
    if start is None:
        raise BadRequest("page= takes a page number of the sitemap index, such as 0.")
    if len(paths) > SITEMAP_PAGE and page is None:
        pages = (len(paths) + SITEMAP_PAGE - 1) // SITEMAP_PAGE
        body = render_template(
            "sitemap_index.xml", urls=[f"{root}/sitemap.xml?page={i}" for i in range(pages)]
        )
    else:
        first = start * SITEMAP_PAGE
        body = render_template(
            "sitemap.xml", urls=[f"{root}/doc/{p}" for p in paths[first : first + SITEMAP_PAGE]]
        )
    return Response(body, content_type=f"{formats.XML}; charset=utf-8")


@blueprint.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
