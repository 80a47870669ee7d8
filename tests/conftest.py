"""Fixture chain: settings (temporary data dir) → real Oxigraph server processes → stores → app.

Two Oxigraph servers run for the whole session: the *managed* one, started and supervised by
`ccn_graph.store.OxigraphServer`, and a *remote* one started here as a plain ``oxigraph serve``
process, standing for any SPARQL 1.1 store. Store contract tests run against both (and against
the embedded pyoxigraph store).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import requests

from ccn_graph.settings import Settings, load_settings
from ccn_graph.store import (
    EmbeddedStore,
    Endpoints,
    ManagedOxigraphStore,
    OxigraphServer,
    RemoteStore,
    Store,
    find_oxigraph,
)

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://ccn.test/"


@functools.cache
def _standard_types():
    from ccn_graph.model import reference
    from ccn_graph.model.entailment import TypeClosure

    return TypeClosure(reference.ontology_and_shapes(BASE)[0])


def as_stored(turtle: str):
    """A record's Turtle as the write path stores it: read against `BASE`, with the standard
    types its own entail (docs/model.md, "Standard types")."""
    from rdflib import Graph

    return _standard_types().entail(Graph().parse(data=turtle, format="turtle", publicID=BASE))


def free_port() -> int:
    """A loopback port free now. Another process may take it before a server binds it: start
    servers on port 0 where they allow it; else check with `listening_ports` that the server
    bound this one, and start it again on another when it could not."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on, read from /proc (Linux); none once it has exited."""
    sockets = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    sockets.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                # local address, state (0A: LISTEN), inode
                if fields[3] == "0A" and fields[9] in sockets:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll `predicate` until it returns a truthy value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s: {predicate}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its entry remains until its parent reaps it.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(
        environ={}, overrides={"data_dir": str(tmp_path / "data"), "base_iri": BASE}
    )


@pytest.fixture(scope="session")
def oxigraph_bin() -> Path:
    return find_oxigraph()


@pytest.fixture(scope="session")
def managed_server(tmp_path_factory, oxigraph_bin):
    server = OxigraphServer(
        tmp_path_factory.mktemp("managed"), query_timeout=5, binary=oxigraph_bin
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def remote_oxigraph(tmp_path_factory, oxigraph_bin):
    """An independently started Oxigraph server; yields its root URL."""
    location = tmp_path_factory.mktemp("remote")
    # Port 0: the system gives it a free port, which it keeps (Oxigraph does not print it).
    process = subprocess.Popen(
        [
            str(oxigraph_bin),
            "serve",
            "--location",
            str(location),
            "--bind",
            "127.0.0.1:0",
            "--union-default-graph",
            "--timeout-s",
            "5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def bound():
        if process.poll() is not None:
            pytest.fail(f"oxigraph serve exited with {process.returncode}")
        return min(listening_ports(process.pid), default=None)

    root = f"http://127.0.0.1:{wait_until(bound)}"

    def ready():
        try:
            return requests.get(f"{root}/query", params={"query": "ASK {}"}, timeout=1).ok
        except requests.RequestException:
            return False

    wait_until(ready)
    yield root
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """Debian's Virtuoso from deploy/virtuoso.ini (tests/virtuoso.py). Not installed: the tests
    on it skip, saying so — except under CI, which installs it (.ci/run)."""
    from tests.virtuoso import VirtuosoServer, missing

    reason = missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Virtuoso is needed under CI: {reason}")
        pytest.skip(f"the suites on Virtuoso need it: {reason}")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def engine(request):
    """The store server a module's suite runs on, once per engine: the session's managed
    Oxigraph, then Virtuoso (reached as `VirtuosoStore`: `store_on`). Either has `endpoints`."""
    return request.getfixturevalue(
        "managed_server" if request.param == "oxigraph" else "virtuoso_server"
    )


def store_on(engine, **options) -> Store:
    """CCN Graph's store over an `engine` fixture's server, as its profile reaches it."""
    if isinstance(engine, OxigraphServer):
        return RemoteStore(engine.endpoints, **options)
    return engine.store(**options)


#: Every store class that can run here, as `store` fixtures name them.
STORE_KINDS = ["managed", "remote", pytest.param("embedded", marks=pytest.mark.fast), "virtuoso"]


def clean_store(request, kind: str) -> Store:
    """A clean store of `kind` (a name of `STORE_KINDS`) for the test asking."""
    if kind == "managed":
        server = request.getfixturevalue("managed_server")
        # As the service reaches it: state read from a copy kept in the data dir.
        store = ManagedOxigraphStore(
            server.endpoints, request.getfixturevalue("tmp_path"), timeout=5
        )
    elif kind == "remote":
        root = request.getfixturevalue("remote_oxigraph")
        store = RemoteStore(Endpoints.for_oxigraph(root), timeout=5)
    elif kind == "virtuoso":
        store = request.getfixturevalue("virtuoso_server").store(timeout=5)
    else:
        store = EmbeddedStore()
    store.clear()
    return store


@pytest.fixture(params=STORE_KINDS)
def store(request) -> Store:
    """A clean store of each backend (the remote one also over Virtuoso); the embedded one, in
    the test process, is in the fast tier."""
    store = clean_store(request, request.param)
    yield store
    store.close()


_CLI_DATA_HOME: list[str] = []


def cli_env(**values: str) -> dict[str, str]:
    """The environment for a `ccn-graph` subprocess: no CCN_* from outside, then `values`. A
    command given no CCN_DATA_DIR gets its default one under a folder of the test run, never the
    user's own (~/.local/share/ccn-graph: a lock file, an index, a store)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCN_")}
    if "CCN_DATA_DIR" not in values and "XDG_DATA_HOME" not in values:
        if not _CLI_DATA_HOME:
            _CLI_DATA_HOME.append(tempfile.mkdtemp(prefix="ccn-cli-home-"))
        env["XDG_DATA_HOME"] = _CLI_DATA_HOME[0]
    env.update(values)
    return env


def ccn_graph_command() -> list[str]:
    return [sys.executable, "-m", "server.cli"]


class LiveApp:
    """A Flask app served over real HTTP on a loopback port, in a thread of the test process."""

    def __init__(self, app) -> None:
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=30, **kwargs)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_app():
    """Factory: `live_app(app)` serves `app` over HTTP until the test ends."""
    started: list[LiveApp] = []

    def serve(app) -> LiveApp:
        started.append(LiveApp(app))
        return started[-1]

    yield serve
    for app in started:
        app.close()


def _missing(path: Path):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{path} is missing: CI runs with ../shared beside the repository")
    pytest.skip(f"{path} is not here: put the shared folder beside the repository to run this test")


def _suites_root() -> Path:
    return Path(os.environ.get("CCN_SUITES") or ROOT.parent / "shared" / "suites")


def suites_path(*parts: str) -> Path:
    """A file of the external conformance material (../shared/suites or $CCN_SUITES); call it
    in a test or fixture, never at collection (parametrise with `suite_cases`)."""
    path = _suites_root().joinpath(*parts)
    if not path.exists():
        _missing(path)
    return path


@dataclasses.dataclass(frozen=True)
class Absent:
    """The case of a parametrised suite whose material is not here."""

    path: Path


def suite_cases(
    parts: tuple[str, ...], cases: Callable[[Path], Iterable[Any]], name: Callable[[Any], str]
) -> list:
    """Parameters read from a file of the conformance material: `cases(path)`, each case named
    `name(case)`. Without the file, a single case `missing`, whose test skips saying so (and
    fails under CI) before its fixtures start anything: collection never needs ../shared."""
    path = _suites_root().joinpath(*parts)
    if not path.exists():
        return [pytest.param(Absent(path), id="missing")]
    return [pytest.param(case, id=name(case)) for case in cases(path)]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """The `missing` case of a suite (`suite_cases`) skips, or fails under CI, before its
    fixtures."""
    callspec = getattr(item, "callspec", None)
    for value in callspec.params.values() if callspec else ():
        if isinstance(value, Absent):
            _missing(value.path)


def facts_path(*parts: str) -> Path:
    """A file of the sourced domain facts (../shared/facts)."""
    path = ROOT.parent.joinpath("shared", "facts", *parts)
    if not path.exists():
        _missing(path)
    return path


def writer_for(store, data_dir: Path, **overrides):
    """The service's `Writer` over `store`, its write lock and settings in `data_dir`."""
    from ccn_graph.write.build import build_writer

    settings = load_settings(
        environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE, **overrides}
    )
    return build_writer(settings, store)


def loaded_site(
    managed_server, tmp_path_factory, *, members: int = 0, projects: int = 0, **overrides
):
    """The real app over HTTP, on the session's managed store loaded with the reference data and
    `members` synthetic members (and `projects` projects). Returns (LiveApp, store, data dir)."""
    from ccn_graph.importers import generate, loading
    from server import create_app

    store = RemoteStore(managed_server.endpoints, timeout=10)
    store.clear()
    loading.load_reference_data(store, BASE)
    if members:
        path = tmp_path_factory.mktemp("members") / "members.nq"
        with path.open("w") as out:
            generate.write_nquads(out, members, 1, BASE, projects=projects)
        loading.load_file(store, path, BASE)
    data_dir = tmp_path_factory.mktemp("data")
    settings = load_settings(
        environ={}, overrides={"data_dir": str(data_dir), "base_iri": BASE, **overrides}
    )
    return LiveApp(create_app(settings, store)), store, data_dir


# What a test marked `fast` must not use: these start (or need) a server process.
NOT_FAST = {
    "oxigraph_bin",
    "managed_server",
    "remote_oxigraph",
    "virtuoso_server",
    "engine",
    "live_app",
    "service",
    "past_service",
}


def pytest_collection_modifyitems(config, items):
    """The `fast` tier (`make test-fast`) stays in the test process: a test marked `fast` that
    asks for a server fixture, or for a `store` other than the embedded one, is a usage error.
    Child processes, Chromium and ../shared it cannot see: those are kept out by hand."""
    wrong = []
    for item in items:
        if item.get_closest_marker("fast") is None:
            continue
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("store", "embedded") if callspec else "embedded"
        if NOT_FAST & set(item.fixturenames) or backend != "embedded":
            wrong.append(item.nodeid)
    if wrong:
        raise pytest.UsageError("marked fast but needs a server: " + ", ".join(wrong))


def pytest_terminal_summary(terminalreporter):
    """Print the measured figures (tests/figures.py) with their bounds."""
    from .figures import FIGURES

    if not FIGURES:
        return
    terminalreporter.section("figures")
    for figure in FIGURES:
        mark = "ok  " if figure.met else "MISS"
        terminalreporter.write_line(
            f"{mark} {figure.suite}: {figure.name} = {figure.value} ({figure.bound})"
        )
