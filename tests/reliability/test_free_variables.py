"""Variables a CNF header declares and no clause mentions (issue 18 item 3): held apart as
weight groups (compiler/ir/sparse.py) and folded into one constant per group when they are
aggregated.  Small CNFs with the sparse route forced on (SPARSE = 0: one free variable is
enough), every query form against enumeration of all the variables."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from atlasc.compiler.api import compile_file
from atlasc.compiler.errors import QueryError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.sparse import SparseView, power
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.wide import Wide
from atlasc.compiler.sources import formulas

N = 6


@st.composite
def cnfs(draw):
    used = draw(st.integers(1, 3))                   # x1..x_used in clauses, the rest free
    lits = st.integers(1, used).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = draw(st.lists(st.lists(lits, min_size=1, max_size=3), max_size=4))
    weights = draw(st.dictionaries(st.integers(1, N), st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]),
                                   max_size=N))
    ev = draw(st.integers(1, N))
    return clauses, weights, ev


def _w(weights: dict[int, float], k: int, x: int) -> float:
    return (1 - weights[k], weights[k])[x] if k in weights else 1.0


def _models(clauses, n: int = N):
    for a in itertools.product((0, 1), repeat=n):
        x = dict(enumerate(a, 1))
        if all(any((x[abs(l)] == 1) == (l > 0) for l in c) for c in clauses):
            yield x


def _run(tmp: Path, clauses, weights, queries: str, n: int = N):
    lines = [f"p cnf {n} {len(clauses)}"]
    lines += [f"c p weight {k} {p} 0\nc p weight -{k} {1 - p} 0" for k, p in weights.items()]
    lines += [" ".join(map(str, c)) + " 0" for c in clauses]
    (tmp / "m.cnf").write_text("\n".join(lines) + "\n")
    (tmp / "q.query").write_text('model m = cnf "m.cnf"\n' + queries)
    return compile_file(str(tmp / "q.query"))


def _close(a, b) -> bool:
    return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cnfs())
def test_every_query_form_with_free_variables_against_enumeration(tmp_path, monkeypatch, case):
    clauses, weights, ev = case
    monkeypatch.setattr(formulas, "SPARSE", 0)
    weighted = bool(weights)
    q = ("query z = sum[*] m\n"
         f"query ze = sum[*] (m | x{ev} = true)\n"
         f"query t = sum[* \\ {{x{ev}}}] m\n"
         "query mpe = max[*] map[id: prob -> maxprod] m\n"
         f"query marg = marginals(x{ev}, x1; m)\n") if weighted else (
        "query c = sum[*] map[indicator: bool -> count] m\nquery s = or[*] m\n"
        f"query ce = sum[*] map[indicator: bool -> count] (m | x{ev} = false)\n")
    prog = _run(tmp_path, clauses, weights, q)
    models = list(_models(clauses))
    if not weighted:
        assert prog.queries["c"].run().rows[0].entries[0].value == len(models)
        assert prog.queries["s"].run().rows[0].entries[0].value == bool(models)
        assert prog.queries["ce"].run().rows[0].entries[0].value == \
            sum(1 for x in models if x[ev] == 0)
        return
    wt = {id(x): math.prod(_w(weights, k, x[k]) for k in x) for x in models}
    assert _close(prog.queries["z"].run().rows[0].entries[0].value, sum(wt.values()))
    assert _close(prog.queries["ze"].run().rows[0].entries[0].value,
                  sum(wt[id(x)] for x in models if x[ev] == 1))
    for e in prog.queries["t"].run().rows[0].entries:
        val = 1 if e.assignment[f"x{ev}"] == "true" else 0
        assert _close(e.value, sum(wt[id(x)] for x in models if x[ev] == val))
    mpe = prog.queries["mpe"].run().rows[0].entries[0]
    best = max(wt.values(), default=0.0)
    assert _close(mpe.value, best)
    arr = prog.queries["mpe"].run_array(np.zeros((1, 0), np.int64), [])
    if best > 0:        # the argmax is a maximiser, free variables included, in both paths
        for am in (mpe.argmax, {k: arr.domains[k][int(a[0, 0])] for k, a in arr.argmax.items()}):
            x = {k: int(am[f"x{k}"] == "true") for k in range(1, N + 1)}
            assert x in models and _close(math.prod(_w(weights, k, x[k]) for k in x), best)
    seen = {f"x{ev}": "true", "x2": "false"} if ev != 2 else {"x2": "false"}
    rows = prog.queries["marg"].run([{}, seen])
    arr = prog.queries["marg"].run_array(np.array([[-1, -1], [1 if ev != 2 else -1, 0]]),
                                         [f"x{ev}", "x2"])
    for b, e in enumerate(({}, {int(k[1:]): int(v == "true") for k, v in seen.items()})):
        for k in {ev, 1}:
            t = rows.table(f"x{k}", b)
            keep = [x for x in models if all(x[u] == a for u, a in e.items() if u != k)]
            joint = [sum(wt[id(x)] for x in keep if x[k] == val) for val in (0, 1)]
            for val, name in ((0, "false"), (1, "true")):
                assert _close(t[name][0], joint[val])
                if sum(joint) > 0:
                    assert _close(t[name][1], joint[val] / sum(joint))
                    assert _close(arr.conditional[f"x{k}"][b, val], joint[val] / sum(joint))
                else:
                    assert rows.undefined(f"x{k}", b) is not None
                    assert np.isnan(arr.conditional[f"x{k}"][b, val])


def test_a_sparse_cnf_is_a_sparse_view_until_its_free_variables_are_summed(tmp_path):
    """`p cnf 100000 2`-like: the model keeps its free variables as two weight groups, and
    summing them out builds a handful of constants, not one node per variable."""
    n = 5000
    (tmp_path / "m.cnf").write_text(f"p cnf {n} 2\nc p weight 7 0.25 0\nc p weight -7 0.5 0\n"
                                    "1 -2 0\n2 0\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\nquery z = sum[*] m\n')
    prog = compile_file(str(tmp_path / "q.query"))
    c = prog.queries["z"].circuit
    assert not isinstance(c, SparseView) and c.num_nodes < 100
    z = prog.queries["z"].run().rows[0].entries[0].value
    want = (n - 3) * math.log(2) + math.log(0.75)       # x1 = x2 = true; x7's 0.25 + 0.5
    assert isinstance(z, Wide) and math.isclose(z.log, want, rel_tol=1e-12)


@pytest.mark.parametrize("sr, x, k", [("prob", 2.0, 100_000), ("prob", 0.5, 3333),
                                      ("prob", 1.0, 10 ** 6), ("prob", 0.0, 7),
                                      ("count", 2, 4000), ("log", math.log(3), 10 ** 5),
                                      ("bool", True, 9)])
def test_power_is_the_exact_power_in_factors_within_the_double_range(sr, x, k):
    s = R.get(sr)
    nodes = power(Builder(), x, k, s)
    vals = [n.arg for n in nodes]
    if sr == "prob":
        assert all(v == 0.0 or 2.2e-308 < v < 1.8e308 for v in vals)
        if x > 0:
            assert math.isclose(sum(math.log(v) for v in vals), k * math.log(x), rel_tol=1e-12)
        else:
            assert vals == [0.0] * len(vals) and vals
    elif sr == "count":
        assert vals == [2 ** k]
    elif sr == "log":
        assert math.isclose(sum(vals), k * x, rel_tol=1e-12)
    else:
        assert vals == [True]


def test_evidence_on_a_free_variable_summed_in_closed_form_is_refused_not_ignored(
        tmp_path, monkeypatch):
    """The constant ((+) w)^k reads no evidence: `run -e x5=true` on `sum[*] m` would print
    the value without it.  It is a positioned refusal; evidence on a mentioned variable, and
    marginals with evidence on a free one, still answer (against enumeration)."""
    monkeypatch.setattr(formulas, "SPARSE", 0)
    prog = _run(tmp_path, [[1, -2]], {5: 0.25}, "query z = sum[*] m\n"
                "query l = map[log: prob -> log] z\nquery marg = marginals(x5; m)\n")
    for q in ("z", "l"):
        with pytest.raises(QueryError) as e:
            prog.queries[q].run({"x5": "true"})
        assert "x5 is a variable no clause of the model mentions" in str(e.value)
        with pytest.raises(QueryError):
            prog.queries[q].run_array(np.array([[-1], [1]]), ["x5"])
    assert _close(prog.queries["z"].run({"x1": "false"}).rows[0].entries[0].value, 1 * 2 ** 3)
    t = prog.queries["marg"].run({"x5": "true", "x1": "false"}).table("x5")
    assert _close(t["true"][1], 0.25) and _close(t["true"][0], 0.25 * 2 ** 3)
