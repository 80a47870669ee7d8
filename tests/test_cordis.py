"""`ccn-graph import cordis` on fixture exports: exact counts, line numbers, all-or-nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from ccn_graph.importers import cordis, loading
from ccn_graph.model import reference
from ccn_graph.store import RemoteStore
from ccn_graph.write import Replace

from .conftest import cli_env, writer_for

BASE = "http://ccn.test/"
FIXTURES = Path(__file__).parent / "fixtures" / "cordis"
CCN = "https://w3id.org/ccn-graph/ontology#"

MEMBERS = """
@prefix ccn: <https://w3id.org/ccn-graph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix country: <http://publications.europa.eu/resource/authority/country/> .
"""


def member(ref: str, name: str, cc: str, state: str, extra: str = "") -> str:
    m = f"<id/member/{ref}>"
    return f"""
{m} a ccn:CommunityMember ; skos:prefLabel {name} ; ccn:memberState country:{state} ;
    ccn:category <id/member-category/industry> ; ccn:fieldOfActivity <id/field-of-activity/b> ;
    ccn:expertise <id/taxonomy/D02> ; ccn:registration <id/member/{ref}#registration> {extra} .
<id/member/{ref}#registration> a ccn:Registration ; org:member {m} ;
    org:organization <id/community/ccc> ; ccn:assessedBy <id/ncc/{cc}> ;
    ccn:registeredBy <id/centre/eccc> ; org:memberDuring <id/member/{ref}#period> .
<id/member/{ref}#period> a time:Interval ; time:hasBeginning <id/member/{ref}#start> .
<id/member/{ref}#start> a time:Instant ; time:inXSDDate "2023-01-01"^^xsd:date .
"""


FIXTURE_MEMBERS = MEMBERS + "".join(
    [
        member(
            "fixture-cyber-lab",
            '"Fixture Cyber Lab"@en',
            "ro",
            "ROU",
            '; ccn:cordisOrganisationId "999000001"',
        ),
        member(
            "fixture-universite",
            '"Fixture Universite de Recherche"@en, "Fixture Université de recherche"@fr',
            "fr",
            "FRA",
        ),
        member("fixture-twin-1", '"Fixture Twin Lab"@en', "de", "DEU"),
        member("fixture-twin-2", '"Fixture Twin Lab"@en', "de", "DEU"),
        member(
            "fixture-conflict",
            '"Fixture Conflict Lab"@en',
            "es",
            "ESP",
            '; ccn:cordisOrganisationId "999000099"',
        ),
        member(
            "fixture-sicurezza",
            '"Fixture Sicurezza"@en',
            "it",
            "ITA",
            '; ccn:vatNumber "IT 999 000 000 06"',
        ),
    ]
)


@pytest.fixture
def world(managed_server, tmp_path):
    store = RemoteStore(managed_server.endpoints, timeout=10)
    store.clear()
    loading.load_reference_data(store, BASE)
    writer = writer_for(store, tmp_path)
    members = Graph().parse(data=FIXTURE_MEMBERS, format="turtle", publicID=BASE)
    outcome = writer.write(
        Replace(reference.split_records(members, BASE)), None, label="fixture members"
    )
    assert outcome.accepted, [r.message for r in outcome.report.violations]
    return store, writer


def run(world, *names, **kwargs):
    store, gate = world
    return cordis.import_files(store, gate, BASE, [FIXTURES / n for n in names], **kwargs)


def test_counts_are_exact(world):
    report = run(world, "organization.csv", "project.csv")
    assert report.written, report.lines()
    assert sorted(report.added) == ["900000001", "900000002"]
    assert report.updated == []
    assert {pid for pid, _ in report.skipped} == {"900000003", "900000004", "900000006"}
    assert sorted((f, line) for f, line, _ in report.malformed) == [
        ("organization.csv", 10),
        ("project.csv", 8),
    ]
    assert {oid: how for oid, (_, how) in report.matched.items()} == {
        "999000001": "CORDIS identifier",
        "999000002": "name and Member State",
        "999000006": "VAT number",
    }
    assert sorted(report.organisations_created) == ["999000003", "999000004", "999000005"]
    reasons = dict(report.not_matched)
    assert "2 Community members" in reasons["999000004"]
    assert "CORDIS identifier differs" in reasons["999000005"]
    assert "not established in a Member State" in reasons["999000003"]
    text = "\n".join(report.lines())
    assert "project.csv line 8: startDate '2021-13-01' is not a date" in text
    assert "organization.csv line 10: ecContribution: 'lots' is not an amount" in text


def test_imported_graph_answers_who_works_on_what(world):
    store, _ = world
    run(world, "project.csv", "organization.csv")
    project = URIRef(f"{BASE}id/project/900000001")
    rows = store.select(
        """PREFIX ccn: <https://w3id.org/ccn-graph/ontology#>
        SELECT ?who ?role WHERE { ?p ccn:participation ?x . ?x ccn:participant ?who ;
            ccn:role/<http://www.w3.org/2004/02/skos/core#notation> ?role }
        ORDER BY ?role""",
        {"p": project},
    )
    assert {(str(r["who"]), str(r["role"])) for r in rows} == {
        (f"{BASE}id/member/fixture-cyber-lab", "coordinator"),
        (f"{BASE}id/member/fixture-universite", "participant"),
        (f"{BASE}id/organisation/cordis-999000003", "associatedPartner"),
    }
    assert store.ask(
        "ASK { ?p <https://w3id.org/ccn-graph/ontology#topic> "
        "<http://ccn.test/id/topic/HORIZON-CL3-2021-CS-01-01> ; "
        "<https://w3id.org/ccn-graph/ontology#fundingProgramme> "
        "<http://ccn.test/id/programme/horizon-europe> }",
        {"p": project},
    )
    amount = store.select(
        "SELECT ?v WHERE { ?p "
        "<https://w3id.org/ccn-graph/ontology#euContribution>/<https://schema.org/value> ?v }",
        {"p": URIRef(f"{BASE}id/project/900000002")},
    )
    assert amount[0]["v"] == Literal(
        "1000000.25", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")
    )
    assert not store.ask("ASK { <http://ccn.test/id/project/900000004> ?p ?o }")


def test_importing_again_updates_and_changes_nothing_else(world):
    store, _ = world
    run(world, "project.csv", "organization.csv")
    triples = store.triple_count()
    again = run(world, "project.csv", "organization.csv")
    assert again.added == [] and sorted(again.updated) == ["900000001", "900000002"]
    # The records are as imported before: nothing is written, not even an activity.
    assert again.outcome.unchanged and again.outcome.activity is None
    assert store.triple_count() == triples
    assert "nothing to write" in "\n".join(again.lines())


def test_an_import_records_its_activity_with_its_sources(world, tmp_path):
    store, _ = world
    first = run(world, "project.csv", "organization.csv")
    activity_graph = store.read_graph(
        first.outcome.activity.replace("/id/activity/", "/graph/activity/")
    )
    said = list(activity_graph.predicate_objects(URIRef(first.outcome.activity)))
    # type, label, time, triples added and removed, shapes version; one per graph, one per
    # source file
    assert len(said) == 6 + len(first.outcome.graphs) + 2


def test_a_rejected_batch_writes_nothing(world, tmp_path):
    store, _ = world
    text = (FIXTURES / "project.csv").read_text(encoding="utf-8")
    broken = text.replace(
        "2022-01-01;2024-12-31;1000000;1000000,25", "2025-01-01;2024-12-31;1000000;1000000,25"
    )
    assert broken != text
    (tmp_path / "project.csv").write_text(broken, encoding="utf-8")
    shutil.copy(FIXTURES / "organization.csv", tmp_path / "organization.csv")
    version = store.state().data_version
    triples = store.triple_count()
    report = cordis.import_files(
        store, world[1], BASE, [tmp_path / "project.csv", tmp_path / "organization.csv"]
    )
    assert not report.written
    assert report.added == [] and report.updated == []
    assert any("on or before the end date" in r.message for r in report.outcome.report.violations)
    assert store.triple_count() == triples and store.state().data_version == version
    assert "rejected by validation, nothing written" in "\n".join(report.lines())


def test_dry_run_writes_nothing(world):
    store, _ = world
    version = store.state().data_version
    report = run(world, "project.csv", "organization.csv", dry_run=True)
    assert report.outcome.report.conforms and not report.written
    assert store.state().data_version == version
    assert "would be accepted" in "\n".join(report.lines())


def test_json_exports_read_like_csv(world):
    report = run(world, "project.json", "organization.json")
    assert report.written and report.added == ["900000001"]
    assert set(report.matched) == {"999000001", "999000002"}


def test_selection_is_configurable(world):
    report = run(
        world, "project.csv", "organization.csv", selection=cordis.Selection((r"^HORIZON-CL5-",))
    )
    assert report.added == ["900000003"]
    report = run(
        world,
        "project.csv",
        "organization.csv",
        selection=cordis.Selection(cordis.Selection().topic_patterns, ("HORIZON.2.5",)),
    )
    assert report.added == [] and not report.written


def test_a_file_that_is_not_an_export_is_refused(world, tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("a;b\n1;2\n")
    with pytest.raises(
        cordis.MalformedFile, match="neither a CORDIS project nor organization export"
    ):
        run(world, "project.csv", str(bad))


@pytest.mark.fast
def test_name_normalisation_folds_case_accents_and_punctuation_only():
    assert cordis.normalise_name("Université  de Recherche, S.A.") == cordis.normalise_name(
        "UNIVERSITE DE RECHERCHE S A"
    )
    assert cordis.normalise_name("Fixture Lab GmbH") != cordis.normalise_name("Fixture Lab")


def test_command_line_import(world, managed_server, tmp_path):
    script = Path(sys.executable).with_name("ccn-graph")
    env = cli_env(
        CCN_STORE_URL=managed_server.endpoints.query,
        CCN_STORE_UPDATE_URL=managed_server.endpoints.update,
        CCN_STORE_GSP_URL=managed_server.endpoints.graph_store,
        CCN_BASE_IRI=BASE,
    )
    out = subprocess.run(
        [
            str(script),
            "import",
            "cordis",
            str(FIXTURES / "project.csv"),
            str(FIXTURES / "organization.csv"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "projects added: 2, updated: 0, skipped: 3, malformed rows: 2" in out.stdout
    missing = subprocess.run(
        [str(script), "import", "cordis", str(tmp_path / "none.csv")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
