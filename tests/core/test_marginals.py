"""All marginals from one backward pass (atlasc.runtime.backward, ops.marginals) against brute force and
against one aggregation + evaluation per variable: random smooth, decomposable circuits (not
necessarily deterministic, zeros included), non-smooth ones (smoothed first), and random
Bayesian networks compiled through SDDs, all with random evidence."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler import ops
from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.compiler.sources.model import CPT, BayesNet
from atlasc.compiler.sources.networks import compile_model
from atlasc.runtime import brute
from atlasc.runtime.evaluator import evaluate, marginals
from tests.core.gen import E3, VARS, circuits

Evidence = dict[Var, int]


def brute_marginal(c: Circuit, X: Var, ev: Evidence) -> np.ndarray:
    """sum over every variable but X of the circuit's table, masked by the evidence off X."""
    t = brute.table_of(c, c.vars)
    vals = t.values
    for axis, v in enumerate(t.vars):
        if v != X and v in ev:
            mask = np.zeros(v.size)
            mask[ev[v]] = 1.0
            shape = [1] * vals.ndim
            shape[axis] = v.size
            vals = vals * mask.reshape(shape)
    keep = t.vars.index(X)
    return vals.sum(axis=tuple(i for i in range(vals.ndim) if i != keep))


def per_variable(c: Circuit, X: Var, ev: Evidence) -> np.ndarray:
    """One aggregation and one evaluation per variable: the slow way."""
    m = ops.aggregate(c, c.vars - {X})
    rest = {v: x for v, x in ev.items() if v != X}
    res = evaluate(m, evidence=[rest] * X.size, assignment=[{X: x} for x in range(X.size)])
    return np.array(res.values, dtype=float)


@st.composite
def evidence_rows(draw, vs: tuple[Var, ...], n: int = 3) -> list[Evidence]:
    rows = []
    for _ in range(n):
        seen = draw(st.sets(st.sampled_from(sorted(vs))))
        rows.append({v: draw(st.integers(0, v.size - 1)) for v in seen})
    return rows


def check(c: Circuit, rows: list[Evidence]) -> None:
    vs = sorted(c.vars)
    got = marginals(ops.marginals(c, vs), rows, vs)
    for X in vs:
        assert got[X].shape == (len(rows), X.size)
        for b, ev in enumerate(rows):
            np.testing.assert_allclose(got[X][b], brute_marginal(c, X, ev), rtol=1e-9,
                                       atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_circuits_match_brute_force(data) -> None:
    vs = VARS[:3] + (E3,)
    c = data.draw(circuits(PROB, vars=vs))
    check(c, data.draw(evidence_rows(vs)))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_non_smooth_circuits_are_smoothed_first(data) -> None:
    c = data.draw(circuits(PROB, gaps=True, mix=True))
    check(c, data.draw(evidence_rows(VARS)))


@st.composite
def bayes_nets(draw) -> BayesNet:
    """A random network over 5 variables (one ternary) with random parents, zeros included."""
    vs = (Var("V0"), Var("V1", ("a", "b", "c")), Var("V2"), Var("V3"), Var("V4"))
    cpts = []
    for i, v in enumerate(vs):
        parents = tuple(p for p in vs[:i] if draw(st.booleans()))
        shape = tuple(p.size for p in parents) + (v.size,)
        raw = np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 1.0, 3.0]),
                                     min_size=int(np.prod(shape)),
                                     max_size=int(np.prod(shape))))).reshape(shape) + 1e-9
        cpts.append(CPT(v, parents, raw / raw.sum(axis=-1, keepdims=True)))
    return BayesNet(vs, tuple(cpts))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_networks_match_brute_force_and_per_variable(data) -> None:
    bn = data.draw(bayes_nets())
    c = compile_model(bn)
    rows = data.draw(evidence_rows(bn.variables))
    vs = list(bn.variables)
    got = marginals(ops.marginals(c, vs), rows, vs)
    for X, (b, ev) in itertools.product(vs, enumerate(rows)):
        want = brute_marginal(c, X, ev)
        np.testing.assert_allclose(got[X][b], want, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[X][b], per_variable(c, X, ev), rtol=1e-9, atol=1e-12)
        joint = _joint(bn, X, ev)
        np.testing.assert_allclose(got[X][b], joint, rtol=1e-7, atol=1e-12)


def _joint(bn: BayesNet, X: Var, ev: Evidence) -> np.ndarray:
    """P(X = x, e without X) by enumerating the network's joint (not the circuit)."""
    out = np.zeros(X.size)
    vs = bn.variables
    for vals in itertools.product(*(range(v.size) for v in vs)):
        a = dict(zip(vs, vals))
        if all(a[v] == x for v, x in ev.items() if v != X):
            out[a[X]] += np.prod([c.table[tuple(a[p] for p in c.family)] for c in bn.cpts])
    return out


def test_observed_variable_gets_its_retraction() -> None:
    """With X observed, X's table is P(X = x, e without X); its entry at the value is P(e)."""
    b = Builder()
    A, B = Var("A"), Var("B")
    joint = {(0, 0): .30, (0, 1): .25, (1, 0): .40, (1, 1): .05}
    kids = [b.prod([b.input(A, [1.0 if i == a else 0.0 for i in range(2)], PROB),
                    b.input(B, [joint[a, 0], joint[a, 1]], PROB)]) for a in range(2)]
    c = ops.marginals(ops.model(Circuit(b.sum(kids), b), "p"), [A, B])
    got = marginals(c, [{A: 1}, {A: 1, B: 0}], [A, B])
    np.testing.assert_allclose(got[A][0], [.55, .45])
    np.testing.assert_allclose(got[B][0], [.40, .05])
    np.testing.assert_allclose(got[A][1], [.30, .40])
    np.testing.assert_allclose(got[B][1], [.40, .05])


def test_non_decomposable_is_refused_with_a_witness() -> None:
    b = Builder()
    A = Var("A")
    c = ops.model(Circuit(b.prod([b.input(A, [0.5, 0.5], PROB), b.input(A, [0.2, 0.8], PROB)]),
                          b), "bad")
    with pytest.raises(StructuralPropertyError) as e:
        ops.marginals(c, [A])
    assert "decomposable" in e.value.prop and e.value.violation is not None


def test_report_names_the_conditions_and_one_pass() -> None:
    b = Builder()
    A = Var("A")
    c = ops.marginals(ops.model(Circuit(b.input(A, [0.5, 0.5], PROB), b), "p"), [A])
    text = c.step.render()
    assert "smooth and decomposable" in text and "one upward and one downward pass" in text
    assert "3.1" in text
