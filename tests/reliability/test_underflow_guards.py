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
