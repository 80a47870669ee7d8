"""How many SPARQL queries may be sent to an Oxigraph server that runs with a time limit.

Oxigraph's server (0.5) watches each query's time limit (``--timeout-s``) with a thread of its own
that sleeps for the whole limit, however soon the query ends: a server answering R queries a
second holds R x limit threads. A process may start only so many threads (the kernel's bound on
memory mappings is the first reached: four per thread); past that, every request the server gets,
a Graph Store read included, fails with ``500 Resource temporarily unavailable`` until the threads
have slept out. With a 30 s limit that is about 550 cheap queries a second sustained, which
anonymous clients can reach. Updates and Graph Store requests start no such thread.

A `QueryBudget` keeps the queries sent within what the server can hold, counted across all the
processes of the service. Past it, a query asked for a client is refused at once (the store
object its request reads through says so: `RemoteStore.refusing_when_spent`), so that the caller
answers 503 and `Retry-After` and its threads stay free for everything else; the service's own work
(loading, indexing, dumps, writes) waits its turn.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import time
from pathlib import Path

__all__ = ["QueryBudget", "thread_room"]

#: Memory mappings a thread of the server takes: its stack and guard page, and the signal stack
#: and guard page Rust gives every thread it starts.
_MAPPINGS_PER_THREAD = 4


class QueryBudget:
    """At most `limit` queries in any `window` seconds, counted by every process forked after it
    was made (a ring of the last `limit` send times in shared memory, under a shared lock)."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1:
            raise ValueError("a query budget needs a limit of at least 1")
        self.limit = limit
        self.window = window
        self._times = multiprocessing.RawArray("d", limit)
        for index in range(limit):
            self._times[index] = float("-inf")
        self._next = multiprocessing.RawValue("i", 0)
        self._lock = multiprocessing.Lock()

    def take(self, patience: float | None = None) -> bool:
        """Count one query now. Past the budget, wait until the oldest counted query leaves the
        window, for at most `patience` seconds (None: as long as it takes): then False, and
        nothing is counted. If the shared lock is not had within a second (a process killed while
        holding it), the query is let through."""
        deadline = None if patience is None else time.monotonic() + patience
        while True:
            now = time.monotonic()  # one clock for every process of the machine
            if not self._lock.acquire(timeout=1.0):
                return True
            try:
                index = self._next.value
                free_at = self._times[index] + self.window
                if free_at <= now:
                    self._times[index] = now
                    self._next.value = (index + 1) % self.limit
                    return True
            finally:
                self._lock.release()
            if deadline is not None and free_at > deadline:
                return False
            time.sleep(min(free_at - now, 1.0) + 0.001)

    def sent(self) -> int:
        """How many queries were counted in the last `window` seconds."""
        now = time.monotonic()
        return sum(1 for sent in self._times if now - sent < self.window)


def thread_room() -> int:
    """How many threads one process may hold on this machine, at most: the least of the kernel's
    bound on a process's memory mappings (over what each thread takes), and half the system's,
    the user's and the control group's bounds on threads (the rest of the machine needs some)."""
    bounds = []
    maps = _number(Path("/proc/sys/vm/max_map_count"))
    if maps:
        bounds.append(maps // _MAPPINGS_PER_THREAD)
    for path in (Path("/proc/sys/kernel/threads-max"), Path("/sys/fs/cgroup/pids.max")):
        if number := _number(path):
            bounds.append(number // 2)
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY and soft > 0:
        bounds.append(soft // 2)
    return min(bounds) if bounds else 16_000


def _number(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().strip())
    return None
