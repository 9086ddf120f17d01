"""Weighted and algebraic model counting in every scalar semiring: sum over all variables of
w * [phi] against enumeration, for random formulas' weights."""
from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from tests.queries.test_twoamc import FORMULAS, _eval

# semiring -> (aggregation word, weight strategy, (+) on Python values, (x), zero, one)
SEMIRINGS = {
    "prob": ("sum", st.integers(0, 9).map(lambda k: k / 10), sum, math.prod),
    "count": ("sum", st.integers(0, 5), sum, math.prod),
    "maxprod": ("max", st.integers(0, 9).map(lambda k: k / 10), max, math.prod),
    "log": ("sum", st.integers(-20, 5).map(lambda k: k / 10),
            lambda xs: math.log(sum(math.exp(x) for x in xs)) if xs else -math.inf, sum),
    "maxlog": ("max", st.integers(-20, 5).map(lambda k: k / 10), max, sum),
    "minsum": ("min", st.integers(0, 9), min, sum),
}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FORMULAS), st.sampled_from(sorted(SEMIRINGS)), st.data())
def test_algebraic_model_count(phi: str, sr: str, data: st.DataObject) -> None:
    word, weight, add, mul = SEMIRINGS[sr]
    w = {(v, x): data.draw(weight) for v in ("x1", "x2", "x3") for x in (0, 1)}
    cells = ", ".join(f"{v}: {w[(v, 1)]}, !{v}: {w[(v, 0)]}" for v in ("x1", "x2", "x3"))
    text = (f"var x1, x2, x3 : bool\nmodel phi = logic {phi}\n"
            f"model w = weights[{sr}] {{{cells}}}\n"
            f"query q = {word}[*] (map[indicator: bool -> {sr}] phi * w)\n")
    got = compile_string(text).queries["q"].run().rows[0].value
    terms = [mul([w[(v, x)] for v, x in zip(("x1", "x2", "x3"), a)])
             for a in itertools.product((0, 1), repeat=3)
             if _eval(phi, dict(zip(("x1", "x2", "x3"), map(bool, a))))]
    want = add(terms)
    assert got == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("phi", FORMULAS)
def test_satisfiability_needs_no_determinism(phi: str) -> None:
    text = f"var x1, x2, x3 : bool\nmodel phi = logic {phi}\nquery q = or[*] phi\n"
    assert compile_string(text).queries["q"].run().rows[0].value is True
