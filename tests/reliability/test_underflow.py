"""No probability is silently printed as 0: values beyond the double range are recomputed in
log space (runtime/logspace.py) and printed with their true exponent; a true 0 stays 0."""
from __future__ import annotations

import itertools
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.program.textout import result_text
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.wide import Wide
from atlasc.runtime.logspace import TWINS, log_twin
from atlasc.runtime.reference import evaluate
from tests.core.gen import circuits


def _chain(n: int, p: float) -> str:
    lines = ["var " + ", ".join(f"X{i}" for i in range(n)) + " : bool",
             "model net = bayesnet {", "  X0: 0.5"]
    lines += [f"  X{i} | X{i - 1}: {{false: 0.3, true: {p}}}" for i in range(1, n)]
    ev = ", ".join(f"X{i}" for i in range(n))
    lines += ["}", f"query pe = sum[*] (net | {ev})",
              f"query mpe = max[*] map[id: prob -> maxprod] (net | {ev})",
              f"query pl = sum[*] map[log: prob -> log] (net | {ev})"]
    return "\n".join(lines) + "\n"


def test_chain_with_evidence_everywhere_is_not_zero():
    n, p = 120, 0.001                      # 0.5 * 0.001^119 = 10^-357.3
    prog = compile_string(_chain(n, p))
    exact = math.log(0.5) + (n - 1) * math.log(p)
    for name in ("pe", "mpe"):
        res = prog.queries[name].run()
        v = res.rows[0].entries[0].value
        assert isinstance(v, Wide) and math.isclose(v.log, exact, rel_tol=1e-12)
        text = result_text(res)
        assert "e-358" in text and "\n  0\n" not in text
        j = res.to_json()["rows"][0]
        assert math.isclose(j["log"], exact, rel_tol=1e-12)
        assert j["value"].endswith("e-358")
        json.dumps(j)
    logv = prog.queries["pl"].run().rows[0].entries[0].value
    assert math.isclose(logv, exact, rel_tol=1e-9)


def test_a_true_zero_stays_zero():
    prog = compile_string("var A, B : bool\nmodel p = bayesnet { A: 1  B | A: {false: 0.5, "
                          "true: 0} }\nquery z = sum[*] (p | !A)\nquery y = sum[*] (p | B)\n")
    assert prog.queries["z"].run().rows[0].entries[0].value == 0.0
    assert not isinstance(prog.queries["y"].run().rows[0].entries[0].value, Wide)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.floats(1e-300, 1e-30))
def test_wide_values_match_the_exact_log(k: int, w: float):
    """A product of k weights w, each tiny: the log of the result is k log w exactly."""
    names = [f"V{i}" for i in range(k)]
    text = ("var " + ", ".join(names) + " : bool\nmodel w = weights {" +
            ", ".join(f"{n}: {w!r}, !{n}: 0" for n in names) + "}\nquery q = sum[*] w\n")
    v = compile_string(text).queries["q"].run().rows[0].entries[0].value
    exact = k * math.log(w)
    if exact < math.log(2.2250738585072014e-308):
        assert isinstance(v, Wide) and math.isclose(v.log, exact, rel_tol=1e-9)
    else:
        assert math.isclose(math.log(v), exact, rel_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_log_twin_is_the_log_of_the_circuit(data: st.DataObject):
    """The twin (copied node for node by builder.relabelled, not rebuilt) computes log of
    every value of random prob and maxprod circuits, with the same scopes and size."""
    sr = data.draw(st.sampled_from([R.PROB, R.MAXPROD]))
    c = data.draw(circuits(sr))
    twin = log_twin(c)
    assert twin is not None and twin.root.sr is TWINS[sr.name]
    assert len(twin.builder) == len(topo(c.root)) and twin.vars == c.vars
    vs = sorted(c.vars, key=lambda v: v.name)
    rows = [dict(zip(vs, vals)) for vals in _assignments(vs)]
    want = evaluate(c, evidence=rows).values
    got = evaluate(twin, evidence=rows).values
    for w, g in zip(want, got, strict=True):
        assert (g == -math.inf) if w == 0 else math.isclose(g, math.log(w), abs_tol=1e-12)


def _assignments(vs):
    return list(itertools.product(*[range(v.size) for v in vs]))[:16]
