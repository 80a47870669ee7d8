"""What the app serves from, built once by the app factory: settings, store, writer, index, …"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from ccn_graph.index.portal_index import PortalIndex, index_path
from ccn_graph.model import reference
from ccn_graph.model.stewards import Stewards
from ccn_graph.runtime.cache import ResponseCache
from ccn_graph.settings import Settings
from ccn_graph.store import Store
from ccn_graph.write import SubmissionLog, Writer
from ccn_graph.write.build import build_writer
from server.background import DumpsRebuilder
from server.vocabulary import Vocabulary

__all__ = ["Services", "build_services"]


@dataclasses.dataclass(frozen=True)
class Services:
    """The app's services; views reach them through `server.context.services`."""

    settings: Settings
    store: Store
    writer: Writer
    portal: PortalIndex
    vocabulary: Vocabulary
    submissions_log: SubmissionLog
    stewards: Stewards
    #: Answers kept per data version; None when ``CCN_CACHE_MB`` is 0.
    cache: ResponseCache | None
    dumps: DumpsRebuilder
    #: Called when a query outlived its limit and the store did not stop it.
    on_query_deadline: Callable[[], object]
    #: The folder where worker processes share their metrics, if there are several.
    metrics_dir: str | None = None


def build_services(
    settings: Settings,
    store: Store,
    on_query_deadline: Callable[[], object],
    metrics_dir: str | None,
) -> Services:
    data = Path(settings.data_dir)
    ontology, shapes = reference.ontology_and_shapes(settings.base_iri)
    cache = (
        ResponseCache(data / "cache" / "responses.sqlite", settings.cache_mb * 1024 * 1024)
        if settings.cache_mb
        else None
    )
    return Services(
        settings=settings,
        store=store,
        writer=build_writer(settings, store, ontology, shapes),
        portal=PortalIndex(index_path(data), settings.base_iri),
        vocabulary=Vocabulary(ontology, shapes),
        submissions_log=SubmissionLog(data / "submissions"),
        stewards=Stewards(data),
        cache=cache,
        dumps=DumpsRebuilder(settings, store),
        on_query_deadline=on_query_deadline,
        metrics_dir=metrics_dir,
    )
