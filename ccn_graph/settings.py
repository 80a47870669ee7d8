"""The one table of CCN Graph settings.

Every setting has a name (``CCN_*``), a default and help text. Values come, in rising order of
precedence, from the default, the environment and explicit overrides (command-line flags or a
test's mapping). They are read once, by the CLI or the app factory, into a frozen `Settings`
object that is passed down; no other module reads the environment.
"""

# size: one table of every CCN_* setting with its help text (DESIGN decision 7)

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["SETTINGS", "Setting", "Settings", "SettingsError", "load_settings"]


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise ValueError(f"expected a positive number, got {text!r}")
        return value

    return parse


def _non_negative(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value < 0:
            raise ValueError(f"expected zero or a positive number, got {text!r}")
        return value

    return parse


def _base_iri(text: str) -> str:
    text = text.strip()
    if not text.startswith(("http://", "https://")) or not text.endswith("/"):
        raise ValueError(f"expected an http(s) IRI ending in '/', got {text!r}")
    if any(c in text for c in '<>"{}|^`\\ ') or "?" in text or "#" in text:
        raise ValueError(f"the base IRI may not contain spaces, a query or a fragment: {text!r}")
    return text


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, got {text!r}")
    return level


def _default_data_dir(environ: Mapping[str, str]) -> str:
    xdg = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(xdg) / "ccn-graph")


def _store_profile(text: str) -> str:
    profile = text.strip().lower()
    if profile not in ("standard", "virtuoso"):
        raise ValueError(f"expected standard or virtuoso, got {text!r}")
    return profile


def _writer_url(text: str) -> str:
    url = text.strip().rstrip("/")
    if url and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", url):
        raise ValueError(f"{text!r} is not an http(s) URL")
    return url


def _iri_prefixes(text: str) -> tuple[str, ...]:
    prefixes = tuple(text.replace(",", " ").split())
    for prefix in prefixes:
        if not re.match(r"^https?://[^\s<>\"{}|^`\\]+$", prefix):
            raise ValueError(f"{prefix!r} is not an http(s) IRI prefix")
    return prefixes


@dataclasses.dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    field: str
    default: Any
    parse: Callable[[str], Any]
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("CCN_HOST", "host", "127.0.0.1", str, "Address the web service binds to"),
    Setting("CCN_PORT", "port", 8000, _positive(int), "Port the web service listens on"),
    Setting(
        "CCN_BASE_IRI",
        "base_iri",
        None,
        _base_iri,
        "Base of every instance IRI ({base}id/…, {base}doc/…, {base}graph/…); "
        "reference data is resolved against it at load time (default: "
        "http://{CCN_HOST}:{CCN_PORT}/, "
        "127.0.0.1 for a wildcard host)",
    ),
    Setting(
        "CCN_DATA_DIR",
        "data_dir",
        None,
        str,
        "Folder for the managed store's files and the service's state "
        "(default: $XDG_DATA_HOME/ccn-graph)",
    ),
    Setting(
        "CCN_STORE_URL",
        "store_url",
        "",
        str,
        "SPARQL 1.1 Query endpoint of a remote store; empty: start and manage a local Oxigraph",
    ),
    Setting(
        "CCN_STORE_UPDATE_URL",
        "store_update_url",
        "",
        str,
        "SPARQL 1.1 Update endpoint of the remote store (default: CCN_STORE_URL)",
    ),
    Setting(
        "CCN_STORE_GSP_URL",
        "store_gsp_url",
        "",
        str,
        "SPARQL 1.1 Graph Store Protocol endpoint of the remote store (default: CCN_STORE_URL)",
    ),
    Setting(
        "CCN_STORE_PROFILE",
        "store_profile",
        "standard",
        _store_profile,
        "How the remote store departs from SPARQL 1.1: standard (Oxigraph, Fuseki) or virtuoso "
        "(queries sent as forms, the dataset read by a query); see docs/deploy.md",
    ),
    Setting(
        "CCN_STORE_USER", "store_user", "", str, "User name for HTTP Basic auth to the remote store"
    ),
    Setting(
        "CCN_STORE_PASSWORD",
        "store_password",
        "",
        str,
        "Password for HTTP Basic auth to the remote store",
        secret=True,
    ),
    Setting(
        "CCN_STORE_TOKEN",
        "store_token",
        "",
        str,
        "Bearer token sent to the remote store (instead of Basic auth)",
        secret=True,
    ),
    Setting(
        "CCN_OXIGRAPH_BIN",
        "oxigraph_bin",
        "",
        str,
        "Path of the oxigraph server executable (default: the one installed beside Python)",
    ),
    Setting(
        "CCN_STORE_MEMORY_MB",
        "store_memory_mb",
        4096,
        _non_negative(int),
        "Most resident memory of the managed Oxigraph server, in megabytes: past 90% of it the "
        "server is stopped (the query that filled it fails) and started again at once; 0: no limit",
    ),
    Setting(
        "CCN_STORE_QUERY_BUDGET",
        "store_query_budget",
        0,
        _non_negative(int),
        "Most SPARQL queries sent to the managed Oxigraph server within its time limit (it holds a "
        "thread per query that long); past it a read gets 503 at once; 0: three quarters of the "
        "threads "
        "this machine lets a process hold. With a remote store: no bound unless set",
    ),
    Setting(
        "CCN_QUERY_TIMEOUT",
        "query_timeout",
        30.0,
        _positive(float),
        "Seconds a SPARQL query may run before it is stopped (503 to the client)",
    ),
    Setting(
        "CCN_CHILD_MEMORY_MB",
        "child_memory_mb",
        2048,
        _non_negative(int),
        "Most memory of each child process the service starts, in megabytes (its data segment): a "
        "query over the graph as it was (`/sparql?at=`) and building that graph, or working out a "
        "SPARQL Update (which holds the whole data set); past it the child is stopped and the "
        "request gets 503; 0: no limit",
    ),
    Setting(
        "CCN_PAST_QUERIES",
        "past_queries",
        2,
        _positive(int),
        "Most queries over the graph as it was (`/sparql?at=`) that run at once, across all the "
        "workers (each runs in a child process, and the first for a moment builds its copy of the "
        "graph); past it 503 with Retry-After at once",
    ),
    Setting(
        "CCN_RESULT_LIMIT",
        "result_limit",
        100_000,
        _positive(int),
        "Most rows or triples a public query returns; a longer result is marked as cut, never cut "
        "silently",
    ),
    Setting(
        "CCN_QUERY_MAX_BYTES",
        "query_max_bytes",
        100_000,
        _positive(int),
        "Longest SPARQL query text accepted, in bytes (413 beyond)",
    ),
    Setting(
        "CCN_QUERY_MAX_DEPTH",
        "query_max_depth",
        64,
        _positive(int),
        "Deepest nesting of brackets a SPARQL query may have (400 beyond)",
    ),
    Setting(
        "CCN_MAX_BODY",
        "max_body",
        10 * 1024 * 1024,
        _positive(int),
        "Largest request body accepted, in bytes (after decompression)",
    ),
    Setting(
        "CCN_VALIDATE_MAX_BODY",
        "validate_max_body",
        256 * 1024,
        _positive(int),
        "Largest body /validate takes, in bytes (after decompression): it is open to anyone, and "
        "validating costs seconds per hundred kilobytes (one validation at a time per worker; 503 "
        "while one runs); `ccn-graph validate` checks larger files offline",
    ),
    Setting(
        "CCN_MAX_BLANK_NODES",
        "max_blank_nodes",
        256,
        _non_negative(int),
        "Most blank nodes one record may hold in a write (413 beyond); they are named at the gate "
        "({entity}#genid-…), in time linear in the record; 0: no bound",
    ),
    Setting(
        "CCN_MAX_WRITE_RECORDS",
        "max_write_records",
        100,
        _non_negative(int),
        "Most records one steward's write may hold (413 beyond): the write lock is held while a "
        "write is validated, about 10 ms a record; 0: no bound",
    ),
    Setting(
        "CCN_MAX_WRITE_TRIPLES",
        "max_write_triples",
        10_000,
        _non_negative(int),
        "Most triples one steward's write may hold (413 beyond), for the same reason; 0: no bound",
    ),
    Setting(
        "CCN_OPEN_GRAPHS",
        "open_graphs",
        (),
        _iri_prefixes,
        "IRI prefixes of graphs, besides the record graphs, that network stewards may write with "
        "SPARQL Update at /update (still through the shapes, with provenance); space-separated; "
        "empty: record graphs only",
    ),
    Setting(
        "CCN_CACHE_MB",
        "cache_mb",
        256,
        _non_negative(int),
        "Megabytes of answers kept per data version in {data_dir}/cache, shared by the workers "
        "(queries, entity documents, search, catalogue); 0 turns the cache off",
    ),
    Setting(
        "CCN_DUMPS_EVERY",
        "dumps_every",
        300.0,
        _non_negative(float),
        "Seconds between the starts of two rebuilds of the downloadable dumps after writes (a "
        "rebuild reads the whole graph; writes meanwhile are gathered into the next one); 0: "
        "after every write",
    ),
    Setting(
        "CCN_WRITER_URL",
        "writer_url",
        "",
        _writer_url,
        "URL of the instance that makes the writes, when several instances serve one store: set on "
        "every other instance, which then sends submissions, Graph Store writes, updates and "
        "reverts "
        "there and serves reads itself; empty: this instance writes",
    ),
    Setting("CCN_WORKERS", "workers", 4, _positive(int), "Web worker processes (gunicorn)"),
    Setting("CCN_LOG_LEVEL", "log_level", "INFO", _log_level, "DEBUG, INFO, WARNING or ERROR"),
    Setting(
        "CCN_AUTOLOAD",
        "autoload",
        True,
        _parse_bool,
        "Load the bundled reference data when `serve` finds the store empty",
    ),
)

_BY_FIELD = {s.field: s for s in SETTINGS}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Resolved settings; `sources` tells where each value came from."""

    host: str
    port: int
    base_iri: str
    data_dir: str
    store_url: str
    store_update_url: str
    store_gsp_url: str
    store_profile: str
    store_user: str
    store_password: str
    store_token: str
    oxigraph_bin: str
    store_memory_mb: int
    store_query_budget: int
    query_timeout: float
    child_memory_mb: int
    past_queries: int
    result_limit: int
    query_max_bytes: int
    query_max_depth: int
    max_body: int
    validate_max_body: int
    max_blank_nodes: int
    max_write_records: int
    max_write_triples: int
    open_graphs: tuple[str, ...]
    cache_mb: int
    dumps_every: float
    writer_url: str
    workers: int
    log_level: str
    autoload: bool
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def managed_store(self) -> bool:
        """True when the service starts and supervises its own Oxigraph server."""
        return not self.store_url

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (marked as overrides)."""
        sources = dict(self.sources)
        sources.update({k: "override" for k in changes})
        return dataclasses.replace(self, sources=sources, **changes)

    def environ(self, *, inherit: bool = False) -> dict[str, str]:
        """Every setting as the environment variable that gives it this value, for a child process
        (a command the service runs) to read the same settings; with `inherit`, on top of this
        process's environment without its own CCN_* variables (the child's PATH, locale, ...)."""
        out = {k: v for k, v in os.environ.items() if not k.startswith("CCN_")} if inherit else {}
        for s in SETTINGS:
            value = getattr(self, s.field)
            if isinstance(value, bool):
                out[s.name] = "true" if value else "false"
            elif isinstance(value, tuple):
                out[s.name] = " ".join(value)
            else:
                out[s.name] = str(value)
        return out

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(name, shown value, source, help) for every setting; secrets are masked."""
        out = []
        for s in SETTINGS:
            value = getattr(self, s.field)
            shown = "***" if s.secret and value else str(value)
            out.append((s.name, shown, self.sources.get(s.field, "default"), s.help))
        return out


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve every setting from defaults, then `environ`, then `overrides` (by field name).

    Raises `SettingsError` naming the setting when a value does not parse, or when an override
    names no setting.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        values[s.field] = _default_data_dir(environ) if s.field == "data_dir" else s.default
        sources[s.field] = "default"
        if s.name in environ:
            try:
                values[s.field] = s.parse(environ[s.name])
            except ValueError as exc:
                raise SettingsError(f"{s.name}: {exc}") from None
            sources[s.field] = "environment"
    for field, value in (overrides or {}).items():
        if value is None:
            continue
        setting = _BY_FIELD.get(field)
        if setting is None:
            raise SettingsError(f"no setting is called {field!r}")
        try:
            values[field] = setting.parse(value) if isinstance(value, str) else value
        except ValueError as exc:
            raise SettingsError(f"{setting.name}: {exc}") from None
        sources[field] = "command line"
    values["data_dir"] = str(Path(values["data_dir"]).expanduser().resolve())
    if values["base_iri"] is None:
        # The IRIs a local service mints resolve where it listens (on another port too).
        values["base_iri"] = _local_base_iri(values["host"], values["port"])
    return Settings(**values, sources=sources)


def _local_base_iri(host: str, port: int) -> str:
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return _base_iri(f"http://{host}:{port}/")
