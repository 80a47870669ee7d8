"""An installed wheel works outside the checkout: `ccn-graph load` and `serve` from elsewhere."""

from __future__ import annotations

import subprocess
import sys
import venv

import pytest

from .conftest import ROOT, cli_env
from .test_service import Service


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with the project's wheel (and its dependencies) installed."""
    work = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(work / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((work / "dist").glob("ccn_graph-*.whl"))
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    python = work / "venv" / "bin" / "python"
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return work


def test_the_wheel_carries_ontology_shapes_and_data(installed):
    import zipfile

    wheel = next((installed / "dist").glob("ccn_graph-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("ontology", "shapes", "data"):
        assert any(
            n.startswith(f"ccn_graph/bundled/{folder}/") and n.endswith(".ttl") for n in names
        ), folder
    assert any(n.startswith("server/") for n in names)


def test_load_and_serve_from_another_directory(installed, tmp_path):
    script = installed / "venv" / "bin" / "ccn-graph"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = cli_env(CCN_DATA_DIR=str(tmp_path / "data"), CCN_BASE_IRI="http://ccn.test/")
    env["PYTHONPATH"] = ""
    load = subprocess.run(
        [str(script), "load"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
    )
    assert load.returncode == 0, load.stderr
    assert "reference triples" in load.stdout
    check = subprocess.run(
        [
            str(installed / "venv" / "bin" / "python"),
            "-c",
            "import ccn_graph.model.reference as r; print(r.bundled_dir('data'))",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(installed / "venv") in check.stdout and str(ROOT) not in check.stdout

    serve = Service(tmp_path / "data", script=str(script), cwd=elsewhere, workers=1, PYTHONPATH="")
    try:
        body = serve.wait_healthy(timeout=60)
        assert body["store"]["loaded"] and body["store"]["triples"] > 20
    finally:
        serve.stop()
