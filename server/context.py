"""Access to the settings and store of the current app, for views."""

from __future__ import annotations

from flask import current_app

from ccn_graph.settings import Settings
from ccn_graph.store import Store


def settings() -> Settings:
    return current_app.extensions["ccn_graph"]["settings"]


def store() -> Store:
    return current_app.extensions["ccn_graph"]["store"]


def app_extension(name: str):
    return current_app.extensions["ccn_graph"].get(name)
