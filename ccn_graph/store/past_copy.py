"""The copies of the graph as it was that `PastStore` queries: what goes into one (the store's
dataset less what changed, and the versions of then), and the files and locks of the folder that
keeps them (see `ccn_graph.store.past`)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ccn_graph import history
from ccn_graph.model.iris import STORE_STATE_GRAPH, check_iri, provenance_graph_prefix
from ccn_graph.store.base import Store
from ccn_graph.store.errors import QueryTimeout, StoreUnavailable

#: Copies of past moments kept in ``{data_dir}/past``.
KEPT = 4
#: Snapshots read from the store at a time.
_BATCH = 200
#: The file in a copy's folder that holds the time it was built for (any time of its moment).
MOMENT_FILE = "ccn-moment"
#: Seconds between two tries for a lock that another process holds.
_POLL = 0.02


class PastBusy(Exception):
    """As many queries over the past as may run at once are running; none was started."""


_NAMES = re.compile(r"(?:at-|\.tmp-)(\d+-\d+-[0-9a-f]{12})(?:\.lock|-.*)?")


def write_versions(
    store: Store, changed: dict[str, int | None], out: IO[bytes], deadline: float, late
) -> None:
    """The graphs in `changed` as they were (their versions' kept triples), as N-Quads."""
    by_sequence = {sequence: graph for graph, sequence in changed.items() if sequence is not None}
    ordered = sorted(by_sequence)
    for start in range(0, len(ordered), _BATCH):
        if time.monotonic() > deadline:
            raise late()
        kept = history.snapshots(store, ordered[start : start + _BATCH])
        for sequence, text in kept.items():
            out.write(as_quads(text, by_sequence[sequence]).encode("utf-8"))


def write_unchanged(
    store: Store, base: str, changed: set[str], out: IO[bytes], deadline: float, late
) -> None:
    """The store's dataset now, without the service's own graphs and those in `changed`."""
    left_out = {g.encode() for g in (*changed, STORE_STATE_GRAPH, history.HISTORY_GRAPH)}
    provenance = provenance_graph_prefix(base).encode()
    stream = store.dataset_stream()
    pending, last_graph, keep = b"", None, True
    try:
        for chunk in stream.chunks:
            if time.monotonic() > deadline:
                raise late()
            pending += chunk
            lines = pending.split(b"\n")
            pending = lines.pop()
            kept = []
            for line in lines:
                # Every quad of the store is in a named graph (the default graph is their union),
                # written last: its IRI ends the line. A dump gives a graph's quads together.
                end = line.rfind(b">")
                graph = line[line.rfind(b"<", 0, end) + 1 : end]
                if graph != last_graph:
                    last_graph, keep = (
                        graph,
                        graph not in left_out and not graph.startswith(provenance),
                    )
                if keep:
                    kept.append(line)
            if kept:
                out.write(b"\n".join(kept) + b"\n")
        if pending.strip():
            raise StoreUnavailable("the store's dataset ended in the middle of a line")
    finally:
        stream.close()


def as_quads(snapshot: str, graph: str) -> str:
    """A version's kept N-Triples as N-Quads of `graph`."""
    tail = f"<{check_iri(graph)}> .\n"
    if "_:" in snapshot:
        # Blank node labels are the snapshot's own: labels of the parser's, unique in the copy.
        return "".join(history.nt_line(t, graph) for t in history.parse_snapshot(snapshot))
    return "".join(line[:-1] + tail for line in snapshot.split("\n") if line.endswith(" ."))


# -- locks and files ---------------------------------------------------------------------------


def time_left(deadline: float, late: QueryTimeout) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise late
    return left


def take_slot(folder: Path, slots: int) -> int:
    """A descriptor holding one of the `slots` slot locks; `PastBusy` when every one is held."""
    for number in range(slots):
        descriptor = os.open(folder / f".slot-{number}", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return descriptor
    raise PastBusy(
        f"{slots} queries over the graph as it was are running, as many as may run at once"
    )


def hold(path: Path, mode: int, deadline: float, late) -> int:
    """A descriptor of the lock file `path` holding the lock `mode`, waited for until `deadline`
    (then `late()` is raised). A lock file is removed only by the holder of its exclusive lock:
    a lock had on a file removed meanwhile is let go, and the file made again."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise late() from None
                    time.sleep(_POLL)
            if os.fstat(descriptor).st_nlink > 0:
                return descriptor
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)


@dataclasses.dataclass(frozen=True)
class Copy:
    path: Path
    when: dt.datetime
    moment: history.Moment


@contextlib.contextmanager
def nearest_copy(
    folder: Path, key: str, moment: history.Moment, deadline: float, late
) -> Iterator[Copy | None]:
    """The kept copy with the same reference data whose moment is nearest `moment`'s (by
    sequence number), read-locked while the block runs; None when there is none."""
    reference = key.rsplit("-", 1)[1]
    candidates = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            match = _NAMES.fullmatch(entry.name)
            if (
                match
                and entry.name == f"at-{match.group(1)}"
                and match.group(1).endswith(f"-{reference}")
            ):
                versions, last, _ = match.group(1).split("-")
                candidates.append(
                    (
                        abs(int(last) - moment.last),
                        history.Moment(int(versions), int(last)),
                        entry.name,
                    )
                )
    for _, other, name in sorted(candidates, key=lambda candidate: (candidate[0], candidate[2])):
        held = hold(folder / f"{name}.lock", fcntl.LOCK_SH, deadline, late)
        try:
            when = dt.datetime.fromisoformat(
                (folder / name / MOMENT_FILE).read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            os.close(held)  # removed meanwhile, or made before copies said their time
            continue
        try:
            yield Copy(folder / name, when, other)
        finally:
            os.close(held)
        return
    yield None


def clean(folder: Path) -> None:
    """Remove the copies past the `KEPT` most recently used, and what a build cut short left,
    unless in use; never fails for a file that another process removed first."""
    copies, others = [], set()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            match = _NAMES.fullmatch(entry.name)
            if not match:
                continue
            if entry.name.startswith("at-") and not entry.name.endswith(".lock"):
                with contextlib.suppress(FileNotFoundError):
                    copies.append((entry.stat().st_mtime, match.group(1)))
            else:
                others.add(match.group(1))
        for former in folder.glob("at-*.nq"):  # copies as the service wrote them before (files)
            former.unlink(missing_ok=True)
    copies.sort(reverse=True)
    kept = {key for _, key in copies[:KEPT]}
    for key in sorted(others - kept | {key for _, key in copies[KEPT:]}):
        lock = folder / f"at-{key}.lock"
        try:
            held = hold(lock, fcntl.LOCK_EX, 0.0, _Busy)
        except _Busy:
            continue  # in use, or being built: another time
        try:
            shutil.rmtree(folder / f"at-{key}", ignore_errors=True)
            remove_leftovers(folder, key)
            lock.unlink(missing_ok=True)
        finally:
            os.close(held)


class _Busy(Exception):
    pass


def remove_leftovers(folder: Path, key: str) -> None:
    """What builds of `key` cut short left (the caller holds its lock exclusively)."""
    for leftover in folder.glob(f".tmp-{key}-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
