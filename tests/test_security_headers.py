"""The headers every answer carries (server/headers.py), the pages' script kept in files,
and errors that repeat part of the request without its markup."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
import requests

from server.headers import DATA_POLICY, PAGE_POLICY, YASGUI_STYLE_HASHES

from .conftest import ROOT, loaded_site

TEMPLATES = sorted(ROOT.joinpath("server", "templates").glob("*.html"))
YASGUI = ROOT / "server" / "static" / "vendor" / "yasgui" / "yasgui.min.js"
MARKUP = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def site(managed_server, tmp_path_factory):
    app, _, _ = loaded_site(managed_server, tmp_path_factory)
    yield app
    app.close()


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        assert name not in parsed, f"{name} twice in {policy}"
        parsed[name] = values
    return parsed


def assert_secured(response, policy: str | None) -> None:
    """The headers are there, and the policy is `policy` (None: either, for an empty answer)."""
    where = f"{response.request.method} {response.url} ({response.status_code})"
    expected = (policy,) if policy else (PAGE_POLICY, DATA_POLICY)
    assert response.headers.get("Content-Security-Policy") in expected, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where


@pytest.mark.fast
def test_the_page_policy_runs_no_inline_script():
    policy = directives(PAGE_POLICY)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in PAGE_POLICY and "'unsafe-eval'" not in PAGE_POLICY
    # Images: this site's and data: URLs only; the map draws no tiles from anywhere.
    assert policy["img-src"] == ["'self'", "data:"]
    assert [v for v in policy["style-src"] if not v.startswith("'sha256-")] == [
        "'self'",
        "'unsafe-hashes'",
    ]
    data = directives(DATA_POLICY)
    assert data["default-src"] == ["'none'"] and data["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    "path, accept",
    [
        ("/", "text/html"),
        ("/sparql", "text/html"),
        ("/doc/ncc/ro", "text/html"),
        ("/validate", "text/html"),
        ("/submit", "text/html"),
        ("/members", "text/html"),
        ("/doc/ncc/zz", "text/html"),  # a 404 page
    ],
)
def test_pages_carry_the_page_policy(site, path, accept):
    response = site.get(path, headers={"Accept": accept})
    assert response.headers["Content-Type"].startswith("text/html")
    assert_secured(response, PAGE_POLICY)


@pytest.mark.parametrize(
    "path, accept",
    [
        ("/doc/ncc/ro", "text/turtle"),
        ("/doc/ncc/ro.jsonld", None),
        ("/doc/ncc/ro.rdf", None),
        ("/sparql", "text/turtle"),  # the service description
        ("/sparql?query=ASK%7B%7D", "application/sparql-results+json"),
        ("/search?q=romania&format=json", None),
        ("/health", "application/json"),
        ("/sitemap.xml", None),
        ("/static/site.css", None),
        ("/static/sparql.js", None),
        ("/static/favicon.svg", None),
        ("/doc/ncc/zz", "application/ld+json"),  # a 404 in JSON
        ("/doc/ncc/ro", "image/png"),  # a 406
    ],
)
def test_data_and_files_carry_the_data_policy(site, path, accept):
    response = site.get(path, headers={"Accept": accept} if accept else {})
    assert not response.headers["Content-Type"].startswith("text/html")
    assert_secured(response, DATA_POLICY)


def test_redirects_and_preflights_carry_the_headers(site):
    see_other = site.get("/id/ncc/ro", headers={"Accept": "text/turtle"}, allow_redirects=False)
    assert see_other.status_code == 303 and see_other.headers["Content-Type"].startswith(
        "text/html"
    )
    assert_secured(see_other, PAGE_POLICY)  # its few words for a person are a page
    preflight = requests.options(f"{site.url}/sparql", timeout=30)
    assert preflight.status_code == 204 and not preflight.content
    assert_secured(preflight, None)


class _InlineCode(HTMLParser):
    """Collects script without a src (other than JSON-LD), event handler and style attributes,
    style elements and javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if (
            tag == "script"
            and "src" not in attributes
            and attributes.get("type") != "application/ld+json"
        ):
            self.found.append(f"inline <script> {attrs}")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{name}= on <{tag}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: in {name} on <{tag}>")


@pytest.mark.fast
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_keep_their_script_and_style_in_files(template):
    parser = _InlineCode()
    parser.feed(template.read_text())
    assert parser.found == [], parser.found


@pytest.mark.fast
def test_the_templates_are_found():
    assert len(TEMPLATES) >= 10
    parser = _InlineCode()
    parser.feed(
        '<p onclick="x()" style="color:red"><script>x()</script><a href="javascript:x()">x</a>'
    )
    assert len(parser.found) == 4, parser.found


@pytest.mark.fast
def test_the_style_hashes_are_of_styles_yasgui_writes():
    # The three fixed styles YASGUI writes inline (see PAGE_POLICY); a new YASGUI that writes
    # others shows in the browser tests as a violation of the policy.
    script = YASGUI.read_text()
    resizer = re.search(
        r"createStyle\(a,`( \.grip-resizable\{table-layout:fixed;\}[^`]*)`", script
    ).group(1)
    assert (
        "dragCursor:`col-resize`" in script
        and "createStyle(document.querySelector(`head`),`*{cursor:`" in script
    )
    assert "<strong style='text-decoration:underline'>" in script
    texts = [resizer, "*{cursor:col-resize!important}", "text-decoration:underline"]
    hashes = [base64.b64encode(hashlib.sha256(t.encode()).digest()).decode() for t in texts]
    assert list(YASGUI_STYLE_HASHES) == hashes


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/doc/ncc/ro", {"Accept": MARKUP}),
        ("/id/ncc/ro", {"Accept": MARKUP}),
        ("/members", {"Accept": f"text/{MARKUP}"}),
        ("/sparql?query=ASK%7B%7D", {"Accept": MARKUP}),
        ("/doc/ncc/ro?format=" + MARKUP, {}),
        ("/ontology." + MARKUP.replace("/", ""), {}),
    ],
)
def test_a_406_repeats_no_markup(site, path, headers):
    response = site.get(path, headers=headers)
    assert response.status_code == 406, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert not re.search(r"[<>&']", response.text), response.text
    message = response.json()["message"]
    assert "<script>" in message, message  # repeated, and escaped in the body


def test_a_406_repeats_a_long_accept_cut_short(site):
    accept = "text/x-" + "a" * 5000
    response = site.get("/doc/ncc/ro", headers={"Accept": accept})
    assert response.status_code == 406
    message = response.json()["message"]
    assert "text/x-aaaa" in message and len(message) < 600 and "…" in message
