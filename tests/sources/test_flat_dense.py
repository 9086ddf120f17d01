"""Dense steps of the flat route (compiler/ir/flat.py DenseStep: a step held by its tables and
evaluated by einsum) against brute force and the product-held steps: every step dense, on random
small networks with zero CPT entries, evidence rows in batches, constrained orders (MMAP)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from atlasc.compiler.ir.flat import DenseStep, Step
from atlasc.compiler.sources import flat as F
from atlasc.compiler.sources import load_model
from atlasc.runtime import flat
from helpers import all_assignments, bnlearn, brute_evidence, brute_joint, close
from test_elimination import small_markov
from test_flat import _brute_marginal, _evidence
from test_networks import small_bns


def _compile(m, dense: bool, **kw):
    """compile_flat with every step dense (or none)."""
    old = F.DENSE_MIN_CELLS, F.DENSE_MIN_KEPT
    F.DENSE_MIN_CELLS, F.DENSE_MIN_KEPT = (0, 0.0) if dense else (2**62, 2.0)
    try:
        return F.compile_flat(m, **kw)
    finally:
        F.DENSE_MIN_CELLS, F.DENSE_MIN_KEPT = old


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(small_bns(), small_markov()), st.data())
def test_dense_steps_match_brute_force(m, data) -> None:
    vs = list(m.variables)
    X = data.draw(st.lists(st.sampled_from(vs), max_size=3, unique=True))
    fc = _compile(m, True, constrained=X)
    assert all(isinstance(s, DenseStep) for s in fc.steps if s.arity)
    for x in all_assignments(vs):
        assert close(flat.value(fc, x), brute_joint(m, x)), x
    evs = [_evidence(data, vs) for _ in range(3)]
    got = flat.marginals(fc, evs, vs)                  # a batch: einsums with a rows axis
    one = flat.marginals(fc, evs[:1], vs)              # one row: the one-dimensional path
    for v in vs:
        for r, ev in enumerate(evs):
            want = _brute_marginal(m, ev, v)
            assert np.allclose(got[v][r], want, rtol=1e-9, atol=1e-12), (v, r, got[v], want)
        assert np.allclose(one[v][0], got[v][0], rtol=1e-12, atol=1e-15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_dense_mmap_matches_brute_force(bn, data) -> None:
    vs = list(bn.variables)
    X = data.draw(st.lists(st.sampled_from(vs), min_size=1, max_size=3, unique=True))
    ev = {v: i for v, i in _evidence(data, vs).items() if v not in X}
    fc = _compile(bn, True, constrained=X)
    best, arg = flat.mmap(fc, ev, X)
    scores = {xs: brute_evidence(bn, {**ev, **dict(zip(X, xs))})
              for xs in itertools.product(*(range(v.size) for v in X))}
    assert close(best, max(scores.values()))
    assert close(scores[tuple(arg[v] for v in X)], best)


@pytest.mark.parametrize("name", ["alarm", "insurance"])
def test_dense_and_product_steps_agree_on_bnlearn(name: str) -> None:
    bn = load_model(bnlearn(name))
    vs = list(bn.variables)
    dense, prods = _compile(bn, True), _compile(bn, False)
    assert all(isinstance(s, Step) for s in prods.steps)
    evs = [{}, {vs[0]: 0, vs[-1]: 1}, {vs[3]: 1}]
    a, b = flat.marginals(dense, evs, vs), flat.marginals(prods, evs, vs)
    for v in vs:
        assert np.allclose(a[v], b[v], rtol=1e-10, atol=1e-15), v
    # a dense step counts every cell of its cluster; the product steps only the non-zero ones
    assert dense.edges >= prods.edges and dense.nbytes < prods.nbytes


@given(st.lists(st.sampled_from([0.0, -0.0, 0.1, 0.5, 1.0, 1e-300, 0.3]), max_size=40))
def test_sorted_unique_is_numpys(xs) -> None:
    x = np.array(xs, dtype=np.float64)
    want_v, want_i = np.unique(x, return_inverse=True)
    got_v, got_i = F.sorted_unique(x)
    assert np.array_equal(got_v, want_v) and np.array_equal(got_i, want_i.ravel())
