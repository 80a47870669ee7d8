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
    "http.client": {"ccn_graph/store/keepalive.py", "ccn_graph/store/transport.py"},
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
        "server/pages/entity.py",
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
# Headers the one header policy sets (server/headers.py), from what each view declares.
POLICY_HEADERS = re.compile(
    r"^(vary|access-control-[\w-]+|content-security-policy|x-frame-options"
    r"|x-content-type-options|referrer-policy)$",
    re.IGNORECASE,
)
HEADER_POLICY = "server/headers.py"
# Where the app's services are kept and reached (server.context.services).
SERVICES_ACCESSOR = "server/context.py"
# IRIs of the service's own patterns are built only in ccn_graph/model/iris.py.
IRIS_MODULE = "ccn_graph/model/iris.py"
# A literal part that starts one of the service's paths right after a spliced value: the value is
# a base (`{base}id/…`, `{self.base}graph/…`), whatever it is called.
OWN_PATH = re.compile(r"^(id|graph|doc|version|dumps|changes|catalog|sparql)(/|\?|$)")
# The IRI builders kept outside iris.py, by file and literal text: none so far.
IRI_ALLOWED: dict[tuple[str, str], str] = {}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imports(tree: ast.AST) -> set[str]:
    """The packages and modules imported: `http.client` gives `http` and `http.client`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names |= {alias.name.split(".")[0], alias.name}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module.split(".")[0], node.module}
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
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


def _source(node: ast.AST) -> str:
    return ast.unparse(node)


def built_iris(tree: ast.AST) -> list[str]:
    """The places that build an IRI of the service's own patterns by string formatting: an
    f-string splicing a base before ``id/``, ``graph/``, ``doc/``…, and a base or such a path
    joined with ``+``, ``%`` or ``.format``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for before, after in zip(node.values, node.values[1:], strict=False):
                if (
                    isinstance(before, ast.FormattedValue)
                    and isinstance(after, ast.Constant)
                    and isinstance(after.value, str)
                    and OWN_PATH.match(after.value)
                    and "base" in _source(before.value).lower()
                ):
                    found.append(_source(node))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            parts = [_source(node.left), _source(node.right)]
            literal = [
                side.value
                for side in (node.left, node.right)
                if isinstance(side, ast.Constant) and isinstance(side.value, str)
            ]
            if any("base" in part.lower() for part in parts) and any(
                OWN_PATH.match(text.lstrip("/")) or "%s" in text for text in literal
            ):
                found.append(_source(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and isinstance(node.func.value.value, str)
            and re.search(r"\}(id|graph|doc)/", node.func.value.value)
        ):
            found.append(_source(node))
    return found


def test_iris_are_built_in_one_module():
    """`{base}id/…`, `{base}graph/…`, `{base}doc/…` and the site's own URLs come from
    ccn_graph/model/iris.py, so that each pattern is written once."""
    for path in SOURCES:
        name = rel(path)
        if name == IRIS_MODULE:
            continue
        for text in built_iris(ast.parse(path.read_text())):
            assert (name, text) in IRI_ALLOWED, (
                f"an IRI built by string formatting in {name}: {text[:80]!r}; "
                f"add a function to {IRIS_MODULE} and call it"
            )


def test_the_iri_check_finds_what_it_should():
    found = built_iris(
        ast.parse(
            'a = f"{base}id/{kind}/{ref}"\n'
            'b = f"<{self.base}graph/x>"\n'
            'c = base + "doc/x"\n'
            'd = "{}id/x".format(base)\n'
            'e = f"{settings.base_iri}sparql"\n'
            'ok = f"/id/{path}"\n'
            'ok2 = f"{root}/doc/{p}"\n'
        )
    )
    assert len(found) == 5, found


# Sizes a reader can hold: a module of at most 400 lines, a function of at most 60. A longer one
# says why in a comment with "size:" (on the `def` line or the line above it; for a module, a
# line of its own before its first import).
MODULE_LINES, FUNCTION_LINES = 400, 60
SIZED = SOURCES
SIZE_REASON = re.compile(r"#\s*size:\s*\S")


def oversized(path: Path) -> list[str]:
    """What in `path` is longer than the rule allows and does not say why."""
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    found = []
    if len(lines) > MODULE_LINES:
        first = next(
            (n.lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))), 1
        )
        if not any(SIZE_REASON.match(line) for line in lines[: first - 1]):
            found.append(f"{rel(path)}: {len(lines)} lines")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = node.end_lineno - start + 1
            said = " ".join(lines[max(start - 2, 0) : node.lineno])
            if length > FUNCTION_LINES and not SIZE_REASON.search(said):
                found.append(f"{rel(path)}:{node.lineno} {node.name}: {length} lines")
    return found


def test_modules_and_functions_stay_small():
    found = [what for path in SIZED for what in oversized(path)]
    assert not found, (
        f"longer than {MODULE_LINES} lines a module or {FUNCTION_LINES} a function, with no "
        f"'# size:' comment saying why: {found}"
    )


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


def _policy_header_assignments(tree: ast.AST) -> list[str]:
    """Header names of `….headers["Vary"] = …`-like assignments and `headers.update({…})` calls."""
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t.slice for t in node.targets if isinstance(t, ast.Subscript)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "setdefault", "add", "set")
        ):
            for arg in node.args:
                targets += arg.keys if isinstance(arg, ast.Dict) else [arg]
        found += [
            t.value
            for t in targets
            if isinstance(t, ast.Constant)
            and isinstance(t.value, str)
            and POLICY_HEADERS.match(t.value)
        ]
    return found


SERVER_SOURCES = [p for p in SOURCES if rel(p).startswith("server/")]


@pytest.mark.parametrize("path", SERVER_SOURCES, ids=rel)
def test_the_web_layer_follows_its_rules(path):
    """One error channel (views raise; nothing returns "a value or a Response"), one header
    policy, one accessor for the services."""
    source = path.read_text()
    tree = ast.parse(source)
    name = rel(path)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and len(node.args) == 2
            and re.search(r"\bResponse\b", ast.unparse(node.args[1]))
        ):
            raise AssertionError(
                f"{name}:{node.lineno} tests for a Response: raise a Problem instead"
            )
    if name != HEADER_POLICY:
        assigned = _policy_header_assignments(tree)
        assert not assigned, f"{name} sets {assigned}: declare them (server.headers.declare)"
    if name != SERVICES_ACCESSOR:
        assert "extensions[" not in source and ".extensions" not in source, (
            f"{name} reaches app.extensions; use server.context.services()"
        )


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
