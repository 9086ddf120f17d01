"""The flat route through the whole program (compile_model's auto route -> FlatView -> the seam):
probability of evidence, tables, all marginals and MMAP on random small networks with zero CPT
entries, against the SDD route and brute force, with evidence of probability zero (undefined
with the reason in both routes) and constrained orders."""
from __future__ import annotations

import itertools
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import atlasc
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources import networks as N
from atlasc.compiler.sources.bifwrite import bif_text
from atlasc.compiler.sources.model import bayesnet, cpt
from helpers import brute_evidence, close
from test_networks import small_bns


@contextmanager
def flat_for_small_networks():
    """Send every network to the elimination (flat) route: small ones go to SDD otherwise."""
    old = N.TREE_MIN_VARS
    N.TREE_MIN_VARS = 0
    try:
        yield
    finally:
        N.TREE_MIN_VARS = old


def _source(path: str, Q: list, A) -> str:
    names = ", ".join(v.name for v in Q)
    opts = f" with vtree constrained {{{names}}}" if Q else ""
    text = (f'model bn = bif "{path}"{opts}\nquery m = marginals(bn)\nquery pe = sum[*] bn\n'
            f"query t = sum[* \\ {{{A.name}}}] bn\n")
    return text + (f"query mm = mmap({{{names}}}; bn)\n" if Q else "")


def _entries(res) -> list[tuple]:
    return [(tuple(sorted(e.assignment.items())), e.value, e.undefined)
            for row in res.rows for e in row.entries]


def _same(a: list[tuple], b: list[tuple]) -> None:
    assert len(a) == len(b)
    for (ka, va, ua), (kb, vb, ub) in zip(a, b):
        assert ka == kb and ua == ub, (ka, ua, ub)
        assert (va is None) == (vb is None) and (va is None or close(va, vb)), (ka, va, vb)


def _brute_mmap(bn, Q, ev) -> float:
    best = 0.0
    for x in itertools.product(*(range(v.size) for v in Q)):
        fixed = dict(zip(Q, x))
        if all(ev.get(v, i) == i for v, i in fixed.items()):
            best = max(best, brute_evidence(bn, {**ev, **fixed}))
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_flat_route_answers_as_the_sdd_route_and_brute_force(tmp_path_factory, bn, data
                                                            ) -> None:
    vs = list(bn.variables)
    Q = data.draw(st.lists(st.sampled_from(vs), max_size=3, unique=True))
    A = data.draw(st.sampled_from(vs))
    ev = {v: data.draw(st.integers(0, v.size - 1)) for v in
          data.draw(st.lists(st.sampled_from(vs), max_size=2, unique=True))}
    path = tmp_path_factory.mktemp("flat") / "bn.bif"
    path.write_text(bif_text(bn, "bn"))
    src = _source(str(path), Q, A)
    with flat_for_small_networks():
        flat = atlasc.compile_string(src)
    sdd = atlasc.compile_string(src)
    named = {v.name: v.domain[i] for v, i in ev.items()}
    for q in flat.queries.values():
        assert isinstance(q.circuit, FlatView), q.name
    got, want = flat.run(named), sdd.run(named)
    pe = brute_evidence(bn, ev)
    for name in ("pe", "t") + (("mm",) if Q else ()):
        _same(_entries(got[name]), _entries(want[name]))
    assert close(got["pe"].rows[0].entries[0].value, pe)
    if Q:
        _check_mmap(bn, Q, ev, got["mm"].rows[0].entries[0])
    _check_marginals(bn, ev, got["m"], want["m"])
    assert not any(q.circuit.materialised for q in flat.queries.values())


def _check_mmap(bn, Q, ev, e) -> None:
    best = _brute_mmap(bn, Q, ev)
    if e.value is None:
        return
    assert close(e.value, best)
    arg = {v: v.domain.index(e.argmax[v.name]) for v in Q}
    assert close(brute_evidence(bn, {**ev, **arg}), best)       # the argmax attains it


def _check_marginals(bn, ev, got, want) -> None:
    for v in bn.variables:
        assert got.undefined(v.name) == want.undefined(v.name)
        rest = {u: i for u, i in ev.items() if u != v}
        joint = np.array([brute_evidence(bn, {**rest, v: i}) for i in range(v.size)])
        assert np.allclose(got.joint[v.name][0], joint, rtol=1e-9, atol=1e-12)
        if got.undefined(v.name) is None:
            assert np.allclose(got.conditional[v.name][0], joint / joint.sum(), rtol=1e-9)
        else:
            assert joint.sum() == 0


def test_zero_probability_evidence_is_undefined_with_the_reason(tmp_path) -> None:
    A, B = Var("A", ("a0", "a1")), Var("B", ("b0", "b1"))
    bn = bayesnet([cpt(A, [], [[1.0, 0.0]]), cpt(B, [A], [[0.5, 0.5], [0.2, 0.8]])])
    path = tmp_path / "bn.bif"
    path.write_text(bif_text(bn, "bn"))
    with flat_for_small_networks():
        prog = atlasc.compile_string(_source(str(path), [A], B))
    res = prog.run({"A": "a1"})
    assert res["m"].undefined("B") == "the evidence has probability 0"
    assert res["pe"].rows[0].entries[0].value == 0.0
    assert isinstance(prog.queries["m"].circuit, FlatView)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_batches_on_the_flat_route_answer_as_the_sdd_route(tmp_path_factory, bn, data
                                                           ) -> None:
    """Several evidence rows at once (the rows of a chunk share each step's array operations;
    CHUNK and SLICE made small so a batch spans several chunks and a step several parts), as
    rows and as a table (columns), and one row alone."""
    from atlasc.runtime import flat as rt
    vs = list(bn.variables)
    Q = data.draw(st.lists(st.sampled_from(vs), min_size=1, max_size=2, unique=True))
    rows = [{v.name: v.domain[data.draw(st.integers(0, v.size - 1))] for v in
             data.draw(st.lists(st.sampled_from(vs), max_size=2, unique=True))}
            for _ in range(data.draw(st.integers(2, 6)))]
    path = tmp_path_factory.mktemp("flat") / "bn.bif"
    path.write_text(bif_text(bn, "bn"))
    src = _source(str(path), Q, vs[0])
    with flat_for_small_networks():
        flat = atlasc.compile_string(src)
    sdd = atlasc.compile_string(src)
    old, rt.CHUNK, rt.SLICE = (rt.CHUNK, rt.SLICE), 1, 3    # chunks of rows, parts of steps
    try:
        got, want = flat.run(rows), sdd.run(rows)
        table = flat.queries["m"].run_table(rows)
        one = flat.run(rows[0])
    finally:
        rt.CHUNK, rt.SLICE = old
    for name in ("pe", "t", "mm"):
        _same(_entries(got[name]), _entries(want[name]))
        _same(_entries(one[name]), _entries(want[name])[:len(_entries(one[name]))])
    for b in range(len(rows)):
        for v in vs:
            assert got["m"].undefined(v.name, b) == want["m"].undefined(v.name, b)
            assert np.allclose(got["m"].joint[v.name][b], want["m"].joint[v.name][b],
                               rtol=1e-9, atol=1e-12)
            assert np.allclose(table.joint[v.name][b], want["m"].joint[v.name][b],
                               rtol=1e-9, atol=1e-12)
    assert not any(q.circuit.materialised for q in flat.queries.values())


def test_a_large_batch_runs_on_the_node_circuit_with_the_same_answers(tmp_path) -> None:
    """Past the break-even batch (runtime/evaluator.py _flat_pays) the node circuit of the same
    order and its kernels answer, once built; the answers are the arrays'."""
    from atlasc.runtime import evaluator as E
    A, B, C = (Var(n, ("0", "1")) for n in "ABC")
    bn = bayesnet([cpt(A, [], [[0.3, 0.7]]), cpt(B, [A], [[0.9, 0.1], [0.0, 1.0]]),
                   cpt(C, [B], [[0.5, 0.5], [0.25, 0.75]])])
    path = tmp_path / "bn.bif"
    path.write_text(bif_text(bn, "bn"))
    rows = [{"C": "0"}, {"A": "1", "B": "0"}, {}, {"B": "1"}]
    with flat_for_small_networks():
        prog = atlasc.compile_string(_source(str(path), [A], C))
    small = prog.run(rows)
    assert not any(q.circuit.materialised for q in prog.queries.values())
    old, E.NODE_NS_PER_NODE = E.NODE_NS_PER_NODE, 0
    try:
        big = prog.run(rows)
    finally:
        E.NODE_NS_PER_NODE = old
    assert prog.queries["m"].circuit.materialised
    for name in ("pe", "t", "mm"):
        _same(_entries(big[name]), _entries(small[name]))
    for v in "ABC":
        assert np.allclose(big["m"].joint[v], small["m"].joint[v], rtol=1e-12, atol=0)
    assert small["m"].undefined("C", 1) == "the evidence has probability 0"
    assert big["m"].undefined("C", 1) == small["m"].undefined("C", 1)
