"""moments(...): E[P(e)] and Var[P(e)] under random parameters, against brute force.

* dropout: exact enumeration of all 2^k keep/drop masks of the k sum-node inputs of the very
  circuit the query reads (numpy, all masks at once), and seeded Monte Carlo;
* Dirichlet: exact enumeration of E[P(e)^2] over pairs of complete assignments with the
  Dirichlet row moments, and seeded Monte Carlo sampling of the CPT rows (numpy's Dirichlet);
* each Monte Carlo check has a bound of 5 standard errors, and the same check rejects the
  variance without the covariance terms (within a Dirichlet row; within a sum node's masks),
  so it is not one that any answer passes.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import atlasc
from atlasc.compiler.cli import main
from atlasc.compiler.errors import QueryError, StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ops import moments as M
from atlasc.compiler.semirings import PROB
from tests.queries.randbn import ZERO_PROBS, RandomBN, random_bn

SPRINKLER = """var Rain, Sprinkler, Wet : bool
model bn = bayesnet {
  Rain: 0.2
  Sprinkler | Rain: {false: 0.4, true: 0.01}
  Wet | Rain, Sprinkler: {(false, false): 0.0, (false, true): 0.9,
                          (true, false): 0.8, (true, true): 0.99}
}
"""


def _run(text: str, name: str, evidence: dict[str, str] | None = None) -> tuple[float, float]:
    prog = atlasc.compile_string(text)
    q = prog.queries[name]
    assert q.tractable, q.report
    e, var = q.run(evidence=evidence or {}).rows[0].value
    return float(e), float(var)


# ---- dropout: the oracle ----------------------------------------------------------------------
def _mask_values(c: Circuit, masks: np.ndarray, edges: list[tuple[int, int]],
                 ev: dict[str, int]) -> np.ndarray:
    """The value of c under each keep/drop mask (rows of `masks` over `edges`)."""
    col = {e: j for j, e in enumerate(edges)}
    val: dict[int, np.ndarray] = {}
    ones = np.ones(masks.shape[0])
    for n in topo(c.root):
        if n.op in (Op.INPUT, Op.MARGIN):
            w = n.arg.weights
            val[n.uid] = ones * (w[ev[n.arg.var.name]] if n.arg.var.name in ev else sum(w))
        elif n.op is Op.CONST:
            val[n.uid] = ones * n.arg
        elif n.op is Op.PROD:
            val[n.uid] = np.prod([val[k.uid] for k in n.children], axis=0)
        else:
            val[n.uid] = sum(masks[:, col[(n.uid, i)]] * val[k.uid]
                             for i, k in enumerate(n.children))
    return val[c.root.uid]


def _edges(c: Circuit) -> list[tuple[int, int]]:
    return [(n.uid, i) for n in topo(c.root) if n.op is Op.SUM for i in range(len(n.children))]


def dropout_enumerated(c: Circuit, p: float, ev: dict[str, int]) -> tuple[float, float]:
    edges = _edges(c)
    assert len(edges) <= 20, len(edges)
    masks = (np.arange(2 ** len(edges))[:, None] >> np.arange(len(edges))) & 1
    w = np.prod(np.where(masks == 1, 1 - p, p), axis=1)
    v = _mask_values(c, masks, edges, ev)
    e = float(w @ v)
    return e, float(w @ (v * v) - e * e)


def dropout_sampled(c: Circuit, p: float, ev: dict[str, int], n: int, seed: int) -> np.ndarray:
    edges = _edges(c)
    masks = (np.random.default_rng(seed).random((n, len(edges))) >= p).astype(float)
    return _mask_values(c, masks, edges, ev)


def _total(text: str, name: str) -> Circuit:
    q = atlasc.compile_string(text).queries[name]
    assert q.circuit is not None
    return q.circuit


def _index(ev: dict[str, str]) -> dict[str, int]:
    return {k: ["false", "true"].index(v) for k, v in ev.items()}


# ---- Monte Carlo bounds -----------------------------------------------------------------------
def _within(sample: np.ndarray, e: float, var: float, k: float = 5.0) -> tuple[bool, bool]:
    """|mean - e| < k standard errors, |sample variance - var| < k standard errors of it."""
    n = len(sample)
    m, s2 = sample.mean(), sample.var(ddof=1)
    se_mean = math.sqrt(s2 / n)
    se_var = math.sqrt(max(np.mean((sample - m) ** 4) - s2 * s2, 0.0) / n)
    return abs(m - e) < k * se_mean + 1e-15, abs(s2 - var) < k * se_var + 1e-15


# ---- dropout ----------------------------------------------------------------------------------
DROPOUT = SPRINKLER + """query pe = sum[*] (bn | Wet = true)
query m = moments(bn, dropout = 0.25 | Wet = true)
"""


def test_dropout_equals_the_enumeration_of_every_mask() -> None:
    c = _total(DROPOUT, "pe")
    e, var = _run(DROPOUT, "m")
    ee, ev = dropout_enumerated(c, 0.25, {})
    assert e == pytest.approx(ee, rel=1e-12) and var == pytest.approx(ev, rel=1e-9)
    assert var > 1e-3


class _SharedMasksIgnored(M.Moments):
    """The second moment as if a sum node's masks in the two copies were independent."""

    def _diagonal(self, a):  # type: ignore[no-untyped-def]
        terms = super()._diagonal(a)
        if a.op is Op.SUM:
            n = len(a.children)
            terms = [(self.q * self.q if i < n else t[0], t[1]) for i, t in enumerate(terms)]
        return terms


def test_dropout_monte_carlo_agrees_and_rejects_independent_masks() -> None:
    c = _total(DROPOUT, "pe")
    e, var = _run(DROPOUT, "m")
    sample = dropout_sampled(c, 0.25, {}, 40_000, seed=7)
    assert _within(sample, e, var) == (True, True)
    wrong = _SharedMasksIgnored(c, 0.75)
    w2 = evaluator().evaluate(wrong.second()).values[0]
    assert not _within(sample, e, w2 - e * e)[1]


@settings(max_examples=30, deadline=None)
@given(random_bn(n_min=2, n_max=3, probs=ZERO_PROBS), st.sampled_from([0.0, 0.1, 0.5, 1.0]),
       st.dictionaries(st.sampled_from(["V0", "V1", "V2"]), st.sampled_from(["false", "true"]),
                       max_size=2))
def test_dropout_on_random_networks(bn: RandomBN, p: float, ev: dict[str, str]) -> None:
    ev = {k: v for k, v in ev.items() if k in bn.names}
    text = bn.text() + f"query pe = sum[*] bn\nquery m = moments(bn, dropout = {p})\n"
    c = _total(text, "pe")
    assume(len(_edges(c)) <= 18)
    e, var = _run(text, "m", ev)
    ee, ev_ = dropout_enumerated(c, p, _index(ev))
    assert e == pytest.approx(ee, rel=1e-9, abs=1e-12)
    assert var == pytest.approx(ev_, rel=1e-7, abs=1e-12)
    if p == 0.0:      # no randomness: the value itself
        assert var == pytest.approx(0.0, abs=1e-12)
        assert e == pytest.approx(float(bn.marginal(_conditioned(bn, ev), []).sum()), abs=1e-12)
    if p == 1.0:      # every sum input dropped: every sum is 0, nothing is random
        assert var == 0.0 and (e == 0.0 or c.root.op is not Op.SUM)


def _conditioned(bn: RandomBN, ev: dict[str, str]) -> np.ndarray:
    j = bn.joint()
    for k, v in ev.items():
        i = bn.names.index(k)
        idx = [slice(None)] * len(bn.names)
        idx[i] = 1 - ["false", "true"].index(v)
        j[tuple(idx)] = 0.0
    return j


# ---- Dirichlet: the oracle --------------------------------------------------------------------
def _theta(bn: RandomBN, v: str, a: dict[str, int]) -> float:
    return bn.factor(v, a)


def _row(bn: RandomBN, v: str, a: dict[str, int]) -> tuple[int, ...]:
    return tuple(a[q] for q in bn.parents[v])


def dirichlet_enumerated(bn: RandomBN, s: float, ev: dict[str, int],
                         covariance: bool = True) -> tuple[float, float]:
    """E[P(e)] and Var[P(e)] from the Dirichlet row moments, over pairs of assignments;
    covariance=False drops the (negative) covariance of two entries of one row."""
    xs = [dict(zip(bn.names, idx)) for idx in itertools.product((0, 1), repeat=len(bn.names))
          if all(idx[bn.names.index(k)] == x for k, x in ev.items())]

    def pair(v: str, a: dict[str, int], b: dict[str, int]) -> float:
        ta, tb = _theta(bn, v, a), _theta(bn, v, b)
        if _row(bn, v, a) != _row(bn, v, b):
            return ta * tb
        if a[v] == b[v]:
            return ta * (s * ta + 1) / (s + 1)
        return ta * s * tb / (s + 1) if covariance else ta * tb
    e = sum(math.prod(_theta(bn, v, a) for v in bn.names) for a in xs)
    e2 = sum(math.prod(pair(v, a, b) for v in bn.names) for a in xs for b in xs)
    return e, e2 - e * e


def dirichlet_sampled(bn: RandomBN, s: float, ev: dict[str, int], n: int,
                      seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = {}
    for v in bn.names:
        for key, p in bn.p_true[v].items():
            if p in (0.0, 1.0):
                theta[(v, key)] = np.full(n, p)
            else:
                theta[(v, key)] = rng.dirichlet([s * (1 - p), s * p], size=n)[:, 1]
    out = np.zeros(n)
    for idx in itertools.product((0, 1), repeat=len(bn.names)):
        a = dict(zip(bn.names, idx))
        if any(a[k] != x for k, x in ev.items()):
            continue
        term = np.ones(n)
        for v in bn.names:
            t = theta[(v, _row(bn, v, a))]
            term = term * (t if a[v] else 1 - t)
        out += term
    return out


FIXED = RandomBN(["A", "B", "C"], {"A": [], "B": ["A"], "C": ["A", "B"]},
                 {"A": {(): 0.3}, "B": {(0,): 0.6, (1,): 0.2},
                  "C": {(0, 0): 0.5, (0, 1): 0.9, (1, 0): 0.1, (1, 1): 0.7}})


def test_dirichlet_monte_carlo_agrees_and_needs_the_covariance() -> None:
    s, ev = 2.0, {"C": "true"}
    text = FIXED.text() + f"query m = moments(bn, dirichlet = {s} | C = true)\n"
    e, var = _run(text, "m")
    ee, ev_ = dirichlet_enumerated(FIXED, s, _index(ev))
    assert e == pytest.approx(ee, rel=1e-12) and var == pytest.approx(ev_, rel=1e-9)
    sample = dirichlet_sampled(FIXED, s, _index(ev), 40_000, seed=11)
    assert _within(sample, e, var) == (True, True)
    _, no_cov = dirichlet_enumerated(FIXED, s, _index(ev), covariance=False)
    assert not _within(sample, e, no_cov)[1]


@settings(max_examples=30, deadline=None)
@given(random_bn(n_min=2, n_max=4, probs=ZERO_PROBS), st.sampled_from([0.5, 1.0, 3.0, 50.0]),
       st.dictionaries(st.sampled_from(["V0", "V1", "V2", "V3"]),
                       st.sampled_from(["false", "true"]), max_size=2))
def test_dirichlet_on_random_networks(bn: RandomBN, s: float, ev: dict[str, str]) -> None:
    ev = {k: v for k, v in ev.items() if k in bn.names}
    text = bn.text() + f"query m = moments(bn, dirichlet = {s})\n"
    e, var = _run(text, "m", ev)
    ee, ev_ = dirichlet_enumerated(bn, s, _index(ev))
    assert e == pytest.approx(ee, rel=1e-9, abs=1e-14)
    assert var == pytest.approx(ev_, rel=1e-6, abs=1e-14)


def test_zero_probability_evidence_is_a_point_mass_at_zero() -> None:
    # P(Wet = true, Rain = false, Sprinkler = false) = 0 under every parameter draw: the
    # zero CPT entry is alpha = 0 (dirichlet) and a zero constant (dropout)
    for form in ("dirichlet = 5", "dropout = 0.3"):
        text = SPRINKLER + f"query m = moments(bn, {form} | Wet = true)\n"
        assert _run(text, "m", {"Rain": "false", "Sprinkler": "false"}) == (0.0, 0.0)


def test_run_time_evidence_and_inline_evidence_agree() -> None:
    text = SPRINKLER + ("query a = moments(bn, dirichlet = 4 | Wet = true)\n"
                        "query b = moments(bn, dirichlet = 4)\n")
    assert _run(text, "a") == pytest.approx(_run(text, "b", {"Wet": "true"}), rel=1e-12)


def test_batches_of_rows() -> None:
    prog = atlasc.compile_string(SPRINKLER + "query m = moments(bn, dirichlet = 4)\n")
    rows = [{"Wet": "true"}, {"Wet": "false"}, {}]
    res = prog.queries["m"].run(evidence=rows)
    got = [r.value for r in res.rows]
    assert got[0][0] + got[1][0] == pytest.approx(1.0)
    assert got[0][1] == pytest.approx(got[1][1])           # Var[P(e)] = Var[1 - P(e)]
    assert got[2] == pytest.approx((1.0, 0.0), abs=1e-12)
    one = [prog.queries["m"].run(evidence=r).rows[0].value for r in rows]
    assert np.array(got) == pytest.approx(np.array(one))
    arr = prog.queries["m"].run_array(np.array([[1], [0], [-1]]), ["Wet"])
    assert arr.values[:, 0, :] == pytest.approx(np.array(got))


def test_json_and_arrow_name_the_moments() -> None:
    prog = atlasc.compile_string(SPRINKLER + "query m = moments(bn, dirichlet = 4 | Wet)\n")
    res = prog.queries["m"].run()
    row = res.to_json()["rows"][0]
    e, var = row["value"]
    assert (row["expectation"], row["variance"]) == (e, var)
    assert row["std"] == pytest.approx(math.sqrt(var))
    t = res.to_arrow()
    assert t.column("std").to_pylist() == [pytest.approx(math.sqrt(var))]
    assert res.text().splitlines()[1].split() == ["expectation", "variance", "std"]


# ---- refusals ---------------------------------------------------------------------------------
def _leafy() -> tuple[Builder, list[Var]]:
    return Builder(), [Var(n) for n in "ABC"]


def _m(b: Builder, v: Var, w: tuple[float, float]) -> Node:
    return b.margin(v, w, PROB)


def test_dropout_refuses_a_product_whose_factors_share_a_variable() -> None:
    b, (a, _, _) = _leafy()
    s = b.sum([_m(b, a, (0.2, 0.8)), _m(b, a, (0.5, 0.5))], PROB)
    root = b.prod([s, _m(b, a, (0.1, 0.9))], PROB)
    with pytest.raises(StructuralPropertyError) as err:
        M.dropout(Circuit(root, b, "c"), 0.1)
    assert "decomposable" in err.value.step.failure["property"]
    assert "two factors read A" in err.value.step.failure["witness"]


def test_dropout_refuses_a_circuit_not_compatible_with_itself() -> None:
    b, (a, bb, c) = _leafy()
    p1 = b.prod([_m(b, a, (0.3, 0.7)), b.sum([b.prod([_m(b, bb, (0.5, 0.5)),
                                                       _m(b, c, (0.4, 0.6))], PROB),
                                               _m(b, bb, (0.1, 0.0))], PROB)], PROB)
    p2 = b.prod([b.sum([b.prod([_m(b, a, (0.2, 0.8)), _m(b, bb, (0.6, 0.4))], PROB),
                        _m(b, a, (0.5, 0.1))], PROB), _m(b, c, (0.3, 0.3))], PROB)
    root = b.sum([p1, p2], PROB)
    with pytest.raises(StructuralPropertyError) as err:
        M.dropout(Circuit(root, b, "c"), 0.1)
    assert "compatible with itself" in err.value.step.failure["property"]
    assert "split them differently" in err.value.step.failure["witness"]


def test_dropout_refuses_a_sum_of_constants() -> None:
    b, (a, _, _) = _leafy()
    k = b.sum([b.const(0.3, PROB), b.const(0.4, PROB)], PROB)
    root = b.prod([k, b.sum([b.prod([k, _m(b, a, (1.0, 1.0))], PROB),
                             _m(b, a, (0.5, 0.5))], PROB)], PROB)
    with pytest.raises(StructuralPropertyError) as err:
        M.dropout(Circuit(root, b, "c"), 0.1)
    assert "a sum of constants" in err.value.step.failure["witness"]


@pytest.mark.parametrize("query, message", [
    ("moments(w, dirichlet = 2)", "dirichlet posteriors are on the CPT rows of a Bayesian "
                                  "network"),
    ("moments(bn, dirichlet = 2, dropout = 0.1)", "takes one of dropout = p and dirichlet = s"),
    ("moments(bn, dropout = 1.5)", "dropout 1.5 is not a probability"),
    ("moments(bn, dirichlet = 0)", "dirichlet 0 is not a positive equivalent sample size"),
    ("moments(bn, dropout = Rain)", "dropout is a number"),
])
def test_bad_calls_are_errors(query: str, message: str) -> None:
    text = SPRINKLER + "model w = weights {Rain: 0.3, !Rain: 0.7}\n" + f"query m = {query}\n"
    with pytest.raises(QueryError) as err:
        atlasc.compile_string(text)
    assert message in str(err.value)


def test_compile_writes_the_kernels_of_a_moments_query(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # one pair semiring throughout: two (prob2 and moments) gave two LLVM stages of one name
    src = tmp_path / "m.query"
    src.write_text(DROPOUT)
    r = CliRunner().invoke(main, ["compile", str(src), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "m.ll").exists() and (tmp_path / "out" / "m.circuit.json").exists()
