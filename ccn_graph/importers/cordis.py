"""Import funded projects and their participants from the CORDIS open-data exports.

The files are read by `cordis_read` (whose docstring cites the export's columns), organisations
are matched to Community members by `cordis_match`, and the records are built by
`cordis_records`. Only the cybersecurity-relevant projects are kept (`Selection`: topic codes
and, optionally, programme parts); an ambiguous or conflicting match is never merged, the
organisation is then recorded on its own and the report says why. Rows that cannot be read are
reported with their line numbers and their project is left out whole. The batch is written
through the same gate as a steward's submission (`ingest.Gate`): validated, then merged in one
update, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import URIRef

from ccn_graph.importers.cordis_match import Members, normalise_name
from ccn_graph.importers.cordis_read import MalformedFile, read_table
from ccn_graph.importers.cordis_records import ImportReport, Selection, build_records
from ccn_graph.model.iris import record_graph
from ccn_graph.sparql import queries
from ccn_graph.store import Store
from ccn_graph.write import Replace, Writer

__all__ = [
    "ImportReport",
    "MalformedFile",
    "Selection",
    "import_files",
    "normalise_name",
    "read_table",
]

#: The cybersecurity topics of Horizon Europe and Digital Europe, every programme part.
_DEFAULT_SELECTION = Selection()


def _tables(paths: Iterable[Path]) -> Iterator[tuple[str, str, list[tuple[int, dict[str, str]]]]]:
    for path in paths:
        kind, rows = read_table(path)
        yield kind, path.name, rows


def import_files(
    store: Store,
    writer: Writer,
    base: str,
    paths: list[Path],
    selection: Selection = _DEFAULT_SELECTION,
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Import CORDIS export files (projects and organisations, CSV or JSON, in any order).

    Raises `MalformedFile` for a file that is not an export. Nothing is written when the batch does
    not validate, or with `dry_run`.
    """
    projects: list[tuple[str, int, dict[str, str]]] = []
    organisations: list[tuple[str, int, dict[str, str]]] = []
    for kind, name, rows in _tables(paths):
        target = projects if kind == "project" else organisations
        target.extend((name, line, row) for line, row in rows)
    if not projects:
        raise MalformedFile("no CORDIS project export among the files")
    report = ImportReport()
    countries = [r.get("country", "").strip().upper() for _, _, r in organisations]
    members = Members(store, countries)
    records = build_records(base, projects, organisations, members, selection, report)
    project_graphs = sorted(g for g in records if g.startswith(record_graph(base, "project", "")))
    existing = set()
    if project_graphs:
        rows = store.select(
            queries.load("existing_graphs"), {"graphs": [URIRef(g) for g in project_graphs]}
        )
        existing = {str(r["g"]) for r in rows}
    for graph in project_graphs:
        pid = graph.rsplit("/", 1)[-1]
        (report.updated if graph in existing else report.added).append(pid)
    if not records:
        return report
    label = "Import of funded projects from the CORDIS open-data export"
    report.dry_run = dry_run
    report.outcome = writer.write(
        Replace(records), None, label=label, sources=tuple(str(p) for p in paths), dry_run=dry_run
    )
    if not dry_run and not report.outcome.accepted:
        report.added, report.updated = [], []
    return report
