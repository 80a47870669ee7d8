"""One error channel (server/errors.py): problem details (RFC 9457) for clients, a page in the
site's layout for browsers, whatever raised the error — a view, the library, the router."""

from __future__ import annotations

import pytest

from ccn_graph.importers import loading
from ccn_graph.model.iris import PROBLEMS_NS
from ccn_graph.rdfio import formats
from ccn_graph.settings import load_settings
from ccn_graph.store import EmbeddedStore, StoreUnavailable
from server import create_app, home
from server.headers import DATA_POLICY, PAGE_POLICY

from .conftest import BASE

pytestmark = pytest.mark.fast

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def app_over(store, data_dir):
    settings = load_settings(
        environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE, "cache_mb": 0}
    )
    return create_app(settings, store)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = EmbeddedStore()
    loading.load_reference_data(store, BASE)
    yield app_over(store, tmp_path_factory.mktemp("data")).test_client()
    store.close()


# (method, path, options, status, error code, problem type name or None for about:blank)
SAMPLES = [
    ("GET", "/no/such/page", {}, 404, "Not Found", None),
    ("DELETE", "/health", {}, 405, "Method Not Allowed", None),
    ("GET", "/doc/ncc/ro", {"headers": {"Accept": "image/png"}}, 406, "Not Acceptable", None),
    ("GET", "/search?offset=x", {}, 400, "Bad Request", None),
    ("GET", "/submissions", {}, 401, "Unauthorized", None),
    ("GET", "/sparql?update=CLEAR+ALL", {}, 403, "update", "update"),
    ("GET", "/sparql?query=SELECT+*+%7B+SERVICE", {}, 400, "fetching", "fetching"),
    ("POST", "/sparql", {"data": b"x", "content_type": "text/plain"}, 415, "content_type", ""),
    (
        "GET",
        "/doc/ncc/zz",
        {"headers": {"Accept": "application/problem+json, text/turtle;q=0.5"}},
        404,
        "Not Found",
        None,
    ),
]


@pytest.mark.parametrize("method, path, options, status, code, kind", SAMPLES)
def test_client_errors_are_problem_details(client, method, path, options, status, code, kind):
    response = client.open(path, method=method, **options)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == formats.PROBLEM_JSON
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["detail"] and body["detail"] == body["message"]
    assert body["title"] and body["instance"] == path.split("?")[0]
    if code is not None:
        assert body["error"] == code
    if kind is None:
        assert body["type"] == "about:blank"
    elif kind:
        assert body["type"] == f"{PROBLEMS_NS}{kind}"
    else:
        assert body["type"].startswith(PROBLEMS_NS)
    assert "Accept" in response.headers["Vary"]
    assert response.headers["Content-Security-Policy"] == DATA_POLICY


def test_a_405_names_the_methods_allowed(client):
    response = client.delete("/health")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_a_401_asks_for_a_bearer_token(client):
    response = client.get("/submissions")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="ccn-graph"'


def test_a_406_lists_what_is_available(client):
    body = client.get("/doc/ncc/ro", headers={"Accept": "image/png"}).get_json(force=True)
    assert formats.TURTLE.media_type in body["available"]


@pytest.mark.parametrize(
    "path, status",
    [
        ("/no/such/page", 404),
        ("/doc/ncc/zz", 404),
        ("/doc/ncc/ro?format=xyz", 406),
        ("/submissions", 401),
        ("/sparql?update=CLEAR+ALL", 403),
        ("/search?offset=x", 400),
    ],
)
def test_a_browser_gets_a_page_that_says_what_to_do(client, path, status):
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == status
    assert response.mimetype == formats.HTML
    page = response.get_data(as_text=True)
    assert "<h1>" in page and 'href="/"' in page and f"HTTP {status}" in page
    assert 'class="error-advice"' in page
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY
    assert "Accept" in response.headers["Vary"]


def test_html_only_when_it_ranks_above_json(client):
    for accept, expected in [
        ("application/json, text/html;q=0.5", formats.PROBLEM_JSON),
        ("text/html;q=0.5, application/json", formats.PROBLEM_JSON),
        ("application/json;q=0.5, text/html", formats.HTML),
        ("*/*", formats.PROBLEM_JSON),
        ("image/png", formats.PROBLEM_JSON),
    ]:
        response = client.get("/no/such/page", headers={"Accept": accept})
        assert response.mimetype == expected, accept


def test_an_error_page_escapes_what_the_request_said(client):
    response = client.get("/doc/ncc/ro?format=<script>x</script>", headers={"Accept": BROWSER})
    assert response.status_code == 406
    assert "<script>x" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "error, status, kind, retry",
    [
        (StoreUnavailable("connection refused"), 503, "store-unavailable", "5"),
        (RuntimeError("a bug, with a secret"), 500, None, None),
    ],
)
def test_server_errors_are_problem_details_too(tmp_path, monkeypatch, error, status, kind, retry):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(home, "figures", fail)
    store = EmbeddedStore()
    try:
        client = app_over(store, tmp_path).test_client()
        response = client.get("/")
        page = client.get("/", headers={"Accept": BROWSER})
    finally:
        store.close()
    assert response.status_code == status and response.mimetype == formats.PROBLEM_JSON
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"] == (f"{PROBLEMS_NS}{kind}" if kind else "about:blank")
    assert "secret" not in body["detail"]
    assert response.headers.get("Retry-After") == retry
    assert page.status_code == status and page.mimetype == formats.HTML


def test_entity_pages_vary_by_language_and_data_by_accept_alone(client):
    page = client.get("/doc/ncc/ro", headers={"Accept": "text/html"})
    assert page.headers["Vary"] == "Accept, Accept-Language"
    turtle = client.get("/doc/ncc/ro", headers={"Accept": "text/turtle"})
    assert turtle.headers["Vary"] == "Accept"
    assert turtle.headers["Access-Control-Allow-Origin"] == "*"
