"""The differential campaign (issue 18 item 7, `make differential`): N cases per semiring, each
evaluated by every evaluator that applies and compared with brute-force enumeration.

    python -m tests.reliability.differential --cases 10000 --resume

Two levels, both counted per semiring:
  circuit  random circuits of every semiring (tests/core/gen.py), one query class at a time:
           the source, aggregation over a random W with runtime evidence, conditioning, a
           product of two circuits on one vtree, a mapping after aggregation; evaluated by the
           LLVM evaluator by rows and by columns and by the numpy reference, against
           runtime.brute's tables.  Drawn by hypothesis, CHUNK examples per seed.
  program  random programs (tests/reliability/programs.py): networks, formulas with weights,
           weighted and plain DIMACS files; probability of evidence, WMC, counts, SAT,
           marginals, conditionals, MPE and MMAP with their assignments, 2AMC, log, max-log
           and min-sum forms; through Query.run, Query.run_array, the numpy reference, the
           elimination route and the flat-array route, against enumeration written in the
           test.  Case i of semiring s is random.Random(f"{seed}:{s}:{i}").
The counts are written after every chunk (--out); --resume continues.  A disagreement is kept
with its replay command (`--replay program:prob:123`, `--replay circuit:prob:4`: the chunk
again, with hypothesis's shrinking, printing the smallest failing example).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import atlasc  # noqa: F401  (installs the LLVM evaluator behind the seam)
from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ops import aggregate, apply_mapping, condition, multiply
from atlasc.runtime import brute
from atlasc.runtime import evaluator as llvm
from atlasc.runtime import reference
from tests.core.gen import ALL, VARS, circuits, shared_vtree
from tests.core.test_operators_brute import _mappings_from
from tests.reliability.programs import SEMIRINGS as PROGRAM_SEMIRINGS
from tests.reliability.programs import program_case

CHUNK = 250
CLASSES = ("source", "aggregate", "condition", "product", "mapping")
OUT = "bench/differential-results.json"


# ---- the circuit level ------------------------------------------------------------------
def _query(sr: Any, data: Any) -> tuple[str, Any, Any, dict[Any, int]]:
    """(class, circuit, brute-force table, evidence) of one random query of a random class."""
    kind = data.draw(st.sampled_from(CLASSES))
    b = Builder()
    c = data.draw(circuits(sr, vtree=shared_vtree(), b=b))
    table = brute.table_of(c)
    ev = {v: data.draw(st.integers(0, v.size - 1))
          for v in data.draw(st.sets(st.sampled_from(VARS)))}
    if kind == "aggregate":
        W = frozenset(data.draw(st.sets(st.sampled_from(VARS), min_size=1)))
        return kind, aggregate(c, W), brute.aggregate(brute.condition(table, ev), W), ev
    if kind == "condition":
        return kind, condition(c, ev), brute.condition(table, ev), {}
    if kind == "product":
        d = data.draw(circuits(sr, vtree=shared_vtree(), b=b, mix=False))
        try:
            return kind, multiply(c, d), brute.multiply(table, brute.table_of(d)), {}
        except StructuralPropertyError:
            return "refused", c, table, {}
    taus = _mappings_from(sr)
    if kind == "mapping" and taus:
        tau = data.draw(st.sampled_from(taus))
        W = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
        try:
            out = apply_mapping(aggregate(c, W), tau)
        except StructuralPropertyError:
            return "refused", c, table, {}
        return kind, out, brute.apply(brute.aggregate(table, W), tau), {}
    return "source", c, table, {}


def _rows(out: Any, want: Any, ev: dict[Any, int]) -> list[dict[Any, int]]:
    free_ev = {v: x for v, x in ev.items() if v in out.vars}
    return [a for a, _ in want.items() if all(a[v] == x for v, x in free_ev.items())]


def _columns(out: Any, rows: list[dict[Any, int]], ev: dict[Any, int]) -> Any:
    """The same rows through the column entry point (one int array per variable)."""
    n = len(rows)
    asg = {v: np.asarray([a[v] for a in rows], dtype=np.int64) for v in out.vars}
    evc = {v: np.full(n, x, dtype=np.int64) for v, x in ev.items() if v not in out.vars}
    return llvm.evaluate_columns(out, evc, asg, n)


def circuit_case(sr: Any, data: Any) -> str:
    """One circuit-level case: its class; AssertionError naming the evaluator that differs."""
    kind, out, want, ev = _query(sr, data)
    rows = _rows(out, want, ev) or [{}]
    expect = [want.at(a) if a or not want.vars else want.at({}) for a in rows]
    got = llvm.evaluate(out, assignment=rows, evidence=[ev]).values
    ref = reference.evaluate(out, assignment=rows, evidence=[ev]).values
    cols = _columns(out, rows, ev)
    osr = out.sr                          # a mapping changes the semiring
    for k, (g, r, e) in enumerate(zip(got, ref, expect)):
        col = osr.to_py(np.asarray(cols.raw[k]))
        for name, x in (("llvm", g), ("reference", r), ("columns", col)):
            if not osr.close(x, e, rel=1e-7, abs_=1e-9):
                raise AssertionError((kind, name, rows[k], x, e))
    return kind


def circuit_chunk(sr: Any, chunk: int, n: int, shrink: bool = False) -> dict[str, int]:
    """n hypothesis examples of semiring sr under the seed of `chunk`: counts by class."""
    counts: dict[str, int] = {}
    phases = [Phase.generate] + ([Phase.shrink] if shrink else [])

    @seed(chunk * 7919 + sum(map(ord, sr.name)))
    @settings(max_examples=n, deadline=None, database=None, phases=phases,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data: Any) -> None:
        kind = circuit_case(sr, data)
        counts[kind] = counts.get(kind, 0) + 1
    one()
    return counts


# ---- the campaign -----------------------------------------------------------------------
def _semiring(name: str) -> Any:
    return next(s for s in ALL if s.name == name)


def program_chunk(sr: str, start: int, stop: int, run_seed: int,
                  failures: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(start, stop):
        try:
            _, cls = program_case(random.Random(f"{run_seed}:{sr}:{i}"), sr)
        except Exception as e:                # noqa: BLE001 - a disagreement or a crash: kept
            failures.append({"level": "program", "semiring": sr, "index": i,
                             "error": f"{type(e).__name__}: {str(e)[:1500]}",
                             "replay": f"--replay program:{sr}:{i}"})
            cls = "disagree"
        counts[cls] = counts.get(cls, 0) + 1
    return counts


def _circuit(name: str, chunk: int, n: int, failures: list[dict[str, Any]]) -> dict[str, int]:
    try:
        return circuit_chunk(_semiring(name), chunk, n)
    except Exception as e:                    # noqa: BLE001 - hypothesis's failing example
        failures.append({"level": "circuit", "semiring": name, "chunk": chunk,
                         "error": f"{type(e).__name__}: {str(e)[:1500]}",
                         "replay": f"--replay circuit:{name}:{chunk}"})
        return {"disagree": 1}


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for k, v in counts.items():
        into[k] = into.get(k, 0) + v


def campaign(cases: int, out: str, resume: bool, run_seed: int = 1,
             semirings: list[str] | None = None) -> dict[str, Any]:
    data = json.load(open(out)) if resume and os.path.exists(out) else {}
    if data.get("seed", run_seed) != run_seed or "levels" not in data:
        data = {}
    data.update({"seed": run_seed, "planned_per_semiring": cases})
    data.setdefault("levels", {"circuit": {}, "program": {}})
    data.setdefault("next", {"circuit": {}, "program": {}})
    data.setdefault("failures", [])
    data.setdefault("seconds", 0.0)
    names = semirings or [s.name for s in ALL]
    while True:
        todo = _next(data, names, cases)
        if todo is None:
            return data
        t0 = time.process_time()
        _step(data, *todo)
        data["seconds"] = round(data["seconds"] + time.process_time() - t0, 1)
        _write(data, out)


def _done(level: dict[str, Any], name: str) -> int:
    """The cases run (a chunk that stopped at a failure counts the cases up to it)."""
    return sum(n for k, n in level.get(name, {}).items() if k != "not run")


def _next(data: dict[str, Any], names: list[str], cases: int) -> tuple[str, str, int] | None:
    """The level and semiring furthest behind."""
    todo = [(data["next"][lv].get(s, 0), lv, s) for s in names
            for lv in ("circuit", "program") if lv == "circuit" or s in PROGRAM_SEMIRINGS]
    todo = [t for t in todo if t[0] < cases]
    if not todo:
        return None
    done, lv, s = min(todo)
    return lv, s, done


def _step(data: dict[str, Any], level: str, name: str, done: int) -> None:
    n = min(CHUNK, data["planned_per_semiring"] - done)
    into = data["levels"][level].setdefault(name, {})
    if level == "circuit":
        got = _circuit(name, done // CHUNK, n, data["failures"])
        if "disagree" in got:
            got["not run"] = n - 1
        _add(into, got)
    else:
        _add(into, program_chunk(name, done, done + n, data["seed"], data["failures"]))
    data["next"][level][name] = done + n


def _write(data: dict[str, Any], out: str) -> None:
    data["cases"] = {s: {lv: _done(data["levels"][lv], s) for lv in data["levels"]}
                     for s in sorted({s for lv in data["levels"].values() for s in lv})}
    data["disagreements"] = len(data["failures"])
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, out)


def replay(spec: str, run_seed: int = 1) -> int:
    level, sr, i = spec.split(":")
    try:
        if level == "program":
            print(program_case(random.Random(f"{run_seed}:{sr}:{i}"), sr))
        else:
            print(circuit_chunk(_semiring(sr), int(i), CHUNK, shrink=True))
    except Exception:                         # noqa: BLE001 - shown, as the replay's answer
        traceback.print_exc()
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="cases per semiring and level")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--semiring", action="append", help="only these (repeatable)")
    ap.add_argument("--replay", default=None, metavar="LEVEL:SEMIRING:I")
    a = ap.parse_args(argv)
    if a.replay:
        return replay(a.replay, a.seed)
    res = campaign(a.cases, a.out, a.resume, a.seed, a.semiring)
    print(json.dumps({k: res[k] for k in ("cases", "disagreements", "seconds")}, indent=1))
    return 0 if not res["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
