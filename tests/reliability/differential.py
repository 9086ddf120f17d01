"""The differential campaign (issue 18 item 7, `make differential`): N cases per semiring, each
evaluated by every evaluator that applies and compared with brute-force enumeration.

    python -m tests.reliability.differential --cases 10000 --resume

Two levels, counted per semiring (half of the cases each where the language has queries in
the semiring: prob, maxprod, log, maxlog, minsum, count, bool; the pair and dual semirings
are circuits only):
  circuit  random circuits of every semiring (tests/core/gen.py), each with one query of every
           class: the source, aggregation over a random W with runtime evidence,
           conditioning, a product with a second circuit on the same vtree, a mapping after
           aggregation; evaluated by the LLVM evaluator by rows and by columns and by the
           numpy reference, against runtime.brute's tables.  Drawn by hypothesis, seeded by
           the number of cases made before the chunk.
  program  random programs (tests/reliability/programs.py): networks, formulas with weights,
           weighted and plain DIMACS files; probability of evidence, WMC, counts, SAT,
           marginals, conditionals, MPE and MMAP with their assignments, 2AMC, log, max-log
           and min-sum forms; through Query.run, Query.run_array, the numpy reference, the
           elimination route and the flat-array route, against enumeration written in the
           test.  Case i of semiring s is random.Random(f"{seed}:{s}:{i}").
The counts are written after every chunk (--out); --resume continues.  A disagreement is kept
with its replay command (`--replay program:prob:123`; `--replay circuit:prob:500:50`: that
chunk again, with hypothesis's shrinking, printing the smallest failing example).
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
def _queries(sr: Any, data: Any) -> list[tuple[str, Any, Any, dict[Any, int]]]:
    """(class, circuit, brute-force table, evidence) of one query of every class on one random
    circuit (its brute-force table made once)."""
    b = Builder()
    c = data.draw(circuits(sr, vtree=shared_vtree(), b=b))
    table = brute.table_of(c)
    return [one(sr, data, b, c, table) for one in (_source, _aggregate, _condition, _product,
                                                   _mapping)]


def _evidence(data: Any) -> dict[Any, int]:
    return {v: data.draw(st.integers(0, v.size - 1))
            for v in data.draw(st.sets(st.sampled_from(VARS)))}


def _source(sr: Any, data: Any, b: Any, c: Any, table: Any) -> tuple[str, Any, Any, Any]:
    return "source", c, table, {}


def _aggregate(sr: Any, data: Any, b: Any, c: Any, table: Any) -> tuple[str, Any, Any, Any]:
    """Aggregation over a random W, with runtime evidence."""
    ev = _evidence(data)
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS), min_size=1)))
    return "aggregate", aggregate(c, W), brute.aggregate(brute.condition(table, ev), W), ev


def _condition(sr: Any, data: Any, b: Any, c: Any, table: Any) -> tuple[str, Any, Any, Any]:
    ev = _evidence(data)
    return "condition", condition(c, ev), brute.condition(table, ev), {}


def _product(sr: Any, data: Any, b: Any, c: Any, table: Any) -> tuple[str, Any, Any, Any]:
    """A product with a second circuit on the same vtree."""
    d = data.draw(circuits(sr, vtree=shared_vtree(), b=b, mix=False))
    try:
        return "product", multiply(c, d), brute.multiply(table, brute.table_of(d)), {}
    except StructuralPropertyError:
        return "refused", c, table, {}


def _mapping(sr: Any, data: Any, b: Any, c: Any, table: Any) -> tuple[str, Any, Any, Any]:
    """A mapping after aggregation over a random W (the source where sr has none)."""
    taus = _mappings_from(sr)
    if not taus:
        return "refused", c, table, {}
    tau = data.draw(st.sampled_from(taus))
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
    try:
        out = apply_mapping(aggregate(c, W), tau)
    except StructuralPropertyError:
        return "refused", c, table, {}
    return "mapping", out, brute.apply(brute.aggregate(table, W), tau), {}


def _rows(out: Any, want: Any, ev: dict[Any, int]) -> list[dict[Any, int]]:
    free_ev = {v: x for v, x in ev.items() if v in out.vars}
    return [a for a, _ in want.items() if all(a[v] == x for v, x in free_ev.items())]


def _columns(out: Any, rows: list[dict[Any, int]], ev: dict[Any, int]) -> Any:
    """The same rows through the column entry point (one int array per variable)."""
    n = len(rows)
    asg = {v: np.asarray([a[v] for a in rows], dtype=np.int64) for v in out.vars}
    evc = {v: np.full(n, x, dtype=np.int64) for v, x in ev.items() if v not in out.vars}
    return llvm.evaluate_columns(out, evc, asg, n)


def circuit_case(sr: Any, data: Any) -> list[str]:
    """One circuit with a query of every class: the classes (a refusal is "refused");
    AssertionError naming the evaluator that differs."""
    out = []
    for kind, c, want, ev in _queries(sr, data):
        if kind != "refused":
            _check_circuit(kind, c, want, ev)
        out.append(kind)
    return out


def _check_circuit(kind: str, out: Any, want: Any, ev: dict[Any, int]) -> None:
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


def circuit_chunk(sr: Any, chunk: int, n: int, shrink: bool = False) -> dict[str, int]:
    """n hypothesis examples of semiring sr under the seed `chunk` (a circuit and a query of
    every class each): counts by class."""
    counts: dict[str, int] = {}
    phases = [Phase.generate] + ([Phase.shrink] if shrink else [])

    @seed(chunk * 7919 + sum(map(ord, sr.name)))
    @settings(max_examples=n, deadline=None, database=None, phases=phases,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data: Any) -> None:
        for kind in circuit_case(sr, data):
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


def _circuit(name: str, start: int, n: int, failures: list[dict[str, Any]]) -> dict[str, int]:
    """n circuits (5 n queries) under the seed `start` (the cases made so far)."""
    try:
        return circuit_chunk(_semiring(name), start, n)
    except Exception as e:                    # noqa: BLE001 - hypothesis's failing example
        failures.append({"level": "circuit", "semiring": name, "seed": start,
                         "error": f"{type(e).__name__}: {str(e)[:1500]}",
                         "replay": f"--replay circuit:{name}:{start}:{n}"})
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
    """The cases compared (not the certified refusals, nor a chunk's rest after a failure)."""
    return sum(n for k, n in level.get(name, {}).items() if k not in ("not run", "refused"))


def target(level: str, name: str, cases: int) -> int:
    """Half of a semiring's cases are programs where the language has queries in it."""
    if name not in PROGRAM_SEMIRINGS:
        return cases if level == "circuit" else 0
    return cases // 2 if level == "program" else cases - cases // 2


def _next(data: dict[str, Any], names: list[str], cases: int) -> tuple[str, str, int] | None:
    """The level and semiring furthest behind its target."""
    todo = [(_done(data["levels"][lv], s) / max(1, target(lv, s, cases)), lv, s)
            for s in names for lv in ("circuit", "program")
            if _done(data["levels"][lv], s) < target(lv, s, cases)]
    if not todo:
        return None
    _, lv, s = min(todo)
    return lv, s, target(lv, s, cases) - _done(data["levels"][lv], s)


def _step(data: dict[str, Any], level: str, name: str, left: int) -> None:
    into = data["levels"][level].setdefault(name, {})
    start = data["next"][level].get(name, 0)
    if level == "circuit":
        n = max(1, min(CHUNK, left) // len(CLASSES))
        got = _circuit(name, start, n, data["failures"])
        if "disagree" in got:
            got["not run"] = n * len(CLASSES) - 1
    else:
        n = min(CHUNK, left)
        got = program_chunk(name, start, start + n, data["seed"], data["failures"])
    _add(into, got)
    data["next"][level][name] = start + sum(got.values())


def _write(data: dict[str, Any], out: str) -> None:
    data["cases"] = {s: {lv: _done(data["levels"][lv], s) for lv in data["levels"]}
                     for s in sorted({s for lv in data["levels"].values() for s in lv})}
    data["disagreements"] = len(data["failures"])
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, out)


def merge(files: list[str], out: str) -> dict[str, Any]:
    """One results file from campaigns run side by side on disjoint semirings (--semiring)."""
    parts = [json.load(open(f)) for f in files]
    data = {"seed": parts[0]["seed"], "planned_per_semiring": parts[0]["planned_per_semiring"],
            "levels": {"circuit": {}, "program": {}}, "next": {"circuit": {}, "program": {}},
            "failures": [f for p in parts for f in p["failures"]],
            "seconds": round(sum(p["seconds"] for p in parts), 1)}
    for p in parts:
        for key in ("levels", "next"):
            for lv, by in p[key].items():
                data[key][lv].update(by)
    _write(data, out)
    return data


def replay(spec: str, run_seed: int = 1) -> int:
    level, sr, i, *n = spec.split(":")
    try:
        if level == "program":
            print(program_case(random.Random(f"{run_seed}:{sr}:{i}"), sr))
        else:
            print(circuit_chunk(_semiring(sr), int(i), int(n[0]), shrink=True))
    except Exception:                         # noqa: BLE001 - shown, as the replay's answer
        traceback.print_exc()
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="cases per semiring")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--semiring", action="append", help="only these (repeatable)")
    ap.add_argument("--replay", default=None, metavar="LEVEL:SEMIRING:I")
    ap.add_argument("--merge", nargs="+", metavar="FILE", help="merge these into --out")
    a = ap.parse_args(argv)
    if a.merge:
        merge(a.merge, a.out)
        return 0
    if a.replay:
        return replay(a.replay, a.seed)
    res = campaign(a.cases, a.out, a.resume, a.seed, a.semiring)
    print(json.dumps({k: res[k] for k in ("cases", "disagreements", "seconds")}, indent=1))
    return 0 if not res["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
