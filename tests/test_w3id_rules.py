"""The w3id.org redirect rules prepared in deploy/w3id: each sends a name to a document the
service serves, in the format the client asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccn_graph.importers import loading
from ccn_graph.settings import load_settings
from ccn_graph.store import EmbeddedStore
from server import create_app

from .conftest import BASE

pytestmark = pytest.mark.fast

RULES = Path(__file__).parents[1] / "deploy" / "w3id" / "ccn-graph" / ".htaccess"
PLACEHOLDER = "https://ccn-graph.example.org"
RULE = re.compile(r"^RewriteRule\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]", re.M)


def test_every_rule_sends_a_name_to_a_document_served(tmp_path):
    rules = RULE.findall(RULES.read_text())
    assert len(rules) >= 3
    store = EmbeddedStore()
    loading.load_reference_data(store, BASE)
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path), "base_iri": BASE})
    client = create_app(settings, store).test_client()
    names = {"ontology": False, "ontology/0.3.0": False, "shapes": False}
    for pattern, target, flags in rules:
        assert "R=303" in flags and target.startswith(PLACEHOLDER), target
        path = target[len(PLACEHOLDER) :]
        for accept, media_type in (("text/turtle", "text/turtle"), ("text/html", "text/html")):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 200, path
            assert response.mimetype == media_type
        for name in names:
            if re.match(pattern, name):
                names[name] = True
    assert all(names.values()), names
    store.close()
