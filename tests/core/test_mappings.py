"""Declared properties of the builtin mappings, checked numerically on the carrier: a property
declared True must hold on every sampled pair; one declared False must fail on some pair."""
from __future__ import annotations

import itertools

import pytest

from atlasc.compiler.mappings import builtin as M
from atlasc.compiler.semirings import registry as R

SAMPLES = {
    "prob": [0.0, 0.2, 0.5, 1.0, 3.0], "maxprod": [0.0, 0.2, 0.5, 1.0, 3.0],
    "log": [float("-inf"), -1.0, 0.0, 0.7], "maxlog": [float("-inf"), -1.0, 0.0, 0.7],
    "count": [0, 1, 2, 5], "bool": [False, True],
    "pair(count,count)": [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (0, 3)],
    "grad": [(0.0, 0.0), (1.0, 0.5), (-1.0, -0.5), (0.0, 1.0), (2.0, -1.0)],
    "expectation": [(0.0, 0.0), (0.5, 1.0), (0.2, -3.0), (1.0, 0.0), (0.0, 2.0)],
    "pair(prob,prob)": [(0.0, 0.0), (0.1, 0.4), (0.4, 0.5), (0.5, 0.6), (0.3, 0.3),
                        (0.0, 0.7), (0.6, 1.0)],
}

MAPPINGS = [M.identity(R.PROB, R.MAXPROD), M.identity(R.PROB, R.PROB),
            M.identity(R.LOG, R.MAXLOG), M.identity(R.COUNT, R.PROB),
            M.identity(R.MAXPROD, R.PROB), M.support(R.PROB), M.support(R.COUNT),
            M.support(R.GRAD), M.indicator(R.PROB), M.indicator(R.COUNT),
            M.indicator(R.MAXPROD), M.recip(R.PROB), M.power(2, R.PROB), M.power(0.5, R.PROB),
            M.log(R.PROB), M.log(R.MAXPROD), M.neglog(R.PROB), M.neglog(R.MAXPROD), M.maxent(),
            M.credal_lower(), M.credal_upper(), M.lift(), M.dup(), M.eu(), M.threshold(0.7),
            M.threshold(0.5)]


def _holds(tau, law) -> bool:
    src, dst = tau.src, tau.dst
    xs = SAMPLES[src.name]
    if tau.name == "credal_lower":   # multiplicative on the reachable domain a <= b
        xs = [x for x in xs if x[0] <= x[1]]
    for a, b in itertools.product(xs, repeat=2):
        A, B = src.array([a]), src.array([b])
        lhs = tau((src.add if law == "add" else src.mul)(A, B))
        rhs = (dst.add if law == "add" else dst.mul)(tau(A), tau(B))
        if not dst.close(dst.to_py(lhs[0]), dst.to_py(rhs[0])):
            return False
    return True


@pytest.mark.parametrize("tau", MAPPINGS, ids=[t.label for t in MAPPINGS])
def test_declared_properties_match_the_numbers(tau):
    p = tau.props
    assert _holds(tau, "add") == bool(p.additive), "additive"
    assert _holds(tau, "mul") == bool(p.multiplicative), "multiplicative"
    zero = tau.apply_py(tau.src.zero)
    assert tau.dst.close(zero, tau.dst.zero) == bool(p.zero_preserving)
    nz = [x for x in SAMPLES[tau.src.name] if not tau.src.close(x, tau.src.zero)]
    keeps = all(not tau.dst.close(tau.apply_py(x), tau.dst.zero) for x in nz)
    assert keeps == bool(p.support_preserving)


def test_lookup_checks_semirings():
    assert M.lookup("id", R.PROB, R.MAXPROD).props.multiplicative
    with pytest.raises(M.UnknownMapping):
        M.lookup("id", R.PROB, R.BOOL)
    with pytest.raises(M.UnknownMapping):
        M.lookup("recip", R.COUNT)
    with pytest.raises(M.UnknownMapping):
        M.lookup("nope")
    assert M.lookup("pow", params=(3,)).params == (3,)
