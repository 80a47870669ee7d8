"""Short-lived child processes of the service: `ccn-graph` commands (the dumps builder, a query
over the graph as it was and the building of that graph, working out an update) that die with the
process that started them, may run at a lower CPU priority, and run under a time limit and a
memory limit.

The memory limit is the child's data segment (``RLIMIT_DATA``: its heap and private mappings,
where a query's sorts and joins grow), set before the command starts: past it an allocation
fails, and the child ends at once (Oxigraph aborts, Python raises `MemoryError`). Shared libraries
and the files a store maps are not counted, so a small limit still lets the child start.
"""

from __future__ import annotations

import contextlib
import functools
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from typing import IO

__all__ = ["Child", "OutOfMemory", "TimeoutExpired", "run_ccn_graph", "start_ccn_graph"]

TimeoutExpired = subprocess.TimeoutExpired


class OutOfMemory(Exception):
    """The child needed more memory than its limit and was stopped."""

    def __init__(self, message: str, memory_mb: int) -> None:
        super().__init__(message)
        self.memory_mb = memory_mb


#: What a child that ran out of memory says on its way out: Rust's allocation failure (then
#: SIGABRT), Python's exception, and the C library's text for ENOMEM.
_OUT_OF_MEMORY = (b"memory allocation of", b"MemoryError", b"Cannot allocate memory")


def run_ccn_graph(
    args: list[str],
    *,
    env: dict[str, str],
    nice: int = 0,
    input: bytes | None = None,
    stdout: IO | int = subprocess.DEVNULL,
    timeout: float | None = None,
    memory_mb: int | None = None,
) -> subprocess.CompletedProcess:
    """Run ``ccn-graph {args}`` and wait for it: its stderr is captured, `input` goes to its
    stdin. It is killed if the calling process dies (Linux), and when `timeout` passes
    (`TimeoutExpired` then). Its data segment may not grow past `memory_mb` megabytes (by
    default the child's own setting in `env`, ``CCN_CHILD_MEMORY_MB``; 0: no limit): a child that
    ran out of it raises `OutOfMemory`."""
    memory_mb = _memory_mb(memory_mb, env)
    done = subprocess.run(
        _command(args, nice),
        env=env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=timeout,
        check=False,
        preexec_fn=_limits(memory_mb),
    )
    _check_memory(done, memory_mb)
    return done


class Child:
    """A running ``ccn-graph`` command that reads what is written to `stdin` (see
    `start_ccn_graph`)."""

    def __init__(
        self, args: list[str], env: dict[str, str], timeout: float, memory_mb: int | None
    ) -> None:
        self.memory_mb = memory_mb = _memory_mb(memory_mb, env)
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            _command(args, 0),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=_limits(memory_mb),
        )
        self.stdin: IO[bytes] = self._process.stdin
        self.late = False
        self._timer = threading.Timer(timeout, self._kill_late)
        self._timer.daemon = True
        self._timer.start()

    def _kill_late(self) -> None:
        self.late = True
        self._process.kill()

    def finish(self) -> subprocess.CompletedProcess:
        """Close its stdin and wait for it to end: `TimeoutExpired` if its time ran out first (a
        write to `stdin` then fails: `BrokenPipeError`), `OutOfMemory` as `run_ccn_graph`."""
        try:
            with contextlib.suppress(BrokenPipeError):
                self.stdin.close()
            self._process.wait()
        finally:
            self._timer.cancel()
        self._stderr.seek(0)
        done = subprocess.CompletedProcess(
            self._process.args, self._process.returncode, None, self._stderr.read()
        )
        self._stderr.close()
        if self.late:
            raise TimeoutExpired(self._process.args, self._timer.interval)
        _check_memory(done, self.memory_mb)
        return done

    def kill(self) -> None:
        """End it now (nothing is raised)."""
        self._timer.cancel()
        self._process.kill()
        with contextlib.suppress(BrokenPipeError):
            self.stdin.close()
        self._process.wait()
        self._stderr.close()


def start_ccn_graph(
    args: list[str], *, env: dict[str, str], timeout: float, memory_mb: int | None = None
) -> Child:
    """Start ``ccn-graph {args}`` with a pipe to its stdin, and return at once: `Child.finish`
    waits for it. It dies with the calling process (Linux), is killed when `timeout` passes, and
    has the memory limit of `run_ccn_graph`."""
    return Child(args, env, timeout, memory_mb)


def _command(args: list[str], nice: int) -> list[str]:
    command = [sys.executable, "-m", "ccn_graph.cli", *args]
    if nice and (nice_bin := shutil.which("nice")):
        command = [nice_bin, "-n", str(nice), *command]
    setpriv = shutil.which("setpriv")
    if setpriv and sys.platform.startswith("linux"):
        command = [setpriv, "--pdeathsig", "KILL", "--", *command]
    return command


def _memory_mb(asked: int | None, env: dict[str, str]) -> int:
    if asked is not None:
        return asked
    try:
        return max(0, int(env.get("CCN_CHILD_MEMORY_MB", "0")))
    except ValueError:
        return 0


def _limits(memory_mb: int):
    return functools.partial(_limit_memory, memory_mb * 1024 * 1024) if memory_mb else None


def _limit_memory(size: int) -> None:
    """In the child, before the command starts (kept to one system call: the child of a process
    with threads may only do what needs no lock)."""
    resource.setrlimit(resource.RLIMIT_DATA, (size, size))


def _check_memory(done: subprocess.CompletedProcess, memory_mb: int) -> None:
    if (
        memory_mb
        and done.returncode != 0
        and (
            done.returncode == -signal.SIGABRT
            or any(word in done.stderr for word in _OUT_OF_MEMORY)
        )
    ):
        raise OutOfMemory(
            f"the child process needed more than its limit of {memory_mb} MB of memory and was "
            "stopped",
            memory_mb,
        )
