"""bnlearn networks: marginals with random evidence against pgmpy's variable elimination,
for a default and a constrained (on root variables) compile."""
from __future__ import annotations

import random

import pytest

from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.properties.structural import check_decomposable, check_smooth
from atlasc.compiler.sources.bif import load_bif_model
from atlasc.compiler.sources.networks import compile_model
from atlasc.compiler.ir.vtree import is_constrained
from helpers import bnlearn, close, evaluate, pgmpy_model

FAST = ["asia", "cancer", "earthquake", "sachs", "survey", "child", "alarm"]
SLOW = ["insurance", "water", "hailfinder", "hepar2", "win95pts"]


def _check_against_pgmpy(name: str, seed: int = 0, queries: int = 3,
                         full_det: bool = False) -> None:
    from pgmpy.inference import VariableElimination
    bn = load_bif_model(bnlearn(name))
    roots = [c.child for c in bn.cpts if not c.parents][:2]
    ve = VariableElimination(pgmpy_model(name))
    rng = random.Random(seed)
    for X in (None, roots):
        c = compile_model(bn, constrained=X)
        assert check_smooth(c) is None and check_decomposable(c) is None
        if full_det:   # after the vtree search, parameters may sit anywhere: still exact
            assert check_deterministic(c).holds is True
        if X:   # SDD: the vtree search ran on each side only, the constraint survived it;
            # elimination: X-determinism comes from the order (X last), not from the vtree
            assert c.info["route"] == "elimination" or is_constrained(c.vtree, X)
            assert check_deterministic(c, frozenset(X)).holds is True
        assert close(evaluate(c), 1.0, rel=1e-6)
        for _ in range(queries):
            _one_query(bn, c, ve, rng)


def _one_query(bn, c, ve, rng) -> None:
    vs = list(bn.variables)
    ev_vars = rng.sample(vs, 2)
    q = rng.choice([v for v in vs if v not in ev_vars])
    ev = {v: rng.randrange(v.size) for v in ev_vars}
    pe = evaluate(c, ev)
    if pe == 0:
        return
    res = ve.query([q.name], evidence={v.name: v.domain[i] for v, i in ev.items()},
                   show_progress=False)
    for i, s in enumerate(q.domain):
        ours = evaluate(c, {**ev, q: i}) / pe
        theirs = float(res.get_value(**{q.name: s}))
        assert close(ours, theirs, rel=1e-6, abs_=1e-9), (q.name, s, ours, theirs)


@pytest.mark.parametrize("name", FAST)
def test_fast_networks(name) -> None:
    _check_against_pgmpy(name, full_det=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_slow_networks(name) -> None:
    _check_against_pgmpy(name, queries=2)


def test_time_limit_stops_with_a_hint() -> None:
    """A compile past `Limits(max_seconds=...)` stops with LimitExceeded and a hint (no
    wall-clock assertion: the machines are noisy)."""
    from atlasc.compiler.errors import LimitExceeded
    from atlasc.compiler.sources.limits import Limits
    bn = load_bif_model(bnlearn("water"))
    with pytest.raises(LimitExceeded) as e:
        compile_model(bn, limits=Limits(max_seconds=1e-4))   # the flat route takes ~0.2 s
    assert e.value.hint

