"""Store backends behind one SPARQL-shaped interface (`Store`); see DESIGN decision 1.

`open_store` turns settings into a store: a remote SPARQL 1.1 store when ``CCN_STORE_URL`` is
set, else the managed Oxigraph server given by the caller.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ccn_graph.settings import Settings
from ccn_graph.store.base import (
    QueryStream,
    QueryTimeout,
    RequestSyntaxError,
    Store,
    StoreBusy,
    StoreError,
    StoreRequestError,
    StoreState,
    StoreStatus,
    StoreUnavailable,
    WriteUnconfirmed,
)
from ccn_graph.store.embedded import EmbeddedStore, StoreLocked
from ccn_graph.store.managed import (
    ManagedStoreError,
    OxigraphServer,
    find_oxigraph,
    query_budget,
    read_server_file,
    request_restart,
)
from ccn_graph.store.query_budget import QueryBudget
from ccn_graph.store.remote import Endpoints, RemoteStore
from ccn_graph.store.state_mirror import StateMirror
from ccn_graph.store.virtuoso import VirtuosoStore

__all__ = [
    "EmbeddedStore",
    "Endpoints",
    "ManagedStoreError",
    "OxigraphServer",
    "QueryStream",
    "QueryTimeout",
    "RemoteStore",
    "RequestSyntaxError",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreLocked",
    "StoreRequestError",
    "StoreState",
    "StoreStatus",
    "StoreUnavailable",
    "VirtuosoStore",
    "WriteUnconfirmed",
    "managed_server",
    "open_store",
    "read_server_file",
]


def managed_server(settings: Settings) -> OxigraphServer:
    """The (not yet started) managed Oxigraph server for these settings."""
    return OxigraphServer(
        Path(settings.data_dir),
        query_timeout=settings.query_timeout,
        binary=find_oxigraph(settings.oxigraph_bin),
        memory_mb=settings.store_memory_mb,
    )


def open_store(settings: Settings, managed: Endpoints | None = None) -> Store:
    """The store the settings name: the remote store, or the managed server at `managed`."""
    if settings.store_url:
        endpoints = Endpoints.for_profile(
            settings.store_profile,
            settings.store_url,
            settings.store_update_url or settings.store_url,
            settings.store_gsp_url or settings.store_url,
        )
        kind = VirtuosoStore if settings.store_profile == "virtuoso" else RemoteStore
        return kind(
            endpoints,
            timeout=settings.query_timeout,
            user=settings.store_user,
            password=settings.store_password,
            token=settings.store_token,
            # An Oxigraph server with a time limit holds a thread per query that long: bound what it
            # is sent when told (its --timeout-s should be CCN_QUERY_TIMEOUT).
            budget=QueryBudget(settings.store_query_budget, settings.query_timeout + 1.0)
            if settings.store_query_budget
            else None,
        )
    if managed is None:
        raise ValueError("a managed store needs the endpoints of its running server")
    # Our own store gets 2 s past its limit to say it stopped a query; then it is restarted.
    # Our own store is written only through this data dir, so its state can be read from a copy.
    return RemoteStore(
        managed,
        timeout=settings.query_timeout,
        grace=2.0,
        backend="managed-oxigraph",
        mirror=StateMirror(Path(settings.data_dir)),
        budget=query_budget(settings.query_timeout, settings.store_query_budget),
        stop_unconfirmed=functools.partial(request_restart, Path(settings.data_dir)),
    )
