"""Bench: rows per second of `pe = sum[*] bn` on pathfinder, locally and on Dask.

N evidence rows (three variables, each observed with probability 1/2 at a random value) are
evaluated (1) in this process as one pandas frame (`atlasc.dask.local_frame`, the reference),
(2) on a LocalCluster of 1 and (3) 2 worker processes (`atlasc.dask.run`, 8 partitions a
worker), each including the workers' one-time compile.  Wall-clock seconds (parallelism is
the point); the machine is shared, so the numbers are indicative.  Results must be equal to
the local run bit for bit (checked).  Writes bench/RESULTS-scale-dask.md.
Usage: python bench/dask_scale.py [ROWS]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import atlasc  # noqa: E402
import atlasc.dask as adask  # noqa: E402
from scale import bif_path  # noqa: E402

OUT = os.path.join(HERE, "RESULTS-scale-dask.md")

COLS = ["F1", "F2", "F7"]


def rows(prog: atlasc.Program, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    out = {}
    for c in COLS:
        dom = np.array(prog.variables[c].domain, dtype=object)
        vals = dom[rng.integers(0, len(dom), n)]
        vals[rng.random(n) < 0.5] = None
        out[c] = vals
    return pd.DataFrame(out)


def on_cluster(prog: atlasc.Program, df: pd.DataFrame, workers: int) -> tuple[float, pd.DataFrame]:
    import dask.dataframe as dd
    import distributed
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cl, distributed.Client(cl):
        t = time.perf_counter()
        got = adask.run(prog, dd.from_pandas(df, npartitions=8 * workers), "pe").compute()
        return time.perf_counter() - t, got


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        q = os.path.join(d, "pe.query")
        with open(q, "w") as fh:
            fh.write(f'model bn = bif "{bif_path("pathfinder")}"\nquery pe = sum[*] bn\n')
        t = time.perf_counter()
        prog = atlasc.compile_file(q)
        t_compile = time.perf_counter() - t
        df = rows(prog, n)
        t = time.perf_counter()
        local = adask.local_frame(prog, df, "pe")
        t_local = time.perf_counter() - t
        lines = [f"| single process | {t_local + t_compile:.1f} s (compile {t_compile:.1f} s) "
                 f"| {n / (t_local + t_compile):,.0f} | - | - |"]
        for w in (1, 2):
            sec, got = on_cluster(prog, df, w)
            same = got.equals(local)
            over = 100 * (sec / (t_local + t_compile) - 1)
            lines.append(f"| Dask, {w} worker{'s' if w > 1 else ''} | {sec:.1f} s | "
                         f"{n / sec:,.0f} | {over:+.0f} % | {'yes' if same else 'NO'} |")
            print(lines[-1], flush=True)
    text = (f"\n## Dask (bench/dask_scale.py {n}): pathfinder, `sum[*] bn`, {n:,} evidence rows "
            "(wall clock, compile included)\n\n| run | seconds | rows/s | vs single process "
            "| equal bit for bit |\n|---|---|---|---|---|\n" + "\n".join(lines) + "\n")
    with open(OUT + ".tmp", "w") as fh:
        fh.write("# Scale bench: Dask" + text)
    os.replace(OUT + ".tmp", OUT)
    print(text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
