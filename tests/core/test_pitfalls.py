"""docs/atlas.md section 7: each pitfall as a regression test that the naive implementation fails."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings import builtin as M
from atlasc.compiler.mappings.base import MapProps, Mapping
from atlasc.compiler.ops import aggregate, apply_mapping, model, multiply
from atlasc.compiler.ir.facts import xdet
from atlasc.compiler.semirings import COUNT, GRAD, MAXPROD, PROB
from atlasc.runtime import brute
from atlasc.runtime.reference import evaluate
from atlasc.compiler.properties.establish import establish
from tests.core.nets import or_not_deterministic
from tests.core.oracle import brute_xdet

Q, H, A, B, C = (Var(n) for n in "QHABC")


def _q_first_h_mixture(b: Builder) -> Circuit:
    """Q-deterministic, not deterministic: under each Q branch, a mixture over H."""
    kids = []
    for q, (w1, w2) in enumerate([([.1, .2], [.05, .05]), ([.3, .1], [.1, .1])]):
        mix = b.sum([b.input(H, w1, PROB), b.input(H, w2, PROB)])
        kids.append(b.prod([b.indicator(Q, q, PROB), mix]))
    return model(Circuit(b.sum(kids), b), "p")


def _naive_map(c: Circuit, tau: Mapping) -> float:
    """Map every node, constants included, reading (+) in the target semiring."""
    vals: dict[int, float] = {}
    for n in c.nodes():
        if n.op in (Op.INPUT, Op.MARGIN):
            w = [tau.apply_py(x) for x in n.arg.weights]
            vals[n.uid] = max(w) if n.op is Op.MARGIN else w
        elif n.op is Op.SUM:
            vals[n.uid] = functools.reduce(np.maximum, [np.asarray(vals[ch.uid]) for ch in n.children])
        else:
            vals[n.uid] = functools.reduce(np.multiply, [np.asarray(vals[ch.uid]) for ch in n.children])
    return float(np.max(vals[c.root.uid]))


def test_p1_fold_constants_before_mapping():
    b = Builder()
    p = _q_first_h_mixture(b)
    view = aggregate(p, [H])
    tau = M.identity(PROB, MAXPROD)
    mmap = aggregate(apply_mapping(view, tau), [Q])
    t = brute.table_of(p)
    want = max(brute.aggregate(t, [H]).values)
    assert evaluate(mmap).values[0] == pytest.approx(want) == pytest.approx(0.6)
    assert _naive_map(view, tau) != pytest.approx(want)
    assert any(n.op is Op.MAP for n in mmap.nodes())


def test_p3_mapping_properties_are_checked_per_mapping():
    b = Builder()
    p = _q_first_h_mixture(b)
    threshold = Mapping("threshold", PROB, PROB, MapProps(False, False, True, False),
                        lambda a: (a >= 0.3).astype(float), (0.3,))
    const1 = Mapping("one", PROB, PROB, MapProps(False, True, False, False),
                     lambda a: np.ones_like(a))
    for tau in (threshold, const1):
        with pytest.raises(StructuralPropertyError):
            apply_mapping(aggregate(p, [H]), tau)
    for tau in (M.identity(PROB, MAXPROD), M.recip(), M.power(2), M.neglog()):
        assert not tau.props.additive and tau.props.multiplicative
    for tau in (M.log(PROB), M.support(PROB), M.neglog(MAXPROD)):
        assert tau.props.homomorphism


def test_p4_mmap_needs_q_determinism_not_determinism():
    b = Builder()
    p = _q_first_h_mixture(b)
    assert not establish(p, xdet({Q, H})).holds and establish(p, xdet({Q})).holds
    mmap = aggregate(apply_mapping(aggregate(p, [H]), M.identity(PROB, MAXPROD)), [Q])
    assert evaluate(mmap).values[0] == pytest.approx(0.6)
    with pytest.raises(StructuralPropertyError) as e:   # MPE needs full determinism
        apply_mapping(p, M.identity(PROB, MAXPROD))
    assert "{H, Q}-deterministic" in e.value.prop


def test_p6_indicator_into_idempotent_semiring_needs_no_determinism():
    b = Builder()
    phi = or_not_deterministic(b, A, B)
    with pytest.raises(StructuralPropertyError):
        apply_mapping(phi, M.indicator(COUNT))
    out = aggregate(apply_mapping(phi, M.indicator(MAXPROD)), [A, B])
    assert evaluate(out).values == [1.0]
    assert "homomorphism" in out.step.inputs[0].condition


def test_p7_p9_constant_views_are_multiplied_in_and_dropped():
    """Backdoor-shaped diagonal product where p(Z) becomes a constant below the Z split."""
    b = Builder()
    from tests.core.test_atlas_examples import X, Y, _backdoor_model
    p = _backdoor_model(b)
    prod = multiply(p, aggregate(p, [X, Y]), apply_mapping(aggregate(p, [Y]), M.recip()))
    assert prod.step.condition.startswith("support-compatible")
    t = brute.table_of(p)
    want = brute.multiply(t, brute.aggregate(t, [X, Y]),
                          brute.apply(brute.aggregate(t, [Y]), M.recip()))
    rows = [a for a, _ in want.items()]
    got = evaluate(prod, assignment=rows).values
    assert np.allclose(got, [want.at(a) for a in rows])


def test_p8_scope_directed_product_keeps_x_determinism():
    b = Builder()
    X, Y = A, B
    c1 = model(Circuit(b.sum([b.prod([b.indicator(X, x, PROB), b.input(Y, [.2 + x, .3], PROB)])
                              for x in (0, 1)]), b), "c1")
    c2 = model(Circuit(b.sum([b.input(Y, [.5, .1], PROB), b.input(Y, [.2, .7], PROB)]), b), "c2")
    out = multiply(c1, c2)
    assert brute_xdet(out, frozenset({X}))
    assert establish(out, xdet({X})).holds


def test_p10_support_on_signed_semiring_is_not_additive():
    assert M.support(PROB).props.additive
    assert not M.support(GRAD).props.additive
    b = Builder()
    g = model(Circuit(b.sum([b.input(A, [(1.0, 0.0), (1.0, 1.0)], GRAD),
                             b.input(A, [(-1.0, 0.0), (0.5, 0.0)], GRAD)]), b), "g")
    with pytest.raises(StructuralPropertyError):
        apply_mapping(g, M.support(GRAD))


def test_p11_reciprocal_maps_zero_to_zero():
    r = M.recip()
    assert r.apply_py(0.0) == 0.0 and r.apply_py(4.0) == 0.25
    assert r.props.zero_preserving


def test_p12_causal_formulas_need_normalised_models():
    from tests.core.test_atlas_examples import X, Y, Z, _backdoor_model
    b = Builder()
    p = _backdoor_model(b)
    scaled = model(Circuit(b.prod([b.const(2.0, PROB), p.root]), b), "2p")
    def backdoor(m):
        do = aggregate(multiply(m, aggregate(m, [X, Y]),
                                apply_mapping(aggregate(m, [Y]), M.recip())), [Z])
        return evaluate(do, assignment=[{X: 1, Y: 1}]).values[0]
    assert backdoor(p) == pytest.approx(0.62)
    assert backdoor(scaled) == pytest.approx(1.24)     # the formula scales with p
    norm = multiply(scaled, apply_mapping(aggregate(scaled, [X, Y, Z]), M.recip()))
    assert backdoor(norm) == pytest.approx(0.62)


def test_p13_kary_products_pair_by_blocks_or_are_rejected():
    b = Builder()
    leaf = lambda v, w: b.input(v, w, PROB)  # noqa: E731
    flat = model(Circuit(b.prod([leaf(A, [.1, .9]), leaf(B, [.2, .8]), leaf(C, [.3, .7])]), b), "flat")
    nested = model(Circuit(b.prod([b.prod([leaf(A, [.5, .5]), leaf(B, [.4, .6])]),
                                   leaf(C, [.9, .1])]), b), "nested")
    out = multiply(flat, nested)
    t = brute.multiply(brute.table_of(flat), brute.table_of(nested))
    rows = [a for a, _ in t.items()]
    assert np.allclose(evaluate(out, assignment=rows).values, [t.at(a) for a in rows])
    other = model(Circuit(b.prod([leaf(A, [.5, .5]), b.prod([leaf(B, [.4, .6]),
                                                               leaf(C, [.9, .1])])]), b), "other")
    with pytest.raises(StructuralPropertyError) as e:
        multiply(nested, other)
    assert "splits" in e.value.violation.describe()
