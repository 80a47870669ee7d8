"""Access to the settings and store of the current app, for views."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request

from ccn_graph.settings import Settings
from ccn_graph.store import Store, StoreState


def settings() -> Settings:
    return current_app.extensions["ccn_graph"]["settings"]


def store() -> Store:
    """The store, as this request reads it: past the store's query budget a read is refused at
    once (503 and Retry-After, its thread free for the rest); a write's queries wait their turn,
    since those after the write itself must not fail once the store has it."""
    if "ccn_store" not in g:
        shared = current_app.extensions["ccn_graph"]["store"]
        reads = has_request_context() and (
            request.method in ("GET", "HEAD") or request.endpoint == "sparql.endpoint"
        )
        g.ccn_store = shared.refusing_when_spent() if reads else shared
    return g.ccn_store


def app_extension(name: str):
    return current_app.extensions["ccn_graph"].get(name)


def state() -> StoreState | None:
    """The store's state, read once per request (answers computed after it reflect at least it)."""
    if "ccn_state" not in g:
        g.ccn_state = store().state()
    return g.ccn_state


def generation() -> str | None:
    """The store's data generation (see `StoreState.generation`), from the state read once per
    request."""
    current = state()
    return current.generation if current else None


def portal():
    """The portal index, brought up to the store's generation first (`PortalIndex.ensure`)."""
    index = current_app.extensions["ccn_graph"]["portal"]
    index.ensure(store(), generation(), current_app.extensions["ccn_graph"]["writer"].write_lock)
    return index
