"""The flat-array elimination route (compiler/sources/flat.py, runtime/flat.py) against brute
force, the node route and the SDD route, on random small networks with zero CPT entries and
constrained orders (MMAP)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import atlasc  # noqa: F401  (installs the evaluator the node-route comparison goes through)
from atlasc.compiler.errors import LimitExceeded
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, STRUCTURED, How, xdet
from atlasc.compiler.sources import Limits, load_model
from atlasc.compiler.sources.flat import compile_flat
from atlasc.compiler.sources.networks import compile_model
from atlasc.runtime import flat
from helpers import all_assignments, bnlearn, brute_evidence, brute_joint, close
from test_elimination import small_markov
from test_networks import small_bns


def _brute_marginal(m, ev, v) -> np.ndarray:
    """P(v = i, e - v): the derivative by [v = i] drops v's own evidence (as the node route)."""
    rest = {u: i for u, i in ev.items() if u != v}
    return np.array([brute_evidence(m, {**rest, v: i}) for i in range(v.size)])


def _evidence(data, vs):
    chosen = data.draw(st.lists(st.sampled_from(vs), max_size=2, unique=True))
    return {v: data.draw(st.integers(0, v.size - 1)) for v in chosen}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_random_networks_match_brute_force(bn, data) -> None:
    vs = list(bn.variables)
    X = data.draw(st.lists(st.sampled_from(vs), max_size=3, unique=True))
    fc = compile_flat(bn, constrained=X)
    assert set(fc.info["order"][len(vs) - len(X):]) == set(X)
    for x in all_assignments(vs):
        assert close(flat.value(fc, x), brute_joint(bn, x)), x
    ev = _evidence(data, vs)
    got = flat.marginals(fc, [ev], vs)
    for v in vs:
        want = _brute_marginal(bn, ev, v)
        assert np.allclose(got[v][0], want, rtol=1e-9, atol=1e-12), (v, got[v], want)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_markov(), st.data())
def test_markov_networks_with_zeros_match_brute_force(mn, data) -> None:
    vs = list(mn.variables)
    fc = compile_flat(mn)
    for x in all_assignments(vs):
        assert close(flat.value(fc, x), brute_joint(mn, x)), x
    ev = _evidence(data, vs)
    got = flat.marginals(fc, [ev], vs)
    for v in vs:
        assert np.allclose(got[v][0], _brute_marginal(mn, ev, v), rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_mmap_matches_brute_force(bn, data) -> None:
    vs = list(bn.variables)
    X = data.draw(st.lists(st.sampled_from(vs), min_size=1, max_size=3, unique=True))
    ev = {v: i for v, i in _evidence(data, vs).items() if v not in X}
    fc = compile_flat(bn, constrained=X)
    best, arg = flat.mmap(fc, ev, X)
    scores = {xs: brute_evidence(bn, {**ev, **dict(zip(X, xs))})
              for xs in itertools.product(*(range(v.size) for v in X))}
    assert close(best, max(scores.values()))
    assert close(scores[tuple(arg[v] for v in X)], best)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_same_polynomial_as_the_node_and_sdd_routes(bn, data) -> None:
    vs = list(bn.variables)
    ev = _evidence(data, vs)
    fc = compile_flat(bn)
    node = compile_model(bn, route="elimination")
    sdd = compile_model(bn, route="sdd")
    got = flat.marginals(fc, [ev], vs)
    for c in (node, sdd):
        theirs = evaluator().marginals(c, [ev], vs)
        for v in vs:
            assert np.allclose(got[v], theirs[v], rtol=1e-9, atol=1e-12)
    assert fc.facts.keys() == node.facts.keys()


def test_properties_by_construction_and_sizes_of_alarm() -> None:
    bn = load_model(bnlearn("alarm"))
    X = [bn.var("HYPOVOLEMIA"), bn.var("LVFAILURE")]
    fc = compile_flat(bn, constrained=X)
    node = compile_model(bn, constrained=X, route="elimination")
    for p in (SMOOTH, DEC, DET, STRUCTURED, xdet(frozenset(X))):
        assert fc.facts[p].holds and fc.facts[p].how is How.CONSTRUCTION
    products = sum(s.products for s in fc.steps)
    assert 0 < products < fc.info["order_cells"]       # zeros of alarm's CPTs dropped
    assert fc.info["order"] == node.info["order"]
    ev = {bn.var("HRBP"): 0, bn.var("BP"): 2}
    got = flat.marginals(fc, [ev, {}], list(bn.variables))
    theirs = evaluator().marginals(node, [ev, {}], list(bn.variables))
    for v in bn.variables:
        assert np.allclose(got[v], theirs[v], rtol=1e-9, atol=1e-15)
    assert close(got[X[0]][1].sum(), 1.0)


def test_zero_probability_evidence_gives_zero_everywhere() -> None:
    bn = load_model(bnlearn("asia"))
    fc = compile_flat(bn)
    either, lung, tub = bn.var("either"), bn.var("lung"), bn.var("tub")
    ev = {either: either.domain.index("no"), lung: lung.domain.index("yes")}
    assert flat.value(fc, ev) == 0.0
    ms = flat.marginals(fc, [ev], [tub, either])
    assert (ms[tub] == 0).all()                    # P(tub, e) = 0
    no, yes = either.domain.index("no"), either.domain.index("yes")
    assert ms[either][0, no] == 0 and ms[either][0, yes] > 0      # e - either is possible


def test_node_limit_is_a_clear_error() -> None:
    bn = load_model(bnlearn("alarm"))
    with pytest.raises(LimitExceeded, match="node limit of 50"):
        compile_flat(bn, limits=Limits(max_nodes=50))


def test_a_cluster_past_the_memory_is_refused_before_it_is_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The flat route's limit is memory, not the default node limit: a cluster of 10^6 cells
    against 1 MiB of room above the resident memory. The resident memory is held at 100 MiB:
    read live, it can shrink by more than the room between the test's reading and the
    compiler's (freed pages), and the cluster then fitted (seen under load)."""
    from atlasc.compiler.ir.variables import Var
    from atlasc.compiler.sources import limits
    from atlasc.compiler.sources.model import Factor, MarkovNet
    vs = [Var(f"W{i}", tuple(str(k) for k in range(10))) for i in range(6)]
    mn = MarkovNet(tuple(vs), (Factor(tuple(vs), np.ones([10] * 6)),), "big")
    monkeypatch.setattr(limits, "resident_mb", lambda: 100.0)
    with pytest.raises(LimitExceeded, match="cluster of 1,000,000 cells") as e:
        compile_flat(mn, limits=Limits(max_memory_mb=101))
    monkeypatch.undo()
    assert "GiB of memory are available" in str(e.value) and e.value.hint
    assert compile_flat(mn, limits=Limits(max_nodes=None)).edges > 10**6   # it fits otherwise
