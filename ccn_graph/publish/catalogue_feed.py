"""The catalogue's own changes, as a DCAT-AP Feed (SEMIC's LDES DCAT-AP Feeds).

A Linked Data Event Stream of Activity Streams ``Create`` / ``Update`` / ``Delete`` activities
about the catalogue's entities (the catalogue, its datasets, their distributions, the data
services), each carrying the entity's description as it then was in a named graph named by the
activity. The catalogue describes the dumps last published, so it changes when dumps are
published: `recorder` gives the callback `dumps.build_dumps` calls then, under the dumps' lock,
which compares each entity with the description recorded last and appends an activity for each
that is new, changed or gone to ``{dumps}/catalog-feed.jsonl`` (one JSON object a line: sequence,
kind, entity, time, description as N-Triples). Replaying the feed gives the catalogue's entities
as published last.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF

from ccn_graph import history
from ccn_graph.publish.catalogue import catalogue_graph
from ccn_graph.publish.dumps import Manifest
from ccn_graph.sparql import queries
from ccn_graph.store import Store

__all__ = ["FEED_FILE", "activities", "describe_entities", "record", "recorder"]

FEED_FILE = "catalog-feed.jsonl"
_ENTITY_TYPES = (DCAT.Catalog, DCAT.Dataset, DCAT.Distribution, DCAT.DataService)


def describe_entities(graph: Graph) -> dict[str, str]:
    """Each entity of a catalogue graph → its description (its triples and those of the nodes it
    owns, ``{entity}#…``) as N-Triples text."""
    entities = sorted(
        {
            str(s)
            for t in _ENTITY_TYPES
            for s in graph.subjects(RDF.type, t)
            if isinstance(s, URIRef)
        }
    )
    owned: dict[str, list] = {e: [] for e in entities}
    for triple in graph:
        subject = str(triple[0])
        owner = (
            subject if subject in owned else subject.split("#", 1)[0] if "#" in subject else None
        )
        if owner in owned:
            owned[owner].append(triple)
    return {entity: history.snapshot(triples) for entity, triples in owned.items()}


def activities(root: Path) -> list[dict]:
    """Every activity recorded so far, oldest first."""
    path = root / FEED_FILE
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def record(root: Path, graph: Graph, when: dt.datetime) -> list[dict]:
    """Append an activity for each entity of `graph` that is new, changed or gone since the
    descriptions recorded last; the activities appended. Call under the dumps' lock."""
    recorded = activities(root)
    last: dict[str, str | None] = {}
    for activity in recorded:
        last[activity["object"]] = (
            activity.get("description") if activity["type"] != "Delete" else None
        )
    now = describe_entities(graph)
    sequence = len(recorded)
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    added = []
    for entity in sorted(set(now) | {e for e, d in last.items() if d is not None}):
        before, after = last.get(entity), now.get(entity)
        if before == after:
            continue
        kind = "Delete" if after is None else "Create" if before is None else "Update"
        sequence += 1
        added.append(
            {
                "sequence": sequence,
                "type": kind,
                "object": entity,
                "published": stamp,
                **({"description": after} if after is not None else {}),
                "digest": hashlib.sha256((after or "").encode()).hexdigest()[:16],
            }
        )
    if added:
        with (root / FEED_FILE).open("a", encoding="utf-8") as out:
            out.writelines(json.dumps(a, sort_keys=True) + "\n" for a in added)
            out.flush()
            os.fsync(out.fileno())
    return added


def recorder(store: Store, base: str, root: Path) -> Callable[[Manifest], None]:
    """The callback `dumps.build_dumps` calls after publishing `manifest`: records the catalogue
    (DCAT-AP 3.0.1) that describes it."""

    def published(manifest: Manifest) -> None:
        state = store.state()
        loaded = state.loaded_at if state and state.loaded_at else "1970-01-01T00:00:00"
        names = {
            str(r["code"]): str(r["name"]) for r in store.select(queries.load("member_state_names"))
        }
        record(root, catalogue_graph(base, manifest, loaded, names), dt.datetime.now(dt.UTC))

    return published
