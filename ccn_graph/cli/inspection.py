"""The commands that look and report, writing nothing: ``settings`` (every setting, its value
and source) and ``validate`` (RDF files against the shapes, offline)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rdflib import Graph

from ccn_graph.cli.common import Command, CommandError
from ccn_graph.model import reference
from ccn_graph.model.iris import graph_iri
from ccn_graph.rdfio import formats, rdf_input
from ccn_graph.settings import Settings
from ccn_graph.write.validation import Validator

__all__ = ["SETTINGS", "VALIDATE"]


def _cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    rows = settings.rows()
    width = max(len(name) for name, *_ in rows)
    for name, value, source, help_text in rows:
        print(f"{name:<{width}}  {value}  [{source}]")
        print(f"{'':<{width}}  {help_text}")
    return 0


def _add_validate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-iri", help="CCN_BASE_IRI: base for relative IRIs")
    parser.add_argument("files", type=Path, nargs="+", help="RDF files (format from the suffix)")
    parser.add_argument("--json", action="store_true", help="the report as JSON")


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Offline: the files against the shapes, with the bundled reference data as context."""
    base = settings.base_iri
    graphs = reference.reference_graphs(base)
    ontology = graphs.pop(graph_iri(base, "ontology"))
    shapes = graphs.pop(graph_iri(base, "shapes"))
    data, texts = Graph(), {}
    for path in args.files:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        fmt = formats.rdf_format_for_suffix(path.suffix)
        if fmt is None:
            raise CommandError(f"{path}: cannot tell the RDF format from its suffix")
        try:
            submitted = rdf_input.parse_graph(path.read_bytes(), fmt.media_type, base)
        except rdf_input.InputError as exc:
            raise CommandError(f"{path}: {exc}") from None
        data += submitted
        if fmt in (formats.TURTLE, formats.N_TRIPLES):
            texts[path] = path.read_text(encoding="utf-8")
    focus = set(data.subjects())
    context = Graph()
    for graph in graphs.values():
        context += graph
    report = Validator(shapes, ontology).validate(data + context, focus)
    lines = {}
    for path, text in texts.items():
        for iri, line in rdf_input.focus_lines(
            text, base, {r.focus for r in report.results}
        ).items():
            lines.setdefault(iri, f"{path}:{line}")
    if args.json:
        print(
            json.dumps(
                {
                    "conforms": report.conforms,
                    "results": [
                        {
                            "focus": str(r.focus),
                            "path": str(r.path) if r.path else None,
                            "severity": r.severity,
                            "message": r.message,
                            "where": lines.get(str(r.focus)),
                        }
                        for r in report.results
                    ],
                },
                indent=1,
            )
        )
    else:
        for r in report.results:
            where = lines.get(str(r.focus), str(r.focus))
            print(f"{where}: {r.severity}: {r.message}")
        print(
            f"{'conforms' if report.conforms else 'does not conform'}: "
            f"{len(report.violations)} violations, {len(report.warnings)} warnings"
        )
    return 0 if report.conforms else 1


SETTINGS: Command = (
    "settings",
    "print every setting with its value, source and help",
    lambda p: None,
    _cmd_settings,
)
VALIDATE: Command = (
    "validate",
    "validate RDF files against the shapes, offline (exit 1 when they do not conform)",
    _add_validate_args,
    _cmd_validate,
)
