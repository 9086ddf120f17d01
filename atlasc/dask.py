"""Batch evaluation on Dask: one query over the rows of a Dask DataFrame, partition by partition.

    import atlasc, atlasc.dask, dask.dataframe as dd
    prog = atlasc.compile_file("pe.query")
    out = atlasc.dask.run(prog, dd.read_parquet("rows.parquet"), "pe")   # a Dask DataFrame
    out.to_parquet("res")                                              # one file per partition

What travels to the workers is the compiled program itself, packed as a compiled-program cache
entry (compiler/program/cache.py: its circuits, reports, run-time checks and the linear
programs the LLVM kernels run), once per worker: it is one task of the graph that every
partition depends on, so the scheduler moves it to a worker once and each worker process
unpacks it once (`_PROGRAMS`), on its first partition.  Workers neither parse nor compile, and
need not see the model files.

Each partition runs the columnar path of `atlasc run --data` (compiler/program/tables.py reads
its columns into value indices, compiler/program/stream.py evaluates the chunk,
compiler/program/frames.py makes the result columns), so every output column equals the one a
local `atlasc run --data ... --out` writes, bit for bit, and a value outside a domain or a
column that is not a variable is the same error.  A failed worker's partitions are recomputed
by Dask's scheduler like any other task (tasks are pure).

Output columns: those of `atlasc run --out` (docs/data.md) without `row`: the input's index
stands for it (Dask gives every partition its own).
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from atlasc.compiler.program.program import Program
from atlasc.compiler.errors import QueryError
from atlasc.compiler.program import cache as program_cache
from atlasc.compiler.program import frames, tables
from atlasc.compiler.program.arrow import pa, pq
from atlasc.compiler.program.evidence import column_lookup
from atlasc.compiler.program.stream import run_chunk

_PROGRAMS: dict[str, Program] = {}      # per worker process: packed program's hash -> program


@dataclass(frozen=True)
class Shipment:
    """A compiled program as bytes (a sealed cache entry) and the query to run."""
    blob: bytes
    query: str

    @property
    def key(self) -> str:
        return hashlib.sha256(self.blob).hexdigest()


def shipment(program: Program, query: str) -> Shipment:
    if query not in program.queries:
        raise QueryError(f"no query named {query!r}; the program has "
                         f"{', '.join(program.queries) or 'none'}")
    return Shipment(program_cache.pack(program, check_files=False), query)


def unpacked(key: str, blob: bytes) -> Program:
    """The program of a shipment, unpacked once per process."""
    if key not in _PROGRAMS:
        prog = program_cache.unpack(blob)
        if prog is None:
            raise QueryError("the compiled program sent to this worker is damaged or was made "
                             "by another atlasc version", None,
                             "install the same atlasc version on the client and the workers")
        _PROGRAMS[key] = prog
    return _PROGRAMS[key]


def evaluate_frame(df: Any, key: str, blob: bytes, query: str) -> Any:
    """One partition (a pandas DataFrame): its rows through the query, as a pandas DataFrame of
    Arrow-typed columns with the partition's index."""
    import pandas as pd   # pandas and dask are imported only here (not at atlasc's start-up)
    prog = unpacked(key, blob)
    return pd.DataFrame(_result(prog, query, _evidence(prog, df)).to_pandas(
        types_mapper=pd.ArrowDtype)).set_axis(df.index)


def _evidence(prog: Program, df: Any) -> pa.Table:
    names = [c for c in df.columns if _is_variable(prog, c)]
    return pa.Table.from_pandas(df[names], preserve_index=False)


def _is_variable(prog: Program, name: Any) -> bool:
    try:
        column_lookup(prog)(str(name), None)
    except QueryError:
        return False
    return True


def _result(prog: Program, query: str, evidence: pa.Table) -> pa.Table:
    """The result columns of the evidence rows (of none: the columns, from one row left out)."""
    q = prog.queries[query]
    chunks = list(tables.table_chunks(column_lookup(prog), evidence)) or \
        [tables.Chunk(0, 1, {})]
    t = pa.concat_tables([frames.table(c.start, c.rows, run_chunk([q], [], c, {}))
                          for c in chunks])
    return (t if evidence.num_rows else t.slice(0, 0)).drop(["row"])


def meta(program: Program, query: str) -> Any:
    """The (empty) pandas frame whose columns and dtypes every partition's result has."""
    import pandas as pd
    t = _result(program, query, pa.table({}))
    return pd.DataFrame(t.to_pandas(types_mapper=pd.ArrowDtype))


def run(program: Program, frame: Any, query: str) -> Any:
    """`query` of `program` on every row of the Dask DataFrame `frame`: a Dask DataFrame with
    one row per input row (same index and partitions); nothing is computed until asked."""
    from dask.delayed import delayed
    s = shipment(program, query)
    blob = delayed(s.blob, name=f"atlasc-program-{s.key}", pure=True)
    return frame.map_partitions(evaluate_frame, s.key, blob, query, meta=meta(program, query))


def local_frame(program: Program, df: Any, query: str) -> Any:
    """The same as `run` on one pandas DataFrame in this process (the reference)."""
    s = shipment(program, query)
    return evaluate_frame(df, s.key, s.blob, query)


def client_for(scheduler: str) -> Any:
    """A distributed Client: `local:N` starts N worker processes here (one thread each), any
    other text is a scheduler address (tcp://host:8786)."""
    import distributed   # the optional extra `dask`; only the --dask path needs it
    if scheduler.startswith("local:"):
        n = _workers(scheduler)
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        return distributed.Client(cluster)
    return distributed.Client(scheduler)


def _workers(scheduler: str) -> int:
    text = scheduler.split(":", 1)[1] or "1"
    if not text.isdigit() or int(text) < 1:
        raise QueryError(f"--dask {scheduler}: local:N needs a number of workers N >= 1")
    return int(text)


def read_frame(path: str) -> Any:
    """Parquet (a file or a directory of parts: a partition per row group) or CSV (every
    column read as text, a partition per 64 MB; each file of a glob checked to be UTF-8
    first, the same positioned error as a local --data run)."""
    import dask.dataframe as dd
    if path.endswith(".csv"):
        for f in sorted(glob.glob(path)) or [path]:
            if os.path.isfile(f):
                tables.check_utf8(Path(f))
        return dd.read_csv(path, dtype="string[pyarrow]", keep_default_na=False,
                           na_values=[""], blocksize="64MB")
    return dd.read_parquet(path, dtype_backend="pyarrow", split_row_groups=True)


def check_columns(program: Program, path: str, names: Sequence[str]) -> None:
    """Before anything is sent: every column a variable that appears once (the local --data
    path's errors, all at once, with did-you-mean)."""
    fmt = "csv" if path.endswith(".csv") else "parquet"
    tables.check_header(column_lookup(program), path, fmt, names)


def part(i: int) -> str:
    """The name of the i-th part: zero-padded, so that readers that list a directory in name
    order (pyarrow, pandas) read the rows in the input's order (part.10 would come before
    part.2)."""
    return f"part.{i:06d}.parquet"


def run_files(program: Program, query: str, data: str, out: str, scheduler: str) -> int:
    """`atlasc run --dask`: the rows of `data` through `query` on the cluster, written to the
    directory `out` as partitioned Parquet (written aside, then renamed into place, so a
    failed run leaves nothing half-written); returns the number of rows."""
    if os.path.exists(out):
        raise QueryError(f"{out} exists; atlasc does not overwrite it (choose a new --out)")
    frame = read_frame(data)            # CSV: checked to be UTF-8 (every file of a glob)
    check_columns(program, data, list(frame.columns))
    tmp = out.rstrip("/") + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with client_for(scheduler):
            run(program, frame, query).to_parquet(tmp, write_index=True, name_function=part)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    rows = sum(pq.ParquetFile(os.path.join(tmp, f)).metadata.num_rows
               for f in os.listdir(tmp) if f.endswith(".parquet"))
    os.replace(tmp, out)
    return rows


__all__ = ["Shipment", "check_columns", "client_for", "evaluate_frame", "local_frame", "meta",
           "part", "read_frame", "run", "run_files", "shipment", "unpacked"]
