"""The records a CORDIS import writes, built from the rows read: which projects are kept
(`Selection`), their project, call and topic records, their participations, the records of
organisations not matched to a Community member, and the report of what was done and why."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS, XSD

from ccn_graph.importers.cordis_match import COUNTRY_IRI, MEMBER_STATES, Members
from ccn_graph.importers.cordis_read import ROLES, amount, organisation_problem, project_problem
from ccn_graph.model.iris import CCN, instance_iri, record_graph
from ccn_graph.write import WriteOutcome

__all__ = ["ImportReport", "Selection", "build_records"]

SCHEMA = "https://schema.org/"
LOCN = "http://www.w3.org/ns/locn#"

#: Framework programme codes of the export → the programme records of the reference data.
PROGRAMMES = {"HORIZON": "horizon-europe", "DIGITAL": "digital-europe"}

Rows = list[tuple[str, int, dict[str, str]]]


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which projects are cybersecurity-relevant: a topic code matching one of `topic_patterns`,
    and — when `programme_parts` is not empty — a legal basis starting with one of them.

    The default patterns are the Horizon Europe Cluster 3 cybersecurity destination
    (HORIZON-CL3-{year}-CS-…) and the Digital Europe cybersecurity calls (DIGITAL-{year}-CYBER-…,
    DIGITAL-ECCC-{year}-…).
    """

    topic_patterns: tuple[str, ...] = (
        r"^HORIZON-CL3-\d{4}-CS-",
        r"^DIGITAL-(?:ECCC-)?\d{4}-CYBER-",
        r"^DIGITAL-ECCC-\d{4}-",
    )
    programme_parts: tuple[str, ...] = ()

    def keeps(self, topic: str, legal_basis: str) -> bool:
        if not any(re.search(p, topic) for p in self.topic_patterns):
            return False
        return not self.programme_parts or any(
            legal_basis.startswith(p) for p in self.programme_parts
        )


@dataclasses.dataclass
class ImportReport:
    """What an import did, with reasons; counts are of projects and organisations."""

    added: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    malformed: list[tuple[str, int, str]] = dataclasses.field(default_factory=list)
    matched: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    organisations_created: list[str] = dataclasses.field(default_factory=list)
    not_matched: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    outcome: WriteOutcome | None = None
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return self.outcome is not None and self.outcome.accepted

    def lines(self) -> list[str]:
        """The report as lines a person reads."""
        out = [
            f"projects added: {len(self.added)}, updated: {len(self.updated)}, skipped: "
            f"{len(self.skipped)}, "
            f"malformed rows: {len(self.malformed)}",
            f"organisations matched to Community members: {len(self.matched)}, recorded on their "
            "own: "
            f"{len(self.organisations_created)}",
        ]
        out += [f"  malformed: {file} line {line}: {why}" for file, line, why in self.malformed]
        out += [f"  skipped project {pid}: {why}" for pid, why in self.skipped]
        out += [
            f"  matched organisation {oid} to {member} by {how}"
            for oid, (member, how) in sorted(self.matched.items())
        ]
        out += [f"  not matched: organisation {oid}: {why}" for oid, why in self.not_matched]
        if self.dry_run and self.outcome is not None:
            verdict = "would be accepted" if self.outcome.report.conforms else "would be rejected"
            out.append(f"dry run, nothing written: the batch {verdict}")
            out += [
                f"  {r.focus} {r.path or ''}: {r.message}" for r in self.outcome.report.violations
            ]
        elif self.outcome is not None and not self.outcome.accepted:
            out.append("rejected by validation, nothing written:")
            out += [
                f"  {r.focus} {r.path or ''}: {r.message}" for r in self.outcome.report.violations
            ]
        elif self.outcome is not None and self.outcome.unchanged:
            out.append("nothing to write: the graph holds these records as they are")
        elif self.written:
            out.append(f"written in one update ({self.outcome.activity})")
        return out


def build_records(
    base: str,
    projects: Rows,
    organisations: Rows,
    members: Members,
    selection: Selection,
    report: ImportReport,
) -> dict[str, Graph]:
    """Record graphs for the selected, well-formed projects and the organisations they involve."""
    rows_by_project, broken_projects = _organisations_by_project(organisations, report)
    records: dict[str, Graph] = defaultdict(Graph)
    for file, line, row in projects:
        problem = project_problem(row)
        if problem:
            report.malformed.append((file, line, problem))
            continue
        pid = row["id"].strip()
        participants = rows_by_project.get(pid, [])
        why = _left_out(base, row, selection, pid in broken_projects, bool(participants))
        if why:
            report.skipped.append((pid, why))
            continue
        project = URIRef(instance_iri(base, "project", pid))
        graph = records[record_graph(base, "project", pid)]
        programme = _programme_iri(base, row["frameworkProgramme"])
        _describe_project(graph, base, project, programme, row, f"{file}, line {line}")
        _call_and_topic(records, base, graph, project, programme, row)
        _participations(records, base, graph, project, participants, members, report)
    return dict(records)


def _organisations_by_project(organisations: Rows, report: ImportReport) -> tuple[dict, set]:
    """The well-formed organisation rows by project, and the projects with a malformed one (which
    are left out whole)."""
    rows_by_project: dict[str, Rows] = defaultdict(list)
    broken_projects: set[str] = set()
    for file, line, row in organisations:
        problem = organisation_problem(row)
        if problem:
            report.malformed.append((file, line, problem))
            pid = row.get("projectID", "").strip()
            if pid:
                broken_projects.add(pid)
            continue
        rows_by_project[row["projectID"].strip()].append((file, line, row))
    return rows_by_project, broken_projects


def _left_out(
    base: str, row: dict[str, str], selection: Selection, broken: bool, participants: bool
) -> str | None:
    """Why a well-formed project row is not imported, or None."""
    if not selection.keeps(row["topics"].strip(), row["legalBasis"].strip()):
        return (
            f"topic {row['topics'].strip() or '(none)'} is not a cybersecurity topic of "
            "the selection"
        )
    if _programme_iri(base, row["frameworkProgramme"]) is None:
        return f"programme {row['frameworkProgramme']!r} is not described in the graph"
    if broken:
        return (
            "one of its organisation rows is malformed (see above); the project is left out whole"
        )
    if not participants:
        return "no organisation rows for this project"
    return None


def _describe_project(
    graph: Graph, base: str, project: URIRef, programme: str, row: dict[str, str], where: str
) -> None:
    """The project's own statements, from its row (found at `where` in the files)."""
    pid = row["id"].strip()
    acronym = row["acronym"].strip()
    graph.add((project, RDF.type, CCN.Project))
    graph.add((project, DCTERMS.identifier, Literal(pid)))
    graph.add((project, SKOS.prefLabel, Literal(acronym or pid, lang="en")))
    if acronym:
        graph.add((project, CCN.acronym, Literal(acronym)))
    graph.add((project, DCTERMS.title, Literal(" ".join(row["title"].split()), lang="en")))
    if row["objective"].strip():
        graph.add((project, DCTERMS.description, Literal(row["objective"].strip(), lang="en")))
    for column, prop in (("startDate", "startDate"), ("endDate", "endDate")):
        if row[column].strip():
            graph.add(
                (
                    project,
                    URIRef(SCHEMA + prop),
                    Literal(row[column].strip(), datatype=XSD.date),
                )
            )
    graph.add((project, CCN.fundingProgramme, URIRef(programme)))
    if row["status"].strip():
        graph.add(
            (
                project,
                CCN.status,
                URIRef(instance_iri(base, "project-status", row["status"].strip().lower())),
            )
        )
    for column, prop in (("legalBasis", "programmePart"), ("fundingScheme", "fundingScheme")):
        if row[column].strip():
            graph.add((project, CCN[prop], Literal(row[column].strip())))
    contribution = amount(row["ecMaxContribution"])
    if contribution is not None:
        _add_amount(graph, project, URIRef(f"{project}#eu-contribution"), contribution)
    graph.add((project, DCTERMS.source, Literal(f"CORDIS open-data export ({where})")))


def _call_and_topic(
    records: dict[str, Graph],
    base: str,
    graph: Graph,
    project: URIRef,
    programme: str,
    row: dict[str, str],
) -> None:
    """The project's call and topic, each a record of its own."""
    call_code = row["masterCall"].strip()
    if call_code:
        call = URIRef(instance_iri(base, "call", call_code))
        graph.add((project, CCN.call, call))
        call_graph = records[record_graph(base, "call", call_code)]
        call_graph.add((call, RDF.type, CCN.Call))
        call_graph.add((call, DCTERMS.identifier, Literal(call_code)))
        call_graph.add((call, CCN.programme, URIRef(programme)))
    topic_code = row["topics"].strip()
    if topic_code:
        topic = URIRef(instance_iri(base, "topic", topic_code))
        graph.add((project, CCN.topic, topic))
        topic_graph = records[record_graph(base, "topic", topic_code)]
        topic_graph.add((topic, RDF.type, CCN.Topic))
        topic_graph.add((topic, SKOS.notation, Literal(topic_code)))
        if call_code:
            topic_graph.add((topic, CCN.call, URIRef(instance_iri(base, "call", call_code))))


def _participations(
    records: dict[str, Graph],
    base: str,
    graph: Graph,
    project: URIRef,
    participants: Rows,
    members: Members,
    report: ImportReport,
) -> None:
    """A participation per organisation row, its participant a Community member when one
    matches, else an organisation recorded on its own."""
    for number, (_, _, org) in enumerate(participants, 1):
        oid = org["organisationID"].strip()
        member, how = members.match(org)
        if member:
            report.matched[oid] = (member, how)
            participant = URIRef(member)
        else:
            participant = URIRef(instance_iri(base, "organisation", f"cordis-{oid}"))
            if oid not in report.organisations_created:
                report.organisations_created.append(oid)
                report.not_matched.append((oid, how))
            _organisation_record(records, base, participant, org)
        order = org["order"].strip() or str(number)
        participation = URIRef(f"{project}#participation-{order}-{oid}")
        graph.add((project, CCN.participation, participation))
        graph.add((participation, RDF.type, CCN.Participation))
        graph.add((participation, CCN.participant, participant))
        role = ROLES[org["role"].strip().lower()]
        graph.add((participation, CCN.role, URIRef(instance_iri(base, "participation-role", role))))
        share = amount(org["ecContribution"])
        if share is not None:
            _add_amount(graph, participation, URIRef(f"{participation}-eu-contribution"), share)


def _organisation_record(
    records: dict[str, Graph], base: str, node: URIRef, org: dict[str, str]
) -> None:
    oid = org["organisationID"].strip()
    graph = records[record_graph(base, "organisation", f"cordis-{oid}")]
    graph.add((node, RDF.type, CCN.Organisation))
    graph.add((node, SKOS.prefLabel, Literal(" ".join(org["name"].split()))))
    graph.add((node, CCN.cordisOrganisationId, Literal(oid)))
    if org["vatNumber"].strip():
        graph.add((node, CCN.vatNumber, Literal(org["vatNumber"].strip())))
    url = org["organizationURL"].strip()
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url):
        graph.add((node, FOAF.homepage, URIRef(url)))
    code = org["country"].strip().upper()
    if code in MEMBER_STATES:
        graph.add((node, CCN.memberState, URIRef(COUNTRY_IRI + MEMBER_STATES[code])))
    if org["city"].strip():
        address = URIRef(f"{node}#address")
        graph.add((node, URIRef(LOCN + "address"), address))
        graph.add((address, RDF.type, URIRef(LOCN + "Address")))
        graph.add((address, URIRef(LOCN + "postName"), Literal(org["city"].strip())))
        graph.add((address, URIRef(LOCN + "adminUnitL1"), Literal("GR" if code == "EL" else code)))
    graph.add((node, DCTERMS.source, Literal("CORDIS open-data export (organization)")))


def _add_amount(graph: Graph, owner: URIRef, node: URIRef, value: Decimal) -> None:
    graph.add((owner, CCN.euContribution, node))
    graph.add((node, RDF.type, URIRef(SCHEMA + "MonetaryAmount")))
    graph.add((node, URIRef(SCHEMA + "value"), Literal(f"{value:f}", datatype=XSD.decimal)))
    graph.add((node, URIRef(SCHEMA + "currency"), Literal("EUR")))


def _programme_iri(base: str, code: str) -> str | None:
    slug = PROGRAMMES.get(code.strip().upper())
    return instance_iri(base, "programme", slug) if slug else None
