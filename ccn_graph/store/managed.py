"""The managed store: the Oxigraph server that CCN Graph runs itself (`oxigraph_server`), reached
as a remote store with what only a store private to its data dir can do."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ccn_graph.store.base import StoreState
from ccn_graph.store.endpoints import Endpoints
from ccn_graph.store.errors import WriteUnconfirmed
from ccn_graph.store.oxigraph_server import (
    SERVER_FILE,
    ManagedStoreError,
    OxigraphServer,
    find_oxigraph,
    query_budget,
    read_server_file,
    request_restart,
    timeout_seconds,
)
from ccn_graph.store.query_budget import QueryBudget
from ccn_graph.store.remote import RemoteStore
from ccn_graph.store.state_mirror import StateMirror

__all__ = [
    "SERVER_FILE",
    "ManagedOxigraphStore",
    "ManagedStoreError",
    "OxigraphServer",
    "find_oxigraph",
    "query_budget",
    "read_server_file",
    "request_restart",
    "timeout_seconds",
]


class ManagedOxigraphStore(RemoteStore):
    """The managed Oxigraph server of `data_dir`, at `endpoints`.

    Written only through this data dir, so its state is read from a copy kept there
    (`state_mirror`); a write it did not confirm is stopped by restarting it (`request_restart`),
    so that it is whole or absent before anything else is read or written; bulk loads use
    Oxigraph's own fast loader.
    """

    backend = "managed-oxigraph"
    #: Our own store gets 2 s past its limit to say it stopped a query; then it is restarted.
    grace = 2.0

    def __init__(
        self,
        endpoints: Endpoints,
        data_dir: Path,
        *,
        timeout: float,
        grace: float | None = None,
        budget: QueryBudget | None = None,
    ) -> None:
        super().__init__(endpoints, timeout=timeout, grace=grace, budget=budget)
        self.data_dir = data_dir
        self.mirror = StateMirror(data_dir)

    @classmethod
    def of(cls, server: OxigraphServer, *, timeout: float, **options) -> ManagedOxigraphStore:
        """The store of a running `server`."""
        return cls(server.endpoints, server.data_dir, timeout=timeout, **options)

    def state(self) -> StoreState | None:
        """From the mirror's copy if there is one, else asked of the store (and kept)."""
        return self.mirror.read() or self.mirror.refresh(self._ask_state)

    def _write(self, url: str, headers: Mapping[str, str], body, **options) -> None:
        with self._writing():
            super()._write(url, headers, body, **options)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Around a write: no copy of the state kept meanwhile, and a write the store did not
        confirm stopped by a restart (under the mirror's write lock: no copy can be kept from
        before the stop while the write might still land)."""
        with self.mirror.writing():
            try:
                yield
            except WriteUnconfirmed as exc:
                request_restart(self.data_dir)
                raise WriteUnconfirmed(
                    f"{exc}; the store was restarted to stop it, so it is either whole or "
                    "absent: look at the record (or its history) before sending it again"
                ) from None

    def _bulk_load_params(self) -> Iterable[tuple[str, str]]:
        # Oxigraph's bulk loader: several times faster, not atomic (as documented for
        # Store.load_file).
        return (("no_transaction", ""),)
