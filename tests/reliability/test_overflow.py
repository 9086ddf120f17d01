"""Count-like values past 1.8e308 in float carriers: answered exactly (count), in log space
(prob: runtime/logspace.py), or undefined with the reason (prob2, expectation, marginals):
never inf or NaN printed as a value."""
from __future__ import annotations

import json
import math

import numpy as np

from atlasc.compiler.api import compile_file
from atlasc.compiler.semirings.wide import Wide

N = 1100                       # p cnf N 1 with the clause (x1 | x2): 3 * 2^(N-2) models

QUERIES = """model m = cnf "m.cnf"
query c = sum[*] map[indicator: bool -> count] m
query p = sum[*] map[indicator: bool -> prob] m
query e = sum[*] map[lift: prob -> expectation] map[indicator: bool -> prob] m
query d = sum[*] map[dup: prob -> prob2] map[indicator: bool -> prob] m
"""


def _program(tmp_path, cnf: str, text: str):
    (tmp_path / "m.cnf").write_text(cnf)
    (tmp_path / "q.query").write_text(text)
    return compile_file(str(tmp_path / "q.query"))


def _finite(j) -> bool:
    """No inf or NaN anywhere in a result's JSON (json.dumps would write Infinity / NaN)."""
    return "Infinity" not in json.dumps(j) and "NaN" not in json.dumps(j)


def test_counts_past_the_double_range(tmp_path):
    prog = _program(tmp_path, f"p cnf {N} 1\n1 2 0\n", QUERIES)
    exact = 3 * 2 ** (N - 2)
    assert prog.queries["c"].run().rows[0].entries[0].value == exact
    p = prog.queries["p"].run().rows[0].entries[0].value
    assert isinstance(p, Wide) and math.isclose(p.log, math.log(3) + (N - 2) * math.log(2),
                                                rel_tol=1e-12)
    for name in ("e", "d"):
        res = prog.queries[name].run()
        e = res.rows[0].entries[0]
        assert e.value is None and "beyond the double range" in e.undefined
        assert _finite(res.to_json())
        arr = prog.queries[name].run_array(np.zeros((2, 0), np.int64), [])
        assert arr.undefined.all() and "overflow" in arr.why(1, 0)


def test_counts_inside_the_range_are_kept(tmp_path):
    prog = _program(tmp_path, "p cnf 10 1\n1 2 0\n", QUERIES)
    want = 3 * 2 ** 8
    assert prog.queries["e"].run().rows[0].entries[0].value == (want, 0.0)
    assert prog.queries["d"].run().rows[0].entries[0].value == (want, want)
    assert prog.queries["d"].run_array(np.zeros((1, 0), np.int64), []).undefined is None


def test_marginals_that_overflow_are_undefined(tmp_path):
    """Found by the fuzz campaign (seed 1, case 1866): a weight of 1e308 made the downward
    pass compute inf x 0 = NaN, printed as a marginal."""
    cnf = ("p cnf 6 5\nc p weight 1 1e308 0\nc p weight 3 0.238 0\n-3 2 -5 0\n-6 1 0\n3 0\n"
           "4 0\n-5 1 -1 0\n")
    prog = _program(tmp_path, cnf, 'model m = cnf "m.cnf"\nquery q = marginals(m)\n')
    res = prog.queries["q"].run()
    assert _finite(res.to_json())
    assert any("overflow" in (res.undefined(v.name) or "") for v in res.vars)
    text = res.text()
    assert "nan" not in text and "inf" not in text.replace("undefined", "")
    t = res.to_arrow().to_pydict()
    assert not any(isinstance(x, float) and not math.isfinite(x) for col in t.values()
                   for x in col)
