"""The dumps rebuilt in the background after each accepted write: this module's one job.

A request never waits for a rebuild: it gets the dumps last published (see `server.catalog`),
and a rebuild for the newest data version is started here.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ccn_graph.publish import catalogue_feed, dumps
from ccn_graph.settings import Settings
from ccn_graph.store import Store

__all__ = ["DumpsRebuilder", "dumps_root"]

log = logging.getLogger(__name__)


def dumps_root(settings: Settings) -> Path:
    """Where the dumps are published."""
    return Path(settings.data_dir) / "dumps"


def build_now(settings: Settings, store: Store) -> dumps.Manifest:
    """Build the dumps of the store's data version here, and publish them."""
    root = dumps_root(settings)
    return dumps.build_dumps(
        store, settings.base_iri, root, catalogue_feed.recorder(store, settings.base_iri, root)
    )


class DumpsRebuilder:
    """Rebuilds the dumps for the newest data version without delaying any response, at the
    earliest `CCN_DUMPS_EVERY` seconds after the previous rebuild started.

    The build runs in a child process at the lowest CPU priority (`dumps.build_in_child`): at
    10,000 members it is 40 s of Python, which in this process would hold the interpreter the
    pages need. One rebuild at a time per app (a process serves one; a test process many, each
    its own), and across processes the dumps' lock file; writes that arrive meanwhile are picked
    up by a rebuild that follows it. A store in this process (embedded) is built from here, in a
    thread.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store
        self._running = threading.Lock()

    def request(self) -> None:
        """Start a rebuild unless one is running (it goes on until it has caught up)."""
        threading.Thread(target=self._guarded, name="dumps", daemon=True).start()

    def _guarded(self) -> None:
        if not self._running.acquire(blocking=False):
            return
        try:
            self._run()
        finally:
            self._running.release()

    def _run(self) -> None:
        settings, root = self._settings, dumps_root(self._settings)
        endpoints = self._store.endpoints
        while True:
            # Writes that arrive while this waits are gathered into one rebuild.
            time.sleep(dumps.seconds_until_due(root, settings.dumps_every))
            try:
                # Wait for a build under way (here or in another process) before judging.
                dumps.wait_while_building(root)
                published = dumps.current_manifest(root)
                state = self._store.state()
                if not state or (published and published.version == state.data_version):
                    return
                if endpoints is not None:
                    dumps.build_in_child(settings, endpoints)
                else:
                    build_now(settings, self._store)
            except Exception:  # a failed rebuild is retried by the next write or request
                log.exception("rebuilding the dumps failed")
                return
