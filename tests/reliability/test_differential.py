"""Differential suite (make test-all): on random circuits of every semiring, every query class
(the source, aggregation over a random W with runtime evidence, conditioning, a product of two
circuits on one vtree, a mapping after aggregation, maximisation with its argmax) is
evaluated by every evaluator (the LLVM one, by rows and by columns; the numpy reference) and
compared with brute-force enumeration.  DIFF_CASES examples per semiring (default 10,000);
the counts go to bench/differential-results.json.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ops import aggregate, apply_mapping, condition, multiply
from atlasc.runtime import brute
from atlasc.runtime import evaluator as llvm
from atlasc.runtime import reference
from tests.core.gen import ALL, VARS, circuits, shared_vtree
from tests.core.test_operators_brute import _mappings_from

CASES = int(os.environ.get("DIFF_CASES", "10000"))
COUNTS: Counter = Counter()
CLASSES = ("source", "aggregate", "condition", "product", "mapping")


def _query(sr, data):
    """(circuit, brute-force table, evidence) of one random query of a random class."""
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


def _rows(out, want, ev):
    free_ev = {v: x for v, x in ev.items() if v in out.vars}
    return [a for a, _ in want.items() if all(a[v] == x for v, x in free_ev.items())]


def _columns(out, rows, ev):
    """The same rows through the column entry point (one int array per variable)."""
    n = len(rows)
    asg = {v: np.asarray([a[v] for a in rows], dtype=np.int64) for v in out.vars}
    evc = {v: np.full(n, x, dtype=np.int64) for v, x in ev.items() if v not in out.vars}
    return llvm.evaluate_columns(out, evc, asg, n)


@pytest.mark.slow
@pytest.mark.parametrize("sr", ALL, ids=[s.name for s in ALL])
def test_evaluators_agree_with_brute_force(sr):
    @settings(max_examples=CASES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data):
        kind, out, want, ev = _query(sr, data)
        rows = _rows(out, want, ev) or [{}]
        expect = [want.at(a) if a or not want.vars else want.at({}) for a in rows]
        got = llvm.evaluate(out, assignment=rows, evidence=[ev]).values
        ref = reference.evaluate(out, assignment=rows, evidence=[ev]).values
        cols = _columns(out, rows, ev)
        osr = out.sr                          # a mapping changes the semiring
        for g, r, e, k in zip(got, ref, expect, range(len(rows))):
            col = osr.to_py(np.asarray(cols.raw[k]))
            for name, x in (("llvm", g), ("reference", r), ("columns", col)):
                if not osr.close(x, e, rel=1e-7, abs_=1e-9):
                    COUNTS[(sr.name, "disagree")] += 1
                    raise AssertionError((kind, name, rows[k], x, e))
        COUNTS[(sr.name, kind)] += 1
    one()
    _write()


def _write() -> None:
    out = Path(__file__).resolve().parents[2] / "bench" / "differential-results.json"
    data = {}
    for (sr, kind), n in sorted(COUNTS.items()):
        data.setdefault(sr, {})[kind] = n
    out.write_text(json.dumps({"cases_per_semiring": CASES, "counts": data}, indent=1) + "\n")
