"""Checks a public SPARQL query before any store sees it.

The query is tokenised with the SPARQL 1.1 lexical grammar (strings, IRIs, comments, variables,
prefixed names, numbers, keywords, punctuation); anything that does not tokenise is refused, so
the checks fail closed. On the tokens:

* size: text over the limit is refused (413);
* nesting: brackets ``{ ( [`` deeper than a safe bound are refused (400) — deep nesting crashes the
  store's parser;
* reading only: update operations (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) are
  refused (403) with a pointer to the submission API;
* no fetching: ``SERVICE`` (the only query construct that makes a store open a URL) is refused (400),
  as is ``LOAD``, whatever the case or spacing; a keyword is a bare word token, so ``ex:service``,
  ``?service`` or ``"SERVICE"`` are not mistaken for it.

`QueryInfo.form` tells which result formats apply (SELECT/ASK: SPARQL results; CONSTRUCT/DESCRIBE:
RDF). Whether the query is otherwise valid SPARQL is left to the store, whose parser message is
passed on.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["QueryInfo", "QueryRefused", "analyse"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<blank>_:[A-Za-z0-9_\u00C0-\uFFFF](?:[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF])?)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF](?:[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF])?)?:
               (?:(?:[A-Za-z0-9_:\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.!$&'()*+,;=/?\#@%-])
                  (?:(?:[A-Za-z0-9_.:\-\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.!$&'()*+,;=/?\#@%-])*
                     (?:[A-Za-z0-9_:\-\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.!$&'()*+,;=/?\#@%-]))?)?)
  | (?P<number>[+-]?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|[{}()\[\];,.*+\-/=<>!|^?])
    """,
    re.VERBOSE,
)

_OPEN, _CLOSE = "{([", "})]"
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH", "USING"}
_FETCHING = {"SERVICE", "LOAD"}
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


class QueryRefused(ValueError):
    """The query is not run; `status` is the HTTP status and the message says why and what to do."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class QueryInfo:
    """What the checks learnt: the query form (SELECT, ASK, CONSTRUCT or DESCRIBE)."""

    form: str
    #: Whether the query sets its own BASE (else the service sets the endpoint URL as base).
    has_base: bool = False

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) for every token but white space and comments.

    Raises `QueryRefused` (400) at the first character that starts no token.
    """
    out = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            snippet = text[position:position + 20]
            line = text.count("\n", 0, position) + 1
            raise QueryRefused(
                400, "untokenisable", f"The query cannot be read at line {line}, near {snippet!r}."
            )
        kind = match.lastgroup
        if kind not in ("ws", "comment"):
            out.append((kind, match.group()))
        position = match.end()
    return out


def analyse(text: str, *, max_bytes: int, max_depth: int) -> QueryInfo:
    """Check a query before it is run; raises `QueryRefused` with the status to answer."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise QueryRefused(
            413, "too_large",
            f"The query is {size} bytes long; this endpoint accepts queries of up to {max_bytes} bytes.",
        )
    if not text.strip():
        raise QueryRefused(400, "empty", "The query is empty.")
    depth = deepest = 0
    form = None
    has_base = False
    for kind, value in tokens(text):
        if kind == "punct" and value in _OPEN:
            depth += 1
            if depth > max_depth:
                raise QueryRefused(
                    400, "too_deep",
                    f"The query nests brackets more than {max_depth} levels deep; simplify it.",
                )
            deepest = max(deepest, depth)
        elif kind == "punct" and value in _CLOSE:
            depth -= 1
        elif kind == "word":
            word = value.upper()
            if word in _FETCHING:
                raise QueryRefused(
                    400, "fetching",
                    f"{word} is not allowed here: this endpoint never fetches other URLs or files. "
                    "Query the data of this graph only.",
                )
            if word in _UPDATES:
                raise QueryRefused(
                    403, "update",
                    f"This endpoint is read-only ({word} is an update). Changes go through the "
                    "submission API: POST /submissions with a steward's token.",
                )
            if form is None and word in _FORMS:
                form = word
            has_base = has_base or word == "BASE"
    if form is None:
        raise QueryRefused(400, "no_form", "The query has no SELECT, ASK, CONSTRUCT or DESCRIBE.")
    return QueryInfo(form, has_base)
