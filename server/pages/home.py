"""The home page's view model: the live figures as home.html shows them, with a map of the
Network."""

from __future__ import annotations

from flask import current_app, url_for

from ccn_graph.model.iris import document_path
from ccn_graph.publish.figures import Figures
from server import context, network_map

__all__ = ["home_view"]

#: What the home page links to, when the app serves it.
_LINKS = (
    ("/sparql", "Query the graph in SPARQL"),
    ("/ontology", "The ontology"),
    ("/shapes", "The shapes"),
    ("/catalog", "The DCAT-AP catalogue"),
    ("/dumps/", "Downloads"),
    ("/validate", "Validate your data"),
)


def _doc_href(iri: str) -> str:
    path = document_path(context.settings().base_iri, iri)
    return url_for("linked_data.document", path=path) if path else iri


def home_view(data: Figures) -> dict:
    names = {n["state"]: n["name"] for n in data.nccs}
    by_state = sorted(
        (
            (names.get(s, s), c, _doc_href(s), url_for("members.members", state=s))
            for s, c in data.members_by_state.items()
        ),
        key=lambda r: (-r[1], r[0]),
    )
    rules = {r.rule.rstrip("/") for r in current_app.url_map.iter_rules()}
    return {
        "totals": data.totals,
        "by_state": by_state,
        "by_domain": data.members_by_domain,
        "svg": network_map.render(data.nccs, data.members_by_state, _doc_href),
        "links": [(rule, label) for rule, label in _LINKS if rule.rstrip("/") in rules],
        "domain_href": _doc_href,
    }
