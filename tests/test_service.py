"""`ccn-graph serve` as a person runs it: a real process tree, real HTTP, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import cli_env, free_port, listening_ports, pid_alive, wait_until

CCN_GRAPH = str(Path(sys.executable).with_name("ccn-graph"))


class Service:
    """One `ccn-graph serve` process over a data dir; `stop` sends Ctrl-C (SIGINT)."""

    #: Starts on another port when gunicorn could not bind the one picked (another process took it).
    ATTEMPTS = 5

    def __init__(
        self,
        data_dir: Path,
        *args: str,
        nice: int | None = None,
        script: str = CCN_GRAPH,
        cwd: Path | None = None,
        workers: int = 2,
        **env: str,
    ) -> None:
        """`nice`: the CPU priority of the service (and so of its workers and store), when it
        should differ from this process's; `script`: the `ccn-graph` to run, from `cwd`."""
        env.setdefault("CCN_BASE_IRI", "http://ccn.test/")
        self.data_dir = data_dir
        self.command = [script, "serve", "--workers", str(workers), *args]
        self.popen = {
            "env": cli_env(CCN_DATA_DIR=str(data_dir), **env),
            "cwd": cwd,
            "preexec_fn": (lambda: os.setpriority(os.PRIO_PROCESS, 0, nice))
            if nice is not None
            else None,
        }
        self.attempts = 0
        self._start()

    def _start(self) -> None:
        self.attempts += 1
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A base IRI of "{url}/" makes the service mint IRIs that resolve to itself.
        env = self.popen["env"]
        self._base = self.__dict__.get("_base") or env["CCN_BASE_IRI"]
        env["CCN_BASE_IRI"] = self._base.replace("{url}", self.url)
        self.log = self.data_dir.parent / f"serve-{self.port}.log"
        self.process = subprocess.Popen(
            [*self.command, "--port", str(self.port)],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            **self.popen,
        )

    def health(self) -> requests.Response | None:
        try:
            return requests.get(f"{self.url}/health", timeout=10)
        except requests.ConnectionError:
            return None

    def wait_healthy(self, timeout: float = 60) -> dict:
        """The body of the first 200 from /health, answered by this process on its own port."""

        def ok():
            if self.process.poll() is not None:
                if "Connection in use" in self.output() and self.attempts < self.ATTEMPTS:
                    self._start()
                    return False
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.output()}")
            if self.port not in listening_ports(self.process.pid):
                return False
            response = self.health()
            return response is not None and response.status_code == 200 and response.json()

        return wait_until(ok, timeout=timeout)

    def descendants(self) -> list[int]:
        out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
        children: dict[int, list[int]] = {}
        for line in out.splitlines():
            pid, ppid = map(int, line.split())
            children.setdefault(ppid, []).append(pid)
        found, todo = [], [self.process.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def oxigraph_pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "oxigraph-server.json").read_text())["pid"])


def test_serve_loads_an_empty_store_and_reports_health(data_dir):
    service = Service(data_dir)
    try:
        body = service.wait_healthy()
        assert body["status"] == "ok"
        store = body["store"]
        assert store["backend"] == "managed-oxigraph" and store["loaded"] is True
        assert store["base_iri"] == "http://ccn.test/"
        assert store["triples"] > 20 and store["data_version"] >= 1
        response = service.health()
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        assert service.stop() == 0
    log = service.output()
    assert "loading the bundled reference data" in log
    lines = [
        json.loads(line.split("ccn_graph.requests: ", 1)[1])
        for line in log.splitlines()
        if "ccn_graph.requests: " in line
    ]
    health = [entry for entry in lines if entry["path"] == "/health"]
    assert health and set(health[0]) == {"method", "path", "status", "duration_ms", "cpu_ms"}
    assert 0 <= health[0]["cpu_ms"] <= health[0]["duration_ms"] + 1
    assert health[0]["method"] == "GET" and health[0]["status"] == 200


def test_kill_9_of_the_store_gives_503_then_200_within_5_s_and_keeps_data(data_dir):
    service = Service(data_dir)
    try:
        before = service.wait_healthy()["store"]
        old = oxigraph_pid(data_dir)
        os.kill(old, signal.SIGKILL)
        killed = time.monotonic()
        seen = []  # (seconds after the kill, status, seconds the answer took)

        def recovered():
            asked = time.monotonic()
            response = service.health()
            status = response.status_code if response is not None else None
            seen.append((round(asked - killed, 2), status, round(time.monotonic() - asked, 2)))
            return status == 200 and oxigraph_pid(data_dir) != old

        try:
            wait_until(recovered, timeout=5, interval=0.01)
        except BaseException:
            log = (data_dir / "oxigraph.log").read_text(errors="replace")[-2000:]
            pytest.fail(
                f"no recovery within 5 s; health answers {seen[:20]}\n"
                f"{service.output()[-3000:]}\n{log}"
            )
        assert time.monotonic() - killed < 5
        # Health asks the store itself: while it is down the answer is 503 at once, not a
        # copy's 200.
        assert 503 in [status for _, status, _ in seen], seen
        assert all(took < 1 for _, _, took in seen), seen
        after = service.health().json()["store"]
        assert after["triples"] == before["triples"]
        assert after["data_version"] == before["data_version"]
        assert not pid_alive(old)
    finally:
        service.stop()


def test_ctrl_c_stops_the_service_and_the_store_and_restart_is_fast(data_dir):
    service = Service(data_dir)
    try:
        first = service.wait_healthy()["store"]
        tree = service.descendants()
        store_pid = oxigraph_pid(data_dir)
        assert store_pid in tree or pid_alive(store_pid)
    finally:
        assert service.stop() == 0
    for pid in [*tree, store_pid]:
        wait_until(lambda pid=pid: not pid_alive(pid), timeout=10)
    assert not (data_dir / "oxigraph-server.json").exists()

    again = Service(data_dir)
    started = time.monotonic()
    try:
        second = again.wait_healthy()["store"]
        assert time.monotonic() - started < 15
        assert second["triples"] == first["triples"]
        assert second["data_version"] == first["data_version"]
    finally:
        again.stop()
    assert "loading the bundled reference data" not in again.output()


def test_killing_the_service_with_kill_9_leaves_no_store_behind(data_dir):
    service = Service(data_dir)
    try:
        service.wait_healthy()
        store_pid = oxigraph_pid(data_dir)
        service.process.kill()
        service.process.wait()
        wait_until(lambda: not pid_alive(store_pid), timeout=5)
    finally:
        service.stop()


def test_serving_with_another_base_stops_with_the_fix(data_dir):
    service = Service(data_dir)
    try:
        service.wait_healthy()
    finally:
        service.stop()
    other = Service(data_dir, CCN_BASE_IRI="https://elsewhere.example/")
    assert other.process.wait(timeout=60) == 2
    output = other.output()
    assert (
        "http://ccn.test/" in output
        and "ccn-graph load --reset --base-iri https://elsewhere.example/" in output
    )
    assert "Traceback" not in output


def test_a_second_service_on_the_same_data_dir_is_refused(data_dir):
    service = Service(data_dir)
    try:
        service.wait_healthy()
        second = Service(data_dir)
        assert second.process.wait(timeout=60) == 2
        assert "already serving" in second.output()
        assert service.health().status_code == 200
    finally:
        service.stop()


def test_load_command_attaches_to_a_running_service(data_dir):
    service = Service(data_dir)
    try:
        version = service.wait_healthy()["store"]["data_version"]
        out = subprocess.run(
            [CCN_GRAPH, "load"],
            env=cli_env(CCN_DATA_DIR=str(data_dir), CCN_BASE_IRI="http://ccn.test/"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert service.health().json()["store"]["data_version"] > version
    finally:
        service.stop()


def test_load_then_serve_from_the_command_line(data_dir, tmp_path):
    bulk = tmp_path / "bulk.nt"
    bulk.write_text("".join(f'<http://e/s{i}> <http://e/p> "{i}" .\n' for i in range(5000)))
    env = cli_env(CCN_DATA_DIR=str(data_dir), CCN_BASE_IRI="http://ccn.test/")
    out = subprocess.run(
        [CCN_GRAPH, "load", "--file", str(bulk)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "5000 triples" in out.stdout
    service = Service(data_dir)
    try:
        assert service.wait_healthy()["store"]["triples"] > 5000
    finally:
        service.stop()
