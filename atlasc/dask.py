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
import os
import shutil
from dataclasses import dataclass
from typing import Any

from atlasc.compiler.api import Program, compile_string
from atlasc.compiler.errors import QueryError
from atlasc.compiler.program.results import QueryResult

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


def evaluate_frame(df: Any, r: Recipe) -> Any:
    """One partition: its rows as one batch of the query."""
    import pandas as pd   # pandas and dask are imported only here (not at atlasc's start-up)
    prog = compiled(r)
    q = prog.queries[r.query]
    names = [c for c in df.columns if c in prog.variables]
    rows = [{k: v for k, v in zip(names, vals) if not _missing(v, pd.isna)}
            for vals in df[names].itertuples(index=False, name=None)]
    cols = columns(prog, r.query)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()}, index=df.index)
    res = q.run(rows)
    if not isinstance(res, QueryResult):
        raise QueryError(f"query {r.query}: marginals(...) queries are not evaluated on Dask "
                         "yet; run them locally")
    return pd.DataFrame(_records(res), index=df.index, columns=list(cols)).astype(cols)


def _missing(v: Any, isna: Any) -> bool:
    """None, NaN or pandas' NA (Dask turns object columns into strings with NA)."""
    return v is None or (not isinstance(v, str) and bool(isna(v)))


def columns(prog: Program, query: str) -> dict[str, str]:
    """The output columns of `query` and their dtypes (from one unobserved row)."""
    res = prog.queries[query].run([{}])
    if not isinstance(res, QueryResult):
        raise QueryError(f"query {query}: marginals(...) queries are not evaluated on Dask "
                         "yet; run them locally")
    return {k: ("float64" if k.startswith("value") else "string")
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
    import pandas as pd
    r = recipe(program, query, repair)
    meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns(program, query).items()})
    return frame.map_partitions(evaluate_frame, r, meta=meta)


def local_frame(program: Program, df: Any, query: str) -> Any:
    """The same as `run` on one pandas DataFrame in this process (the reference)."""
    return evaluate_frame(df, recipe(program, query))


def client_for(scheduler: str) -> Any:
    """A distributed Client: `local:N` starts N worker processes here (one thread each), any
    other text is a scheduler address (tcp://host:8786)."""
    import distributed   # the optional extra `dask`; only the --dask path needs it
    if scheduler.startswith("local:"):
        n = int(scheduler.split(":", 1)[1] or "1")
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        return distributed.Client(cluster)
    return distributed.Client(scheduler)


def read_frame(path: str) -> Any:
    """Parquet (a file or a directory of parts) or CSV (every column read as text)."""
    import dask.dataframe as dd
    if path.endswith(".csv"):
        return dd.read_csv(path, dtype=str, keep_default_na=True)
    return dd.read_parquet(path)


def run_files(program: Program, query: str, data: str, out: str, scheduler: str,
              repair: bool = False) -> int:
    """`atlasc run --dask`: the rows of `data` through `query` on the cluster, written to the
    directory `out` as partitioned Parquet (written aside, then renamed into place, so a
    failed run leaves nothing half-written); returns the number of rows."""
    if os.path.exists(out):
        raise QueryError(f"{out} exists; atlasc does not overwrite it (choose a new --out)")
    tmp = out.rstrip("/") + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    with client_for(scheduler):
        res = run(program, read_frame(data), query, repair)
        res.to_parquet(tmp, write_index=True)
    import pyarrow.parquet as pq
    rows = sum(pq.ParquetFile(os.path.join(tmp, f)).metadata.num_rows
               for f in os.listdir(tmp) if f.endswith(".parquet"))
    os.replace(tmp, out)
    return rows


__all__ = ["Recipe", "client_for", "columns", "compiled", "evaluate_frame", "local_frame",
           "read_frame", "recipe", "run", "run_files"]
