"""The links built without the router are the ones the router builds."""

from __future__ import annotations

import pytest
from flask import url_for

from ccn_graph.settings import load_settings
from ccn_graph.store import EmbeddedStore
from server import create_app
from server.urls import document_url, members_url

pytestmark = pytest.mark.fast

PATHS = [
    "member/a",
    "synthetic-member/1-000042.ttl",
    "taxonomy/D12",
    "ncc/ro",
    "member/é space",
    "member/a?b#c",
    "member/x%2Fy",
    "member/semi;colon=1&x",
    "member/!$'()*+,:@",
]
PARAMS = [
    {},
    {"state": "http://publications.europa.eu/resource/authority/country/ROU"},
    {
        "state": "http://a.example/x y",
        "domain": "http://ccn.test/id/taxonomy/D12",
        "after": "Zürich Lab\x1fhttp://x/#1",
    },
    {"category": "a&b=c?d#e", "after": None},
]


def test_the_same_text_as_url_for(tmp_path):
    app = create_app(
        load_settings(environ={}, overrides={"data_dir": str(tmp_path)}), EmbeddedStore()
    )
    for root in ("", "/ccn"):
        with app.test_request_context("/", base_url=f"http://ccn.test{root}/"):
            assert len(PATHS) >= 9 and len(PARAMS) >= 4
            for path in PATHS:
                assert document_url(path) == url_for("linked_data.document", path=path), path
            for params in PARAMS:
                assert members_url(**params) == url_for("members.members", **params), params
