"""Every version of every record, kept in the store beside the activity that made it.

A write that replaces record graphs also writes, in the same update, one *version* for each graph
whose triples it changes: a node ``{base}id/version/{sequence}`` in the activity's graph naming the
graph it is a version of (and the entity, for a record graph), its number among that graph's
versions, its sequence number among all versions (the order of the change feed), its time, the
activity and the kind of change (created, updated, deleted). The current version's triples are
the record graph itself; when a write replaces them, the same update keeps the replaced triples
as the previous version's *snapshot* (one N-Triples literal, in the new activity's graph). So no
version is ever written without its record or a record without its version (one update, applied
atomically by the store), history costs what the writes replaced, and a bulk load costs a few
triples per record. The count of versions and the time of the latest live in `HISTORY_GRAPH`,
replaced by the same update.

Times never go back: a version is dated no earlier than the one before it, so that the feed's
order by sequence is also its order by time.

`versions` makes the versions a write adds; `reading` reads them back (TimeMaps, mementos, the
change feed, moments); callers import both from here.
"""

from __future__ import annotations

from ccn_graph.history.reading import (
    Moment,
    by_sequence,
    changed_since,
    choose,
    count,
    counts_in,
    current_at,
    current_triples,
    graphs_changed,
    http_date,
    moment_at,
    parse_http_date,
    snapshots,
    version,
    versions,
    with_sequences,
)
from ccn_graph.history.versions import (
    CREATED,
    DELETED,
    HISTORY_GRAPH,
    TERMS,
    UPDATED,
    Heads,
    Version,
    group_dataset,
    heads,
    history_state,
    kind_name,
    nt_line,
    parse_snapshot,
    same,
    snapshot,
    version_iri,
    version_nodes,
    version_quads,
    version_triples,
)
from ccn_graph.model.iris import CCN

__all__ = [
    "CCN",
    "CREATED",
    "DELETED",
    "UPDATED",
    "HISTORY_GRAPH",
    "TERMS",
    "Heads",
    "Moment",
    "Version",
    "by_sequence",
    "changed_since",
    "choose",
    "count",
    "counts_in",
    "current_at",
    "current_triples",
    "graphs_changed",
    "group_dataset",
    "heads",
    "history_state",
    "http_date",
    "kind_name",
    "moment_at",
    "nt_line",
    "parse_http_date",
    "parse_snapshot",
    "same",
    "snapshot",
    "snapshots",
    "version",
    "version_iri",
    "version_nodes",
    "version_quads",
    "version_triples",
    "versions",
    "with_sequences",
]
