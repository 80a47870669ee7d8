"""The query page's view model: a result from the store as the table sparql.html shows."""

from __future__ import annotations

import json

from ccn_graph.sparql import results
from ccn_graph.sparql.sparql_guard import QueryInfo

__all__ = ["result_table"]


def result_table(info: QueryInfo, stream, rows_shown: int) -> dict:
    """Columns and rows (at most `rows_shown`) of a result, for the page."""
    if info.form == "ASK":
        return {
            "columns": ["answer"],
            "rows": [[("literal", str(json.loads(stream.read())["boolean"]).lower(), None, None)]],
            "cut": False,
        }
    lines = results.read_lines(stream.chunks)
    if info.returns_graph:
        columns = ["subject", "predicate", "object"]
        source = (t for t in (results.parse_nt_line(line) for line in lines) if t is not None)
    else:
        header = next(lines, "")
        columns = [h[1:] for h in header.split("\t")] if header else []
        source = ([results.parse_tsv_term(c) for c in line.split("\t")] for line in lines)
    rows, cut = [], False
    for row in source:
        if len(rows) == rows_shown:
            cut = True
            break
        rows.append(list(row))
    return {"columns": columns, "rows": rows, "cut": cut}
