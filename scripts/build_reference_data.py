"""Write the sourced reference data files of data/ from the project's fact sheets.

Reads ``ncc.csv``, ``jrc_taxonomy.csv`` and ``jrc_taxonomy_ids.csv`` (the facts folder beside the
repository, or FACTS_DIR) and the EU country authority table (SUITES_DIR), and writes
``data/records/nccs.ttl``, ``data/vocabularies/member-states.ttl`` and
``data/vocabularies/taxonomy.ttl``. Facts marked unknown are left out, never guessed; every
NCC fact keeps the source the fact sheet gives for it. Run it again when the fact sheets change:

    python scripts/build_reference_data.py
"""

from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path

from rdflib import Graph, URIRef

ROOT = Path(__file__).resolve().parent.parent
FACTS = Path(os.environ.get("FACTS_DIR", ROOT.parent / "shared" / "facts"))
SUITES = Path(os.environ.get("SUITES_DIR", ROOT.parent / "shared" / "suites"))
COUNTRY_TABLE = SUITES / "eu-vocabularies" / "authority-tables" / "country.compact.en.ttl"

PREFIXES = """@prefix ccn: <https://w3id.org/ccn-graph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# Names and hosts as the fact sheet gives them, with the explanations it writes into the same
# cells moved to notes (they describe a name; they are not part of it). (text, language) pairs;
# the first is the preferred label. Acronyms are tagged with the language they abbreviate.
NCC_NAMES = {
    "AT": [("Nationales Koordinierungszentrum für Cybersicherheit", "de"), ("NCC-AT", "de")],
    "BE": [("National Coordination Centre for investments in cybersecurity", "en")],
    "HR": [
        (
            "Nacionalno koordinacijsko središte za industriju, tehnologiju i istraživanja u "
            "području kibernetičke sigurnosti",
            "hr",
        ),
        ("NKS", "hr"),
        ("NCC-HR", "en"),
    ],
    "CY": [("NCC-CY", "en")],
    "CZ": [
        ("Národní koordinační centrum", "cs"),
        ("NKC", "cs"),
        ("National Coordination Centre (NCC)", "en"),
    ],
    "DK": [("NCC-DK", "en")],
    "DE": [
        (
            "Nationales Koordinierungszentrum für Cybersicherheit in Industrie, Technologie und "
            "Forschung",
            "de",
        ),
        ("NKCS", "de"),
        (
            "German National Coordination Centre for Cyber Security in Industry, Technology and "
            "Research",
            "en",
        ),
    ],
    "HU": [("NCC-HU", "en"), ("nemzeti kiberbiztonsági koordinációs központ", "hu")],
    "LV": [
        ("Nacionālais koordinācijas centrs", "lv"),
        ("NCC-LV", "en"),
        ("National Coordination Center – Latvia", "en"),
    ],
    "LU": [("National Cybersecurity Coordination Center", "en")],
    "MT": [("National Cybersecurity Coordination Centre", "en"), ("NCC-MT", "en")],
    "NL": [("Nationaal Coördinatie Centrum", "nl"), ("NCC", "nl")],
    "PT": [("Portuguese National Cybersecurity Centre (CNCS)", "en")],
    "SK": [
        ("Národné koordinačné centrum kybernetickej bezpečnosti", "sk"),
        ("National Coordination Centre", "en"),
    ],
    "ES": [("NCC-ES", "en")],
    "SE": [
        ("Nationellt samordningscenter för forskning och innovation inom cybersäkerhet", "sv"),
        ("NCC-SE", "sv"),
        ("Swedish National Coordination Centre for Cybersecurity Research and Innovation", "en"),
    ],
}
# Terms the fact sheet reports only as a generic designation, not as a name.
NCC_DESIGNATIONS = {"RO": [("Centrul Național de Coordonare", "ro")]}
NCC_NOTES = {
    "BE": "The English name is the heading of the Centre for Cybersecurity Belgium's NCC page.",
    "HU": "Being set up under a draft decree (November 2025).",
    "LU": "The English name is the wording of a press article.",
    "NL": (
        "Being set up (in oprichting) in 2022; the Ministry of Economic Affairs (EZK) is "
        "responsible and RVO recruited the set-up lead in 2021; the host is not known."
    ),
    "RO": (
        "Centrul Național de Coordonare is the generic Romanian term used in the press; the host "
        "is not known."
    ),
    "LV": (
        "Not to be confused with Latvia's National Cybersecurity Center under its NIS2 law (since "
        "1 September 2024), a different body."
    ),
}
NETWORK_SOURCES = (
    "<http://data.europa.eu/eli/reg/2021/887/oj>",
    '"cybersecurity-centre.europa.eu/nccs_de (27 NCCs, one per Member State)"',
)
# (name, language, note, English name or None)
HOSTS = {
    "AT": (
        "Cybersicherheitsbehörde",
        "de",
        "Designated to exercise the NCC function by NISG 2026 §6(1); the host before 2026 is not "
        "confirmed.",
        None,
    ),
    "BE": ("Centre for Cybersecurity Belgium (CCB)", "en", None, None),
    "HR": (
        "CARNET – Hrvatska akademska i istraživačka mreža",
        "hr",
        "The NKS is represented by the CARNET director.",
        None,
    ),
    "CY": ("Digital Security Authority (DSA)", "en", None, None),
    "CZ": (
        "Národní úřad pro kybernetickou a informační bezpečnost (NÚKIB)",
        "cs",
        None,
        "National Cyber and Information Security Agency",
    ),
    "DK": (
        "Digitaliseringsstyrelsen",
        "da",
        "Data controller of the NCC-DK member portal.",
        "Agency for Digital Government",
    ),
    "EE": (
        "Riigi Infosüsteemi Amet (RIA)",
        "et",
        "Inferred: the ECCC letter of 25 July 2024 to NCC coordinators is registered in RIA's "
        "document register (unit: Teaduse ja arenduse koordineerimisosakond).",
        "Estonian Information System Authority",
    ),
    "FI": ("Traficom – National Cyber Security Centre Finland (NCSC-FI)", "en", None, None),
    "DE": (
        "BSI",
        "de",
        "Head office (Kopfstelle) of the NKCS, a joint virtual institution of BMWK, BMI, BMVg and "
        "BMBF with BSI, DLR-PT and FI CODE.",
        None,
    ),
    "IT": (
        "Agenzia per la Cybersicurezza Nazionale (ACN)",
        "it",
        None,
        "National Cybersecurity Agency",
    ),
    "LV": (
        "Aizsardzības ministrija",
        "lv",
        "With the Ministry of Education and Science and others.",
        "Ministry of Defence of the Republic of Latvia",
    ),
    "LT": ("Ministry of National Defence (Lithuania)", "en", None, None),
    "LU": ("Luxembourg House of Cybersecurity (LHC)", "en", "Formerly SECURITYMADEIN.LU.", None),
    "MT": ("Malta Information Technology Agency (MITA)", "en", None, None),
    "PL": (
        "Cyber Security Department",
        "en",
        "Title of the ECCC NCC page 'Cyber Security Department - Poland'; the parent ministry is "
        "not stated in the text seen.",
        None,
    ),
    "PT": (
        "Centro Nacional de Cibersegurança (CNCS)",
        "pt",
        "Within the Gabinete Nacional de Segurança (GNS).",
        None,
    ),
    "SK": (
        "Kompetenčné a certifikačné centrum kybernetickej bezpečnosti (KCCKB)",
        "sk",
        "A contributory organisation of the Národný bezpečnostný úrad (NBÚ).",
        None,
    ),
    "ES": ("Instituto Nacional de Ciberseguridad (INCIBE)", "es", None, None),
    "SE": (
        "MSB (Swedish Civil Contingencies Agency)",
        "en",
        "In cooperation with Vinnova and Digg.",
        None,
    ),
}


def turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def known(value: str) -> bool:
    return bool(value) and value.strip().lower() not in {"unknown", "none", "not found"}


def sources(cell: str) -> list[str]:
    """One `dcterms:source` object per source the cell lists: an IRI where it is a bare URL."""
    out = []
    for piece in (p.strip() for p in cell.split(" ; ")):
        if not piece:
            continue
        match = re.fullmatch(r"(https?://[^\s]+)", piece)
        if match:
            out.append(f"<{match.group(1)}>")
        else:
            out.append(turtle_string(piece))
    return out


def website(cell: str) -> str | None:
    if not known(cell):
        return None
    match = re.match(r"(https?://[^\s]+)", cell)
    return match.group(1) if match else None


def city(cell: str) -> tuple[str, str | None] | None:
    """(city, full address or None) from cells like
    'Bonn (c/o BSI, Godesberger Allee 87, 53175 Bonn)'."""
    if not known(cell):
        return None
    match = re.fullmatch(r"([^()]+?)\s*\((.+)\)", cell.strip())
    if match:
        return match.group(1).strip(), match.group(2).strip()
    return cell.strip(), None


def country_names() -> dict[str, str]:
    graph = Graph().parse(COUNTRY_TABLE, format="turtle")
    label = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    return {str(s): str(o) for s, o in graph.subject_objects(label)}


def build_member_states(rows: list[dict], names: dict[str, str]) -> str:
    lines = [
        "# The 27 Member States of the European Union, identified by the EU country authority "
        "table.",
        "# Source of the IRIs and English names: the Publications Office's country authority table",
        "# <http://publications.europa.eu/resource/authority/country>; ISO 3166-1 alpha-2 codes "
        "from the",
        "# project's NCC fact sheet. Generated by scripts/build_reference_data.py.",
        PREFIXES,
    ]
    for row in rows:
        iri = row["country_authority_iri"]
        lines.append(
            f"<{iri}> a ccn:MemberState ;\n"
            f"    skos:prefLabel {turtle_string(names[iri])}@en ;\n"
            f"    skos:notation {turtle_string(row['country_code'])} ;\n"
            f"    dcterms:source <http://publications.europa.eu/resource/authority/country> .\n"
        )
    return "\n".join(lines)


def build_nccs(rows: list[dict], names: dict[str, str]) -> str:
    lines = [
        "# The National Coordination Centres, one per Member State (Article 6 of Regulation (EU) "
        "2021/887).",
        "# Names, hosts, websites and cities only as the project's NCC fact sheet gives them, "
        "each node",
        "# with the sources and confidence the fact sheet gives; facts it marks unknown are left "
        "out.",
        '# rdfs:label is a description ("National Coordination Centre of …"), not a name; names '
        "are",
        "# skos:prefLabel / skos:altLabel. Generated by scripts/build_reference_data.py.",
        PREFIXES,
    ]
    for row in rows:
        cc = row["country_code"]
        iri = f"id/ncc/{cc.lower()}"
        country = names[row["country_authority_iri"]]
        confidence = (
            row["confidence"]
            if row["confidence"] != "none"
            else "high (existence); nothing else found"
        )
        cited = (
            sources(row["source"])
            if not row["source"].lower().startswith(("not found", "unknown"))
            else []
        )
        provenance = [f"dcterms:source {s}" for s in cited] + [
            f"ccn:confidence {turtle_string(confidence)}"
        ]
        # The NCC's existence and its place in the Network rest on the Regulation and the Centre.
        existence = [f"dcterms:source {s}" for s in NETWORK_SOURCES]
        props = [
            "a ccn:NationalCoordinationCentre",
            f"rdfs:label {turtle_string(f'National Coordination Centre of {country}')}@en",
            f"ccn:memberState <{row['country_authority_iri']}>",
            "org:memberOf <id/network/nccs>",
        ]
        labels = NCC_NAMES.get(cc, [])
        for i, (text, lang) in enumerate(labels):
            props.append(
                f"{'skos:prefLabel' if i == 0 else 'skos:altLabel'} {turtle_string(text)}@{lang}"
            )
        for text, lang in NCC_DESIGNATIONS.get(cc, []):
            props.append(f"skos:hiddenLabel {turtle_string(text)}@{lang}")
        site = website(row["website"])
        if site:
            props.append(f"foaf:homepage <{site}>")
        if cc in HOSTS:
            props.append(f"ccn:hostOrganisation <{iri}#host>")
        place = city(row["city"])
        if place:
            props.append(f"locn:address <{iri}#address>")
        if cc in NCC_NOTES:
            props.append(f"skos:editorialNote {turtle_string(NCC_NOTES[cc])}@en")
        lines.append(f"<{iri}> " + " ;\n    ".join(props + existence + provenance) + " .\n")
        if cc in HOSTS:
            name, lang, note, english = HOSTS[cc]
            host = ["a ccn:Organisation", f"skos:prefLabel {turtle_string(name)}@{lang}"]
            if english:
                host.append(f"skos:altLabel {turtle_string(english)}@en")
            if note:
                host.append(f"skos:editorialNote {turtle_string(note)}@en")
            lines.append(f"<{iri}#host> " + " ;\n    ".join(host + provenance) + " .\n")
        if place:
            name, full = place
            address = [
                "a locn:Address",
                f"locn:postName {turtle_string(name)}",
                f"locn:adminUnitL1 {turtle_string(cc)}",
            ]
            if full:
                address.append(f"locn:fullAddress {turtle_string(full)}")
            lines.append(f"<{iri}#address> " + " ;\n    ".join(address + provenance) + " .\n")
    return "\n".join(lines)


# Report-era names of two domains (fact sheet 5.3), kept as alternative labels.
REPORT_ERA = {
    "D06": "Identity and Access Management",
    "D07": "Operational Incident Handling and Digital Forensics",
}

# Concepts whose meaning matches a EuroVoc concept of the cybersecurity extract (2021 snapshot).
EUROVOC = {
    "D02": "http://eurovoc.europa.eu/6778",  # cryptography
    "D02.04": "http://eurovoc.europa.eu/6370",  # electronic signature
    "D03": "http://eurovoc.europa.eu/5181",  # data protection
    # critical infrastructure security (alt: … protection)
    "T05": "http://eurovoc.europa.eu/c_57f3c49f",
}

KIND = {"domain": "ccn:ResearchDomain", "sector": "ccn:Sector", "technology": "ccn:Technology"}
COLLECTION = {"domain": "domains", "sector": "sectors", "technology": "technologies"}


def build_taxonomy(rows: list[dict], ids: dict[str, dict]) -> str:
    lines = [
        "# The JRC European Cybersecurity Taxonomy (Nai-Fovino et al., A Proposal for a European",
        "# Cybersecurity Taxonomy, EUR 29868 EN, 2019, doi:10.2760/106002) as implemented in the "
        "ECCC",
        "# ATLAS: 15 research domains with 150 sub-domains, 15 sectors, 23 technologies and use "
        "cases.",
        "# Codes (D01…, S01…, T01…) are local, not official JRC notations. Labels and ATLAS "
        "identifiers",
        "# from the project's taxonomy fact sheet. Generated by scripts/build_reference_data.py.",
        PREFIXES,
        "<id/scheme/jrc-taxonomy> a skos:ConceptScheme ;",
        '    skos:prefLabel "JRC European Cybersecurity Taxonomy"@en ;',
        '    dcterms:description "The taxonomy of cybersecurity research domains, sectors, and '
        "technologies and use cases proposed by the European Commission's Joint Research Centre "
        "and used by the ECCC ATLAS and the National Coordination Centres' registration "
        'forms."@en ;',
        "    dcterms:source <https://doi.org/10.2760/106002> ;",
        "    skos:hasTopConcept "
        + ", ".join(f"<id/taxonomy/{r['code']}>" for r in rows if not r["parent"])
        + " .\n",
    ]
    for kind, name in COLLECTION.items():
        members = ", ".join(f"<id/taxonomy/{r['code']}>" for r in rows if r["kind"] == kind)
        label = {
            "domain": "Research domains",
            "sector": "Sectors",
            "technology": "Technologies and use cases",
        }[kind]
        lines.append(
            f"<id/taxonomy/{name}> a skos:Collection ;\n"
            f"    skos:prefLabel {turtle_string(label)}@en ;\n"
            f"    skos:member {members} .\n"
        )
    for row in rows:
        code = row["code"]
        props = [
            f"a {KIND[row['kind']]}",
            f"skos:prefLabel {turtle_string(row['label'])}@en",
            f"skos:notation {turtle_string(code)}",
            "skos:inScheme <id/scheme/jrc-taxonomy>",
        ]
        if row["parent"]:
            props.append(f"skos:broader <id/taxonomy/{row['parent']}>")
        else:
            props.append("skos:topConceptOf <id/scheme/jrc-taxonomy>")
        if code in REPORT_ERA:
            props.append(f"skos:altLabel {turtle_string(REPORT_ERA[code])}@en")
        uuid = ids.get(code, {}).get("atlas_uuid")
        if known(uuid or ""):
            props.append(f"ccn:atlasIdentifier {turtle_string(uuid)}")
        if code in EUROVOC:
            props.append(f"skos:closeMatch <{EUROVOC[code]}>")
        lines.append(f"<id/taxonomy/{code}> " + " ;\n    ".join(props) + " .\n")
    return "\n".join(lines)


def main() -> int:
    if not FACTS.is_dir() or not COUNTRY_TABLE.is_file():
        print(f"fact sheets not found in {FACTS} or {COUNTRY_TABLE}", file=sys.stderr)
        return 2
    names = country_names()
    ncc_rows = list(csv.DictReader((FACTS / "ncc.csv").open(encoding="utf-8")))
    taxonomy_rows = list(csv.DictReader((FACTS / "jrc_taxonomy.csv").open(encoding="utf-8")))
    ids = {
        r["code"]: r
        for r in csv.DictReader((FACTS / "jrc_taxonomy_ids.csv").open(encoding="utf-8"))
    }
    (ROOT / "data" / "vocabularies").mkdir(parents=True, exist_ok=True)
    (ROOT / "data" / "records").mkdir(parents=True, exist_ok=True)
    (ROOT / "data" / "vocabularies" / "member-states.ttl").write_text(
        build_member_states(ncc_rows, names), encoding="utf-8"
    )
    (ROOT / "data" / "records" / "nccs.ttl").write_text(
        build_nccs(ncc_rows, names), encoding="utf-8"
    )
    (ROOT / "data" / "vocabularies" / "taxonomy.ttl").write_text(
        build_taxonomy(taxonomy_rows, ids), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
