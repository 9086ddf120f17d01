"""Normalising every table of a marginals batch at once (compiler/program/marginals.py
`conditionals`) gives exactly the bits of normalising each table alone: random tables of
many sizes, with zero rows (evidence of probability 0), inf and NaN (overflow), finite
entries whose sum overflows, in C and
Fortran order and as column slices."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from atlasc.compiler.program.marginals import conditionals


def alone(p: np.ndarray) -> np.ndarray:
    """One table normalised as before the batch normalisation (the reference)."""
    total = p.sum(axis=1, keepdims=True)
    ok = (total > 0) & np.isfinite(p).all(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, p / np.where(ok, total, 1.0), np.nan)


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.int64)


def table(rng: np.random.Generator, B: int, k: int, layout: int) -> np.ndarray:
    p = rng.random((B, k)) * 10.0 ** rng.integers(-320, 300, (B, k))
    p[rng.random(B) < 0.2] = 0.0                                   # evidence impossible
    p[rng.random(B) < 0.1] = 1.5e308                   # finite entries, a sum past double
    p[rng.random((B, k)) < 0.05] = np.inf
    p[rng.random((B, k)) < 0.02] = np.nan
    if layout == 1:
        return np.asfortranarray(p)
    if layout == 2:
        return np.concatenate([p, p], axis=1)[:, :k]              # a strided view
    return p


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # as before
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), B=st.integers(1, 40),
       sizes=st.lists(st.tuples(st.integers(1, 20), st.integers(0, 2)), min_size=1,
                      max_size=12))
def test_batch_normalisation_is_each_tables_own(seed: int, B: int, sizes: list) -> None:
    rng = np.random.default_rng(seed)
    joint = {f"X{i}": table(rng, B, k, layout) for i, (k, layout) in enumerate(sizes)}
    got = conditionals(joint)
    assert list(got) == list(joint)
    for x, p in joint.items():
        want = alone(p)
        assert got[x].shape == want.shape
        assert np.array_equal(got[x], want, equal_nan=True)
        num = ~np.isnan(want)                                       # and the same bits
        assert (bits(got[x])[num] == bits(want)[num]).all()
