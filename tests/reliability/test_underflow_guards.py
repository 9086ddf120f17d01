"""Guards that saw 0 for a value that underflowed (issue 18, item 5 of the session's list):
the normaliser of `normalize(...)` under evidence on 119 variables is 10^-357, 0.0 as a
double.  The nonzero guard read the raw double and called the evidence impossible; the
guards now read the log-space value (compiler/program/undefined.py `_unlost`), and the
conditional itself, e * recip(sum e), is recomputed in log space (recip has the closed-form
twin l -> -l, runtime/logspace.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from atlasc.compiler.api import compile_string


def _program(n: int, p: float, q: float) -> str:
    lines = ["var " + ", ".join(f"X{i}" for i in range(n)) + " : bool",
             "model net = bayesnet {", "  X0: 0.5"]
    lines += [f"  X{i} | X{i - 1}: {{false: {q}, true: {p}}}" for i in range(1, n)]
    ev = ", ".join(f"X{i}" for i in range(1, n))
    lines += ["}", f"query c = normalize(sum[* \\ {{X0}}] (net | {ev}))",
              f"query z = sum[*] (net | {ev})"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("n, p, q", [(120, 0.001, 0.3), (400, 0.1, 0.05), (8, 0.5, 0.25)])
def test_a_conditional_whose_normaliser_underflows_is_defined_and_right(n, p, q):
    prog = _program(n, p, q)
    c = compile_string(prog)
    # P(X0 = x | X1..Xn-1 = true): X1 depends on X0 only, the rest on X1 = true
    want = {"false": q / (q + p), "true": p / (q + p)}
    z = c.queries["z"].run().rows[0].entries[0].value
    assert z > 0 or getattr(z, "log", -math.inf) > -math.inf
    for e in c.queries["c"].run().rows[0].entries:
        assert e.undefined is None and math.isclose(e.value, want[e.assignment["X0"]],
                                                    rel_tol=1e-9)
    arr = c.queries["c"].run_array(np.zeros((2, 0), np.int64), [])
    assert np.allclose(arr.values, [[want["false"], want["true"]]] * 2, rtol=1e-9)


def test_a_true_zero_normaliser_is_still_undefined():
    c = compile_string("var A, B : bool\nmodel m = bayesnet { A: 0.5  B | A: {false: 0, "
                       "true: 0} }\nquery c = normalize(sum[* \\ {A}] (m | B))\n")
    for e in c.queries["c"].run().rows[0].entries:
        assert e.value is None and "probability 0" in e.undefined


def _marginals_program(n: int, p: float, q: float, inside: bool) -> str:
    lines = ["var " + ", ".join(f"X{i}" for i in range(n)) + " : bool",
             "model net = bayesnet {", "  X0: 0.5"]
    lines += [f"  X{i} | X{i - 1}: {{false: {q}, true: {p}}}" for i in range(1, n)]
    ev = " | " + ", ".join(f"X{i}" for i in range(1, n)) if inside else ""
    return "\n".join(lines + ["}", f"query m = marginals(X0, X2; net{ev})"]) + "\n"


@pytest.mark.parametrize("n, inside", [(400, True), (400, False), (1200, True), (9, True)])
def test_marginals_whose_evidence_underflows_are_answered_from_logs(n, inside):
    """P(e) = 0.75 * 0.1^(n-1) for evidence X1..Xn-1 = true: 10^-400 at n = 400, 0.0 as a
    double.  The marginals' doubles were all 0 and the result said `the evidence has
    probability 0`; now the rows whose tables underflowed are evaluated again as
    probabilities of evidence with their log-space rescue (exact logs, never 0)."""
    p, q = 0.1, 0.05
    c = compile_string(_marginals_program(n, p, q, inside))
    rows = None if inside else [{f"X{i}": "true" for i in range(1, n)}] * 2
    r = c.queries["m"].run(rows) if rows else c.queries["m"].run()
    want = {"false": math.log(0.5 * q) + (n - 2) * math.log(p),
            "true": math.log(0.5 * p) + (n - 2) * math.log(p)}
    for b in range(len(rows or [None])):
        assert r.undefined("X0", b) is None and r.undefined("X2", b) is None
        t = r.table("X0", b)
        for x, (joint, cond) in t.items():
            got = joint.log if hasattr(joint, "log") else math.log(joint)
            assert math.isclose(got, want[x], rel_tol=1e-9)
            assert math.isclose(cond, {"false": q, "true": p}[x] / (p + q), rel_tol=1e-9)
        joint2, cond2 = r.table("X2", b)["true"]
        # X2 observed at run time: P(X2 = x | e without X2); compiled in: the evidence holds
        assert cond2 == pytest.approx(1.0 if inside else p * p / (p * p + (1 - p) * q))
        assert math.isfinite(joint2.log) if hasattr(joint2, "log") else joint2 > 0
    if not inside:                      # the batch path (run_array, --data): the same rescue
        names = [f"X{i}" for i in range(1, n)]
        a = c.queries["m"].run_array(np.ones((3, n - 1), np.int64), names)
        assert np.allclose(a.conditional["X0"], [[q / (p + q), p / (p + q)]] * 3, rtol=1e-9)
        assert np.allclose(a.joint_log["X0"], [[want["false"], want["true"]]] * 3, rtol=1e-9)
        assert a.to_arrow().column("m.why").null_count == 3


def test_marginals_of_impossible_evidence_stay_undefined_after_the_rescue():
    c = compile_string("var A, B : bool\nmodel m = bayesnet { A: 0.5  B | A: {false: 0, "
                       "true: 0} }\nquery q = marginals(A; m | B)\n")
    r = c.queries["q"].run()
    assert r.undefined("A") is not None and "probability 0" in r.undefined("A")


def test_marginals_past_the_rescue_budget_are_undefined_with_the_true_reason(monkeypatch):
    """Past RESCUE_BUDGET the tables are not recomputed; then an underflowed row is undefined
    (NaN, null in Arrow) with log P(e) in its reason, never 0 and never 'probability 0'."""
    from atlasc.compiler.program import marginals as M
    monkeypatch.setattr(M, "RESCUE_BUDGET", 0)
    n, p, q = 400, 0.1, 0.05
    c = compile_string(_marginals_program(n, p, q, False))
    names = [f"X{i}" for i in range(1, n)]
    rows = [{x: "true" for x in names}]
    why = c.queries["m"].run(rows).undefined("X0")
    assert why is not None and "below the double range" in why and "e-400" in why
    ev = np.ones((2, n - 1), np.int64)
    ev[1, 0] = -1
    a = c.queries["m"].run_array(ev, names)
    assert np.isnan(a.conditional["X0"]).all() and np.isnan(a.joint["X0"]).all()
    t = a.to_arrow()
    assert t.column("m.joint[X0=true]").null_count == 2
    assert all("below the double range" in w for w in t.column("m.why").to_pylist())
    z = compile_string("var A, B : bool\nmodel m = bayesnet { A: 0.5  B | A: {false: 0, "
                       "true: 0} }\nquery q = marginals(A; m | B)\n")
    assert "probability 0" in z.queries["q"].run().undefined("A")
