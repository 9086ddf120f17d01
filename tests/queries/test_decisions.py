"""MEU (expectation semiring) and same-decision probability against brute force on random
networks with random evidence; the structural conditions that refuse them."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError, StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import bool_var
from atlasc.compiler.mappings import builtin
from atlasc.compiler.ops import apply_mapping
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, Fact, How, xdet
from atlasc.compiler.semirings import registry as R
from atlasc.runtime.reference import evaluate
from tests.queries.randbn import RandomBN, constrained, random_bn

SETTINGS = settings(max_examples=25, deadline=None)
UTIL = st.integers(-20, 20)


def _condition(bn: RandomBN, joint: np.ndarray, ev: dict[str, int]) -> np.ndarray:
    mask = np.ones_like(joint)
    for v, x in ev.items():
        idx = [slice(None)] * joint.ndim
        idx[bn.names.index(v)] = 1 - x
        mask[tuple(idx)] = 0
    return joint * mask


# ---- MEU --------------------------------------------------------------------------------------
@SETTINGS
@given(random_bn(3, 5), st.data())
def test_meu_matches_brute_force(bn: RandomBN, data: st.DataObject) -> None:
    roots = [v for v in bn.names if not bn.parents[v]]
    D = sorted(data.draw(st.lists(st.sampled_from(roots), min_size=1, max_size=2, unique=True)),
               key=bn.names.index)
    weighed = data.draw(st.lists(st.sampled_from(bn.names), min_size=1, unique=True))
    u = {v: (data.draw(UTIL), data.draw(UTIL)) for v in weighed}       # (u(false), u(true))
    chance = [v for v in bn.names if v not in D]
    ev = {v: data.draw(st.sampled_from([0, 1]))
          for v in data.draw(st.lists(st.sampled_from(chance), unique=True, max_size=1))}
    cells = ", ".join(f"{v}: (1, {ut}), !{v}: (1, {uf})" for v, (uf, ut) in u.items())
    text = bn.text(options=constrained(D)) + f"model u = weights[expectation] {{{cells}}}\n" + \
        f"query best = meu(bn, decide = {{{', '.join(D)}}}, utility = u)\n"
    row = compile_string(text).queries["best"].run(
        evidence={v: bool(x) for v, x in ev.items()}).rows[0].entries[0]
    eus = _expected_utilities(bn, _condition(bn, bn.joint(), ev), u, D)
    best = max(eus.values())
    assume(np.isfinite(best))
    assert row.value == pytest.approx(best, abs=1e-9)
    chosen = tuple(int(row.argmax[d] == "true") for d in D)
    assert eus[chosen] == pytest.approx(best, abs=1e-9)       # a maximiser (ties allowed)


def _expected_utilities(bn: RandomBN, joint: np.ndarray, u: dict[str, tuple[int, int]],
                        D: list[str]) -> dict[tuple[int, ...], float]:
    """E[U | d] for every decision d, by enumeration (-inf where p(d) = 0)."""
    mass: dict[tuple[int, ...], float] = {}
    util: dict[tuple[int, ...], float] = {}
    for idx in itertools.product((0, 1), repeat=len(bn.names)):
        a = dict(zip(bn.names, idx))
        dv = tuple(a[d] for d in D)
        mass[dv] = mass.get(dv, 0.0) + joint[idx]
        util[dv] = util.get(dv, 0.0) + joint[idx] * sum(u[v][a[v]] for v in u)
    return {dv: util[dv] / mass[dv] if mass[dv] > 0 else -np.inf for dv in mass}


def test_meu_refuses_a_decision_with_parents() -> None:
    text = ("var A, D : bool\nmodel bn = bayesnet { A: 0.3  D | A: {false: 0.5, true: 0.5} }\n"
            "model u = weights[expectation] {A: (1, 1), !A: (1, 0)}\n"
            "query q = meu(bn, decide = {D}, utility = u)\n")
    with pytest.raises(QueryError, match=r"the decision D has parents \{A\}"):
        compile_string(text)


def test_meu_needs_determinism_on_the_decisions() -> None:
    text = ("var R, D, W : bool\nmodel bn = bayesnet { R: 0.3  D: 0.5  W | R, D: {(false, false):"
            " 0.1, (false, true): 0.2, (true, false): 0.9, (true, true): 0.3} } "
            "with vtree constrained {W}\n"
            "model u = weights[expectation] {W: (1, -10), !W: (1, 0)}\n"
            "query q = meu(bn, decide = {D}, utility = u)\n")
    q = compile_string(text).queries["q"]
    assert not q.tractable       # the root splits on W: both children are non-zero at D
    assert "map[eu: expectation -> maxlog]: needs {D}-deterministic" in q.report.render()


def test_utility_must_be_in_the_expectation_semiring() -> None:
    text = ("var D : bool\nmodel bn = bayesnet { D: 0.5 }\nmodel u = weights {D: 1, !D: 0}\n"
            "query q = meu(bn, decide = {D}, utility = u)\n")
    with pytest.raises(QueryError, match="utility must be a model in expectation"):
        compile_string(text)


# ---- SDP --------------------------------------------------------------------------------------
@SETTINGS
@given(random_bn(3, 5), st.data())
def test_sdp_matches_brute_force(bn: RandomBN, data: st.DataObject) -> None:
    names = bn.names
    d = data.draw(st.sampled_from(names))
    H = sorted(data.draw(st.lists(st.sampled_from([v for v in names if v != d]), min_size=1,
                                  max_size=2, unique=True)), key=names.index)
    rest = [v for v in names if v != d and v not in H]
    ev = {v: data.draw(st.sampled_from([0, 1]))
          for v in data.draw(st.lists(st.sampled_from(rest), unique=True, max_size=2))
          } if rest else {}
    t = data.draw(st.sampled_from([0.2, 0.5, 0.7]))
    text = bn.text(options=constrained(H)) + \
        f"query s = sdp(bn, decide = {d}, hidden = {{{', '.join(H)}}}, threshold = {t})\n"
    q = compile_string(text).queries["s"]
    assert q.tractable, q.report.render()
    got = q.run(evidence={v: bool(x) for v, x in ev.items()}).rows[0].value
    joint = _condition(bn, bn.joint(), ev)
    m = bn.marginal(joint, H + [d])              # axes H..., d
    pe = m.sum()
    want = 0.0
    for h in itertools.product((0, 1), repeat=len(H)):
        ph = m[h].sum()
        if ph == 0:
            continue
        assume(abs(m[h][1] / ph - t) > 1e-9)
        want += ph * (m[h][1] / ph >= t)
    assert got == pytest.approx(want / pe, abs=1e-9)


def test_sdp_refused_when_not_deterministic_on_hidden() -> None:
    from pathlib import Path
    ex = Path(__file__).resolve().parents[2] / "examples" / "sdp.query"
    q = compile_string(ex.read_text()).queries["sdp_refused"]
    assert not q.tractable
    assert "map[threshold(0.5)" in q.report.render()


def _single_factor_case() -> Circuit:
    """PROD(h, c1, c2) + PROD(!h, c3): {H}-deterministic, but at h = true the value is a
    product of two non-diagonal constants."""
    b, sr = Builder(), R.PROB2
    H = bool_var("H")
    pos = b.input(H, [(0.0, 0.0), (1.0, 1.0)], sr)
    neg = b.input(H, [(1.0, 1.0), (0.0, 0.0)], sr)
    c1, c2, c3 = b.const((0.4, 0.5), sr), b.const((0.5, 0.6), sr), b.const((0.1, 0.4), sr)
    root = b.sum([b.prod([pos, c1, c2], sr), b.prod([neg, c3], sr)], sr)
    facts = {p: Fact(p, True, How.CONSTRUCTION, "built so") for p in (SMOOTH, DEC, DET)}
    facts[xdet({H})] = Fact(xdet({H}), True, How.CONSTRUCTION, "built so")
    return Circuit(root, b, "c", facts=facts)


def test_threshold_needs_one_inner_factor_per_product() -> None:
    c = _single_factor_case()
    tau = builtin.threshold(0.7)
    with pytest.raises(StructuralPropertyError) as e:
        apply_mapping(c, tau)
    assert "at most one factor per product" in e.value.prop
    assert "2 children may carry values the mapping does not pass" in e.value.violation.describe()
    # node by node would be wrong here: tau(c1 c2) = 0, tau(c1) tau(c2) = 0.3
    assert tau.apply_py((0.2, 0.3)) == 0.0
    assert tau.apply_py((0.4, 0.5)) * tau.apply_py((0.5, 0.6)) == pytest.approx(0.3)


def test_threshold_is_exact_with_one_inner_factor() -> None:
    b, sr = Builder(), R.PROB2
    H = bool_var("H")
    pos = b.input(H, [(0.0, 0.0), (0.3, 0.3)], sr)
    neg = b.input(H, [(0.7, 0.7), (0.0, 0.0)], sr)
    root = b.sum([b.prod([pos, b.const((0.2, 0.3), sr)], sr),
                  b.prod([neg, b.const((0.1, 0.4), sr)], sr)], sr)
    facts = {p: Fact(p, True, How.CONSTRUCTION, "built so") for p in (SMOOTH, DEC, DET)}
    c = Circuit(root, b, "c", facts=facts)
    out = apply_mapping(c, builtin.threshold(0.5))
    vals = [evaluate(out, assignment=[{H: h}]).values[0] for h in (0, 1)]
    assert vals == pytest.approx([0.0, 0.3 * 0.3])     # h=1: 0.2/0.3 >= 0.5; h=0: 0.25 < 0.5
