"""Batch evaluation on Dask: one query over the rows of a Dask DataFrame, partition by partition.

    import atlasc, atlasc.dask, dask.dataframe as dd
    prog = atlasc.compile_file("pe.query")
    out = atlasc.dask.run(prog, dd.read_parquet("rows.parquet"), "pe")   # a Dask DataFrame
    out.to_parquet("res.parquet")                                      # one file per partition

What travels to the workers is the program's recipe (its text, file name, base directory and
query name: a few kilobytes), not the compiled circuit: each worker process compiles it once,
on its first partition, and keeps it in a per-process cache for every later partition (LLVM
kernels are not picklable; a recipe is, and the compile is deterministic).  Each partition is
one batch of `Query.run`, the same code a local run uses, so the numbers are the same bit for
bit.  A failed worker's partitions are recomputed by Dask's scheduler like any other task.

Output columns: a single-valued query gives `value` (float; NaN where undefined) and
`undefined` (the reason, or None); a table query gives `value[A=a, B=b]` and
`undefined[A=a, B=b]` per entry (an entry the row's evidence excludes, e.g. A observed as
another value, is missing: NaN and None); a maxprod query adds `argmax[...]` (JSON text).  Rows keep
the input's index.  Input columns are the query's variables (value names as written; a
missing value, None or NaN, is unobserved); other columns are ignored.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from atlasc.compiler.api import Program, compile_string
from atlasc.compiler.errors import QueryError
from atlasc.compiler.program.program import QueryResult

_PROGRAMS: dict[str, Program] = {}      # per worker process: recipe key -> compiled program


@dataclass(frozen=True)
class Recipe:
    text: str
    file: str
    base_dir: str
    query: str
    repair: bool = False

    @property
    def key(self) -> str:
        parts = (self.text, self.file, self.base_dir, str(self.repair))
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def recipe(program: Program, query: str, repair: bool = False) -> Recipe:
    if query not in program.queries:
        raise QueryError(f"no query named {query!r}; the program has "
                         f"{', '.join(program.queries) or 'none'}")
    return Recipe(program.text, program.file, str(program.env.base_dir), query, repair)


def compiled(r: Recipe) -> Program:
    """The program of `r`, compiled once per process."""
    if r.key not in _PROGRAMS:
        _PROGRAMS[r.key] = compile_string(r.text, filename=r.file, base_dir=r.base_dir,
                                          repair=r.repair)
    return _PROGRAMS[r.key]


def evaluate_frame(df: pd.DataFrame, r: Recipe) -> pd.DataFrame:
    """One partition: its rows as one batch of the query."""
    prog = compiled(r)
    q = prog.queries[r.query]
    names = [c for c in df.columns if c in prog.variables]
    rows = [{k: v for k, v in zip(names, vals) if not _missing(v)}
            for vals in df[names].itertuples(index=False, name=None)]
    cols = columns(prog, r.query)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()}, index=df.index)
    res = q.run(rows)
    if not isinstance(res, QueryResult):
        raise QueryError(f"query {r.query}: marginals(...) queries are not evaluated on Dask "
                         "yet; run them locally")
    return pd.DataFrame(_records(res), index=df.index, columns=list(cols)).astype(cols)


def _missing(v: Any) -> bool:
    """None, NaN or pandas' NA (Dask turns object columns into strings with NA)."""
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def columns(prog: Program, query: str) -> dict[str, str]:
    """The output columns of `query` and their dtypes (from one unobserved row)."""
    res = prog.queries[query].run([{}])
    if not isinstance(res, QueryResult):
        raise QueryError(f"query {query}: marginals(...) queries are not evaluated on Dask "
                         "yet; run them locally")
    return {k: ("float64" if k.startswith("value") else "object")
            for k in _record(res.rows[0])}


def _records(res: QueryResult) -> list[dict[str, Any]]:
    return [_record(row) for row in res.rows]


def _record(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for e in row.entries:
        tag = "[" + ", ".join(f"{k}={v}" for k, v in e.assignment.items()) + "]" \
            if row.table else ""
        out[f"value{tag}"] = float("nan") if e.value is None else float(e.value)
        out[f"undefined{tag}"] = e.undefined
        if e.argmax is not None:
            out[f"argmax{tag}"] = json.dumps(e.argmax, sort_keys=True)
    return out


def run(program: Program, frame: Any, query: str, repair: bool = False) -> Any:
    """`query` of `program` on every row of the Dask DataFrame `frame`: a Dask DataFrame with
    one row per input row (same index and partitions); nothing is computed until asked."""
    r = recipe(program, query, repair)
    meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns(program, query).items()})
    return frame.map_partitions(evaluate_frame, r, meta=meta)


def local_frame(program: Program, df: pd.DataFrame, query: str) -> pd.DataFrame:
    """The same as `run` on one pandas DataFrame in this process (the reference)."""
    return evaluate_frame(df, recipe(program, query))


__all__ = ["Recipe", "columns", "compiled", "evaluate_frame", "local_frame", "recipe", "run"]
