"""A flood of cheap queries: the managed Oxigraph server holds a thread per query for its whole
time limit, so past the query budget (`CCN_STORE_QUERY_BUDGET`) queries get 503 at once, the
store's threads stay bounded, and everything else keeps answering
(ccn_graph/store/query_budget.py)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
import requests

from ccn_graph.settings import load_settings
from ccn_graph.store import (
    OxigraphServer,
    RemoteStore,
    StoreBusy,
    StoreError,
    StoreUnavailable,
    open_store,
    transport,
)
from ccn_graph.store.query_budget import QueryBudget, thread_room

from ..conftest import wait_until
from ..figures import record
from ..test_service import Service

BUDGET, TIMEOUT = 40, 3
#: The store's threads for connections: one per thread of each of the two workers, and a few more.
CONNECTIONS = 12
ASK = {"query": "ASK { ?s ?p ?o }"}
JSON = {"Accept": "application/sparql-results+json"}


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])


@pytest.mark.fast
def test_the_budget_counts_queries_of_every_process_in_a_sliding_window():
    budget = QueryBudget(5, window=1.0)

    # A client's read is refused at once past the budget (patience 0).
    assert [budget.take(0.0) for _ in range(3)] == [True] * 3
    child = os.fork()
    if child == 0:
        os._exit(0 if [budget.take(0.0) for _ in range(3)] == [True, True, False] else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert budget.take(0.0) is False and budget.sent() == 5
    time.sleep(1.05)
    assert budget.take(0.0) is True and budget.sent() == 1
    # The service's own work waits for room instead: until the oldest query leaves the window.
    for _ in range(4):
        assert budget.take() is True
    started = time.monotonic()
    assert budget.take() is True
    assert 0.5 < time.monotonic() - started < 1.5
    assert thread_room() >= 1000  # what this machine lets a process hold, from its kernel's bounds


def test_oxigraph_holds_a_thread_per_query_for_its_time_limit(tmp_path, oxigraph_bin):
    """Why the budget exists: should Oxigraph stop doing this, the budget can go."""
    server = OxigraphServer(tmp_path, query_timeout=30, binary=oxigraph_bin)
    server.start()
    try:
        store = RemoteStore(server.endpoints, timeout=5)
        before = threads_of(server.pid)
        for _ in range(200):
            store.ask("ASK {}")
        for _ in range(200):
            store.state()  # a Graph Store read starts no such thread
        assert threads_of(server.pid) - before >= 190
    finally:
        server.stop()


def test_past_the_budget_queries_get_503_and_everything_else_keeps_answering(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    service = Service(
        data, CCN_STORE_QUERY_BUDGET=str(BUDGET), CCN_QUERY_TIMEOUT=str(TIMEOUT), CCN_CACHE_MB="0"
    )
    try:
        service.wait_healthy(timeout=120)
        store_pid = int(json.loads((data / "oxigraph-server.json").read_text())["pid"])
        time.sleep(TIMEOUT + 1.5)  # the start-up's own queries leave the window
        before = threads_of(store_pid)
        statuses: list[int] = []
        refusals: list[requests.Response] = []
        peak = [before]

        def flood():
            session = requests.Session()
            for _ in range(50):
                response = session.get(
                    f"{service.url}/sparql", params=ASK, headers=JSON, timeout=30
                )
                statuses.append(response.status_code)
                if response.status_code == 503:
                    refusals.append(response)
                peak[0] = max(peak[0], threads_of(store_pid))

        floods = [threading.Thread(target=flood) for _ in range(4)]
        for thread in floods:
            thread.start()
        for thread in floods:
            thread.join()
        answered, refused = statuses.count(200), statuses.count(503)
        record(
            "query budget",
            "queries sent in the flood",
            len(statuses),
            ">= 200",
            len(statuses) >= 200,
        )
        record(
            "query budget",
            "answered (within the budget)",
            answered,
            f"<= {BUDGET}",
            0 < answered <= BUDGET,
        )
        record(
            "query budget",
            "refused with 503",
            refused,
            "the rest",
            answered + refused == len(statuses),
        )
        record(
            "query budget",
            "store threads added",
            peak[0] - before,
            f"<= {BUDGET} + {CONNECTIONS}",
            peak[0] - before <= BUDGET + CONNECTIONS,
        )
        assert (
            len(statuses) >= 200 and 0 < answered <= BUDGET and answered + refused == len(statuses)
        )
        assert peak[0] - before <= BUDGET + CONNECTIONS
        sample = refusals[0]
        assert (
            sample.headers["Retry-After"]
            and "as many queries as it can hold" in sample.json()["message"]
        )
        # Meanwhile what needs no query is answered...
        assert requests.get(f"{service.url}/static/site.css", timeout=10).status_code == 200
        assert (
            requests.get(
                f"{service.url}/sparql", headers={"Accept": "text/html"}, timeout=10
            ).status_code
            == 200
        )
        # ...and once the window has passed, queries are answered again.
        time.sleep(TIMEOUT + 1.5)
        assert (
            requests.get(f"{service.url}/sparql", params=ASK, headers=JSON, timeout=30).status_code
            == 200
        )
        wait_until(lambda: threads_of(store_pid) <= before + 5, timeout=TIMEOUT + 10)
    finally:
        assert service.stop() == 0
    assert "Traceback" not in service.output()


@pytest.fixture(autouse=True)
def _linux_only():
    if not Path("/proc/self/status").exists():
        pytest.skip("counts the store's threads in /proc (Linux)")


@pytest.mark.fast
def test_a_remote_store_is_bounded_only_when_told(tmp_path):
    base = {
        "store_url": "http://127.0.0.1:9/query",
        "base_iri": "http://ccn.test/",
        "data_dir": str(tmp_path),
    }
    assert open_store(load_settings(environ={}, overrides=base)).budget is None
    bounded = open_store(
        load_settings(environ={}, overrides={**base, "store_query_budget": 3, "query_timeout": 7})
    )
    assert bounded.budget.limit == 3 and bounded.budget.window == 8


@pytest.mark.fast
def test_a_store_out_of_threads_is_busy_not_broken():
    """Should the store run out of threads all the same (other clients), its 500 is a 503 here."""
    with pytest.raises(StoreBusy, match="out of threads"):
        raise transport.error_for(500, "Resource temporarily unavailable (os error 11)")
    with pytest.raises(StoreError) as raised:
        raise transport.error_for(500, "something else broke")
    assert not isinstance(raised.value, StoreUnavailable)


def test_a_write_on_a_thread_that_served_a_read_waits_for_the_budget(
    request, oxigraph_bin, tmp_path
):
    """The budget's patience belongs to the request, not the thread: gunicorn's threads serve
    reads and writes in turn, and a write after a read on the same thread was refused with 503
    instead of waiting its turn. Flask's test client serves every request on this one thread."""
    from ccn_graph.importers import loading
    from ccn_graph.model.stewards import Stewards
    from server import create_app

    from ..conftest import BASE
    from ..test_submissions import member

    # A store of its own: the dumps rebuilt after the write follow it, and end with it.
    server = OxigraphServer(tmp_path / "store", query_timeout=5, binary=oxigraph_bin)
    (tmp_path / "store").mkdir()
    server.start()
    request.addfinalizer(server.stop)
    store = RemoteStore(server.endpoints, timeout=10, budget=QueryBudget(4, window=2.0))
    loading.load_reference_data(store, BASE)
    settings = load_settings(
        environ={}, overrides={"data_dir": str(tmp_path), "base_iri": BASE, "cache_mb": 0}
    )
    token = Stewards(tmp_path).add("NCC Romania", ("RO",))
    client = create_app(settings, store).test_client()
    reads = [
        client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code
        for _ in range(8)
    ]
    assert 503 in reads, reads  # the budget is spent by reads, which are refused at once
    started = time.monotonic()
    written = client.post(
        "/submissions",
        data=member("after-reads", "After Reads Lab"),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/turtle",
            "Accept": "application/json",
        },
    )
    assert written.status_code == 201, written.get_data(as_text=True)[:300]
    assert time.monotonic() - started < 30
    assert record(
        "query budget",
        "a write after spent reads on one thread",
        written.status_code,
        "201 (waits)",
        written.status_code == 201,
    )
