"""The LLVM back end against the numpy reference evaluator (itself tested against brute
force in tests/core): every semiring, mapping nodes between semirings, batches of random
evidence and assignments, argmax, deep and wide circuits, underflow, count overflow, and the
on-disk kernel cache."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.symbolic import from_expr
from atlasc.compiler.ops.aggregate import aggregate
from atlasc.compiler.semirings import registry as R
from atlasc.runtime import reference
from atlasc.runtime.llvm import evaluate as jit
from atlasc.runtime.llvm import engine as engine_mod
from tests.core.gen import ALL, VARS, circuits

E3 = Var("E", ("lo", "mid", "hi"))
X = sp.Symbol("x")


def rows(draw: Any, vars_: tuple[Var, ...], n: int) -> list[dict[Var, int]]:
    out = []
    for _ in range(n):
        chosen = draw(st.sets(st.sampled_from(vars_)))
        out.append({v: draw(st.integers(0, v.size - 1)) for v in sorted(chosen)})
    return out


def same(sr: Any, xs: list, ys: list) -> None:
    assert len(xs) == len(ys)
    for x, y in zip(xs, ys):
        assert sr.close(x, y, rel=1e-9, abs_=1e-12), (x, y)


@pytest.mark.parametrize("sr", ALL, ids=lambda s: s.name)
@given(data=st.data())
def test_matches_reference_with_evidence_and_assignments(sr: Any, data: Any) -> None:
    c = data.draw(circuits(sr))
    n = data.draw(st.integers(1, 6))
    ev = rows(data.draw, VARS, n)
    asg = rows(data.draw, VARS, n)        # conflicting with ev on purpose, sometimes
    want = reference.evaluate(c, evidence=ev, assignment=asg)
    got = jit(c, evidence=ev, assignment=asg)
    assert got.engine == "llvm"
    same(sr, got.values, want.values)


@pytest.mark.parametrize("sr", [R.MAXPROD, R.MAXLOG, R.MINSUM, R.BOOL], ids=lambda s: s.name)
@given(data=st.data())
def test_argmax_matches_reference(sr: Any, data: Any) -> None:
    c = data.draw(circuits(sr, decide=frozenset(VARS), mix=False))
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS), min_size=1)))
    m = aggregate(c, W)
    ev = rows(data.draw, VARS, data.draw(st.integers(1, 5)))
    want = reference.evaluate(m, evidence=ev, argmax=True)
    got = jit(m, evidence=ev, argmax=True)
    same(sr, got.values, want.values)
    assert got.argmax == want.argmax


MAPS = [  # (source semiring, mapping, destination semiring)
    (R.PROB, builtin.support(R.PROB), R.BOOL),
    (R.PROB, builtin.log(R.PROB), R.LOG),
    (R.PROB, builtin.recip(R.PROB), R.PROB),
    (R.COUNT2, builtin.maxent(), R.PROB),
    (R.COUNT2, builtin.credal_upper(), R.PROB),
    (R.BOOL, builtin.indicator(R.COUNT2), R.COUNT2),
    (R.PROB, builtin.identity(R.PROB, R.MAXPROD), R.MAXPROD),
    (R.PROB, from_expr("user", X**2 / (1 + X), X, R.PROB, R.PROB), R.PROB),   # user (sympy)
    (R.COUNT, from_expr("half", X / 2, X, R.COUNT, R.PROB), R.PROB),
]


@pytest.mark.parametrize("src,tau,dst", MAPS, ids=lambda x: getattr(x, "name", None))
@given(data=st.data())
def test_mapping_nodes_between_semirings(src: Any, tau: Any, dst: Any, data: Any) -> None:
    """dst-circuit (x) tau((+)_W src-circuit), twice nested: a circuit that computes in src
    below and in dst above, with evidence read on both sides of the map."""
    inner = data.draw(circuits(src))
    agg = aggregate(inner, inner.vars)                   # empty scope, reads evidence
    b, below = agg.builder, agg.root
    upper = data.draw(circuits(dst, b=b))
    root = b.prod([upper.root, b.map(tau, below)])
    root = b.sum([root, b.map(tau, b.sum([below, below]))])
    c = Circuit(root, b, "mapped")
    ev = rows(data.draw, VARS, data.draw(st.integers(1, 5)))
    same(dst, jit(c, evidence=ev).values, reference.evaluate(c, evidence=ev).values)


def test_deep_chain_of_100k_levels() -> None:
    b, sr = Builder(), R.PROB
    A = VARS[0]
    node = b.input(A, [0.5, 0.25], sr)
    for i in range(50_000):
        node = b.sum([node, b.const(1.0 + (i % 3), sr)])
        node = b.prod([node, b.const(0.5, sr)])
    c = Circuit(node, b, "deep")
    ev = [{}, {A: 0}, {A: 1}]
    same(sr, jit(c, evidence=ev).values, reference.evaluate(c, evidence=ev).values)


def test_wide_sum() -> None:
    b, sr = Builder(), R.LOG
    kids = [b.prod([b.input(v, [-1.0 - k, -2.0], sr) for v in VARS]) for k in range(20_000)]
    c = Circuit(b.sum(kids), b, "wide")
    ev = [{}, {VARS[1]: 1}]
    same(sr, jit(c, evidence=ev).values, reference.evaluate(c, evidence=ev).values)


def test_long_product_of_small_probabilities_stays_finite_in_log_space() -> None:
    b = Builder()
    vs = [Var(f"x{i}") for i in range(3000)]
    p = [b.input(v, [math.log(1e-5), math.log(1e-5)], R.LOG) for v in vs]
    c = Circuit(b.prod(p), b, "tiny")
    got = jit(c, evidence=[{v: 0 for v in vs}]).values[0]
    assert math.isfinite(got) and got == pytest.approx(3000 * math.log(1e-5), rel=1e-12)
    bp = Builder()
    cp = Circuit(bp.prod([bp.input(v, [1e-5, 1e-5], R.PROB) for v in vs]), bp, "tiny")
    assert jit(cp, evidence=[{v: 0 for v in vs}]).values[0] == 0.0   # prob underflows


def test_count_overflow_is_recomputed_exactly() -> None:
    b = Builder()
    vs = [Var(f"x{i}") for i in range(6)]
    c = Circuit(b.prod([b.input(v, [2 ** 20, 3], R.COUNT) for v in vs]), b, "big")
    res = jit(c, evidence=[{v: 0 for v in vs}, {v: 1 for v in vs}])
    assert res.values == [2 ** 120, 3 ** 6]
    assert res.engine.startswith("exact")
    huge = Builder()
    c2 = Circuit(huge.input(vs[0], [2 ** 70, 1], R.COUNT), huge, "huge")
    assert jit(c2).values == [2 ** 70 + 1]


def test_batches_longer_than_a_tile(monkeypatch: Any) -> None:
    from atlasc.runtime.llvm import run
    monkeypatch.setattr(run, "TILE_BYTES", 64)
    monkeypatch.setattr(run, "MIN_TILE", 3)
    b, sr = Builder(), R.MAXPROD
    A, Bv = VARS[0], VARS[1]
    c = Circuit(b.sum([b.prod([b.input(A, [0.2, 0.8], sr), b.input(Bv, [0.6, 0.4], sr)]),
                       b.prod([b.input(A, [0.5, 0.1], sr), b.input(Bv, [0.3, 0.9], sr)])]),
                b, "tiles")
    m = aggregate(c, frozenset({A, Bv}))
    ev = [{A: i % 2} if i % 3 else {Bv: i % 2} for i in range(17)]
    want = reference.evaluate(m, evidence=ev, argmax=True)
    got = jit(m, evidence=ev, argmax=True)
    same(sr, got.values, want.values)
    assert got.argmax == want.argmax


def test_cache_rejects_a_truncated_or_corrupt_entry(tmp_path: Any, monkeypatch: Any) -> None:
    from atlasc.runtime.llvm.elems import spec
    monkeypatch.setenv("ATLASC_CACHE_DIR", str(tmp_path))
    e1 = engine_mod.Engine()
    e1.stage(spec(R.PROB))
    assert e1.stats.builds == 1
    (entry,) = tmp_path.glob("*.o")
    e2 = engine_mod.Engine()
    e2.stage(spec(R.PROB))
    assert (e2.stats.hits, e2.stats.builds) == (1, 0)
    entry.write_bytes(entry.read_bytes()[:200])               # truncated
    e3 = engine_mod.Engine()
    e3.stage(spec(R.PROB))
    assert (e3.stats.rejected, e3.stats.builds) == (1, 1)
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF                                           # corrupt, same length
    entry.write_bytes(bytes(data))
    e4 = engine_mod.Engine()
    fn = e4.stage(spec(R.PROB))
    assert (e4.stats.rejected, e4.stats.builds) == (1, 1)
    assert fn is not None and not list(tmp_path.glob("*.tmp"))


def test_three_valued_variable_and_constants() -> None:
    b, sr = Builder(), R.PROB
    c = Circuit(b.sum([b.prod([b.input(E3, [0.2, 0.3, 0.5], sr), b.const(2.0, sr)]),
                       b.margin(VARS[0], [0.4, 0.6], sr)]), b, "e3")
    ev = [{}, {E3: 2}, {VARS[0]: 1, E3: 0}]
    asg = [{E3: 1}, {E3: 1}, {}]
    got = jit(c, evidence=ev, assignment=asg).values
    assert got == pytest.approx([0.6 + 1.0, 0.0 + 1.0, 0.4 + 0.6])


@given(data=st.data())
def test_compiled_marginals_match_the_numpy_backward_pass(data: Any) -> None:
    """Zero weights included (products with zero children take the no-division path)."""
    from atlasc.runtime.backward import marginals as numpy_marginals
    from atlasc.runtime.llvm.marginals import marginals as llvm_marginals
    c = data.draw(circuits(R.PROB, mix=True))
    ev = rows(data.draw, VARS, data.draw(st.integers(1, 6)))
    want = numpy_marginals(c, ev, list(VARS))
    got = llvm_marginals(c, ev, list(VARS))
    for v in VARS:
        np.testing.assert_allclose(got[v], want[v], rtol=1e-9, atol=1e-12)


def test_compiled_marginals_over_many_tiles(monkeypatch: Any) -> None:
    from atlasc.runtime.backward import marginals as numpy_marginals
    from atlasc.runtime.llvm import run
    from atlasc.runtime.llvm.marginals import marginals as llvm_marginals
    monkeypatch.setattr(run, "KEEP_TILE_BYTES", 256)
    b, sr = Builder(), R.PROB
    A, Bv, C = VARS[:3]
    c = Circuit(b.sum([b.prod([b.input(A, [0.2, 0.8], sr), b.input(Bv, [0.0, 0.4], sr),
                               b.input(C, [0.5, 0.5], sr)]),
                       b.prod([b.input(A, [0.5, 0.0], sr), b.input(Bv, [0.3, 0.9], sr),
                               b.input(C, [0.1, 0.9], sr)])]), b, "tiles")
    ev = [{A: i % 2} if i % 3 else {Bv: i % 2, C: 1} for i in range(13)]
    want, got = numpy_marginals(c, ev, [A, Bv, C]), llvm_marginals(c, ev, [A, Bv, C])
    for v in (A, Bv, C):
        np.testing.assert_allclose(got[v], want[v], rtol=1e-12)
        assert got[v].base is got[A].base and got[v][:, 1].flags.c_contiguous   # by rows


def test_argmax_when_every_maximisation_sits_in_a_leaf() -> None:
    """max over a single leaf: no (+) node records a choice; the leaf's best value is used."""
    b, sr = Builder(), R.MAXPROD
    c = Circuit(b.prod([b.margin(VARS[0], [0.2, 0.7], sr), b.const(0.5, sr)]), b, "leafmax")
    ev = [{}, {VARS[0]: 0}]
    want = reference.evaluate(c, evidence=ev, argmax=True)
    got = jit(c, evidence=ev, argmax=True)
    same(sr, got.values, want.values)
    assert got.argmax == want.argmax == [{VARS[0]: 1}, {VARS[0]: 0}]
    b2 = Builder()
    c2 = Circuit(b2.const(0.5, sr), b2, "nothing to maximise")
    assert jit(c2, argmax=True).argmax == [{}]
