"""Access to the settings and store of the current app, for views."""

from __future__ import annotations

from flask import current_app, g

from ccn_graph.settings import Settings
from ccn_graph.store import Store, StoreState


def settings() -> Settings:
    return current_app.extensions["ccn_graph"]["settings"]


def store() -> Store:
    return current_app.extensions["ccn_graph"]["store"]


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
