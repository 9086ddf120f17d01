"""Training rows as value-index columns, read by the evidence readers of compiler/program.

A file (CSV, Parquet, Arrow IPC, JSON lines) is read by `tables.read_file` in chunks, a table
from Python (pandas, polars, pyarrow, a dict of arrays, a list of dicts) by
`tables.table_chunks`: cells as the domains spell them, empty cells, `?`, `NA` and nulls
missing (-1).  A column that names no variable of the model is an error at its header cell;
a variable without a column is missing in every row (a latent variable).
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from atlasc.compiler.errors import QueryError, QueryNameError
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.names import lookup
from atlasc.compiler.program import tables
from atlasc.compiler.source import Span
from atlasc.compiler.program.arrow import pa


Columns = dict[Var, np.ndarray]


def read_rows(variables: Sequence[Var], data: Any, fmt: str | None = None,
              what: str = "the model") -> tuple[Columns, int]:
    """Every row of `data` as int32 columns (-1: missing) and the number of rows."""
    lookup = _lookup({v.name: v for v in variables}, what)
    parts: dict[Var, list[np.ndarray]] = {}
    rows = 0
    for chunk in _chunks(lookup, data, fmt):
        for v, a in chunk.columns.items():
            parts.setdefault(v, []).append(np.asarray(a, np.int32))
        rows += chunk.rows
    if rows == 0:
        raise QueryError("the data has no rows", None, "give at least one row to learn from")
    return {v: np.concatenate(a) for v, a in parts.items()}, rows


def _chunks(lookup: Any, data: Any, fmt: str | None) -> Iterator[tables.Chunk]:
    if isinstance(data, (str, os.PathLike)):
        return tables.read_file(lookup, Path(data), fmt)
    t = tables.arrow_table(data)
    if t is None and isinstance(data, list) and all(isinstance(r, dict) for r in data):
        # every key of every row (from_pylist would take the first row's keys only)
        keys = list(dict.fromkeys(str(k) for r in data for k in r))
        t = pa.Table.from_pydict({k: pa.array([_cell(_get(r, k)) for r in data], pa.string())
                                  for k in keys})
    if t is None:
        raise QueryError(f"cannot read training rows from a {type(data).__name__}", None,
                         "give a file (CSV, Parquet, Arrow, JSON lines), a DataFrame, a "
                         "pyarrow Table, a dict of arrays or a list of dicts")
    return tables.table_chunks(lookup, t)


def _get(row: dict[Any, Any], key: str) -> Any:
    return row[key] if key in row else next((x for k, x in row.items() if str(k) == key), None)


def _cell(x: Any) -> Any:
    return None if x is None else str(x)


def _lookup(known: dict[str, Var], what: str) -> Any:
    def column(name: str, span: Span | None) -> Var:
        name = lookup(name, known)          # an atom may be written with blanks: r(1, 2)
        if name in known:
            return known[name]
        close = difflib.get_close_matches(name, list(known), n=1)
        raise QueryNameError(f"the column {name!r} is not a variable of {what}", span,
                             f"did you mean {close[0]!r}?" if close else
                             f"its variables: {_some(known)}")
    return column


def _some(names: Iterable[str], n: int = 8) -> str:
    ns = sorted(names)
    return ", ".join(ns[:n]) + (", ..." if len(ns) > n else "")


__all__ = ["Columns", "read_rows"]
