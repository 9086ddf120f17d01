"""Batched elimination of a CNF (compiler/sources/cnfbatch.py, BatchStep; issue 18 item 4)
against enumeration: small random CNFs of low width with the batched path forced on (every
round taken, whatever its share), with empty clauses, unit clauses, repeated literals,
tautologies, unsatisfiable CNFs and zero weights; counts, WMC, evidence, MPE with its
argmax and marginals through compile_file, and the flat circuit's own passes."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from atlasc.compiler.ir.flat import BatchStep, FlatView
from atlasc.compiler.ir.variables import bool_var
from atlasc.compiler.sources import cnfbatch, cnfflat, formulas
from atlasc.runtime import flat
from tests.reliability.test_cnf_flat import _close, _value, check_weighted
from tests.reliability.test_free_variables import _models as free_models, _run as run_cnf, _w

N = 9


@pytest.fixture
def batched(monkeypatch):
    monkeypatch.setattr(cnfflat, "FLAT_MIN_VARS", 0)
    monkeypatch.setattr(cnfflat, "BATCH_MIN_VARS", 0)
    monkeypatch.setattr(cnfbatch, "BATCH_MIN_SHARE", 10**9)
    return monkeypatch


@st.composite
def cnfs(draw):
    lits = st.integers(1, N).flatmap(lambda v: st.sampled_from([v, -v]))
    chain = [[-i, i + 1] for i in range(1, N) if draw(st.booleans())]
    extra = draw(st.lists(st.lists(lits, max_size=4), max_size=5))
    weights = draw(st.dictionaries(st.integers(1, N),
                                   st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]), max_size=N))
    return chain + extra, weights, draw(st.integers(1, N)), draw(st.integers(0, 3))


def _models(clauses):
    return free_models(clauses, N)


def _program(tmp, clauses, weights, queries):
    return run_cnf(tmp, clauses, weights, queries, N)


def _batches(c) -> int:
    return sum(isinstance(s, BatchStep) for s in c.flat.steps) if isinstance(c, FlatView) else 0


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cnfs())
def test_batched_counts_agree_with_enumeration(tmp_path, batched, case):
    clauses, _, ev, width = case
    batched.setattr(cnfbatch, "BATCH_MAX_WIDTH", width)
    models = list(_models(clauses))
    prog = _program(tmp_path, clauses, {},
                    "query c = sum[*] map[indicator: bool -> count] m\n"
                    f"query ce = sum[*] map[indicator: bool -> count] (m | x{ev} = false)\n"
                    "query s = or[*] m\n")
    assert _value(prog, "c") == len(models) and type(_value(prog, "c")) is int
    assert _value(prog, "ce") == sum(1 for x in models if x[ev] == 0)
    assert _value(prog, "s") == bool(models)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cnfs())
def test_batched_wmc_mpe_and_marginals_agree_with_enumeration(tmp_path, batched, case):
    clauses, weights, ev, width = case
    batched.setattr(cnfbatch, "BATCH_MAX_WIDTH", width)
    models = list(_models(clauses))
    prog = _program(tmp_path, clauses, weights or {1: 0.25},
                    f"query z = sum[*] m\nquery ze = sum[*] (m | x{ev} = true)\n"
                    "query mpe = max[*] map[id: prob -> maxprod] m\n"
                    f"query marg = marginals(x{ev}, x1; m)\n")
    check_weighted(prog, models, weights or {1: 0.25}, ev, N)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cnfs(), rows=st.lists(st.dictionaries(st.integers(1, N), st.integers(0, 1)),
                                  min_size=1, max_size=3))
def test_the_batched_circuit_passes_agree_with_enumeration(batched, case, rows):
    """Upward (one row and columns of rows) and downward (every marginal) on the flat
    circuit itself, against the sums over the models."""
    clauses, weights, _, width = case
    batched.setattr(cnfbatch, "BATCH_MAX_WIDTH", width)
    vs = [bool_var(f"x{i}") for i in range(1, N + 1)]
    w = {vs[k - 1]: (1 - p, p) for k, p in weights.items()}
    c = formulas.compile_cnf_clauses([tuple(x) for x in clauses], vs, weights=w, route="flat")
    models = list(_models(clauses))
    wt = [math.prod(_w(weights, k, x[k]) for k in x) for x in models]
    if not isinstance(c, FlatView):
        assert not sum(wt)          # a structural zero (unsatisfiable): the SDD route's 0
        return
    fc = c.flat
    ev = [{vs[k - 1]: x for k, x in r.items()} for r in rows]
    for r, e in zip(rows, ev):
        assert _close(flat.value(fc, e), sum(a for a, x in zip(wt, models)
                                             if all(x[k] == r[k] for k in r)))
    ms = flat.marginals(fc, ev, vs)         # d root / d [v = x]: P(v = x, e without v)
    for j, r in enumerate(rows):
        for i, v in enumerate(vs, 1):
            for val in (0, 1):
                want = sum(a for a, x in zip(wt, models) if x[i] == val
                           and all(x[k] == r[k] for k in r if k != i))
                assert _close(ms[v][j, val], want)


def test_a_batch_holds_many_eliminations_and_the_rest_goes_one_by_one(batched):
    """A chain of 200 variables with a clique of 6 (width 5) at its end: the chain goes in
    rounds (BatchSteps), the clique's variables by min-fill steps; the count is exact."""
    batched.setattr(cnfbatch, "BATCH_MIN_SHARE", 32)
    n = 200
    vs = [bool_var(f"x{i}") for i in range(1, n + 1)]
    cls = [(-i, i + 1) for i in range(1, n)]
    cls += [(a, b) for a in range(n - 5, n + 1) for b in range(a + 1, n + 1)]
    c = formulas.compile_cnf_clauses(cls, vs, route="flat")
    steps = c.flat.steps
    assert any(isinstance(s, BatchStep) and len(s.vars) > 10 for s in steps)
    assert any(not isinstance(s, BatchStep) for s in steps)
    assert len(c.flat.info["order"]) == n and set(c.flat.info["order"]) == set(vs)
    # the chain's models: x1..xk false, the rest true; the clique allows one of its false
    count = sum(1 for k in range(n + 1) if sum(1 for a in range(n - 5, n + 1) if a <= k) <= 1)
    assert round(flat.value(c.flat)) == count


def test_constrained_variables_are_eliminated_last(batched):
    vs = [bool_var(f"x{i}") for i in range(1, 31)]
    cls = [(-i, i + 1) for i in range(1, 30)]
    X = frozenset(vs[10:13])
    c = formulas.compile_cnf_clauses(cls, vs, constrained=X, route="flat")
    order = c.flat.info["order"]
    assert frozenset(order[-3:]) == X
    assert not any(isinstance(s, BatchStep) and X & set(s.vars) for s in c.flat.steps)


def test_batched_and_sdd_routes_agree_on_a_random_cnf():
    rng = np.random.default_rng(11)
    vs = [bool_var(f"x{i}") for i in range(1, 41)]
    cls = [tuple(int(i) * int(rng.choice([-1, 1])) for i in (k, k + 1, k + int(rng.integers(1, 3))))
           for k in range(1, 38)]
    w = {v: (float(rng.random()), float(rng.random())) for v in vs}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cnfflat, "BATCH_MIN_VARS", 0)
        mp.setattr(cnfbatch, "BATCH_MIN_SHARE", 10**9)
        got = formulas.compile_cnf_clauses(cls, vs, weights=w, route="flat")
    sdd = formulas.compile_cnf_clauses(cls, vs, weights=w, route="sdd")
    assert _batches(got) and not isinstance(sdd, FlatView)
    from atlasc.compiler.ir.evaluation import evaluator
    assert _close(evaluator().evaluate(got).values[0], evaluator().evaluate(sdd).values[0])
