"""Store backends behind one SPARQL-shaped interface (`Store`); see DESIGN decision 1.

One class per dialect: `RemoteStore` (any SPARQL 1.1 store), `VirtuosoStore` (Virtuoso 7, where it
departs from the standard), `ManagedOxigraphStore` (the Oxigraph server CCN Graph runs itself),
`EmbeddedStore` (pyoxigraph in this process, for offline work) and `PastStore` (the graph as it
was, in `ccn_graph.store.past`). Callers ask a store's capabilities (`Store.supports_time_limit`,
`streams_results`, `writable`, `has_state_graph`, `endpoints`), never its class.

`open_store` turns settings into a store: a remote store of the class its profile names
(``CCN_STORE_PROFILE``, a key of `PROFILES`) when ``CCN_STORE_URL`` is set, else the managed
Oxigraph server given by the caller.
"""

from __future__ import annotations

from pathlib import Path

from ccn_graph.settings import Settings
from ccn_graph.store.base import QueryStream, Store, StoreState, StoreStatus
from ccn_graph.store.embedded import EmbeddedStore, StoreLocked
from ccn_graph.store.endpoints import Endpoints
from ccn_graph.store.errors import (
    QueryTimeout,
    RequestSyntaxError,
    StoreBusy,
    StoreError,
    StoreRequestError,
    StoreUnavailable,
    WriteUnconfirmed,
)
from ccn_graph.store.managed import (
    ManagedOxigraphStore,
    ManagedStoreError,
    OxigraphServer,
    find_oxigraph,
    query_budget,
    read_server_file,
    request_restart,
)
from ccn_graph.store.query_budget import QueryBudget
from ccn_graph.store.remote import RemoteStore
from ccn_graph.store.virtuoso import VirtuosoStore

__all__ = [
    "PROFILES",
    "EmbeddedStore",
    "Endpoints",
    "ManagedOxigraphStore",
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
    "find_oxigraph",
    "managed_server",
    "open_store",
    "read_server_file",
    "request_restart",
]

#: The remote store's class for each store profile (``CCN_STORE_PROFILE``).
PROFILES: dict[str, type[RemoteStore]] = {"standard": RemoteStore, "virtuoso": VirtuosoStore}


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
        endpoints = Endpoints(
            settings.store_url,
            settings.store_update_url or settings.store_url,
            settings.store_gsp_url or settings.store_url,
        )
        return PROFILES[settings.store_profile](
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
    return ManagedOxigraphStore(
        managed,
        Path(settings.data_dir),
        timeout=settings.query_timeout,
        budget=query_budget(settings.query_timeout, settings.store_query_budget),
    )
