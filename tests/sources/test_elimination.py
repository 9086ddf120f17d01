"""The tree-decomposition (variable-elimination) route against brute force and the SDD route."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import atlasc
from atlasc.compiler.errors import LimitExceeded, OperatorError
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, STRUCTURED, How, xdet
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.properties.structural import (check_decomposable, check_smooth,
                                                   check_structured)
from atlasc.compiler.sources import Limits, load_model
from atlasc.compiler.sources.model import Factor, MarkovNet
from atlasc.compiler.sources import networks as N
from atlasc.compiler.sources.networks import choose_route, compile_model
from atlasc.compiler.sources.orders import elimination_order
from helpers import all_assignments, bnlearn, brute_evidence, brute_joint, close, evaluate, value_at
from test_networks import small_bns


def _assert_props(c, X=()) -> None:
    """What the route claims by construction, checked by the exact checkers."""
    assert c.info["route"] == "elimination"
    assert check_smooth(c) is None
    assert check_decomposable(c) is None
    assert check_structured(c, c.vtree) is None
    assert check_deterministic(c).holds is True
    for p in (SMOOTH, DEC, DET, STRUCTURED):
        assert c.facts[p].holds and c.facts[p].how is How.CONSTRUCTION
    if X:
        assert check_deterministic(c, frozenset(X)).holds is True
        assert c.facts[xdet(X)].how is How.CONSTRUCTION


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_random_networks_match_brute_force_and_the_sdd_route(bn, data) -> None:
    vs = list(bn.variables)
    X = data.draw(st.lists(st.sampled_from(vs), max_size=3, unique=True))
    c = compile_model(bn, constrained=X, route="elimination")
    _assert_props(c, X)
    assert c.info["order"][len(vs) - len(X):] == tuple(sorted(
        c.info["order"][len(vs) - len(X):], key=c.info["order"].index))
    assert set(c.info["order"][len(vs) - len(X):]) == set(X)     # X eliminated last
    for x in all_assignments(vs):
        assert close(value_at(c, x), brute_joint(bn, x)), x
    s = compile_model(bn, constrained=X, route="sdd")
    ev = {v: data.draw(st.integers(0, v.size - 1)) for v in
          data.draw(st.lists(st.sampled_from(vs), max_size=2, unique=True))}
    assert close(evaluate(c, ev), brute_evidence(bn, ev))
    assert close(evaluate(c, ev), evaluate(s, ev))


@st.composite
def small_markov(draw):
    n = draw(st.integers(1, 5))
    vs = [Var(f"M{i}", tuple(f"s{k}" for k in range(draw(st.integers(2, 3))))) for i in range(n)]
    fs = []
    for _ in range(draw(st.integers(0, 4))):
        scope = draw(st.lists(st.sampled_from(vs), min_size=1, max_size=3, unique=True))
        cells = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]),
                              min_size=int(np.prod([v.size for v in scope])),
                              max_size=int(np.prod([v.size for v in scope]))))
        fs.append(Factor(tuple(scope), np.array(cells).reshape([v.size for v in scope])))
    return MarkovNet(tuple(vs), tuple(fs), "mn")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_markov(), st.data())
def test_markov_networks_with_zeros_match_brute_force(mn, data) -> None:
    X = data.draw(st.lists(st.sampled_from(list(mn.variables)), max_size=2, unique=True))
    c = compile_model(mn, constrained=X, route="elimination")
    if c.root.op.value == "const":         # the product is 0 everywhere: no polynomial left
        assert all(brute_joint(mn, x) == 0 for x in all_assignments(list(mn.variables)))
        return
    _assert_props(c, X)
    for x in all_assignments(list(mn.variables)):
        assert close(value_at(c, x), brute_joint(mn, x)), x


def _chain(n: int) -> list[Var]:
    return [Var(f"C{i}", ("a", "b")) for i in range(n)]


def test_orders_follow_the_treewidth_and_put_the_constrained_last() -> None:
    vs = _chain(30)
    fams = [(vs[i - 1], vs[i]) for i in range(1, 30)]
    od = elimination_order(vs, fams)
    assert od.width == 1 and sorted(od.order) == sorted(vs)
    grid = [Var(f"G{i}{j}", ("a", "b")) for i in range(4) for j in range(4)]
    g = {(i, j): grid[4 * i + j] for i, j in itertools.product(range(4), range(4))}
    edges = [(g[i, j], g[i, j + 1]) for i in range(4) for j in range(3)] + \
            [(g[i, j], g[i + 1, j]) for i in range(3) for j in range(4)]
    assert elimination_order(grid, edges).width == 4            # a 4x4 grid has treewidth 4
    X = [vs[0], vs[15], vs[29]]
    od = elimination_order(vs, fams, last=X)
    assert set(od.order[-3:]) == set(X) and od.width >= 2      # X last enlarges clusters


def test_route_choice_is_recorded_with_its_reason() -> None:
    alarm = load_model(bnlearn("alarm"))
    assert choose_route(alarm, None, ()).name == "elimination"
    r = choose_route(alarm, "balanced", ())
    assert (r.name, r.reason) == ("sdd", "a vtree was asked for (only the SDD route compiles "
                                  "to a given vtree)")
    small = load_model(bnlearn("asia"))
    assert choose_route(small, None, ()).reason == "a small network (under 20 variables)"
    with pytest.raises(OperatorError):
        choose_route(alarm, None, (), route="jointree")
    c = compile_model(alarm)
    assert c.info["route"] == "elimination" and "the cost follows the treewidth" in \
        c.info["route_reason"]
    assert c.info["treewidth"] == 4


def test_large_clusters_with_many_zeros_go_to_the_sdd_route(monkeypatch) -> None:
    alarm = load_model(bnlearn("alarm"))
    monkeypatch.setattr(N, "TREE_MAX_CELLS", 10)
    monkeypatch.setattr(N, "TREE_MAX_ZEROS", 0.0)
    r = choose_route(alarm, None, ())
    assert r.name == "sdd" and "strong local structure" in r.reason


def test_alarm_matches_the_sdd_route_with_evidence() -> None:
    alarm = load_model(bnlearn("alarm"))
    X = [alarm.var("HYPOVOLEMIA"), alarm.var("LVFAILURE")]
    c = compile_model(alarm, constrained=X, route="elimination")
    s = compile_model(alarm, constrained=X, route="sdd")
    _assert_props(c, X)
    ev = {alarm.var("BP"): 0, alarm.var("HRBP"): 2}
    assert close(evaluate(c, ev), evaluate(s, ev))


def test_node_limit_and_progress() -> None:
    alarm = load_model(bnlearn("alarm"))
    seen: list[str] = []
    compile_model(alarm, route="elimination", limits=Limits(progress=seen.append))
    assert any("ETA" in s for s in seen) and "width 4" in seen[0]
    with pytest.raises(LimitExceeded) as e:
        compile_model(alarm, route="elimination", limits=Limits(max_nodes=100))
    assert "node limit of 100" in str(e.value) and e.value.hint


def test_a_cluster_past_the_node_limit_is_refused_before_it_is_built() -> None:
    vs = [Var(f"W{i}", tuple(str(k) for k in range(10))) for i in range(6)]
    f = Factor(tuple(vs), np.ones([10] * 6))                  # one cluster of 10^6 cells
    with pytest.raises(LimitExceeded, match="needs up to 1000000 products"):
        compile_model(MarkovNet(tuple(vs), (f,), "big"), route="elimination",
                      limits=Limits(max_nodes=10_000))


def test_the_report_names_the_route_and_why() -> None:
    prog = atlasc.compile_string(
        f'model bn = bif "{bnlearn("alarm")}" with vtree constrained {{LVFAILURE}}\n'
        "query m = mmap(LVFAILURE; bn | HRBP = HIGH)\n")
    text = str(prog.report)
    assert "bayesnet, variable elimination, treewidth" in text
    assert "route elimination: 37 variables" in text
    assert "{LVFAILURE} eliminated last (a constrained order)" in text
