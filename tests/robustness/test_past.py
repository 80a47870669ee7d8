"""Queries over the graph as it was (`/sparql?at=`) under the bounds of ccn_graph/store/past.py:
each in a child process under the children's memory limit and the query time limit (the building
of the moment's copy included), at most `CCN_PAST_QUERIES` at once across the workers, and one
copy per moment, shared by concurrent requests and cleaned while others read."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
import requests

from ccn_graph.model.stewards import Stewards
from ccn_graph.settings import load_settings
from ccn_graph.store.past import KEPT
from server import create_app

from ..conftest import BASE, LiveApp, loaded_site
from ..figures import record
from ..test_service import Service
from ..test_submissions import member
from .test_query_of_death import DEATHS, rss_mb

LIMIT, CAP, SLOTS, CHANGES = 20, 512, 2, 8
JSON = {"Accept": "application/sparql-results+json"}
COUNT = (
    "SELECT (COUNT(?m) AS ?n) WHERE { ?m <http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
    'FILTER (STRSTARTS(STR(?label), "Past Lab")) }'
)
SUITE = "queries over the past"


@pytest.fixture(scope="module")
def past_service(tmp_path_factory):
    """The service with `CHANGES` members written one a second, then the first of them deleted:
    (service, data dir, [(time, members then)]), a time inside each moment of the history (the
    first before any change)."""
    data = tmp_path_factory.mktemp("past") / "data"
    data.mkdir()
    token = Stewards(data).add("NCC Romania", ("RO",))
    running = Service(
        data,
        CCN_QUERY_TIMEOUT=str(LIMIT),
        CCN_CHILD_MEMORY_MB=str(CAP),
        CCN_PAST_QUERIES=str(SLOTS),
        CCN_STORE_MEMORY_MB="1024",
    )
    try:
        running.wait_healthy(timeout=120)
        moments = []
        auth = {"Authorization": f"Bearer {token}"}
        for number in range(CHANGES + 2):
            # Versions are dated to the second: each change comes early in a second of its own,
            # and the moment before it is the middle of the second before.
            time.sleep(1.05 - time.time() % 1)
            moments.append(
                (
                    dt.datetime.now(dt.UTC) - dt.timedelta(seconds=0.55),
                    min(number, CHANGES),
                )
            )
            if number < CHANGES:
                response = requests.post(
                    f"{running.url}/submissions",
                    timeout=60,
                    data=member(f"past-{number:02d}", f"Past Lab {number}").encode(),
                    headers={**auth, "Content-Type": "text/turtle"},
                )
                assert response.status_code == 201, response.text
            elif number == CHANGES:
                response = requests.delete(
                    f"{running.url}/graphs",
                    params={"graph": f"{BASE}graph/member/past-00"},
                    headers={**auth, "Accept": "application/json"},
                    timeout=60,
                )
                assert response.status_code in (200, 204), response.text
        moments[-1] = (moments[-1][0], CHANGES - 1)
        yield running, data, moments
    finally:
        running.stop()


def ask(url: str, query: str, when: dt.datetime, timeout: float = LIMIT + 30) -> requests.Response:
    return requests.get(
        f"{url}/sparql",
        params={"query": query, "at": when.isoformat()},
        headers=JSON,
        timeout=timeout,
    )


def count(response: requests.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


class ChildWatch:
    """Polls a process tree for `ccn-graph build-past` and `query-past` children: how many at once
    at most, and the most resident memory of one."""

    def __init__(self, running: Service) -> None:
        self.running = running
        self.most_at_once = 0
        self.peak_mb = 0.0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            found = 0
            for pid in self.running.descendants():
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"query-past" in command or b"build-past" in command:
                    found += 1
                    self.seen.add(pid)
                    self.peak_mb = max(self.peak_mb, rss_mb(pid))
            self.most_at_once = max(self.most_at_once, found)
            time.sleep(0.01)


def test_each_moment_answers_as_the_graph_was_and_shares_one_copy(past_service):
    running, data, moments = past_service
    answers = {}
    # In order, then back again at other times of the same moments: copies are made from the
    # store's dump, or from the copy of a nearby moment, later or earlier (across the deletion).
    asked = [
        *moments,
        *((when + dt.timedelta(milliseconds=200), members) for when, members in reversed(moments)),
    ]
    for when, members in asked:
        response = ask(running.url, COUNT, when)
        assert response.status_code == 200, response.text
        answers[when] = (count(response), members)
    # Another time of the moment asked last (no change between): the same copy.
    copies = {path.name for path in (data / "past").glob("at-*") if path.is_dir()}
    again = ask(running.url, COUNT, moments[0][0] + dt.timedelta(milliseconds=300))
    after = {path.name for path in (data / "past").glob("at-*") if path.is_dir()}
    figures = [
        record(
            SUITE,
            "moments answered as they were",
            sum(got == want for got, want in answers.values()),
            f"{len(asked)} (of {len(asked)})",
            all(got == want for got, want in answers.values()),
        ),
        record(
            SUITE,
            "new copies for another time of the same moment",
            len(after - copies),
            "0",
            again.status_code == 200 and count(again) == moments[0][1] and not after - copies,
        ),
        record(SUITE, "copies kept", len(after), f"<= {KEPT}", 0 < len(after) <= KEPT),
    ]
    assert all(figures), answers


def test_twenty_concurrent_moments_get_answers_or_503_at_the_bound(past_service):
    running, data, moments = past_service
    # Every time another (and none asked before: no answer kept), each inside its moment.
    times = [
        (
            moments[n % len(moments)][0]
            + dt.timedelta(milliseconds=100 * (n // len(moments)) + n + 1),
            moments[n % len(moments)][1],
        )
        for n in range(20)
    ]
    assert len({when for when, _ in times}) == 20
    results: list[tuple[int, float, str | None, object]] = [None] * 20  # type: ignore[list-item]
    start = threading.Barrier(20)

    def one(index: int) -> None:
        when, members = times[index]
        start.wait()
        started = time.monotonic()
        try:
            response = ask(running.url, COUNT, when)
        except requests.RequestException as exc:
            results[index] = (0, time.monotonic() - started, None, repr(exc))
            return
        seconds = time.monotonic() - started
        if response.status_code == 200:
            results[index] = (200, seconds, None, count(response) == members)
        else:
            body = (
                response.json()
                if response.headers.get("Content-Type", "").startswith(
                    ("application/json", "application/problem+json")
                )
                else {}
            )
            results[index] = (
                response.status_code,
                seconds,
                response.headers.get("Retry-After"),
                body.get("message", response.text[:200]),
            )

    with ChildWatch(running) as watch:
        threads = [threading.Thread(target=one, args=(index,)) for index in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    answered = [r for r in results if r[0] == 200]
    busy = [r for r in results if r[0] == 503 and r[2] and "at once" in str(r[3])]
    others = [r for r in results if r not in answered and r not in busy]
    leftovers = sorted(p.name for p in (data / "past").iterdir() if p.name.startswith(".tmp-"))
    figures = [
        record(SUITE, "20 concurrent: answered (200)", len(answered), ">= 1", len(answered) >= 1),
        record(
            SUITE,
            "20 concurrent: wrong answers",
            sum(1 for r in answered if r[3] is not True),
            "0",
            all(r[3] is True for r in answered),
        ),
        record(
            SUITE,
            "20 concurrent: 503 with Retry-After at the bound",
            len(busy),
            "the others (>= 1)",
            len(busy) >= 1,
        ),
        record(
            SUITE,
            "20 concurrent: slowest 503 at the bound (s)",
            round(max((r[1] for r in busy), default=0), 2),
            "< 1 (at once)",
            all(r[1] < 1.0 for r in busy),
        ),
        record(
            SUITE,
            "20 concurrent: other answers (500s included)",
            [r[:1] + r[3:] for r in others],
            "none",
            not others,
        ),
        record(
            SUITE,
            "children at once, most",
            watch.most_at_once,
            f"<= {SLOTS} (CCN_PAST_QUERIES)",
            0 < watch.most_at_once <= SLOTS,
        ),
        record(SUITE, "leftovers of builds", leftovers, "none", not leftovers),
    ]
    assert all(figures), results
    # Once the burst is over every moment answers again, none refused.
    for when, members in times[: len(moments)]:
        response = ask(running.url, COUNT, when)
        assert response.status_code == 200 and count(response) == members, response.text
    assert "Traceback" not in running.output()


def test_the_memory_bomb_over_the_past_is_stopped_at_the_cap(past_service):
    running, _, moments = past_service
    bomb = DEATHS["huge ORDER BY"]
    with ChildWatch(running) as watch:
        started = time.monotonic()
        response = requests.post(
            f"{running.url}/sparql",
            data={"query": bomb, "at": moments[-1][0].isoformat()},
            headers=JSON,
            timeout=LIMIT + 30,
        )
        seconds = time.monotonic() - started
    message = response.json().get("message", "") if response.status_code != 200 else ""
    figures = [
        record(
            SUITE, "memory bomb: status", response.status_code, "503", response.status_code == 503
        ),
        record(
            SUITE,
            "memory bomb: stopped for memory",
            "memory" in message and f"{CAP} MB" in message,
            "True (the message names the cap)",
            "memory" in message and f"{CAP} MB" in message,
        ),
        record(
            SUITE,
            "memory bomb: Retry-After",
            response.headers.get("Retry-After"),
            "present",
            bool(response.headers.get("Retry-After")),
        ),
        record(
            SUITE,
            "memory bomb: stopped after (s)",
            round(seconds, 1),
            f"< {LIMIT} (before the time limit)",
            seconds < LIMIT,
        ),
        record(
            SUITE,
            "memory bomb: peak child memory (MB)",
            round(watch.peak_mb),
            f"< {CAP} (CCN_CHILD_MEMORY_MB)",
            0 < watch.peak_mb < CAP,
        ),
    ]
    assert all(figures), response.text
    after = ask(running.url, COUNT, moments[-1][0])
    assert after.status_code == 200 and count(after) == moments[-1][1]
    assert running.health().status_code == 200


def test_the_time_limit_counts_building_the_copy(managed_server, tmp_path_factory):
    """A copy that takes longer to build than the limit: the query answers 503 at the limit, and
    nothing of the build is left (no child, no files, no lock held)."""
    limit = 0.5
    app, store, data = loaded_site(
        managed_server, tmp_path_factory, members=2000, query_timeout=limit
    )
    unbounded = None
    try:
        when = dt.datetime.now(dt.UTC)
        started = time.monotonic()
        response = ask(app.url, COUNT, when)
        seconds = time.monotonic() - started
        time.sleep(0.2)
        past = data / "past"
        left = sorted(
            p.name
            for p in past.iterdir()
            if not p.name.startswith(".slot-") and p.suffix != ".lock"
        )
        children = [
            pid for pid in _children() if b"build-past" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        # The same request to an app with room enough: how long the build takes.
        settings = load_settings(
            environ={},
            overrides={
                "data_dir": str(tmp_path_factory.mktemp("roomy")),
                "base_iri": BASE,
                "query_timeout": 60,
            },
        )
        unbounded = LiveApp(create_app(settings, store))
        started = time.monotonic()
        roomy = ask(unbounded.url, COUNT, when)
        build = time.monotonic() - started
        message = response.json().get("message", "") if response.status_code != 200 else ""
        figures = [
            record(
                SUITE,
                "build cut at the limit: status",
                response.status_code,
                "503",
                response.status_code == 503,
            ),
            record(
                SUITE,
                "build cut at the limit: after (s)",
                round(seconds, 2),
                f"<= {limit} + 1",
                seconds <= limit + 1 and f"limit of {limit:g} seconds" in message,
            ),
            record(
                SUITE,
                "the same query with room (s)",
                round(build, 2),
                f"> {limit} (the build outlasts the limit)",
                roomy.status_code == 200 and build > limit,
            ),
            record(
                SUITE,
                "build cut at the limit: left behind",
                left + children,
                "nothing",
                not left and not children,
            ),
        ]
        assert all(figures), (response.text, roomy.text)
        # No lock is left held: a build cut short leaves the moment free for the next one.
        for lock in past.glob("at-*.lock"):
            with lock.open("rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        app.close()
        if unbounded is not None:
            unbounded.close()


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().split(") ", 1)[1].split()[1] == me:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
