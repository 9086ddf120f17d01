"""CNFs by the elimination route into flat arrays (compiler/sources/cnfflat.py; issue 18 item
4): clauses as 0/1 factors, weights as unary factors.  Small random CNFs with the route forced
on (FLAT_MIN_VARS = 0), with empty clauses, tautologies, unused variables and zero weights,
every query form against enumeration; a 10^4-variable implication chain by the default route."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from atlasc.compiler.api import compile_file
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.variables import bool_var
from atlasc.compiler.sources import cnfflat, formulas
from tests.reliability.test_free_variables import N, _models, _run as _program, _w


@st.composite
def cnfs(draw):
    lits = st.integers(1, N).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = draw(st.lists(st.lists(lits, max_size=3), max_size=6))
    weights = draw(st.dictionaries(st.integers(1, N), st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]),
                                   max_size=N))
    return clauses, weights, draw(st.integers(1, N))


def _value(prog, name):
    return prog.queries[name].run().rows[0].entries[0].value


def _close(a, b) -> bool:
    return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)


def check_weighted(prog, models: list, weights: dict, ev: int, n: int) -> dict:
    """Queries z, ze (x{ev} = true), mpe and marg (x{ev}, x1) against enumeration of
    `models`: WMC, WMC under evidence, MPE with its argmax, marginals; each model's weight."""
    wt = {id(x): math.prod(_w(weights, k, x[k]) for k in x) for x in models}
    assert _close(_value(prog, "z"), sum(wt.values()))
    assert _close(_value(prog, "ze"), sum(wt[id(x)] for x in models if x[ev] == 1))
    mpe = prog.queries["mpe"].run().rows[0].entries[0]
    best = max(wt.values(), default=0.0)
    assert _close(mpe.value, best)
    if best > 0:
        x = {k: int(mpe.argmax[f"x{k}"] == "true") for k in range(1, n + 1)}
        assert x in models and _close(math.prod(_w(weights, k, x[k]) for k in x), best)
    rows = prog.queries["marg"].run([{}])
    for k in {ev, 1}:
        t = rows.table(f"x{k}", 0)
        joint = [sum(wt[id(x)] for x in models if x[k] == val) for val in (0, 1)]
        for val, name in ((0, "false"), (1, "true")):
            assert _close(t[name][0], joint[val])
    return wt


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cnfs())
def test_the_flat_route_agrees_with_enumeration(tmp_path, monkeypatch, case):
    clauses, weights, ev = case
    monkeypatch.setattr(cnfflat, "FLAT_MIN_VARS", 0)
    models = list(_models(clauses))
    if not weights:
        prog = _program(tmp_path, clauses, weights,
                        "query c = sum[*] map[indicator: bool -> count] m\n"
                        f"query ce = sum[*] map[indicator: bool -> count] (m | x{ev} = false)\n"
                        "query s = or[*] m\n")
        assert isinstance(prog.queries["c"].circuit, FlatView) or not models
        assert _value(prog, "c") == len(models) and type(_value(prog, "c")) is int
        assert _value(prog, "ce") == sum(1 for x in models if x[ev] == 0)
        assert _value(prog, "s") == bool(models)
        return
    prog = _program(tmp_path, clauses, weights,
                    f"query z = sum[*] m\nquery ze = sum[*] (m | x{ev} = true)\n"
                    "query mpe = max[*] map[id: prob -> maxprod] m\n"
                    f"query marg = marginals(x{ev}, x1; m)\n")
    wt = check_weighted(prog, models, weights, ev, N)
    assert isinstance(prog.queries["z"].circuit, FlatView) or not sum(wt.values())
    if not sum(wt.values()):                 # each table's joint sums to the total
        rows = prog.queries["marg"].run([{}])
        assert all(rows.undefined(f"x{k}", 0) is not None for k in {ev, 1})


def test_routes_agree_on_a_random_cnf_circuit():
    """The flat view and the SDD route's circuit, compiled directly, give one WMC."""
    rng = np.random.default_rng(7)
    vs = [bool_var(f"x{i}") for i in range(1, 13)]
    cls = [tuple(int(rng.integers(1, 13)) * int(rng.choice([-1, 1])) for _ in range(3))
           for _ in range(20)]
    w = {v: (float(rng.random()), float(rng.random())) for v in vs}
    flat = formulas.compile_cnf_clauses(cls, vs, weights=w, route="flat")
    sdd = formulas.compile_cnf_clauses(cls, vs, weights=w, route="sdd")
    assert isinstance(flat, FlatView) and not isinstance(sdd, FlatView)
    a = evaluator().evaluate(flat).values[0]
    b = evaluator().evaluate(sdd).values[0]
    assert _close(a, b)


def test_a_chain_of_ten_thousand_variables_is_counted_on_the_arrays(tmp_path):
    n = 10_000
    body = "\n".join(f"-{i} {i + 1} 0" for i in range(1, n))
    (tmp_path / "m.cnf").write_text(f"p cnf {n} {n - 1}\n{body}\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\n'
                                      "query c = sum[*] map[indicator: bool -> count] m\n")
    prog = compile_file(str(tmp_path / "q.query"))
    c = prog.queries["c"].circuit
    assert isinstance(c, FlatView) and not c.materialised
    assert _value(prog, "c") == n + 1
    assert not c.materialised and c.flat.info["treewidth"] <= 2


def test_a_count_past_two_to_the_53_is_not_taken_from_the_doubles(tmp_path, monkeypatch):
    """40 disjoint clauses (x_2i-1 | x_2i): 3^40 models, odd and past 2^53, so a double
    would round it; the nodes answer, exactly."""
    monkeypatch.setattr(cnfflat, "FLAT_MIN_VARS", 0)
    body = "\n".join(f"{2 * i - 1} {2 * i} 0" for i in range(1, 41))
    (tmp_path / "m.cnf").write_text(f"p cnf 80 40\n{body}\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\n'
                                      "query c = sum[*] map[indicator: bool -> count] m\n")
    prog = compile_file(str(tmp_path / "q.query"))
    assert isinstance(prog.queries["c"].circuit, FlatView)
    assert float(3**40) != 3**40 and _value(prog, "c") == 3**40
