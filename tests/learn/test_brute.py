"""Learning against enumeration: EM's expected counts and log-likelihood are those of the
joint distribution enumerated world by world; EM never lowers its objective; complete rows
give the closed-form counts."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

import atlasc  # noqa: F401  (installs the evaluator)
from atlasc.compiler.learn.bayes import (expected_counts, family_counts, fit_bayes,
                                         initial_tables)
from atlasc.compiler.learn.circuit import parameter_circuit

from tests.learn.helpers import brute_expected, hide, networks, sample


@given(networks(), st.integers(1, 12), st.floats(0.0, 0.8), st.integers(0, 2**16))
def test_expected_counts_are_the_enumerated_posteriors(bn, rows, share, seed) -> None:
    rng = np.random.default_rng(seed)
    cols = hide(sample(bn, rows, rng), share, rng)
    tables = initial_tables(bn, "random", seed)
    got, ll = expected_counts(parameter_circuit(bn), cols, rows, tables)
    want, wll = brute_expected(bn, tables, cols, rows)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
    assert np.isclose(ll, wll, rtol=1e-10)


@given(networks(), st.integers(2, 40), st.floats(0.1, 0.7), st.integers(0, 2**16),
       st.sampled_from([0.0, 0.5, 1.0]))
def test_em_never_lowers_its_objective(bn, rows, share, seed, alpha) -> None:
    rng = np.random.default_rng(seed)
    cols = hide(sample(bn, rows, rng), share, rng)
    f = fit_bayes(bn, cols, rows, pseudo_count=alpha, max_iter=15, seed=seed, tol=0.0)
    obj = [it.objective for it in f.history]
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(obj, obj[1:])), obj
    _, ll = brute_expected(bn, [c.table for c in f.model.cpts], cols, rows)
    assert np.isclose(f.log_likelihood, ll, rtol=1e-9)


@settings(max_examples=30)
@given(networks(), st.integers(1, 30), st.integers(0, 2**16))
def test_complete_rows_are_counted_in_closed_form(bn, rows, seed) -> None:
    rng = np.random.default_rng(seed)
    cols = sample(bn, rows, rng)
    f = fit_bayes(bn, cols, rows, pseudo_count=1.0)
    assert f.method == "counts" and f.iterations == 0
    for c, fc in zip(bn.cpts, f.model.cpts):
        n = family_counts(c, cols, np.ones(rows, bool)).reshape(c.table.shape)
        n_brute = np.zeros(c.table.shape)
        for b in range(rows):
            n_brute[tuple(cols[v][b] for v in c.family)] += 1
        np.testing.assert_array_equal(n, n_brute)
        np.testing.assert_allclose(fc.table, (n + 1) / (n + 1).sum(axis=-1, keepdims=True))
