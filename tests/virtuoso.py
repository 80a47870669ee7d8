"""Debian's Virtuoso 7 (`virtuoso-opensource`), started from the repository's configuration
(`deploy/virtuoso.ini`) in a folder of its own, on free loopback ports: the second engine the
store-facing suites run on (`CCN_STORE_PROFILE=virtuoso`)."""

from __future__ import annotations

import configparser
import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import requests

from ccn_graph.store import Endpoints, VirtuosoStore
from tests.conftest import free_port, listening_ports, wait_until

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "virtuoso.ini"
#: The database's setup (as in docs/deploy.md): the SPARQL endpoint may update, and read and write
#: every graph but Virtuoso's own, which are private.
SETUP = CONFIG.with_suffix(".sql")
#: Starts before giving up, each on ports picked anew.
ATTEMPTS = 3


def missing() -> str | None:
    """Why Virtuoso cannot be started here, or None."""
    absent = [name for name in ("virtuoso-t", "isql-vt") if not shutil.which(name)]
    if absent:
        return f"{' and '.join(absent)} not installed (Debian: apt-get install virtuoso-opensource)"
    return None


class VirtuosoServer:
    """A Virtuoso server in `folder`; `endpoints` as CCN Graph's remote backend reaches it."""

    def __init__(self, folder: Path, settings: dict[tuple[str, str], str] | None = None) -> None:
        """`settings`: values of the configuration to change, by (section, key)."""
        self.folder = folder
        self.settings = settings or {}
        self.process: subprocess.Popen | None = None
        self._pick_ports()

    def _pick_ports(self) -> None:
        self.isql_port, self.http_port = free_port(), free_port()
        root = f"http://127.0.0.1:{self.http_port}"
        self.endpoints = Endpoints(f"{root}/sparql", f"{root}/sparql", f"{root}/sparql-graph-crud")

    def start(self, set_up: bool = True) -> None:
        """Start the server; `set_up`: run deploy/virtuoso.sql on it (else it is as Virtuoso comes,
        with this configuration). Its ports are picked free, but another process may take one
        before Virtuoso binds it: then it starts again on others."""
        for attempt in range(1, ATTEMPTS + 1):
            if self._start_on_ports(last=attempt == ATTEMPTS):
                break
            self._pick_ports()
        if set_up:
            self.isql_file(SETUP)

    def _start_on_ports(self, last: bool) -> bool:
        """Whether Virtuoso started and listens on both of this object's ports; when it exits
        before, False (RuntimeError if `last`)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";",))
        ini.optionxform = str  # Virtuoso's keys are case-sensitive
        ini.read(CONFIG)
        ini.set("Parameters", "ServerPort", f"127.0.0.1:{self.isql_port}")
        ini.set("HTTPServer", "ServerPort", f"127.0.0.1:{self.http_port}")
        for (section, key), value in self.settings.items():
            ini.set(section, key, value)
        with (self.folder / "virtuoso.ini").open("w") as handle:
            ini.write(handle)
        self.process = subprocess.Popen(
            ["virtuoso-t", "-f", "-c", "virtuoso.ini"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        def ready() -> str | bool:
            if self.process.poll() is not None:
                if not last:
                    return "exited"
                log = (
                    (self.folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                    if (self.folder / "virtuoso.log").exists()
                    else ""
                )
                raise RuntimeError(f"Virtuoso exited with {self.process.returncode}: {log}")
            # Only then is it Virtuoso that answers there.
            if not {self.isql_port, self.http_port} <= listening_ports(self.process.pid):
                return False
            with contextlib.suppress(requests.RequestException):
                return requests.get(self.endpoints.query, params={"query": "ASK {}"}, timeout=1).ok
            return False

        return wait_until(ready, timeout=120, interval=0.25) is True

    def store(self, **options) -> VirtuosoStore:
        """CCN Graph's store over this server (`CCN_STORE_PROFILE=virtuoso`)."""
        return VirtuosoStore(self.endpoints, **options)

    def isql(self, statements: str, timeout: float = 60) -> None:
        """Run SQL statements as Virtuoso's administrator."""
        subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.isql_port}", "dba", "dba", f"exec={statements}"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=timeout,
        )

    def isql_file(self, path: Path, timeout: float = 60) -> None:
        """Run the SQL statements of `path` as Virtuoso's administrator; raises RuntimeError if one
        fails (isql itself goes on and exits 0)."""
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.isql_port}", "dba", "dba", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(
                f"{path.name} failed on Virtuoso: {(done.stderr or done.stdout)[-1500:]}"
            )

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
