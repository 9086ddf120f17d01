"""The mappings of MEU and SDP (their declared properties are checked with the others in
tests/core/test_mappings.py): the values the threshold passes, tau(w (x) v) = tau(w) tau(v),
and eu as the conditional expectation."""
from __future__ import annotations

import pytest

from atlasc.compiler.mappings import builtin as M

DIAGONAL = [(0.0, 0.0), (0.3, 0.3), (1.0, 1.0), (2.5, 2.5)]
OTHERS = [(0.0, 0.0), (0.1, 0.4), (0.4, 0.5), (0.5, 0.6), (0.0, 0.7), (0.6, 1.0)]


@pytest.mark.parametrize("t", [0.0, 0.3, 0.7, 1.0])
def test_threshold_passes_the_diagonal(t: float) -> None:
    tau = M.threshold(t)
    mul = tau.src.mul
    for w in DIAGONAL:
        assert tau.passes(w)
        for v in OTHERS:
            lhs = tau.apply_py(tau.src.to_py(mul(tau.src.array([w]), tau.src.array([v]))[0]))
            assert lhs == pytest.approx(tau.apply_py(w) * tau.apply_py(v))
    assert not tau.passes((0.4, 0.5))


def test_eu_is_the_conditional_expectation() -> None:
    assert M.eu().apply_py((0.5, 1.0)) == pytest.approx(2.0)
    assert M.eu().apply_py((0.0, 0.0)) == float("-inf")


def test_threshold_rejects_a_non_probability() -> None:
    with pytest.raises(M.UnknownMapping):
        M.threshold(1.5)
