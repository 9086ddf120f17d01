"""Bench: rows per second of `pe = sum[*] bn` on pathfinder through `atlasc run --data`, in one
process and on Dask (issue 19 part 3).

N evidence rows (three variables, each observed with probability 1/2 at a random value) are
written to one Parquet file (row groups of ROW_GROUP rows), then evaluated through the CLI:
(1) `atlasc run pe.query -q pe --data rows.parquet --out local.parquet` (one process, the
reference), (2) the same with `--dask local:1` and (3) `--dask local:2` (worker processes of
one thread; the compiled program is shipped to each worker once).  Each is a fresh process, the
compiled program loaded from the compiled-program cache (filled by a first run), so the
numbers are the evaluation of the rows, their reading and writing, and Dask's own costs.
Wall-clock seconds (parallelism is the point) and the CPU time of the whole process tree.
Overhead at W workers = W * T(W workers) / T(one process) - 1: what the run costs beyond a
perfect split of the single-process work.  The Dask results must equal the local run's, column
by column (checked on every row).  Writes bench/RESULTS-scale-dask.md.
Usage: python bench/dask_scale.py [ROWS]   (default 10^7)
"""
from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale import bif_path  # noqa: E402

OUT = HERE / "RESULTS-scale-dask.md"
COLS = ["F1", "F2", "F7"]
ROW_GROUP = 500_000


def write_rows(path: Path, domains: dict[str, list[str]], n: int) -> None:
    rng = np.random.default_rng(0)
    schema = pa.schema([(c, pa.string()) for c in COLS])
    with pq.ParquetWriter(path, schema) as w:
        for start in range(0, n, ROW_GROUP):
            k = min(ROW_GROUP, n - start)
            cols = {}
            for c in COLS:
                dom = pa.array(domains[c], pa.string())
                idx = pa.array(rng.integers(0, len(domains[c]), k).astype(np.int32),
                               mask=rng.random(k) < 0.5)
                cols[c] = pa.DictionaryArray.from_arrays(idx, dom).cast(pa.string())
            w.write_table(pa.table(cols, schema=schema))


def cli(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the process and its children) of one `atlasc` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "atlasc", *args], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"atlasc {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def same(local: Path, parts: Path) -> bool:
    want = pq.read_table(local).drop(["row"])
    got = pq.read_table(parts).select(want.column_names)
    return all(got.column(c).combine_chunks().equals(want.column(c).combine_chunks())
               for c in want.column_names)


def main(n: int) -> None:
    from atlasc.compiler.api import compile_file
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        env = dict(os.environ, ATLASC_PROGRAM_CACHE=str(d / "programs"))
        q = d / "pe.query"
        q.write_text(f'model bn = bif "{bif_path("pathfinder")}"\nquery pe = sum[*] bn\n')
        prog = compile_file(q)
        rows = d / "rows.parquet"
        write_rows(rows, {c: list(prog.variables[c].domain) for c in COLS}, n)
        cli(["run", str(q), "-q", "pe"], env)                     # fills the cache
        base = ["run", str(q), "-q", "pe", "--data", str(rows)]
        local = cli([*base, "--out", str(d / "local.parquet")], env)
        lines = [f"| one process | {local[0]:.1f} s | {local[1]:.1f} s | {n / local[0]:,.0f} | - "
                 "| - |"]
        print(lines[-1], flush=True)
        for w in (1, 2):
            out = d / f"dask{w}.parquet"
            wall, cpu = cli([*base, "--out", str(out), "--dask", f"local:{w}"], env)
            over = 100 * (w * wall / local[0] - 1)
            lines.append(f"| Dask, {w} worker{'s' if w > 1 else ''} | {wall:.1f} s | {cpu:.1f} s "
                         f"| {n / wall:,.0f} | {over:+.0f} % | "
                         f"{'yes' if same(d / 'local.parquet', out) else 'NO'} |")
            print(lines[-1], flush=True)
    write(n, lines)


def write(n: int, lines: list[str]) -> None:
    load = os.getloadavg()[0]
    text = (f"# Scale bench: Dask\n\n`python bench/dask_scale.py {n}` ({time.strftime('%Y-%m-%d')}, "
            f"{platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} at the end): "
            f"pathfinder, `sum[*] bn`, {n:,} evidence rows from one Parquet file through "
            "`atlasc run --data rows.parquet --out ...`, each run a fresh process with the "
            "program in the compiled-program cache.  Overhead at W workers = W x T(W) / "
            "T(one process) - 1.  CPU: the process and its children (Dask's scheduler and "
            "workers included).\n\n| run | wall | CPU | rows/s | overhead | equal to the local "
            "run |\n|---|---|---|---|---|---|\n" + "\n".join(lines) + "\n")
    tmp = OUT.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, OUT)
    print(text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
