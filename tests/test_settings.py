"""The settings table: defaults, environment, overrides, errors, and `ccn-graph settings`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccn_graph.settings import SETTINGS, SettingsError, load_settings

from .conftest import ROOT, cli_env


@pytest.mark.fast
def test_defaults_apply_without_environment(tmp_path):
    settings = load_settings(environ={"XDG_DATA_HOME": str(tmp_path)})
    assert settings.port == 8000
    assert settings.host == "127.0.0.1"
    assert settings.base_iri == "http://127.0.0.1:8000/"
    assert settings.data_dir == str(tmp_path / "ccn-graph")
    assert settings.managed_store
    assert set(settings.sources.values()) == {"default"}


@pytest.mark.parametrize(
    "env, base",
    [
        ({"CCN_PORT": "8080"}, "http://127.0.0.1:8080/"),
        ({"CCN_HOST": "0.0.0.0", "CCN_PORT": "9001"}, "http://127.0.0.1:9001/"),
        ({"CCN_HOST": "::1"}, "http://[::1]:8000/"),
        ({"CCN_HOST": "ccn.internal", "CCN_PORT": "8080"}, "http://ccn.internal:8080/"),
        ({"CCN_PORT": "8080", "CCN_BASE_IRI": "https://ccn.example/"}, "https://ccn.example/"),
    ],
)
@pytest.mark.fast
def test_the_default_base_iri_is_where_the_service_listens(env, base):
    """Without CCN_BASE_IRI the IRIs a local service mints resolve on its own host and port."""
    assert load_settings(environ=env).base_iri == base
    assert load_settings(environ={}, overrides={"port": 8123}).base_iri == "http://127.0.0.1:8123/"


@pytest.mark.fast
def test_environment_overrides_defaults_and_flags_override_environment():
    env = {"CCN_PORT": "9000", "CCN_BASE_IRI": "https://ccn.example/", "CCN_WORKERS": "3"}
    settings = load_settings(environ=env, overrides={"port": 9100, "workers": None})
    assert settings.port == 9100 and settings.sources["port"] == "command line"
    assert settings.workers == 3 and settings.sources["workers"] == "environment"
    assert settings.base_iri == "https://ccn.example/"


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("CCN_PORT", "eighty", "CCN_PORT"),
        ("CCN_PORT", "-1", "positive"),
        ("CCN_BASE_IRI", "http://example.org/no-slash", "ending in '/'"),
        ("CCN_BASE_IRI", "ftp://example.org/", "http(s)"),
        ("CCN_BASE_IRI", "http://example.org/a b/", "spaces"),
        ("CCN_QUERY_TIMEOUT", "0", "positive"),
        ("CCN_LOG_LEVEL", "LOUD", "DEBUG"),
        ("CCN_AUTOLOAD", "maybe", "true or false"),
    ],
)
@pytest.mark.fast
def test_bad_values_name_the_setting(name, value, fragment):
    with pytest.raises(SettingsError) as info:
        load_settings(environ={name: value})
    assert name in str(info.value) and fragment in str(info.value)


@pytest.mark.fast
def test_a_child_process_reads_the_same_settings_from_environ(tmp_path):
    """The commands the service runs in a child process get its settings through the environment."""
    env = {
        "CCN_PORT": "9000",
        "CCN_BASE_IRI": "https://ccn.example/",
        "CCN_AUTOLOAD": "no",
        "CCN_OPEN_GRAPHS": "https://a.example/g/ https://b.example/",
        "CCN_QUERY_TIMEOUT": "2.5",
        "CCN_STORE_PASSWORD": "hunter2",
        "CCN_DATA_DIR": str(tmp_path),
    }
    settings = load_settings(environ=env, overrides={"workers": 3})
    again = load_settings(environ=settings.environ())
    assert again == settings and len(settings.environ()) == len(SETTINGS)
    assert (
        again.open_graphs == ("https://a.example/g/", "https://b.example/")
        and again.autoload is False
    )
    inherited = settings.environ(inherit=True)
    assert inherited["PATH"] == os.environ["PATH"] and load_settings(environ=inherited) == settings


@pytest.mark.fast
def test_unknown_override_is_refused():
    with pytest.raises(SettingsError, match="no setting"):
        load_settings(environ={}, overrides={"colour": "blue"})


@pytest.mark.fast
def test_rows_mask_secrets():
    settings = load_settings(environ={"CCN_STORE_PASSWORD": "hunter2", "CCN_STORE_TOKEN": ""})
    rows = {name: (value, source) for name, value, source, _ in settings.rows()}
    assert rows["CCN_STORE_PASSWORD"] == ("***", "environment")
    assert rows["CCN_STORE_TOKEN"][0] == ""
    assert len(rows) == len(SETTINGS) >= 15


def test_settings_command_prints_every_setting_with_source(tmp_path):
    script = Path(sys.executable).with_name("ccn-graph")
    env = cli_env(CCN_PORT="8123", CCN_STORE_PASSWORD="secret-value", XDG_DATA_HOME=str(tmp_path))
    out = subprocess.run(
        [str(script), "settings", "--help"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0
    out = subprocess.run(
        [str(script), "settings"], capture_output=True, text=True, env=env, check=True
    ).stdout
    for setting in SETTINGS:
        assert setting.name in out and setting.help in out
    assert "8123  [environment]" in out
    assert "secret-value" not in out


def test_commands_run_by_the_tests_never_use_the_users_data_dir():
    script = Path(sys.executable).with_name("ccn-graph")
    out = subprocess.run(
        [str(script), "settings"], capture_output=True, text=True, env=cli_env(), check=True
    ).stdout
    line = next(line for line in out.splitlines() if "CCN_DATA_DIR" in line)
    assert str(Path.home() / ".local" / "share") not in line and "ccn-cli-home-" in line, line


def test_bad_environment_stops_the_cli_with_a_message():
    script = Path(sys.executable).with_name("ccn-graph")
    out = subprocess.run(
        [str(script), "settings"], capture_output=True, text=True, env=cli_env(CCN_PORT="x")
    )
    assert out.returncode == 2
    assert "CCN_PORT" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.fast
def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in readme, f"{setting.name} is missing from README.md"
