"""SPARQL text lives in the ``.rq`` files beside this module; values are bound, never spliced.

`bind` replaces the variables it is given by RDF terms written in SPARQL syntax: IRIs are checked
(`iris.check_iri`) and literals escaped, so a bound value can never change the shape of the
query. Strings, IRIs and comments in the query text are left untouched.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from importlib import resources

from rdflib.term import BNode, Literal, Node, URIRef

from ccn_graph.model.iris import check_iri
from ccn_graph.rdfio import ntriples

__all__ = [
    "Example",
    "Term",
    "Terms",
    "bind",
    "examples",
    "load",
    "replace_graphs_update",
    "sparql_term",
    "write_triples",
]

Term = URIRef | Literal
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
#: A list of terms, written space-separated: bind one to the placeholder in ``VALUES ?x { ?list }``.
Terms = tuple[Term, ...] | list[Term]

_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n]*"
    r"|[?$](?P<var>[A-Za-z_][A-Za-z0-9_]*)",
    re.DOTALL,
)


@functools.cache
def load(name: str) -> str:
    """The text of ``queries/{name}.rq`` less its comments (they are for readers of the file: the
    store would parse them on every request, and some are longer than the query)."""
    text = resources.files(__name__).joinpath(f"{name}.rq").read_text(encoding="utf-8")
    return (
        "\n".join(line for line in _TOKENS.sub(_no_comment, text).splitlines() if line.strip())
        + "\n"
    )


def _no_comment(match: re.Match[str]) -> str:
    return "" if match.group(0).startswith("#") else match.group(0)


@dataclasses.dataclass(frozen=True)
class Example:
    """An example query for people: its file name, title (its first comment line) and text."""

    name: str
    title: str
    text: str


@functools.cache
def examples() -> tuple[Example, ...]:
    """The example queries of ``queries/examples/``, in file-name order."""
    folder = resources.files(__name__).joinpath("examples")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            text = entry.read_text(encoding="utf-8")
            title = text.splitlines()[0].lstrip("# ").strip()
            out.append(Example(entry.name[:-3], title, text))
    return tuple(out)


def sparql_term(term: Term) -> str:
    """`term` written in SPARQL syntax; raises ValueError for anything but an IRI or literal."""
    if isinstance(term, URIRef):
        return ntriples.iri(check_iri(str(term)))
    if isinstance(term, Literal):
        lexical = str(term)
        if term.language:
            if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", term.language):
                raise ValueError(f"invalid language tag {term.language!r}")
            return ntriples.literal(lexical, term.language)
        if str(term.datatype) == _XSD_INTEGER and re.fullmatch(r"[+-]?\d+", lexical):
            # Bare, so that it also fits where the grammar wants an INTEGER token (LIMIT, OFFSET).
            return lexical
        if term.datatype:
            # Written even for xsd:string: some stores tell a typed string from a simple literal.
            return f"{ntriples.quoted(lexical)}^^{ntriples.iri(check_iri(str(term.datatype)))}"
        return ntriples.quoted(lexical)
    raise ValueError(f"only IRIs and literals can be bound, not {type(term).__name__}")


def bind(query: str, bindings: Mapping[str, Term | Terms] | None = None) -> str:
    """`query` with each ``?name``/``$name`` in `bindings` replaced by its term (or, for a list of
    terms, by the terms separated by spaces, for use inside ``VALUES ?x { … }``).

    Raises ValueError for a term that cannot be written safely or a binding the query never uses.
    """
    if not bindings:
        return query
    written = {
        name: " ".join(sparql_term(t) for t in term)
        if isinstance(term, (list, tuple))
        else sparql_term(term)
        for name, term in bindings.items()
    }
    used: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        var = match.group("var")
        if var is not None and var in written:
            used.add(var)
            return written[var]
        return match.group(0)

    result = _TOKENS.sub(substitute, query)
    unused = set(written) - used
    if unused:
        raise ValueError(f"the query has no variable {', '.join(sorted(unused))}")
    return result


def write_triples(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    """Triples in SPARQL (N-Triples-like) syntax, each term checked or escaped as in `sparql_term`.

    Blank nodes get fresh labels (``_:b0``, ``_:b1`` …) that keep their identity within the call.
    """
    labels: dict[BNode, str] = {}

    def write(term: Node) -> str:
        if isinstance(term, BNode):
            return labels.setdefault(term, f"_:b{len(labels)}")
        return sparql_term(term)

    return "".join(f"{write(s)} {write(p)} {write(o)} .\n" for s, p, o in triples)


def replace_graphs_update(
    graphs: Mapping[str, Iterable[tuple[Node, Node, Node]]], *, as_template: bool = False
) -> str:
    """One SPARQL Update that replaces each named graph by its triples (none: drops it); with
    `as_template`, the triples are inserted by ``INSERT { … } WHERE { }`` rather than ``INSERT
    DATA`` (the same triples: one solution, and a template's blank nodes are fresh per solution)."""
    drop = load("drop_graph")
    operations = [bind(drop, {"g": URIRef(iri)}) for iri in graphs]
    blocks = []
    for iri, triples in graphs.items():
        body = write_triples(triples)
        if body:
            blocks.append(f"GRAPH {sparql_term(URIRef(iri))} {{\n{body}}}")
    if blocks:
        operations.append(
            ("INSERT {\n" if as_template else "INSERT DATA {\n")
            + "\n".join(blocks)
            + ("\n} WHERE { }" if as_template else "\n}")
        )
    return " ;\n".join(operations)
