"""The worked examples of docs/atlas.md section 5, with their numbers, by composition."""
from __future__ import annotations

import pytest

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings import builtin as M
from atlasc.compiler.ops import aggregate, apply_mapping, condition, model, multiply, rename
from atlasc.compiler.semirings import BOOL, COUNT, COUNT2, MAXPROD, PROB
from atlasc.runtime import brute
from atlasc.runtime.reference import evaluate
from atlasc.compiler.properties.establish import establish
from tests.core.nets import cpt, decision_tree, or_not_deterministic

A, B, X, Y, Z, Q = (Var(n) for n in "ABXYZQ")


def value(c: Circuit, **assign: int) -> float:
    rows = [{v: assign[v.name] for v in c.vars}]
    return evaluate(c, assignment=rows).values[0]


def test_5_1_non_smooth_aggregation():
    b = Builder()
    half = lambda sr, v: b.input(v, [0.5, 0.5], sr)  # noqa: E731
    c = model(Circuit(b.sum([half(PROB, A), b.prod([half(PROB, A), half(PROB, B)])]), b), "C")
    out = aggregate(c, [B])
    assert value(out, A=0) == pytest.approx(1.5) and value(out, A=1) == pytest.approx(1.5)
    assert any("smoothed first" in n for n in out.step.notes)
    cm = model(Circuit(b.sum([half(MAXPROD, A), b.prod([half(MAXPROD, A), half(MAXPROD, B)])]),
                       b), "M")
    outm = aggregate(cm, [B])
    assert value(outm, A=0) == pytest.approx(0.5)
    assert "idempotent" in outm.step.condition


def test_5_2_sharp_sat_needs_determinism():
    b = Builder()
    phi = or_not_deterministic(b, A, B)
    with pytest.raises(StructuralPropertyError) as e:
        apply_mapping(phi, M.indicator(COUNT))
    assert "deterministic" in e.value.prop and e.value.violation is not None
    # the naive evaluation (indicator on every leaf, + and x in N) gives 4; the count is 3
    assert brute.aggregate(brute.apply(brute.table_of(phi), M.indicator(COUNT)),
                           [A, B]).at({}) == 3
    det = model(Circuit(b.sum([b.prod([b.indicator(A, 1, BOOL), b.input(B, [True, True], BOOL)]),
                               b.prod([b.indicator(A, 0, BOOL), b.indicator(B, 1, BOOL)])]), b),
                "phi_det")
    out = aggregate(apply_mapping(det, M.indicator(COUNT)), [A, B])
    assert evaluate(out).values == [3]


def _joint_ab() -> dict[tuple[int, int], float]:
    return {(0, 0): .30, (0, 1): .25, (1, 0): .40, (1, 1): .05}


def _ab_circuit(b: Builder, first: Var) -> Circuit:
    p = _joint_ab()
    second = B if first is A else A
    kids = []
    for x in (0, 1):
        w = [p[(x, y)] if first is A else p[(y, x)] for y in (0, 1)]
        kids.append(b.prod([b.indicator(first, x, PROB), b.input(second, w, PROB)]))
    return model(Circuit(b.sum(kids), b), f"split_{first.name}")


def test_5_3_mmap_versus_mpe():
    b = Builder()
    qdet = _ab_circuit(b, A)
    mmap = aggregate(apply_mapping(aggregate(qdet, [B]), M.identity(PROB, MAXPROD)), [A])
    res = evaluate(mmap, argmax=True)
    assert res.values[0] == pytest.approx(0.55) and res.argmax == [{A: 0}]
    mpe = aggregate(apply_mapping(qdet, M.identity(PROB, MAXPROD)), [A, B])
    res = evaluate(mpe, argmax=True)
    assert res.values[0] == pytest.approx(0.40) and res.argmax == [{A: 1, B: 0}]
    bfirst = _ab_circuit(b, B)
    with pytest.raises(StructuralPropertyError) as e:
        apply_mapping(aggregate(bfirst, [B]), M.identity(PROB, MAXPROD))
    assert "{A}-deterministic" in e.value.prop
    assert "A=" in e.value.violation.describe()


def test_5_4_two_amc_counterexample():
    """phi = (x & y) | (x & ~y) is deterministic but not X-deterministic: rejected; the
    X-deterministic equivalent x & (y | ~y) gives the true 0.54 (the bottom-up rule: 0.42)."""
    b = Builder()
    x, y = A, B
    lit = lambda v, val: b.indicator(v, val, BOOL)  # noqa: E731
    bad = model(Circuit(b.sum([b.prod([lit(x, 1), lit(y, 1)]), b.prod([lit(x, 1), lit(y, 0)])]),
                        b), "phi")
    good = model(Circuit(b.prod([lit(x, 1), b.sum([lit(y, 1), lit(y, 0)])]), b), "phi_x")

    def two_amc(phi: Circuit) -> float:
        wy = model(Circuit(b.input(y, [0.2, 0.7], PROB), b), "wy")
        wx = model(Circuit(b.input(x, [0.4, 0.6], MAXPROD), b), "wx")
        inner = aggregate(multiply(apply_mapping(phi, M.indicator(PROB)), wy), [y])
        outer = multiply(apply_mapping(inner, M.identity(PROB, MAXPROD)), wx)
        return evaluate(aggregate(outer, [x])).values[0]

    assert two_amc(good) == pytest.approx(0.54)
    with pytest.raises(StructuralPropertyError) as e:
        two_amc(bad)
    assert "deterministic" in e.value.prop


def _pasp(b: Builder) -> tuple[Circuit, Var, Var, Var]:
    a, bb, c = Var("a"), Var("b"), Var("c")
    lit = lambda v, val: b.indicator(v, val, BOOL)  # noqa: E731
    on = b.prod([lit(a, 1), b.sum([b.prod([lit(bb, 1), lit(c, 0)]),
                                   b.prod([lit(bb, 0), lit(c, 1)])])])
    off = b.prod([lit(a, 0), lit(bb, 0), lit(c, 0)])
    return model(Circuit(b.sum([on, off]), b), "phi"), a, bb, c


def test_5_5_pasp_maxent_and_credal():
    b = Builder()
    phi, a, bq, c = _pasp(b)
    lam = model(Circuit(b.input(bq, [(0, 1), (1, 1)], COUNT2), b), "lambda_q")
    omega = model(Circuit(b.input(a, [0.7, 0.3], PROB), b), "omega")
    inner = aggregate(multiply(lam, apply_mapping(phi, M.indicator(COUNT2))), [bq, c])
    assert [value(inner, a=v) for v in (0, 1)] == [(0, 1), (1, 2)]

    def outer(tau):
        return evaluate(aggregate(multiply(omega, apply_mapping(inner, tau)), [a])).values[0]
    assert outer(M.maxent()) == pytest.approx(0.15)
    assert outer(M.credal_lower()) == pytest.approx(0.0)
    assert outer(M.credal_upper()) == pytest.approx(0.3)

    def upper_bool(q_value: int) -> float:
        sat = aggregate(condition(phi, {bq: q_value}), [bq, c])
        return evaluate(aggregate(multiply(omega, apply_mapping(sat, M.indicator(PROB))),
                                  [a])).values[0]
    consistent = evaluate(aggregate(multiply(omega, apply_mapping(aggregate(phi, [bq, c]),
                                                                  M.indicator(PROB))),
                                    [a])).values[0]
    assert upper_bool(1) == pytest.approx(0.3)
    assert consistent - upper_bool(0) == pytest.approx(0.0)


def _backdoor_model(b: Builder) -> Circuit:
    p = cpt({"Z": lambda ctx: 0.4,
             "X": lambda ctx: [0.2, 0.7][ctx[Z]],
             "Y": lambda ctx: {(0, 0): .1, (1, 0): .5, (0, 1): .3, (1, 1): .8}[(ctx[X], ctx[Z])]})
    return decision_tree(b, [Z, X, Y], p, "p")


def test_5_6_backdoor():
    b = Builder()
    p = _backdoor_model(b)
    # ATLAS counts |C| = 26 with parameters as separate constants; ours folds them into leaves
    from atlasc.compiler.ir.facts import xdet
    assert establish(p, xdet({Z})).holds and establish(p, xdet({X, Z})).holds
    pz = aggregate(p, [X, Y])
    r = apply_mapping(aggregate(p, [Y]), M.recip())
    do = aggregate(multiply(p, pz, r), [Z])
    assert "support-compatible" in do.step.inputs[0].condition
    assert value(do, X=1, Y=1) == pytest.approx(0.62)
    assert value(do, X=0, Y=1) == pytest.approx(0.18)
    obs = aggregate(p, [Z])
    assert value(obs, X=1, Y=1) / sum(value(obs, X=1, Y=y) for y in (0, 1)) == \
        pytest.approx(0.71, abs=5e-3)


def test_5_7_frontdoor():
    b = Builder()
    p = decision_tree(b, [X, Z, Y], cpt({
        "X": lambda ctx: 0.5, "Z": lambda ctx: [0.2, 0.9][ctx[X]],
        "Y": lambda ctx: {(0, 0): .3, (0, 1): .6, (1, 0): .4, (1, 1): .8}[(ctx[X], ctx[Z])]}),
        "p")
    g = multiply(aggregate(p, [Y]), apply_mapping(aggregate(p, [Y, Z]), M.recip()))
    Xp = Var("X'")
    q = rename(p, {X: Xp})
    f = aggregate(multiply(aggregate(q, [Y, Z]), q, apply_mapping(aggregate(q, [Y]), M.recip())),
                  [Xp])
    do = aggregate(multiply(g, f), [Z])
    assert "compatible" in do.step.inputs[0].condition
    assert value(do, X=1, Y=1) == pytest.approx(0.665)
    assert value(do, X=0, Y=1) == pytest.approx(0.42)
