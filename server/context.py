"""Access to the app's services (`server.services.Services`) and the store as this request
reads it, for views."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request

from ccn_graph.settings import Settings
from ccn_graph.store import Store, StoreState
from server.services import Services

_KEY = "ccn_graph"


def install(app: Flask, services: Services) -> None:
    app.extensions[_KEY] = services


def services(app: Flask | None = None) -> Services:
    """The services of `app` (the current app by default)."""
    return (app or current_app).extensions[_KEY]


def settings() -> Settings:
    return services().settings


def store() -> Store:
    """The store, as this request reads it: past the store's query budget a read is refused at
    once (503 and Retry-After, its thread free for the rest); a write's queries wait their turn,
    since those after the write itself must not fail once the store has it."""
    if "ccn_store" not in g:
        shared = services().store
        reads = has_request_context() and (
            request.method in ("GET", "HEAD") or request.endpoint == "sparql.endpoint"
        )
        g.ccn_store = shared.refusing_when_spent() if reads else shared
    return g.ccn_store


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
    found = services()
    found.portal.ensure(store(), generation(), found.writer.write_lock)
    return found.portal
