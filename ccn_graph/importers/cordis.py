"""Import funded projects and their participants from the CORDIS open-data exports.

CORDIS, the European Commission's record of EU-funded research, publishes per framework programme
an export of its projects (``project.csv`` / ``project.json``) and of the organisations taking
part (``organization.csv`` / ``organization.json``): the dataset "CORDIS – EU research projects
under Horizon Europe (2021-2027)" on data.europa.eu, produced by the Publications Office. The CSV
files are UTF-8, separated by ``;`` and quoted with ``"`` (fields such as the objective may span
lines); the JSON files are arrays of objects with the same keys. The columns read here:

``project``
    ``id`` (grant agreement number), ``acronym``, ``status`` (SIGNED, CLOSED, TERMINATED),
    ``title``, ``startDate``, ``endDate`` (YYYY-MM-DD), ``ecMaxContribution`` (EUR),
    ``legalBasis`` (programme part, e.g. HORIZON.2.3), ``topics`` (topic code),
    ``frameworkProgramme`` (HORIZON, …), ``masterCall`` (call identifier), ``fundingScheme``,
    ``objective``.
``organization``
    ``projectID``, ``organisationID``, ``vatNumber``, ``name``, ``shortName``, ``city``,
    ``country`` (two letters; EL is Greece), ``organizationURL``, ``order``, ``role``
    (coordinator, participant, thirdParty, associatedPartner, partner), ``ecContribution``.

Only the cybersecurity-relevant projects are kept (`Selection`: topic codes and, optionally,
programme parts). Organisations are matched to Community members by CORDIS identifier, then VAT
number, then normalised name within the same Member State; an ambiguous or conflicting match is
never merged, the organisation is then recorded on its own and the report says why. Rows that
cannot be read are reported with their line numbers and their project is left out whole. The
batch is written through the same gate as a steward's submission (`ingest.Gate`): validated, then
merged in one update, or not at all.
"""

# size: CORDIS's columns read, matched and mapped in one place; split by kind pending

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS, XSD

from ccn_graph.model import iris
from ccn_graph.model.iris import CCN, instance_iri, record_graph
from ccn_graph.sparql import queries
from ccn_graph.store import Store
from ccn_graph.write import Replace, WriteOutcome, Writer

__all__ = ["ImportReport", "Selection", "import_files", "read_table"]

SCHEMA = "https://schema.org/"
LOCN = "http://www.w3.org/ns/locn#"

PROJECT_COLUMNS = (
    "id",
    "acronym",
    "status",
    "title",
    "startDate",
    "endDate",
    "ecMaxContribution",
    "legalBasis",
    "topics",
    "frameworkProgramme",
    "masterCall",
    "fundingScheme",
    "objective",
)
ORGANISATION_COLUMNS = (
    "projectID",
    "organisationID",
    "vatNumber",
    "name",
    "city",
    "country",
    "organizationURL",
    "order",
    "role",
    "ecContribution",
)

#: Framework programme codes of the export → the programme records of the reference data.
PROGRAMMES = {"HORIZON": "horizon-europe", "DIGITAL": "digital-europe"}
ROLES = {
    "coordinator": "coordinator",
    "participant": "beneficiary",
    "thirdparty": "affiliated-entity",
    "associatedpartner": "associated-partner",
    "partner": "partner",
}
STATUSES = {"signed", "closed", "terminated"}
#: Two-letter codes of the 27 Member States as CORDIS writes them (EL for Greece) → ISO 3166
#: alpha-3.
MEMBER_STATES = {**iris.MEMBER_STATES, "EL": "GRC"}
COUNTRY_IRI = iris.COUNTRY_AUTHORITY
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


class MalformedFile(ValueError):
    """A file is not a CORDIS export this importer can read; the message says which and why."""


def read_table(path: Path) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """('project' or 'organization', [(line number, row)]) from a CSV or JSON export.

    Raises `MalformedFile` for a file that is neither export.
    """
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedFile(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise MalformedFile(f"{path}: expected a JSON array of objects")
        # JSON has no lines per record; the position in the array (from 1) stands in for one.
        numbered = [
            (i, {k: "" if v is None else str(v) for k, v in r.items()})
            for i, r in enumerate(rows, 1)
        ]
        columns = set(rows[0]) if rows else set()
    else:
        numbered = []
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle, delimiter=";", quotechar='"')
                header = next(reader, [])
                start = reader.line_num + 1
                for values in reader:
                    row = dict(zip(header, values, strict=False))
                    if len(values) != len(header):
                        # Keep the first field: it names the project the broken row belongs to.
                        first = values[0] if values else ""
                        row = {
                            "__error__": f"{len(values)} fields where the header has {len(header)}",
                            "id": first,
                            "projectID": first,
                        }
                    numbered.append((start, row))
                    start = reader.line_num + 1
        except (UnicodeDecodeError, csv.Error) as exc:
            raise MalformedFile(f"{path}: not a readable CSV file ({exc})") from None
        columns = set(header)
    if set(PROJECT_COLUMNS) <= columns:
        return "project", numbered
    if set(ORGANISATION_COLUMNS) <= columns:
        return "organization", numbered
    raise MalformedFile(
        f"{path}: neither a CORDIS project nor organization export; a project file needs the "
        "columns "
        f"{', '.join(PROJECT_COLUMNS)}; an organization file {', '.join(ORGANISATION_COLUMNS)}"
    )


def _amount(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if value < 0 or not value.is_finite():
        raise ValueError(f"{text!r} is not an amount of zero or more")
    return value


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing folded away; nothing else (no legal forms dropped)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


class _Members:
    """Community members of the store, indexed for matching."""

    def __init__(self, store: Store, countries: Iterable[str]) -> None:
        states = [
            URIRef(COUNTRY_IRI + MEMBER_STATES[c])
            for c in sorted(set(countries))
            if c in MEMBER_STATES
        ]
        self.by_cordis: dict[str, set[str]] = defaultdict(set)
        self.by_vat: dict[str, set[str]] = defaultdict(set)
        self.by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.cordis_of: dict[str, set[str]] = defaultdict(set)
        if not states:
            return
        for row in store.select(queries.load("members_for_matching"), {"states": states}):
            member = str(row["member"])
            self.by_name[(str(row["state"]), normalise_name(str(row["name"])))].add(member)
            if "cordis" in row:
                self.by_cordis[str(row["cordis"])].add(member)
                self.cordis_of[member].add(str(row["cordis"]))
            if "vat" in row:
                self.by_vat[_vat(str(row["vat"]))].add(member)

    def match(self, org: dict[str, str]) -> tuple[str | None, str]:
        """(member IRI, how) or (None, why not)."""
        oid = org["organisationID"].strip()
        for key, index, how in (
            (oid, self.by_cordis, "CORDIS identifier"),
            (_vat(org["vatNumber"]), self.by_vat, "VAT number"),
        ):
            found = index.get(key) if key else None
            if found and len(found) == 1:
                return next(iter(found)), how
            if found:
                return None, f"its {how} belongs to {len(found)} Community members"
        country = MEMBER_STATES.get(org["country"].strip().upper())
        if not country:
            return None, "not established in a Member State"
        found = self.by_name.get((COUNTRY_IRI + country, normalise_name(org["name"])), set())
        if len(found) > 1:
            return None, f"its name matches {len(found)} Community members in the same Member State"
        if found:
            member = next(iter(found))
            if self.cordis_of.get(member) and oid not in self.cordis_of[member]:
                return None, f"its name matches {member}, whose CORDIS identifier differs"
            return member, "name and Member State"
        return None, "no Community member with this identifier or name"


def _vat(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _programme_iri(base: str, code: str) -> str | None:
    slug = PROGRAMMES.get(code.strip().upper())
    return instance_iri(base, "programme", slug) if slug else None


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _project_problem(row: dict[str, str]) -> str | None:
    if "__error__" in row:
        return row["__error__"]
    if not re.fullmatch(r"\d+", row["id"].strip()):
        return f"project id {row['id']!r} is not a number"
    for column in ("startDate", "endDate"):
        if row[column].strip() and not _is_date(row[column].strip()):
            return f"{column} {row[column]!r} is not a date (YYYY-MM-DD)"
    for column in ("topics", "masterCall"):
        if row[column].strip() and not _CODE.match(row[column].strip()):
            return f"{column} {row[column]!r} is not a code"
    if row["status"].strip().lower() not in STATUSES | {""}:
        return f"status {row['status']!r} is not one of SIGNED, CLOSED, TERMINATED"
    if not row["title"].strip():
        return "the title is empty"
    try:
        _amount(row["ecMaxContribution"])
    except ValueError as exc:
        return f"ecMaxContribution: {exc}"
    return None


def _organisation_problem(row: dict[str, str]) -> str | None:
    if "__error__" in row:
        return row["__error__"]
    if not re.fullmatch(r"\d+", row["projectID"].strip()):
        return f"projectID {row['projectID']!r} is not a number"
    if not _CODE.match(row["organisationID"].strip()):
        return f"organisationID {row['organisationID']!r} is not an identifier"
    if row["role"].strip().lower() not in ROLES:
        return f"role {row['role']!r} is not one of {', '.join(sorted(ROLES))}"
    if not row["name"].strip():
        return "the organisation name is empty"
    if not re.fullmatch(r"[A-Za-z]{2}", row["country"].strip()):
        return f"country {row['country']!r} is not a two-letter code"
    if row["order"].strip() and not re.fullmatch(r"\d+", row["order"].strip()):
        return f"order {row['order']!r} is not a number"
    try:
        _amount(row["ecContribution"])
    except ValueError as exc:
        return f"ecContribution: {exc}"
    return None


def _add_amount(graph: Graph, owner: URIRef, node: URIRef, value: Decimal) -> None:
    graph.add((owner, CCN.euContribution, node))
    graph.add((node, RDF.type, URIRef(SCHEMA + "MonetaryAmount")))
    graph.add((node, URIRef(SCHEMA + "value"), Literal(f"{value:f}", datatype=XSD.decimal)))
    graph.add((node, URIRef(SCHEMA + "currency"), Literal("EUR")))


# size: one pass over the rows builds project, call, topic and organisation records
def build_records(
    base: str,
    projects: list[tuple[str, int, dict[str, str]]],
    organisations: list[tuple[str, int, dict[str, str]]],
    members: _Members,
    selection: Selection,
    report: ImportReport,
) -> dict[str, Graph]:
    """Record graphs for the selected, well-formed projects and the organisations they involve."""
    rows_by_project: dict[str, list[tuple[str, int, dict[str, str]]]] = defaultdict(list)
    broken_projects: set[str] = set()
    for file, line, row in organisations:
        problem = _organisation_problem(row)
        if problem:
            report.malformed.append((file, line, problem))
            pid = row.get("projectID", "").strip()
            if pid:
                broken_projects.add(pid)
            continue
        rows_by_project[row["projectID"].strip()].append((file, line, row))

    records: dict[str, Graph] = defaultdict(Graph)
    for file, line, row in projects:
        problem = _project_problem(row)
        if problem:
            report.malformed.append((file, line, problem))
            continue
        pid = row["id"].strip()
        if not selection.keeps(row["topics"].strip(), row["legalBasis"].strip()):
            report.skipped.append(
                (
                    pid,
                    f"topic {row['topics'].strip() or '(none)'} is not a cybersecurity topic of "
                    "the selection",
                )
            )
            continue
        programme = _programme_iri(base, row["frameworkProgramme"])
        if programme is None:
            report.skipped.append(
                (pid, f"programme {row['frameworkProgramme']!r} is not described in the graph")
            )
            continue
        if pid in broken_projects:
            report.skipped.append(
                (
                    pid,
                    "one of its organisation rows is malformed (see above); the project is left "
                    "out whole",
                )
            )
            continue
        participants = rows_by_project.get(pid, [])
        if not participants:
            report.skipped.append((pid, "no organisation rows for this project"))
            continue
        project = URIRef(instance_iri(base, "project", pid))
        graph = records[record_graph(base, "project", pid)]
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
        amount = _amount(row["ecMaxContribution"])
        if amount is not None:
            _add_amount(graph, project, URIRef(f"{project}#eu-contribution"), amount)
        graph.add(
            (project, DCTERMS.source, Literal(f"CORDIS open-data export ({file}, line {line})"))
        )
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
            graph.add(
                (participation, CCN.role, URIRef(instance_iri(base, "participation-role", role)))
            )
            share = _amount(org["ecContribution"])
            if share is not None:
                _add_amount(graph, participation, URIRef(f"{participation}-eu-contribution"), share)
    return dict(records)


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


def _tables(paths: Iterable[Path]) -> Iterator[tuple[str, str, list[tuple[int, dict[str, str]]]]]:
    for path in paths:
        kind, rows = read_table(path)
        yield kind, path.name, rows


def import_files(
    store: Store,
    writer: Writer,
    base: str,
    paths: list[Path],
    selection: Selection = Selection(),
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
    members = _Members(store, countries)
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
