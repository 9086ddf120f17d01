"""The flat arrays' wide pass (runtime/flat.py wide_upward; issue 18 items 4-5): a WMC whose
doubles underflow or overflow is answered from the arrays with a mantissa and a binary
exponent per slot, never 0 and never by the node circuit; against exact rational enumeration
on small CNFs (weights of 10^-200 and 10^250, zeros) and a closed form on a long chain."""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

from hypothesis import HealthCheck, given, settings, strategies as st

from atlasc.compiler.api import compile_file
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.variables import bool_var
from atlasc.compiler.semirings.wide import Wide
from atlasc.compiler.sources import cnfbatch, cnfflat, formulas
from atlasc.runtime import flat

N = 7
W = [0.0, 1e-200, 3e-160, 0.5, 1.0, 2e250]


def _log(x: Fraction) -> float:
    return math.log(x.numerator) - math.log(x.denominator) if x else -math.inf


def _exact(clauses, w) -> Fraction:
    tot = Fraction(0)
    for a in itertools.product((0, 1), repeat=N):
        if all(any(a[abs(l) - 1] == (l > 0) for l in c) for c in clauses):
            p = Fraction(1)
            for k in range(N):
                p *= Fraction(w[k][a[k]])
            tot += p
    return tot


@st.composite
def cases(draw):
    lits = st.integers(1, N).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = draw(st.lists(st.lists(lits, min_size=1, max_size=3), max_size=6))
    w = draw(st.lists(st.tuples(st.sampled_from(W), st.sampled_from(W)), min_size=N,
                      max_size=N))
    return clauses, w, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_the_wide_pass_agrees_with_exact_enumeration(case):
    clauses, w, batched = case
    vs = [bool_var(f"x{i}") for i in range(1, N + 1)]
    weights = {v: (a, b) for v, (a, b) in zip(vs, w)}
    saved = cnfflat.BATCH_MIN_VARS, cnfbatch.BATCH_MIN_SHARE
    cnfflat.BATCH_MIN_VARS, cnfbatch.BATCH_MIN_SHARE = (0, 10**9) if batched else (10**9, 32)
    try:
        c = formulas.compile_cnf_clauses([tuple(x) for x in clauses], vs, weights=weights,
                                         route="flat")
    finally:
        cnfflat.BATCH_MIN_VARS, cnfbatch.BATCH_MIN_SHARE = saved
    want = _log(_exact(clauses, w))
    if not isinstance(c, FlatView):
        assert want == -math.inf           # a structural zero: the SDD route's 0
        return
    mant, expo = flat.wide_upward(c.flat, flat.lambdas(c.flat))
    got = float(flat.wide_root_log(c.flat, mant, expo))
    assert got == want or math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=1, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.just(None))
def test_a_long_weighted_chain_is_answered_wide_from_the_arrays(tmp_path, monkeypatch, _):
    """3,000 variables (the batched route forced on), literal weights 0.5 / 0.75: the WMC
    is about 10^-374, printed from its log, and the node circuit is never built."""
    monkeypatch.setattr(cnfflat, "FLAT_MIN_VARS", 0)
    monkeypatch.setattr(cnfflat, "BATCH_MIN_VARS", 0)
    n = 3000
    lines = [f"p cnf {n} {n - 1}"]
    lines += [f"c p weight {i} 0.75 0\nc p weight -{i} 0.5 0" for i in range(1, n + 1)]
    lines += [f"-{i} {i + 1} 0" for i in range(1, n)]
    (tmp_path / "m.cnf").write_text("\n".join(lines) + "\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\nquery z = sum[*] m\n')
    prog = compile_file(str(tmp_path / "q.query"))
    value = prog.queries["z"].run().rows[0].entries[0].value
    # model k: x1..xk false (0.5 each), the rest true (0.75 each)
    terms = [k * math.log(0.5) + (n - k) * math.log(0.75) for k in range(n + 1)]
    top = max(terms)
    want = top + math.log(sum(math.exp(t - top) for t in terms))
    assert isinstance(value, Wide) and math.isclose(value.log, want, rel_tol=1e-12)
    assert "e-" in str(value)
    assert not prog.queries["z"].circuit.materialised
