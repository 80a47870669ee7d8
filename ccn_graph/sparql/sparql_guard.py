"""Checks a public SPARQL query before any store sees it.

The query is tokenised with the SPARQL 1.1 lexical grammar (strings, IRIs, comments, variables,
prefixed names, numbers, keywords, punctuation); anything that does not tokenise is refused, so
the checks fail closed. On the tokens:

* size: text over the limit is refused (413);
* nesting: brackets ``{ ( [`` deeper than a safe bound are refused (400) — deep nesting crashes the
  store's parser;
* reading only: update operations (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) are
  refused (403) with a pointer to the submission API;
* no fetching: ``SERVICE`` (the only query construct that makes a store open a URL) is refused
  (400),
  as is ``LOAD``, whatever the case or spacing; a keyword is a bare word token, so ``ex:service``,
  ``?service`` or ``"SERVICE"`` are not mistaken for it.

`prepare_update` makes the same checks on a steward's SPARQL Update (updates allowed, nothing that
fetches) and adds the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` to each
``DELETE/INSERT … WHERE`` as ``USING`` clauses.

`QueryInfo.form` tells which result formats apply (SELECT/ASK: SPARQL results; CONSTRUCT/DESCRIBE:
RDF). Whether the query is otherwise valid SPARQL is left to the store, whose parser message is
passed on.
"""

from __future__ import annotations

import dataclasses
import re

from ccn_graph.model.iris import check_iri

__all__ = ["QueryInfo", "QueryRefused", "analyse", "prepare_update"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<blank>_:[A-Za-z0-9_\u00C0-\uFFFF]
               (?:[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF])?)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF]
                 (?:[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\-\u00B7\u00C0-\uFFFF])?)?:
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
_UPDATES = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
    "USING",
}
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
    return [(kind, value) for kind, value, _ in _spans(text)]


def _spans(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) for every token but white space and comments."""
    out = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            snippet = text[position : position + 20]
            line = text.count("\n", 0, position) + 1
            raise QueryRefused(
                400, "untokenisable", f"The query cannot be read at line {line}, near {snippet!r}."
            )
        kind = match.lastgroup
        if kind not in ("ws", "comment"):
            out.append((kind, match.group(), position))
        position = match.end()
    return out


def _check_size(text: str, max_bytes: int, what: str) -> None:
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise QueryRefused(
            413,
            "too_large",
            f"The {what} is {size} bytes long; this endpoint accepts {what}s of up to {max_bytes} "
            "bytes.",
        )
    if not text.strip():
        raise QueryRefused(400, "empty", f"The {what} is empty.")


def _too_deep(max_depth: int, what: str) -> QueryRefused:
    return QueryRefused(
        400,
        "too_deep",
        f"The {what} nests brackets more than {max_depth} levels deep; simplify it.",
    )


def _fetching(word: str) -> QueryRefused:
    return QueryRefused(
        400,
        "fetching",
        f"{word} is not allowed here: this service never fetches other URLs or files. "
        "Use the data of this graph only.",
    )


def analyse(text: str, *, max_bytes: int, max_depth: int) -> QueryInfo:
    """Check a query before it is run; raises `QueryRefused` with the status to answer."""
    _check_size(text, max_bytes, "query")
    depth = deepest = 0
    form = None
    has_base = False
    for kind, value in tokens(text):
        if kind == "punct" and value in _OPEN:
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, "query")
            deepest = max(deepest, depth)
        elif kind == "punct" and value in _CLOSE:
            depth -= 1
        elif kind == "word":
            word = value.upper()
            if word in _FETCHING:
                raise _fetching(word)
            if word in _UPDATES:
                raise QueryRefused(
                    403,
                    "update",
                    f"This endpoint is read-only ({word} is an update). Changes go through the "
                    "submission API: POST /submissions with a steward's token.",
                )
            if form is None and word in _FORMS:
                form = word
            has_base = has_base or word == "BASE"
    if form is None:
        raise QueryRefused(400, "no_form", "The query has no SELECT, ASK, CONSTRUCT or DESCRIBE.")
    return QueryInfo(form, has_base)


# size: one token scan checks the update and rewrites its dataset clauses
def prepare_update(
    text: str,
    *,
    max_bytes: int,
    max_depth: int,
    using: list[str] = (),
    using_named: list[str] = (),
) -> str:
    """Check a SPARQL Update before it is evaluated; the text to evaluate.

    Refuses (`QueryRefused`) what is too large or too deeply nested, ``LOAD`` and ``SERVICE``, and
    a protocol dataset (`using`, `using_named`: checked IRIs) on an update that sets its own with
    ``USING`` or ``WITH``, which the SPARQL 1.1 Protocol forbids, or that is not an IRI. With a
    protocol dataset, each
    ``… WHERE`` operation gets it as ``USING`` / ``USING NAMED`` clauses: the same meaning, in
    the update's own syntax. Whether the update is otherwise valid is left to the evaluator.
    """
    _check_size(text, max_bytes, "update")
    for iri in (*using, *using_named):
        try:
            check_iri(iri)
        except ValueError as exc:
            raise QueryRefused(
                400, "protocol", f"A using-graph-uri is not an IRI: {exc}."
            ) from None
    spans = _spans(text)
    depth = 0
    wheres = []
    previous = None
    for kind, value, offset in spans:
        if kind == "punct" and value in _OPEN:
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, "update")
        elif kind == "punct" and value in _CLOSE:
            depth -= 1
        elif kind == "word":
            word = value.upper()
            if word in _FETCHING:
                raise _fetching(word)
            if depth == 0 and word in ("USING", "WITH") and (using or using_named):
                raise QueryRefused(
                    400,
                    "dataset_conflict",
                    f"The update sets its own dataset with {word}; do not also send "
                    "using-graph-uri or "
                    "using-named-graph-uri.",
                )
            if depth == 0 and word == "WHERE":
                if previous == "DELETE" and (using or using_named):
                    raise QueryRefused(
                        400,
                        "dataset_conflict",
                        "The DELETE-WHERE shorthand cannot take a dataset; use the long form (a "
                        "DELETE template, then a WHERE pattern) with using-graph-uri or "
                        "using-named-graph-uri.",
                    )
                wheres.append(offset)
        previous = value.upper() if kind == "word" else None
    if not (using or using_named) or not wheres:
        return text
    clauses = "".join(f"USING <{g}> " for g in using) + "".join(
        f"USING NAMED <{g}> " for g in using_named
    )
    pieces, last = [], 0
    for offset in wheres:
        pieces += [text[last:offset], clauses]
        last = offset
    pieces.append(text[last:])
    return "".join(pieces)
