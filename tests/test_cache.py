"""The per-version answer cache: hits, never stale after a write, shared across
processes, bounded."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from ccn_graph.model.stewards import Stewards
from ccn_graph.runtime.cache import CachedResponse, ResponseCache
from ccn_graph.settings import load_settings
from server import create_app

from .conftest import BASE, LiveApp, loaded_site
from .test_submissions import member, submit

COUNT = (
    "SELECT (COUNT(?m) AS ?n) WHERE { ?m a <https://w3id.org/ccn-graph/ontology#CommunityMember> }"
)


@pytest.fixture(scope="module")
def site(managed_server, tmp_path_factory):
    app, store, data_dir = loaded_site(managed_server, tmp_path_factory, members=5, dumps_every=0)
    token = Stewards(data_dir).add("NCC Romania", ("RO",))
    assert submit(app, member("cache-lab", "Cache Lab"), token).status_code == 201
    yield app, store, data_dir, token
    app.close()


def query_url(text: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": text})


PATHS = (
    "/doc/member/cache-lab.ttl",
    "/doc/member/cache-lab.html",
    "/search?q=Cache",
    query_url(COUNT),
    "/catalog.ttl",
    "/void.ttl",
    "/",
)


def test_a_repeated_request_is_a_hit_with_the_same_answer(site):
    app, *_ = site
    for path in PATHS:
        first = app.get(path)
        second = app.get(path)
        assert first.status_code == second.status_code == 200, path
        assert second.headers["CCN-Cache"] == "hit", path
        assert (
            second.content == first.content and second.headers["ETag"] == first.headers["ETag"]
        ), path
        again = app.get(path, headers={"If-None-Match": second.headers["ETag"]})
        assert again.status_code == 304, path


def test_a_forged_host_never_reaches_another_answer(site):
    """Answers that name the URL they were asked at (sitemap, service description) are kept per
    host: a request with a forged Host header cannot plant its URLs in everyone's answer."""
    app, *_ = site
    for path in ("/sitemap.xml", "/sparql"):
        forged = app.get(path, headers={"Host": "evil.example", "Accept": "text/turtle"})
        assert forged.status_code == 200 and "evil.example" in forged.text, path
        honest = app.get(path, headers={"Accept": "text/turtle"})
        assert honest.status_code == 200 and "evil.example" not in honest.text, path


def test_an_accepted_write_leaves_nothing_stale(site):
    app, store, _, token = site
    for path in PATHS:
        app.get(path)
    before = {path: app.get(path) for path in PATHS}
    assert all(r.headers["CCN-Cache"] == "hit" for r in before.values())
    assert submit(app, member("cache-lab", "Cache Lab Renamed"), token).status_code == 201
    assert submit(app, member("cache-lab-2", "Cache Lab Two"), token).status_code == 201
    after = {path: app.get(path) for path in PATHS}
    # The catalogue and VoID describe the dumps, which the writes change only once rebuilt.
    assert all(
        r.headers["CCN-Cache"] == "miss"
        for p, r in after.items()
        if p not in ("/void.ttl", "/catalog.ttl")
    )
    assert "Cache Lab Renamed" in after["/doc/member/cache-lab.ttl"].text
    assert "Cache Lab Renamed" in after["/doc/member/cache-lab.html"].text
    assert "Cache Lab Two" in after["/search?q=Cache"].text
    old = int(before[query_url(COUNT)].json()["results"]["bindings"][0]["n"]["value"])
    assert int(after[query_url(COUNT)].json()["results"]["bindings"][0]["n"]["value"]) == old + 1
    # VoID and the catalogue describe the dumps, rebuilt in the background: until they are, the
    # answers about the previous ones are still right (and kept); then they change.
    deadline = time.monotonic() + 60
    void = after["/void.ttl"]
    while void.text == before["/void.ttl"].text:
        assert time.monotonic() < deadline
        time.sleep(0.2)
        void = app.get("/void.ttl")
    assert void.headers["ETag"] != before["/void.ttl"].headers["ETag"]
    for path in PATHS:
        if path not in ("/void.ttl", "/catalog.ttl"):
            assert after[path].headers["ETag"] != before[path].headers["ETag"], path


def test_a_rejected_write_changes_nothing_and_keeps_the_answers(site):
    app, _, _, token = site
    app.get(PATHS[0])
    assert submit(app, member("cache-bad", category=False), token).status_code == 422
    assert app.get(PATHS[0]).headers["CCN-Cache"] == "hit"


def test_worker_processes_share_the_cache(site):
    app, store, data_dir, _ = site
    other = LiveApp(
        create_app(
            load_settings(environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE}),
            store,
        )
    )
    try:
        path = "/doc/member/cache-lab.jsonld"
        assert app.get(path).headers["CCN-Cache"] == "miss"
        assert other.get(path).headers["CCN-Cache"] == "hit"
    finally:
        other.close()


def test_the_cache_can_be_turned_off(site):
    _, store, data_dir, _ = site
    settings = load_settings(
        environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE, "cache_mb": 0}
    )
    app = LiveApp(create_app(settings, store))
    try:
        for _ in range(2):
            response = app.get(PATHS[0])
            assert response.status_code == 200 and "CCN-Cache" not in response.headers
    finally:
        app.close()


@pytest.mark.fast
def test_the_cache_is_bounded_and_drops_the_least_recently_used(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite", max_bytes=10_000, max_entry=1_000, touch_seconds=0)
    body = CachedResponse(200, {"Content-Type": "text/plain"}, b"x" * 900)
    assert not cache.put("huge", "1", CachedResponse(200, {}, b"x" * 1_001))
    for i in range(30):
        assert cache.put(f"k{i}", "1", body)
        assert cache.get("k0", "1") is not None  # k0 kept in use
        assert cache.size() <= 10_000
    assert cache.get("k0", "1") is not None and cache.get("k1", "1") is None
    assert cache.get("k29", "1").body == body.body and cache.get("k29", "2") is None
    cache.put("new", "2", body)
    for i in range(10):
        cache.put(f"n{i}", "2", body)
    assert cache.get("k29", "1") is None and cache.size() <= 10_000


@pytest.mark.fast
def test_the_running_total_is_the_sum_of_the_bodies_held(tmp_path):
    """The bound is checked against a total kept by triggers (summing would read every body):
    replacements, evictions and other versions' drops all keep it equal to the sum."""
    import sqlite3

    cache = ResponseCache(tmp_path / "c.sqlite", max_bytes=20_000, max_entry=5_000, touch_seconds=0)
    for i in range(200):
        size = 100 + (i * 37) % 4_000
        assert cache.put(f"k{i % 23}", str(i // 50), CachedResponse(200, {}, b"y" * size))
        held = (
            sqlite3.connect(tmp_path / "c.sqlite")
            .execute("SELECT COALESCE(SUM(size), 0) FROM entries")
            .fetchone()[0]
        )
        assert cache.size() == held <= 20_000


@pytest.mark.fast
def test_a_cache_file_of_the_older_layout_is_started_afresh(tmp_path):
    import sqlite3

    path = tmp_path / "c.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE entries (key TEXT PRIMARY KEY, version TEXT NOT NULL, "
        "status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, "
        "size INTEGER NOT NULL, used REAL NOT NULL)"
    )
    old.execute("INSERT INTO entries VALUES ('k', '1', 200, '{}', x'00', 1, 0)")
    old.commit()
    old.close()
    cache = ResponseCache(path, max_bytes=1_000)
    assert cache.get("k", "1") is None and cache.size() == 0
    assert cache.put("k", "1", CachedResponse(200, {}, b"abc")) and cache.size() == 3


@pytest.mark.fast
def test_stale_answers_go_a_few_at_a_time(tmp_path):
    """After a write every kept answer is stale; dropping them all in one put held every worker's
    writes for seconds under load. Each put drops a few, until the cache is back under three
    quarters of its bound."""
    import sqlite3

    from ccn_graph.runtime.cache import _STALE_PER_PUT

    cache = ResponseCache(
        tmp_path / "c.sqlite", max_bytes=100_000, max_entry=1_000, touch_seconds=0
    )
    body = CachedResponse(200, {}, b"z" * 900)
    for i in range(100):
        assert cache.put(f"old{i}", "1", body)

    def stale():
        return (
            sqlite3.connect(tmp_path / "c.sqlite")
            .execute("SELECT COUNT(*) FROM entries WHERE version = '1'")
            .fetchone()[0]
        )

    assert stale() == 100
    assert cache.put("new0", "2", body)
    assert stale() == 100 - _STALE_PER_PUT
    for i in range(1, 10):
        assert cache.put(f"new{i}", "2", body)
        assert stale() >= 100 - _STALE_PER_PUT * (i + 1)
    assert cache.size() <= 100_000 * 3 // 4 + 900 and stale() < 100 - _STALE_PER_PUT
