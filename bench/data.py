"""Bench: data in and out of `atlasc run` at engine speed (issue 14), each number a ratio of
two measurements made in this run, on this machine.

  rows      `atlasc run alarm.query --data rows.csv --out out.csv` on 20,000 and on 200,000
            evidence rows (3 random variables observed per row), the program loaded from the
            cache: the whole process (start-up, imports, cache load included) per row at
            each size and the slope between them ((T(200,000) - T(20,000)) / 180,000: what a
            row costs once the process runs), and the data path alone (read + evaluate +
            write, as -v reports them), against PySDD's own model counter on the same
            network and evidence, one row at a time (bench/runtime.py drives it), and
            against `Query.run_array` on the same rows in one process
  marginals all marginals of alarm through the CLI on 2,000 and 20,000 rows (linear: the ratio
            of the two data paths), and against a probability-of-evidence run on the same rows
  stream    10^6 and 10^7 rows of alarm (37 variables) from Parquet through
            `run --data ... --out x.parquet`: peak RSS of the process (getrusage of the child)
  cache     pathfinder all-marginals, `atlasc run` cold (--no-cache) against warm (cache hit)

Writes bench/RESULTS-data.md.  Usage: python bench/data.py [--quick] (quick: 10^6 rows only)
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from prepare import byte_compile  # noqa: E402  (bench/prepare.py)
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

OUT = HERE / "RESULTS-data.md"
ROWS, BIG, SMALL, OBSERVED, SEED = 20_000, 200_000, 2_000, 3, 0
ATLASC = [sys.executable, "-m", "atlasc"]
WRAP = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "w = time.perf_counter() - t; sys.stderr.write(r.stderr); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(r.returncode, w, u.ru_maxrss, u.ru_utime + u.ru_stime)")


def _runtime_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_runtime", HERE / "runtime.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def models_dir() -> Path:
    spec = importlib.util.find_spec("pgmpy")
    assert spec and spec.origin
    return Path(spec.origin).parent / "utils" / "example_models"


# ---- data --------------------------------------------------------------------------------------
def evidence_codes(prog: Any, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """n rows, OBSERVED random variables observed per row: value indices, -1 unobserved."""
    names = sorted(prog.variables)
    rng = np.random.default_rng(seed)
    E = np.full((n, len(names)), -1, np.int64)
    picks = np.argsort(rng.random((n, len(names))), axis=1)[:, :OBSERVED]
    sizes = np.asarray([prog.variables[c].size for c in names])
    for j in range(OBSERVED):
        col = picks[:, j]
        E[np.arange(n), col] = (rng.random(n) * sizes[col]).astype(np.int64)
    return names, E


def labelled(prog: Any, names: list[str], E: np.ndarray) -> pa.Table:
    cols = {}
    for j, c in enumerate(names):
        dom = pa.array(list(prog.variables[c].domain), pa.string())
        idx = pa.array(E[:, j].astype(np.int32), mask=E[:, j] < 0)
        cols[c] = pa.DictionaryArray.from_arrays(idx, dom)
    return pa.table(cols)


def write_csv(prog: Any, names: list[str], E: np.ndarray, path: Path) -> None:
    import pyarrow.csv as pcsv
    t = labelled(prog, names, E)
    t = pa.table({c: t.column(c).cast(pa.string()).fill_null("") for c in names})
    pcsv.write_csv(t, path, pcsv.WriteOptions(quoting_style="needed"))


def write_parquet(prog: Any, n: int, path: Path, chunk: int = 250_000) -> None:
    names = sorted(prog.variables)
    with pq.ParquetWriter(path, labelled(prog, names, evidence_codes(prog, 1, 0)[1]).schema
                          ) as w:
        for k, start in enumerate(range(0, n, chunk)):
            _, E = evidence_codes(prog, min(chunk, n - start), SEED + 1 + k)
            w.write_table(labelled(prog, names, E))


# ---- the CLI -------------------------------------------------------------------------------------
def cli(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One `atlasc` process: wall time, peak RSS (bytes), the phases -v logs."""
    done = subprocess.run([sys.executable, "-c", WRAP, *ATLASC, *args, "-v"], env=env,
                          capture_output=True, text=True)
    code, wall, rss, cpu = done.stdout.split()
    if int(code) not in (0, 5):
        raise RuntimeError(f"atlasc {' '.join(args)} failed:\n{done.stderr}")
    found = re.finditer(r"atlasc: (compile|read|evaluate|write): ([0-9.]+) s \(CPU ([0-9.]+) s",
                        done.stderr)
    phases = {m[1]: (float(m[2]), float(m[3])) for m in found}
    data = sum(phases.get(p, (0.0, 0.0))[1] for p in ("read", "evaluate", "write"))
    return {"wall": float(wall), "rss": int(rss) * 1024, "phases": phases, "data": data,
            "cpu": float(cpu)}


def best(args: list[str], env: dict[str, str], reps: int) -> dict[str, Any]:
    return _median([cli(args, env) for _ in range(reps)])


def alternating(cases: dict[str, list[str]], env: dict[str, str], reps: int
                ) -> dict[str, dict[str, Any]]:
    """Each case run reps times, the cases taking turns (so a change of load shows in all of
    them alike): the median run of each."""
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in cases}
    for _ in range(reps):
        for k, args in cases.items():
            runs[k].append(cli(args, env))
    return {k: _median(v) for k, v in runs.items()}


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"wall": statistics.median(r["wall"] for r in runs),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "data": statistics.median(r["data"] for r in runs),
            "rss": max(r["rss"] for r in runs), "phases": runs[-1]["phases"]}


# ---- the cases -----------------------------------------------------------------------------------
def query_file(d: Path, name: str, body: str) -> Path:
    q = d / f"{name}.query"
    q.write_text(f'model bn = bif "{models_dir() / name}.bif.gz"\n{body}\n')
    return q


def rows_case(d: Path, env: dict[str, str], reps: int) -> dict[str, Any]:
    from atlasc.compiler.api import compile_file
    q = query_file(d, "alarm", "query pe = sum[*] bn\nquery marg = marginals(bn)")
    prog = compile_file(q)
    names, E_big = evidence_codes(prog, BIG, SEED)
    E = E_big[:ROWS]
    csv, csv_big = d / "rows.csv", d / "rows-big.csv"
    write_csv(prog, names, E, csv)
    write_csv(prog, names, E_big, csv_big)
    # fills the cache: the program, and what a batch past the flat route's break-even builds
    # (the node circuit and its kernels' programs, kept by the run: manifest.refresh)
    cli(["run", str(q), "-q", "pe", "--data", str(csv), "--out", str(d / "o.csv")], env)
    runs = alternating({k: ["run", str(q), "-q", "pe", "--data", str(f), "--out",
                            str(d / "o.csv")] for k, f in (("ours", csv), ("big", csv_big))},
                       env, reps)
    ours, big = runs["ours"], runs["big"]
    qe = prog.queries["pe"]
    qe.run_array(E, names)
    arr, arr_big = (statistics.median(_cpu(lambda: qe.run_array(x, names)) for _ in range(5))
                    for x in (E, E_big))
    table = _text_table(csv)
    api = statistics.median(_cpu(lambda: qe.run_table(table)) for _ in range(5))
    floor = best_floor(env, 2 * reps)
    pysdd = _pysdd(prog, names, E)
    return {"ours": ours, "big": big, "array": arr, "array_big": arr_big, "pysdd": pysdd,
            "api": api, "floor": floor, "reps": reps, "q": q, "csv": csv, "prog": prog, "names": names,
            "E": E}


def _text_table(path: Path) -> pa.Table:
    """The rows file as a user reads it (pyarrow, every column text, empty = null)."""
    import csv as text
    import pyarrow.csv as pcsv
    with open(path, newline="") as f:
        names = next(text.reader(f))
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=True))


def best_floor(env: dict[str, str], reps: int) -> float:
    """The CPU of a process that only imports what a run cannot do without (Python, numpy,
    pyarrow's CSV reader; OpenBLAS's spin off, as atlasc sets it): the median of reps."""
    code = "import numpy, pyarrow.csv"
    runs = []
    for _ in range(reps):
        done = subprocess.run([sys.executable, "-c", WRAP, sys.executable, "-c", code],
                              env=dict(env, OPENBLAS_THREAD_TIMEOUT="4"),
                              capture_output=True, text=True, check=True)
        runs.append(float(done.stdout.split()[3]))
    return statistics.median(runs)


def _cpu(fn: Any) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def _pysdd(prog: Any, names: list[str], E: np.ndarray) -> float:
    """PySDD's CPU seconds per row on the alarm SDD, over the rows it finishes in 10 s."""
    rt = _runtime_bench()
    case = rt.NetworkCase("alarm")
    by_name = {v.name: v for v in case.vars}
    evs = [[(by_name[names[j]], int(E[b, j])) for j in np.flatnonzero(E[b] >= 0)]
           for b in range(min(len(E), 2000))]
    t = time.process_time()
    _, vals = rt.pysdd_rows(case, evs, budget=10.0)
    return (time.process_time() - t) / len(vals)


def marginals_case(d: Path, env: dict[str, str], base: dict[str, Any], reps: int
                   ) -> dict[str, Any]:
    q, prog, names, E = base["q"], base["prog"], base["names"], base["E"]
    small = d / "rows2k.csv"
    write_csv(prog, names, E[:SMALL], small)
    out = str(d / "m.parquet")
    # as rows_case: the first marginals run compiles the query and its kernels (JIT: ~0.3 s
    # of its evaluate phase) and keeps them in the cache; the measured runs are cached runs
    cli(["run", str(q), "-q", "marg", "--data", str(base["csv"]), "--out", out], env)
    return alternating({
        "m20": ["run", str(q), "-q", "marg", "--data", str(base["csv"]), "--out", out],
        "m2": ["run", str(q), "-q", "marg", "--data", str(small), "--out", out],
        "pe20": ["run", str(q), "-q", "pe", "--data", str(base["csv"]), "--out", out]},
        env, reps)


def stream_case(d: Path, env: dict[str, str], sizes: list[int], base: dict[str, Any]
                ) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        data = d / f"rows{n}.parquet"
        write_parquet(base["prog"], n, data)
        r = cli(["run", str(base["q"]), "-q", "pe", "--data", str(data), "--out",
                 str(d / "x.parquet")], env)
        rows = pq.ParquetFile(d / "x.parquet").metadata.num_rows
        assert rows == n, (rows, n)
        out.append({"n": n, **r})
        data.unlink()
    return out


def cache_case(d: Path, env: dict[str, str]) -> dict[str, Any]:
    q = query_file(d, "pathfinder", "query marg = marginals(bn)")
    cold = cli(["run", str(q), "--no-cache"], env)
    cli(["run", str(q)], env)                                   # stores the entry
    warm = best(["run", str(q)], env, 3)
    return {"cold": cold, "warm": warm}


# ---- the table -----------------------------------------------------------------------------------
def _ph(o: dict[str, Any], phase: str) -> str:
    return f"{o['phases'].get(phase, (0.0, 0.0))[1]:.3f}"


def us(x: float) -> str:
    return f"{x * 1e6:.1f} us"


def rows_table(r: dict[str, Any]) -> list[str]:
    """Per row at 20,000 and 200,000 rows and the slope between: each against PySDD."""
    o, b, p = r["ours"], r["big"], r["pysdd"]
    per = {k: (o[k] / ROWS, b[k] / BIG, (b[k] - o[k]) / (BIG - ROWS))
           for k in ("cpu", "wall", "data")}
    per["array"] = (r["array"] / ROWS, r["array_big"] / BIG,
                    (r["array_big"] - r["array"]) / (BIG - ROWS))

    def cells(k: str) -> str:
        return " | ".join(f"{us(x)} ({p / x:.1f}x PySDD)" if x > 0 else "-" for x in per[k])
    return [
        "## `run --data` on alarm (3 variables observed per row), per row", "",
        f"PySDD's model counter, one row at a time: {us(p)} CPU a row (>= 100x PySDD is "
        f"<= {us(p / 100)} a row).  The whole process is `atlasc run alarm.query -q pe "
        "--data rows.csv --out o.csv` with the program in the cache (each cell the median "
        f"of {r['reps']} runs, the two sizes taking turns; start-up, imports, "
        f"cache load: {o['cpu']:.2f} s CPU in all at 20,000 rows, {b['cpu']:.2f} s at "
        "200,000); the data path is read + evaluate + write as -v reports them; the slope is "
        "(T(200,000) - T(20,000)) / 180,000.", "",
        "| measurement | 20,000 rows | 200,000 rows | slope |", "|---|---|---|---|",
        f"| whole process, CPU | {cells('cpu')} |",
        f"| whole process, wall | {cells('wall')} |",
        f"| data path, CPU (at 20,000 rows: read {_ph(o, 'read')} s + evaluate "
        f"{_ph(o, 'evaluate')} s + write {_ph(o, 'write')} s) | {cells('data')} |",
        f"| `Query.run_array` on the same rows, in process, CPU | {cells('array')} |",
        f"| data path / run_array | {o['data'] / r['array']:.2f}x | "
        f"{b['data'] / r['array_big']:.2f}x | - |", "",
        f"The floor, measured in this run: `python -c \"import numpy, pyarrow.csv\"` (no "
        f"atlasc) is {r['floor']:.3f} s CPU (median of {2 * r['reps']}), {us(r['floor'] / ROWS)} a row of "
        f"20,000: the whole process above is {o['cpu']:.3f} s, {o['cpu'] - r['floor']:.3f} s "
        "more.  From Python: `Query.run_table` of those 20,000 rows as a pyarrow Table of "
        f"text columns, in process: {r['api']:.3f} s CPU ({us(r['api'] / ROWS)} a row, "
        f"{r['api'] / r['array']:.2f}x run_array).", ""]


def write(r: dict[str, Any], m: dict[str, Any], s: list[dict[str, Any]], c: dict[str, Any]
          ) -> None:
    lines = [
        "# Data in and out of `atlasc run` (bench/data.py)", "",
        f"{datetime.date.today()}, {_machine()}, load average {os.getloadavg()[0]:.1f} at the "
        "end (the machine is shared: wall times include waiting for a core; CPU times do "
        "not).  Every ratio is of two measurements made in the same run.  Regenerate with "
        "`python bench/data.py`.", "",
        *rows_table(r),
        "## All marginals through the CLI (alarm; CPU times: the data path as -v reports it, "
        "and the whole process)", "",
        "| run | data path | whole process |", "|---|---|---|",
        f"| marginals, 2,000 rows | {m['m2']['data']:.3f} s | {m['m2']['cpu']:.2f} s |",
        f"| marginals, 20,000 rows | {m['m20']['data']:.3f} s | {m['m20']['cpu']:.2f} s |",
        f"| probability of evidence, 20,000 rows | {m['pe20']['data']:.3f} s | "
        f"{m['pe20']['cpu']:.2f} s |", "",
        f"20,000 / 2,000 rows: {m['m20']['data'] / m['m2']['data']:.1f} (data path), "
        f"{m['m20']['cpu'] / m['m2']['cpu']:.2f} (whole process); marginals / probability "
        f"of evidence on 20,000 rows: {m['m20']['data'] / m['pe20']['data']:.2f} (data path), "
        f"{m['m20']['cpu'] / m['pe20']['cpu']:.2f} (whole process).", "",
        "## Streaming: alarm (37 variables), Parquet in, `--out x.parquet`", "",
        "| rows | wall | CPU | peak RSS | CPU per row |", "|---|---|---|---|---|"]
    for x in s:
        lines.append(f"| {x['n']:,} | {x['wall']:.1f} s | {x['cpu']:.1f} s | "
                     f"{x['rss'] / 2 ** 20:.0f} MB | {us(x['cpu'] / x['n'])} |")
    lines += ["", "## Compiled-program cache: pathfinder all marginals", "",
              "| run | wall | CPU (user + system) |", "|---|---|---|",
              f"| cold (`--no-cache`) | {c['cold']['wall']:.2f} s | {c['cold']['cpu']:.2f} s |",
              f"| warm (cache hit) | {c['warm']['wall']:.2f} s | {c['warm']['cpu']:.2f} s |",
              "", f"warm / cold: {c['warm']['wall'] / c['cold']['wall']:.3f} (wall), "
              f"{c['warm']['cpu'] / c['cold']['cpu']:.3f} (CPU).", ""]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(quick: bool) -> None:
    byte_compile()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        env = dict(os.environ, ATLASC_CACHE_DIR=str(d / "cache"))   # programs and objects
        r = rows_case(d, env, 7)
        m = marginals_case(d, env, r, 7)
        s = stream_case(d, env, [10 ** 6] if quick else [10 ** 6, 10 ** 7], r)
        c = cache_case(d, env)
    write(r, m, s, c)


if __name__ == "__main__":
    main("--quick" in sys.argv)
