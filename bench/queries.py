"""Bench: the atlas's queries on bnlearn networks, after compilation, against pgmpy.

Per network (pgmpy's copies of ALARM and two larger networks): the time to compile one
`.query` program (the network with a vtree constrained on Q, four root variables); then, on
the same 20 random evidence rows, the time per evidence row of

* all single-variable marginals (`marginals(bn)`: one upward and one downward pass), against
  pgmpy's VariableElimination.query, once per unobserved variable (given them all at once,
  even with joint=False, it contracts their joint table: out of memory on ALARM);
* MPE (`max[*] map[id: prob -> maxprod] bn`), against nothing: pgmpy's MPE (map_query over every
  variable) tabulates the joint over all of them and runs out of memory on these networks;
* marginal MAP over Q (`mmap(Q; bn)`), against VariableElimination.map_query(variables=Q,
  evidence=...) (given `variables`, or it ignores the evidence).

Ours runs through atlasc.runtime.evaluator (whatever engine is behind it), as one batch of 20 rows,
after one warm-up call (the first call, which may JIT-compile, is reported too).  pgmpy runs
in this process, one row at a time.  A second table gives our time per row on a large batch
(BIG rows drawn the same way) through Query.run_array, arrays in and out, whose values are
checked against the 20-row results.  Writes bench/RESULTS-queries.md.
Usage: python bench/queries.py [network ...]
"""
from __future__ import annotations

import datetime
import os
import platform
import random
import statistics
import sys
import time
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from atlasc.compiler.api import compile_string  # noqa: E402

NETWORKS = ["alarm", "hailfinder", "hepar2"]
ROWS, REPEAT, SEED, BIG = 20, 5, 0, 1000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS-queries.md")


def _models_dir() -> str:
    import importlib.util
    spec = importlib.util.find_spec("pgmpy")
    assert spec and spec.origin
    return os.path.join(os.path.dirname(spec.origin), "utils", "example_models")


def _setup(name: str, n: int = ROWS) -> tuple[Any, list[str], list[dict[str, str]]]:
    from pgmpy.utils import get_example_model
    model = get_example_model(name)
    roots = sorted(n for n in model.nodes() if not model.get_parents(n))
    Q = roots[:4]
    rng = random.Random(SEED)
    others = sorted(n for n in model.nodes() if n not in Q)
    rows = []
    for _ in range(n):
        seen = rng.sample(others, rng.randint(1, 3))
        rows.append({n: rng.choice(model.get_cpds(n).state_names[n]) for n in seen})
    return model, Q, rows


def _program(name: str, Q: list[str]) -> tuple[Any, float]:
    q = ", ".join(Q)
    text = (f'model bn = bif "{name}.bif.gz" with vtree constrained {{{q}}}\n'
            "query marg = marginals(bn)\n"
            "query mpe  = max[*] map[id: prob -> maxprod] bn\n"
            f"query mmap = mmap({q}; bn)\n")
    t = time.perf_counter()
    prog = compile_string(text, filename=f"{name}.query", base_dir=_models_dir())
    return prog, time.perf_counter() - t


def _ours(prog: Any, query: str, rows: list[dict[str, str]]) -> tuple[float, float, Any]:
    """(first call, median warm call) per row, and the warm result."""
    q = prog.queries[query]
    ev = [prog.evidence_row(r) for r in rows]
    t = time.perf_counter()
    res = q.run_rows(ev)
    first = time.perf_counter() - t
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        res = q.run_rows(ev)
        times.append(time.perf_counter() - t)
    return first / len(rows), statistics.median(times) / len(rows), res


def _ours_array(prog: Any, query: str, big: list[dict[str, str]]) -> float:
    """Median seconds per row of Query.run_array on the big batch."""
    import numpy as np
    cols = sorted(prog.variables)
    E = np.asarray([[prog.variables[c].domain.index(r[c]) if c in r else -1 for c in cols]
                    for r in big], dtype=np.int64)
    q = prog.queries[query]
    q.run_array(E, cols)
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        q.run_array(E, cols)
        times.append(time.perf_counter() - t)
    return statistics.median(times) / len(big)


def _check_array(prog: Any, rows: list[dict[str, str]]) -> None:
    """run_array on the 20 rows gives what run gives (values; argmax of MMAP)."""
    import numpy as np
    cols = sorted(prog.variables)
    E = np.asarray([[prog.variables[c].domain.index(r[c]) if c in r else -1 for c in cols]
                    for r in rows], dtype=np.int64)
    ev = [prog.evidence_row(r) for r in rows]
    for name in ("mpe", "mmap"):
        got, want = prog.queries[name].run_array(E, cols), prog.queries[name].run_rows(ev)
        for b, row in enumerate(want.rows):
            assert abs(float(got.values[b, 0]) - row.value) <= 1e-12 * max(1.0, row.value)
    got, want = prog.queries["marg"].run_array(E, cols), prog.queries["marg"].run_rows(ev)
    for x, table in want.joint.items():
        assert np.allclose(got.joint[x], table, rtol=1e-12, atol=0)


def _theirs(fn: Callable[[dict[str, str]], Any], rows: list[dict[str, str]]
            ) -> tuple[float, list[Any]]:
    """pgmpy's seconds per row over the rows it finished, and its answers (None for a row
    where it ran out of memory under MEMORY_LIMIT: it did so on hailfinder, at 24 GB)."""
    out, spent = [], 0.0
    for r in rows:
        t = time.perf_counter()
        try:
            out.append(fn(r))
            spent += time.perf_counter() - t
        except MemoryError:
            out.append(None)
    done = sum(a is not None for a in out)
    return spent / max(done, 1), out


def bench_one(name: str) -> dict[str, Any]:
    from pgmpy.inference import VariableElimination
    model, Q, rows = _setup(name)
    prog, t_compile = _program(name, Q)
    ve = VariableElimination(model)
    nodes = sorted(model.nodes())
    r: dict[str, Any] = {"name": name, "vars": len(nodes), "Q": Q, "compile": t_compile,
                         "size": prog.queries["marg"].circuit.size}
    r["marg_first"], r["marg"], _ = _ours(prog, "marg", rows)
    r["marg_ve"], _ = _theirs(lambda e: [ve.query([v], evidence=e, show_progress=False)
                                         for v in nodes if v not in e], rows)
    r["mpe_first"], r["mpe"], _ = _ours(prog, "mpe", rows)
    r["mmap_first"], r["mmap"], res = _ours(prog, "mmap", rows)
    r["mmap_ve"], answers = _theirs(lambda e: ve.map_query(variables=Q, evidence=e,
                                                           show_progress=False), rows)
    r["ve_oom"] = sum(a is None for a in answers)
    possible = [(row, a) for row, a in zip(res.rows, answers)
                if row.entries[0].value > 0 and a is not None]
    r["agree"] = sum(row.entries[0].argmax == {k: str(v) for k, v in a.items()}
                     for row, a in possible)
    r["possible"] = len(possible)
    _check_array(prog, rows)
    big = _setup(name, BIG)[2]
    for q in ("marg", "mpe", "mmap"):
        r[q + "_big"] = _ours_array(prog, q, big)
    return r


MEMORY_LIMIT = 12 << 30


def main(names: list[str]) -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, resource.RLIM_INFINITY))
    rows = []
    for n in names:
        r = bench_one(n)
        print(f"{n}: {r}", file=sys.stderr, flush=True)
        rows.append(r)
    text = _table(rows, names)
    with open(OUT, "w") as f:
        f.write(text)
    print(text)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
            f"{load} at the end")


def _ms(x: float) -> str:
    return f"{x * 1e3:.3f}"


def _table(rows: list[dict[str, Any]], names: list[str]) -> str:
    cmd = "python bench/queries.py" + ("" if names == NETWORKS else " " + " ".join(names))
    head = (
        "# Queries bench: all marginals, MPE and marginal MAP after compilation, against pgmpy\n\n"
        f"Generated by `{cmd}` on {datetime.date.today().isoformat()}; machine: {_machine()}.\n"
        f"Per network: compile = one .query program (the network with a vtree constrained on "
        f"Q, four root variables), seconds.  Then {ROWS} random evidence rows (1 to 3 observed "
        "variables outside Q), the same for both; times are milliseconds **per evidence row**: "
        f"ours = median of {REPEAT} warm calls on the batch of {ROWS} rows through "
        "atlasc.runtime.evaluator (first = the first call, which includes any JIT compile); pgmpy = "
        "VariableElimination in this process, one row at a time: `query([X], evidence=e)` for "
        "every unobserved X for all marginals (all at once it contracts their joint table), `map_query(variables=Q, evidence=e)` for "
        "MMAP.  MPE has no pgmpy column: its map_query over every variable tabulates the "
        "joint (out of memory here).  ratio = pgmpy / ours.  agree = rows where pgmpy's MMAP "
        "assignment is ours, out of the rows whose evidence has non-zero probability (where "
        "it is zero every assignment ties at 0).\n\n"
        "| network | vars | Q | compile s | |C| | marginals ms (first) | pgmpy ms | ratio | "
        "MPE ms (first) | MMAP ms (first) | pgmpy ms | ratio | agree | note |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    body = "".join(
        f"| {r['name']} | {r['vars']} | {', '.join(r['Q'])} | {r['compile']:.2f} | {r['size']} | "
        f"{_ms(r['marg'])} ({_ms(r['marg_first'])}) | {_ms(r['marg_ve'])} | "
        f"{r['marg_ve'] / r['marg']:.0f} | {_ms(r['mpe'])} ({_ms(r['mpe_first'])}) | "
        f"{_ms(r['mmap'])} ({_ms(r['mmap_first'])}) | {_ms(r['mmap_ve'])} | "
        f"{r['mmap_ve'] / r['mmap']:.0f} | {r['agree']}/{r['possible']} |"
        + (f" pgmpy out of memory on {r['ve_oom']} rows (12 GB limit) |" if r['ve_oom'] else
           " |") + "\n" for r in rows)
    big = (
        f"\nLarge batches: {BIG} evidence rows drawn the same way, one call of Query.run_array "
        f"(median of {REPEAT}), microseconds per row; ratio = pgmpy's time per row above / "
        "ours.\n\n"
        "| network | marginals us | ratio | MPE us | MMAP us | ratio |\n"
        "|---|---|---|---|---|---|\n")
    big += "".join(
        f"| {r['name']} | {r['marg_big'] * 1e6:.2f} | {r['marg_ve'] / r['marg_big']:.0f} | "
        f"{r['mpe_big'] * 1e6:.2f} | {r['mmap_big'] * 1e6:.2f} | "
        f"{r['mmap_ve'] / r['mmap_big']:.0f} |\n" for r in rows)
    return head + body + big


if __name__ == "__main__":
    main(sys.argv[1:] or NETWORKS)
