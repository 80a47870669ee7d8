"""A copy of the managed store's state in a file, so that a request learns the data version
without a round trip to the store.

Every answer is valid for one state of the store, so every request reads it first; for the
managed store that was a third of the cost of a cached page. The managed store is private to its
data dir: every write to it comes from a process that uses this folder, through a
`RemoteStore` that keeps the copy honest with two rules, across processes:

- a writer removes the copy *before* it writes, and holds the lock shared while it writes;
- the copy is written back only from a state read from the store under the lock held
  exclusively, that is while no write is under way.

So after a write has returned, no process can read a copy from before it; a writer that dies
mid-write leaves no copy (its lock goes with it), and the next reader asks the store. A remote
store may be written by others, so it has no copy and is asked every time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from ccn_graph.store.base import StoreState

__all__ = ["StateMirror"]


class StateMirror:
    """The copy in `folder` (``store-state.json``, with its lock ``store-state.lock``)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "store-state.json"
        self._lock_path = folder / "store-state.lock"

    def read(self) -> StoreState | None:
        """The state the copy holds, or None when there is no usable copy."""
        try:
            data = json.loads(self.path.read_text())
            return StoreState(
                data["base"], int(data["version"]), data.get("reference"), data.get("loaded")
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def refresh(self, ask: Callable[[], StoreState | None]) -> StoreState | None:
        """`ask()` the store; keep its answer as the copy if no write is under way meanwhile."""
        with self._lock_file() as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return ask()  # a write is under way: its state is not to be kept
            try:
                state = ask()
                if state is not None:
                    temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
                    temporary.write_text(
                        json.dumps(
                            {
                                "base": state.base_iri,
                                "version": state.data_version,
                                "reference": state.reference_version,
                                "loaded": state.loaded_at,
                            }
                        )
                    )
                    os.replace(temporary, self.path)
                return state
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write: the copy is gone before it starts and stays gone until it is over."""
        with self._lock_file() as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                self.forget()
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def forget(self) -> None:
        """Remove the copy (the store may have been written without this mirror)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @contextlib.contextmanager
    def _lock_file(self):
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as lock:
            yield lock
