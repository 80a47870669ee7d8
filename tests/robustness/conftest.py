"""The running service the robustness suites share: `ccn-graph serve` (gunicorn workers and the
managed Oxigraph server) over the bundled reference data, with tighter limits and stewards."""

from __future__ import annotations

import pytest

from ccn_graph.model.stewards import Stewards

from ..conftest import wait_until
from ..test_service import Service

LIMITS = {
    "query_max_bytes": 20_000,
    "query_max_depth": 64,
    "max_body": 2 * 1024 * 1024,
    "query_timeout": 5,
    "store_memory_mb": 1024,
}


@pytest.fixture(scope="package")
def service(tmp_path_factory):
    data = tmp_path_factory.mktemp("robust") / "data"
    data.mkdir()
    stewards = Stewards(data)
    tokens = {
        "ro": stewards.add("NCC Romania", ("RO",)),
        "network": stewards.add("Network", ("network",)),
        "bad": "not-a-token-" + "0" * 40,
        "": "",
    }
    running = Service(data, **{f"CCN_{name.upper()}": str(value) for name, value in LIMITS.items()})
    try:
        running.wait_healthy(timeout=120)
        # Healthy as soon as one worker answers: wait for the second, and the store, so that the
        # suites that count processes start from the whole tree.
        wait_until(lambda: len(running.descendants()) >= 3, timeout=60)
        yield running, tokens, data
    finally:
        running.stop()
