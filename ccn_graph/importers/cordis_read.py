"""Reading the CORDIS open-data exports: which file is which, their rows with line numbers, and
what is wrong with a row that cannot be used.

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

A row that cannot be read is reported with its line number (`project_problem`,
`organisation_problem`); a file that is neither export raises `MalformedFile`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

__all__ = [
    "ORGANISATION_COLUMNS",
    "PROJECT_COLUMNS",
    "ROLES",
    "MalformedFile",
    "amount",
    "organisation_problem",
    "project_problem",
    "read_table",
]

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
#: Roles of the export (lower case) → the participation roles of the reference data.
ROLES = {
    "coordinator": "coordinator",
    "participant": "beneficiary",
    "thirdparty": "affiliated-entity",
    "associatedpartner": "associated-partner",
    "partner": "partner",
}
STATUSES = {"signed", "closed", "terminated"}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def amount(text: str) -> Decimal | None:
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


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def project_problem(row: dict[str, str]) -> str | None:
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
        amount(row["ecMaxContribution"])
    except ValueError as exc:
        return f"ecMaxContribution: {exc}"
    return None


def organisation_problem(row: dict[str, str]) -> str | None:
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
        amount(row["ecContribution"])
    except ValueError as exc:
        return f"ecContribution: {exc}"
    return None
