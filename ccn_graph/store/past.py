"""SPARQL over the graph as it was at a given time (read-only).

A time falls in a *moment* of the history (`history.Moment`: the versions made by then), and two
times with no change between them share one. For each moment asked about, a copy of the graph as
it was is built once, then shared by every query about it: the records as they were, with the
vocabularies and reference graphs as they are now. Most records have not changed since, and their
graph now is their graph then: the copy is the store's dataset as it is now (one read of its
dump), less the service's own graphs (provenance, history, store state), with each graph changed
since replaced by its version of then (its kept snapshot; nothing if it had none then). A child
process (``ccn-graph build-past``) loads that into a pyoxigraph store folder,
``{data_dir}/past/at-{moment}``, as it comes. When a copy of another moment is kept, the new one
starts from the nearest (its files linked, not copied), with only the graphs whose version
differs between the two replaced: a moment near a kept one costs what changed between them.
Each query then runs in a child (``ccn-graph query-past``) that opens the folder read-only. The
answers are what the store would give: SPARQL TSV or JSON, N-Triples.

Bounds (DESIGN decision 11):

* time: the query's time limit counts everything, from reading the moment to the last row: the
  build (the copy read from the store, then its child) and the query's child are stopped at it
  (`QueryTimeout`);
* memory: each child runs under the children's memory limit (`children.OutOfMemory`); this
  process only passes lines through and holds one batch of snapshots at a time;
* at once: at most `slots` of these queries run together across all the processes of the service
  (a file lock each, ``past/.slot-{n}``); past them `PastBusy` at once;
* disk: `KEPT` copies are kept, the least recently used removed first, and never one in use.

Sharing: a moment's folder appears whole (built under another name, then renamed). A file lock
per moment (``at-{moment}.lock``) is held exclusively while it is built, so a second request for
the moment waits for that build instead of making its own, and shared while a query reads it; a
copy is removed only by whoever holds its lock exclusively, so never under a query, and what is
already gone is passed over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from ccn_graph import history
from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import formats
from ccn_graph.runtime import children
from ccn_graph.store import past_copy
from ccn_graph.store.base import QueryStream, Store, StoreState
from ccn_graph.store.embedded import EmbeddedStore
from ccn_graph.store.errors import QueryTimeout, StoreRequestError, StoreUnavailable
from ccn_graph.store.past_copy import KEPT, PastBusy

__all__ = ["KEPT", "PastBusy", "PastStore", "moment_key"]

#: A copy is made from the kept copy of another moment when at most this many graphs differ.
_FROM_COPY_MOST = 1000
#: Times the store's dataset is read for a copy, when it changes while it is read.
_READS = 3
_CHUNK = 64 * 1024


def moment_key(moment: history.Moment, reference_version: str) -> str:
    """The name of a moment's copy: its versions, and the reference data it was built with (the
    graphs that have no versions are as they are now)."""
    digest = hashlib.sha256(reference_version.encode()).hexdigest()[:12]
    return f"{moment.versions}-{moment.last}-{digest}"


class PastStore(Store):
    """Answers queries over the graph as it was at `when` (see the module's docstring), read-only: a
    `Store` whose writes are refused and whose state is that of `store`. Raises `QueryTimeout`
    past `timeout` seconds, `PastBusy` when `slots` such queries run already,
    `children.OutOfMemory` when a child needs more than `memory_mb` (by default the setting in
    `environ`), and `StoreRequestError` for a query the child refuses."""

    backend = "past"
    #: Each query runs in a child killed at the time limit; its answer comes whole, from a file.
    streams_results = False
    writable = False
    #: The copies leave the store state graph out: the state is the present store's.
    has_state_graph = False

    def __init__(
        self,
        store: Store,
        base: str,
        when: dt.datetime,
        folder: Path,
        timeout: float,
        environ: dict[str, str],
        *,
        memory_mb: int | None = None,
        slots: int = 2,
    ) -> None:
        self.store, self.base, self.when, self.folder = store, base, when, folder
        self.timeout, self.environ, self.memory_mb, self.slots = timeout, environ, memory_mb, slots

    @property
    def _moment_text(self) -> str:
        return f"{self.when.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"

    def query_stream(
        self,
        query: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> QueryStream:
        deadline = time.monotonic() + self.timeout
        self.folder.mkdir(parents=True, exist_ok=True)
        slot = past_copy.take_slot(self.folder, self.slots)
        output = tempfile.TemporaryFile()
        try:
            with self._copy(deadline) as dataset:
                args = ["query-past", "--dataset", str(dataset), "--accept", accept]
                for graph in default_graphs:
                    args += ["--default-graph", graph]
                for graph in named_graphs:
                    args += ["--named-graph", graph]
                done = self._child(args, deadline, input=query.encode(), stdout=output)
        except BaseException:
            output.close()
            raise
        finally:
            os.close(slot)
        past_copy.clean(self.folder)
        if done.returncode != 0:
            output.close()
            words = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            raise StoreRequestError(
                words[-1] if words else f"the query failed (exit status {done.returncode})"
            )
        output.seek(0)

        def chunks():
            while block := output.read(_CHUNK):
                yield block

        return QueryStream(accept.split(";", 1)[0].strip(), chunks(), output.close)

    def dataset_stream(self) -> QueryStream:
        """Every quad of the graph as it was (its copy's), as N-Quads."""

        def chunks() -> Iterator[bytes]:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._copy(time.monotonic() + self.timeout) as folder:
                copy = EmbeddedStore(folder, read_only=True)
                try:
                    yield from copy.dataset_stream().chunks
                finally:
                    copy.close()

        stream = chunks()
        return QueryStream(formats.N_QUADS.media_type, stream, stream.close)

    def state(self) -> StoreState | None:
        return self.store.state()

    def _update(self, update: str) -> None:
        raise StoreRequestError("the graph as it was is read-only")

    def _load_file(self, path: Path, fmt: formats.RdfFormat, graph_iri: str | None) -> None:
        raise StoreRequestError("the graph as it was is read-only")

    def _child(self, args: list[str], deadline: float, **kwargs):
        try:
            return children.run_ccn_graph(
                args,
                env=self.environ,
                timeout=past_copy.time_left(deadline, self._late()),
                memory_mb=self.memory_mb,
                **kwargs,
            )
        except children.TimeoutExpired:
            raise self._late() from None
        except children.OutOfMemory as exc:
            raise self._too_big("the query", exc.memory_mb) from None

    def _too_big(self, what: str, memory_mb: int) -> children.OutOfMemory:
        return children.OutOfMemory(
            f"{what} over the graph at {self._moment_text} needed more than the limit of "
            f"{memory_mb} MB of memory and was stopped",
            memory_mb,
        )

    def _late(self) -> QueryTimeout:
        return QueryTimeout(
            f"the query over the graph at {self._moment_text} ran longer than {self.timeout:g} s",
            stopped=True,
        )

    @contextlib.contextmanager
    def _copy(self, deadline: float) -> Iterator[Path]:
        """The folder of the copy of the graph at `when`, built unless it was, read-locked while
        the block runs."""
        moment = history.moment_at(self.store, self.when)
        state = self.store.state()
        key = moment_key(moment, state.reference_version if state else "")
        target, lock = self.folder / f"at-{key}", self.folder / f"at-{key}.lock"
        while True:
            # Shared: waits while the copy is being built, and keeps it from being removed.
            held = past_copy.hold(lock, fcntl.LOCK_SH, deadline, self._late)
            if target.is_dir():
                try:
                    with contextlib.suppress(FileNotFoundError):
                        os.utime(target)  # the least recently used copies are removed first
                    yield target
                finally:
                    os.close(held)
                return
            os.close(held)
            held = past_copy.hold(lock, fcntl.LOCK_EX, deadline, self._late)
            try:
                if not target.is_dir():
                    self._build(moment, key, target, deadline)
            finally:
                os.close(held)

    def _build(self, moment: history.Moment, key: str, target: Path, deadline: float) -> None:
        """Write the copy of `moment` to `target` (the caller holds its lock exclusively): from
        the kept copy of the nearest moment when few graphs differ, else from the store's dump."""
        past_copy.remove_leftovers(self.folder, key)
        building = self.folder / f".tmp-{key}-{os.getpid()}"
        try:
            done = None
            with past_copy.nearest_copy(self.folder, key, moment, deadline, self._late) as nearest:
                if nearest is not None:
                    done = self._from_copy(moment, nearest, building, deadline)
            if done is None:
                done = self._from_dump(moment, building, deadline)
            if done.returncode != 0:
                raise self._failed(done)
            (building / past_copy.MOMENT_FILE).write_text(self.when.isoformat(), encoding="utf-8")
            os.rename(building, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def _from_copy(
        self, moment: history.Moment, nearest: past_copy.Copy, building: Path, deadline: float
    ):
        """Make the copy from `nearest` (a copy of another moment): linked to its files, less the
        graphs that differ, which are loaded as they were. None when too many graphs differ."""
        changed = history.changed_since(
            self.store, self.when, moment, since=(nearest.when, nearest.moment)
        )
        if len(changed) > _FROM_COPY_MOST:
            return None
        graphs = {sequence: graph for graph, sequence in changed.items() if sequence is not None}
        kept = history.snapshots(self.store, graphs)
        # The others are current: read as they are now, unless replaced meanwhile (then kept).
        now = history.current_triples(self.store, (graphs[n] for n in graphs if n not in kept))
        kept.update(history.snapshots(self.store, (n for n in graphs if n not in kept)))
        removed = building.with_name(building.name + ".remove")
        removed.write_text("".join(f"{check_iri(graph)}\n" for graph in changed), encoding="utf-8")
        try:
            child = children.start_ccn_graph(
                [
                    "build-past",
                    "--out",
                    str(building),
                    "--start-from",
                    str(nearest.path),
                    "--remove",
                    str(removed),
                ],
                env=self.environ,
                timeout=past_copy.time_left(deadline, self._late()),
                memory_mb=self.memory_mb,
            )
            try:
                for sequence, graph in graphs.items():
                    if sequence in kept:
                        text = past_copy.as_quads(kept[sequence], graph)
                    else:
                        text = "".join(history.nt_line(triple, graph) for triple in now[graph])
                    child.stdin.write(text.encode("utf-8"))
                return self._finish(child)
            except BrokenPipeError:
                raise self._failed(self._finish(child)) from None
            except BaseException:
                child.kill()
                raise
        finally:
            removed.unlink(missing_ok=True)

    def _from_dump(self, moment: history.Moment, building: Path, deadline: float):
        """Make the copy from the store's dump: the lines pass from the store to the child that
        loads them as they come."""
        changed = history.changed_since(self.store, self.when, moment)
        for _ in range(_READS):
            shutil.rmtree(building, ignore_errors=True)
            child = children.start_ccn_graph(
                ["build-past", "--out", str(building)],
                env=self.environ,
                timeout=past_copy.time_left(deadline, self._late()),
                memory_mb=self.memory_mb,
            )
            try:
                past_copy.write_unchanged(
                    self.store, self.base, set(changed), child.stdin, deadline, self._late
                )
                # A graph written while the dump was read is in it as it is now: read again.
                again = history.changed_since(self.store, self.when, moment)
                if len(again) == len(changed):
                    past_copy.write_versions(self.store, changed, child.stdin, deadline, self._late)
                    return self._finish(child)
                changed = again
            except BrokenPipeError:
                # Why it stopped reading: its time, its memory, an error.
                raise self._failed(self._finish(child)) from None
            except BaseException:
                child.kill()
                raise
            child.kill()
        raise StoreUnavailable("the graph kept changing while its past was read; try again")

    def _failed(self, done) -> StoreUnavailable:
        words = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        return StoreUnavailable(
            f"the graph at {self._moment_text} could not be built: "
            f"{words[-1] if words else f'exit status {done.returncode}'}"
        )

    def _finish(self, child: children.Child):
        try:
            return child.finish()
        except children.TimeoutExpired:
            raise self._late() from None
        except children.OutOfMemory as exc:
            raise self._too_big("building the copy of the graph", exc.memory_mb) from None
