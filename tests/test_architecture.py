"""The house rules of DESIGN.md that code can check: who imports what, where SPARQL, media
types and the environment live."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.fast

SOURCES = sorted(
    [*ROOT.joinpath("ccn_graph").rglob("*.py"), *ROOT.joinpath("server").rglob("*.py")]
)

# Each engine is used from one module.
ONLY_IN = {
    "pyoxigraph": {"ccn_graph/store/embedded.py"},
    # The store's one HTTP transport: `http.client` connections kept alive (bench/transport.py
    # measured the candidates), opened in one module and held in another.
    "http": {"ccn_graph/store/keepalive.py", "ccn_graph/store/transport.py"},
    # The client of our own service (`ccn-graph submit`, writes forwarded to the writer), and
    # what its failures say about a request (sent or not); never the store's.
    "requests": {"ccn_graph/runtime/client.py", "ccn_graph/runtime/http_failures.py"},
    "urllib3": {"ccn_graph/runtime/http_failures.py"},
    "SPARQLWrapper": set(),
    "pyshacl": {"ccn_graph/write/validation.py"},
    # The child processes: the managed store's server, and the short-lived commands (the dumps
    # builder, queries over the past).
    "subprocess": {"ccn_graph/store/oxigraph_server.py", "ccn_graph/runtime/children.py"},
    "gunicorn": {"server/serving.py"},
    "prometheus_client": {"server/metrics.py"},
}
# Writes, not reads: the serve command switches on prometheus_client's multi-process mode, which
# that library only takes from the environment.
ENVIRONMENT_WRITERS = {"server/cli.py"}
WEB = {"flask", "werkzeug", "gunicorn", "jinja2", "server"}
# Text shaped like a query or an update, not a keyword named in a message.
SPARQL = re.compile(
    r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\s*(\*|\?|\$|\{|WHERE\b|DISTINCT\b|REDUCED\b|\()"
    r"|\b(INSERT|DELETE)\s+(DATA\b|WHERE\b|\{)|\bDROP\s+(SILENT|GRAPH|ALL|DEFAULT|NAMED)\b"
    r"|\bCLEAR\s+(SILENT|GRAPH|ALL|DEFAULT|NAMED)\b|\bPREFIX\s+[\w-]*:"
)
# Query text put together in code: a DESCRIBE of a spliced IRI, a base IRI, a Virtuoso pragma. The
# keyword may end a literal part of an f-string, its argument spliced in after it.
SPLICED = re.compile(r"\b(DESCRIBE|BASE)\s*(<|\s\Z)|\bDEFINE\s+([\w-]+:|\Z)")
# The splices kept in code, by file and literal text, each once: any other occurrence fails.
SPLICED_ALLOWED = {
    (
        "ccn_graph/store/virtuoso.py",
        "DEFINE input:default-graph-exclude <",
    ): "Virtuoso's pragma put before whatever query is sent (a .rq file's or a client's) when the "
    "store shows its system graphs: part of the store's dialect, not a query of ours",
    (
        "server/linked_data.py",
        "DESCRIBE <",
    ): "the query an entity page offers the reader as a link to /sparql; the service never runs it",
    (
        "server/sparql.py",
        "BASE <",
    ): "the endpoint's URL as the base IRI of a client's query, as the SPARQL protocol lets the "
    "service choose; the query is the client's text",
    (
        "server/sparql_update.py",
        "BASE <",
    ): "the endpoint's URL as the base IRI of a client's update, as for queries",
}
MEDIA_TYPE = re.compile(r"^(application|text)/[\w.+-]+")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def strings(tree: ast.AST) -> list[str]:
    """String constants that are not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_the_sources_are_found():
    assert len(SOURCES) >= 15


def test_every_allowed_splice_is_still_there():
    texts = {(rel(path), text) for path in SOURCES for text in strings(ast.parse(path.read_text()))}
    gone = [where for where in SPLICED_ALLOWED if where not in texts]
    assert not gone, f"no longer in the code, take them off SPLICED_ALLOWED: {gone}"


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_module_follows_the_house_rules(path):
    tree = ast.parse(path.read_text())
    name = rel(path)
    used = imports(tree)
    if name.startswith("ccn_graph/"):
        assert not used & WEB, f"{name} imports the web layer: {used & WEB}"
    for engine, allowed in ONLY_IN.items():
        if engine in used:
            assert name in allowed, f"{engine} may only be used in {sorted(allowed)}, not {name}"
    if not name.startswith("ccn_graph/sparql/queries/"):
        for text in strings(tree):
            assert not SPARQL.search(text), (
                f"SPARQL text in {name}: {text[:60]!r}; put it in a .rq file"
            )
        spliced = [text for text in strings(tree) if SPLICED.search(text)]
        for text in spliced:
            assert (name, text) in SPLICED_ALLOWED and spliced.count(text) == 1, (
                f"query text spliced in {name}: {text[:60]!r}; put it in a .rq file"
            )
    if name != "ccn_graph/rdfio/formats.py":
        for text in strings(tree):
            assert not MEDIA_TYPE.match(text), (
                f"media type {text!r} in {name}; use ccn_graph.rdfio.formats"
            )
    if name != "ccn_graph/settings.py" and name not in ENVIRONMENT_WRITERS:
        source = path.read_text()
        assert "os.environ" not in source and "getenv" not in source, (
            f"{name} reads the environment"
        )


STORE = sorted(ROOT.joinpath("ccn_graph", "store").glob("*.py"))


@pytest.mark.parametrize("path", STORE, ids=rel)
def test_store_modules_and_functions_stay_small(path):
    """The store's rooms stay readable: no module over 400 lines, no function over 60."""
    text = path.read_text()
    assert len(text.splitlines()) <= 400, f"{rel(path)} has {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 60, f"{rel(path)}: {node.name} has {length} lines"


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_no_store_is_probed_for_what_it_can_do(path):
    """Callers ask a store's capabilities (`Store.supports_time_limit`, `endpoints`, …), never
    whether it has an attribute."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr")
            and node.args
        ):
            target = ast.unparse(node.args[0])
            in_store = rel(path).startswith("ccn_graph/store/") and target == "self"
            assert "store" not in target.lower() and not in_store, (
                f"{rel(path)}:{node.lineno}: {ast.unparse(node)}"
            )
