"""Readable tables of query results (the text form of `atlasc run`)."""
from __future__ import annotations

from atlasc.compiler.program.marginals import MarginalsResult
from atlasc.compiler.program.results import QueryResult


def result_text(r: QueryResult | MarginalsResult, with_rows: bool = False) -> str:
    """One query's results: a line per value, or a table over its free variables."""
    return r.text(with_rows)
