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

Ours runs through runtime.evaluator (whatever engine is behind it), as one batch of 20 rows,
after one warm-up call (the first call, which may JIT-compile, is reported too).  pgmpy runs
in this process, one row at a time.  Writes bench/RESULTS-queries.md.
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

from compiler.api import compile_string  # noqa: E402

NETWORKS = ["alarm", "hailfinder", "hepar2"]
ROWS, REPEAT, SEED = 20, 5, 0
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS-queries.md")


def _models_dir() -> str:
    import importlib.util
    spec = importlib.util.find_spec("pgmpy")
    assert spec and spec.origin
    return os.path.join(os.path.dirname(spec.origin), "utils", "example_models")


def _setup(name: str) -> tuple[Any, list[str], list[dict[str, str]]]:
    from pgmpy.utils import get_example_model
    model = get_example_model(name)
    roots = sorted(n for n in model.nodes() if not model.get_parents(n))
    Q = roots[:4]
    rng = random.Random(SEED)
    others = sorted(n for n in model.nodes() if n not in Q)
    rows = []
    for _ in range(ROWS):
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


def _theirs(fn: Callable[[dict[str, str]], Any], rows: list[dict[str, str]]
            ) -> tuple[float, list[Any]]:
    t = time.perf_counter()
    out = [fn(r) for r in rows]
    return (time.perf_counter() - t) / len(rows), out


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
    possible = [(row, a) for row, a in zip(res.rows, answers) if row.entries[0].value > 0]
    r["agree"] = sum(row.entries[0].argmax == {k: str(v) for k, v in a.items()}
                     for row, a in possible)
    r["possible"] = len(possible)
    return r


def main(names: list[str]) -> None:
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
        "runtime.evaluator (first = the first call, which includes any JIT compile); pgmpy = "
        "VariableElimination in this process, one row at a time: `query([X], evidence=e)` for "
        "every unobserved X for all marginals (all at once it contracts their joint table), `map_query(variables=Q, evidence=e)` for "
        "MMAP.  MPE has no pgmpy column: its map_query over every variable tabulates the "
        "joint (out of memory here).  ratio = pgmpy / ours.  agree = rows where pgmpy's MMAP "
        "assignment is ours, out of the rows whose evidence has non-zero probability (where "
        "it is zero every assignment ties at 0).\n\n"
        "| network | vars | Q | compile s | |C| | marginals ms (first) | pgmpy ms | ratio | "
        "MPE ms (first) | MMAP ms (first) | pgmpy ms | ratio | agree |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    body = "".join(
        f"| {r['name']} | {r['vars']} | {', '.join(r['Q'])} | {r['compile']:.2f} | {r['size']} | "
        f"{_ms(r['marg'])} ({_ms(r['marg_first'])}) | {_ms(r['marg_ve'])} | "
        f"{r['marg_ve'] / r['marg']:.0f} | {_ms(r['mpe'])} ({_ms(r['mpe_first'])}) | "
        f"{_ms(r['mmap'])} ({_ms(r['mmap_first'])}) | {_ms(r['mmap_ve'])} | "
        f"{r['mmap_ve'] / r['mmap']:.0f} | {r['agree']}/{r['possible']} |\n" for r in rows)
    return head + body


if __name__ == "__main__":
    main(sys.argv[1:] or NETWORKS)
