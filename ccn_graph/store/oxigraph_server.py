"""The managed store's server: an `oxigraph serve` process that CCN Graph starts, watches and
stops (the store object that reaches it: `ccn_graph.store.managed`).

The server binds to a free loopback port, keeps its data in ``{data_dir}/store`` and runs with
Oxigraph's own query timeout and a union default graph. A supervisor thread restarts it on the
same port whenever it dies; `request_restart` lets any process of the service (a web worker whose
query outlived its deadline) ask for that. The process is tied to its parent, so it cannot
outlive the service, even after a ``kill -9`` of the service.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ccn_graph.store.base import StoreError
from ccn_graph.store.endpoints import Endpoints
from ccn_graph.store.query_budget import QueryBudget, thread_room
from ccn_graph.store.remote import RemoteStore
from ccn_graph.store.state_mirror import StateMirror

__all__ = [
    "SERVER_FILE",
    "ManagedStoreError",
    "OxigraphServer",
    "find_oxigraph",
    "query_budget",
    "read_server_file",
    "request_restart",
    "timeout_seconds",
]

log = logging.getLogger(__name__)

SERVER_FILE = "oxigraph-server.json"
_POLL = 0.1
# Memory can grow by a gigabyte a second under a runaway sort: look often.
_MEMORY_POLL = 0.02


def timeout_seconds(query_timeout: float) -> int:
    """The managed server's own time limit (``--timeout-s``) for a query limit of
    `query_timeout`."""
    return max(1, math.ceil(query_timeout))


def query_budget(query_timeout: float, limit: int = 0) -> QueryBudget:
    """What the managed server can be sent (see `query_budget`): `limit` queries per time limit,
    or (0) three quarters of the threads a process may hold here, since it holds a thread per query
    for its whole time limit; the rest is left for its connections, its own threads and files."""
    return QueryBudget(
        limit or max(1, thread_room() * 3 // 4), timeout_seconds(query_timeout) + 1.0
    )


class ManagedStoreError(StoreError):
    """The managed Oxigraph server could not be started; the message says how to fix it."""


def find_oxigraph(configured: str = "") -> Path:
    """The oxigraph executable: `configured`, else the one beside Python, else on PATH.

    Raises `ManagedStoreError` when there is none.
    """
    candidates = [configured] if configured else []
    candidates += [str(Path(sys.executable).with_name("oxigraph")), shutil.which("oxigraph") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return Path(candidate)
    raise ManagedStoreError(
        "the oxigraph server executable was not found; install it with `pip install oxigraph` "
        "or set CCN_OXIGRAPH_BIN to its path"
    )


#: How many ports `OxigraphServer.start` tries when the one picked is taken before it is bound.
_PORT_TRIES = 5


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_server_file(data_dir: Path) -> dict | None:
    """The running managed server's pid and port for this data dir, or None if none runs."""
    try:
        info = json.loads((data_dir / SERVER_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("supervisor", 0))):
        return None
    return info


def request_restart(data_dir: Path) -> bool:
    """Kill the managed server of `data_dir` so that its supervisor starts a fresh one.

    Callable from any process of the service. Returns False when no managed server runs.
    """
    info = read_server_file(data_dir)
    if not info:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(info["pid"]), signal.SIGKILL)
    return True


class OxigraphServer:
    """One supervised ``oxigraph serve`` over ``{data_dir}/store``.

    `start` returns once the server answers queries, or raises `ManagedStoreError`. `stop` ends
    it and the supervision; both are idempotent.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        query_timeout: float,
        binary: Path,
        ready_timeout: float = 60.0,
        memory_mb: int = 0,
    ) -> None:
        self.data_dir = data_dir
        self.store_dir = data_dir / "store"
        self.query_timeout = query_timeout
        self.binary = binary
        self.ready_timeout = ready_timeout
        self.memory_mb = memory_mb
        self.port = 0
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self._owner = os.getpid()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.for_oxigraph(self.root)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the server and its supervisor; raises `ManagedStoreError` if it will not run."""
        if self._process is not None:
            return
        running = read_server_file(self.data_dir)
        if running and running.get("supervisor") != os.getpid():
            raise ManagedStoreError(
                f"another CCN Graph process (pid {running['supervisor']}) is already serving the "
                f"store in {self.data_dir}; stop it first, or use another CCN_DATA_DIR"
            )
        self.store_dir.mkdir(parents=True, exist_ok=True)
        # The store may have been written without a server since (a bulk load): no old copy.
        StateMirror(self.data_dir).forget()
        self._owner = os.getpid()
        self._stopping.clear()
        # A free port is picked, then bound by the server: another process may take it in between
        # (busy machines, parallel test runs). Then the server exits at once, and another is tried.
        for attempt in range(_PORT_TRIES):
            self.port = _free_port()
            log_size = self._log_size()
            with self._lock:
                self._spawn()
            try:
                self._wait_ready()
                break
            except ManagedStoreError:
                if attempt == _PORT_TRIES - 1 or not self._port_was_taken(log_size):
                    raise
                log.warning(
                    "port %s was taken before the oxigraph server bound it; trying another",
                    self.port,
                )
        self._supervisor = threading.Thread(
            target=self._supervise, name="oxigraph-supervisor", daemon=True
        )
        self._supervisor.start()
        if self.memory_mb:
            threading.Thread(target=self._watch_memory, name="oxigraph-memory", daemon=True).start()

    def stop(self) -> None:
        """Stop supervising, then end the server (SIGTERM, then SIGKILL after 10 s).

        Only in the process that started it: a forked web worker that exits unwinds the stack
        it inherited, and must leave the store (and the server file, which a newer service may
        have written since) alone."""
        if self._owner != os.getpid():
            return
        self._stopping.set()
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join(timeout=5)
        self._supervisor = None
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        info = read_server_file(self.data_dir)
        if info is None or info.get("supervisor") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                (self.data_dir / SERVER_FILE).unlink()

    def restart(self) -> None:
        """Kill the server now; the supervisor starts a fresh one on the same port."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def __enter__(self) -> OxigraphServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _command(self) -> list[str]:
        command = [
            str(self.binary),
            "serve",
            "--location",
            str(self.store_dir),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--union-default-graph",
            "--timeout-s",
            str(timeout_seconds(self.query_timeout)),
        ]
        # Tie the server to this process: if the service dies, even by SIGKILL, so does the store.
        setpriv = shutil.which("setpriv")
        if setpriv and sys.platform.startswith("linux"):
            command = [setpriv, "--pdeathsig", "KILL", "--", *command]
        return command

    def _log_size(self) -> int:
        try:
            return (self.data_dir / "oxigraph.log").stat().st_size
        except FileNotFoundError:
            return 0

    def _port_was_taken(self, log_size: int) -> bool:
        """Whether the server that just exited says, after `log_size` bytes of its log, that its
        address was in use (EADDRINUSE)."""
        process = self._process
        if process is None or process.poll() is None:
            return False
        with (self.data_dir / "oxigraph.log").open("rb") as handle:
            handle.seek(log_size)
            said = handle.read(65536)
        return b"os error 98" in said or b"Address already in use" in said

    def _spawn(self) -> None:
        log_file = (self.data_dir / "oxigraph.log").open("ab")
        try:
            # A process group of its own (setsid): Ctrl-C in the terminal reaches the service,
            # which stops the store in order, instead of reaching both at once.
            self._process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log_file.close()
        info = {
            "supervisor": os.getpid(),
            "pid": self._process.pid,
            "port": self.port,
            "restarts": self.restarts,
        }
        # Written whole or not at all: other processes read it to find the store (and its pid).
        temporary = self.data_dir / f".{SERVER_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps(info))
        os.replace(temporary, self.data_dir / SERVER_FILE)
        log.info("oxigraph server started (pid %s, port %s)", self._process.pid, self.port)

    def _ready(self) -> bool:
        probe = RemoteStore(self.endpoints, timeout=2.0, grace=0.0)
        try:
            # Not waited for: a server that died while starting must be seen as dead at once.
            probe.ping()
        except StoreError:
            return False
        finally:
            probe.close()
        return True

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            process = self._process
            if process is None or self._stopping.is_set():
                return
            if process.poll() is not None:
                raise ManagedStoreError(
                    f"the oxigraph server exited with status {process.returncode} while starting; "
                    f"see {self.data_dir / 'oxigraph.log'}"
                )
            if self._ready():
                return
            time.sleep(_POLL)
        raise ManagedStoreError(
            f"the oxigraph server did not answer within {self.ready_timeout:g} s; "
            f"see {self.data_dir / 'oxigraph.log'}"
        )

    def _watch_memory(self) -> None:
        """Kill the server when its resident memory passes 90% of `memory_mb` (the supervisor
        then starts it again): the headroom keeps it under the cap between two looks.

        Resident memory, not an rlimit: the server reserves a thread stack per query for its time
        limit, so limits on reserved memory (address space, data segment) refuse work long
        before any memory is short, while a query's sorts and joins are what fills it."""
        threshold = self.memory_mb * 1024 * 1024 * 0.9
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stopping.wait(_MEMORY_POLL):
            process = self._process
            if process is None or process.poll() is not None:
                continue
            try:
                with open(f"/proc/{process.pid}/statm") as statm:
                    resident = int(statm.read().split()[1]) * page
            except (OSError, ValueError, IndexError):
                continue
            if resident > threshold:
                log.warning(
                    "oxigraph server (pid %s) holds %d MB, past 90%% of CCN_STORE_MEMORY_MB=%d; "
                    "restarting it",
                    process.pid,
                    resident // 2**20,
                    self.memory_mb,
                )
                with self._lock:
                    if self._process is process and process.poll() is None:
                        process.kill()

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.wait(_POLL):
            process = self._process
            if process is None or process.poll() is None:
                continue
            log.warning(
                "oxigraph server (pid %s) exited with status %s; restarting",
                process.pid,
                process.returncode,
            )
            # Back off when it keeps dying at once, so a broken store does not spin the CPU.
            time.sleep(min(5.0, 0.2 * (2**failures) - 0.2))
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self.restarts += 1
                    self._spawn()
                self._wait_ready()
                failures = 0
            except ManagedStoreError as exc:
                failures = min(failures + 1, 5)
                log.error("%s", exc)
            except Exception:
                # (a fork refused for want of threads, a full disk): tried again after the back-off.
                # Its end would also end the store, which is tied to the thread that started it.
                failures = min(failures + 1, 5)
                log.exception("restarting the oxigraph server failed; trying again")
