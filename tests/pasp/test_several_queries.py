"""Several maxent and credal queries in one program, against clingo enumeration.

The queries of a program share the model's circuit builder, so each query's circuit depends on
what the earlier ones built (its node numbering, hence its compiled program).  That is how
credal(f) then credal(b :- f) came out (0, 0): the back end overwrote a MAP's source
(tests/runtime/test_map_stages.py).  Here random programs (choice rules, disjunction,
constraints, positive cycles) get random sequences of queries on facts and derived atoms, with
evidence on facts, plus a query built on two of them, each checked by the definitions.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError, SourceError
from atlasc.compiler.pasp import load
from atlasc.compiler.pasp.enumerate import choices, semantics
from tests.pasp.programs import PROBS, XS, YS, literal, program


@st.composite
def chain(draw: st.DrawFn) -> str:
    """Facts and derived atoms over them and earlier ones (stratified; the shape of the
    first failure: credal on a fact, then on an atom derived from it)."""
    xs = XS[:draw(st.integers(1, 3))]
    lines = [f"{draw(st.sampled_from(PROBS))}::{x}." for x in xs]
    below = list(xs)
    for y in YS[:draw(st.integers(1, 3))]:
        body = draw(st.lists(literal(below), min_size=1, max_size=2))
        lines.append(f"{y} :- {', '.join(body)}.")
        below.append(y)
    return "\n".join(lines)


Call = tuple[str, str, tuple[tuple[str, bool], ...]]


@st.composite
def case(draw: st.DrawFn) -> tuple[str, list[Call]]:
    """A program and (maxent | credal, goal atom, evidence on facts) in random order, repeats
    allowed; no calls when the program is not head-cycle-free."""
    text = draw(st.one_of(program(), chain()))
    try:
        p = load(text)
    except SourceError:
        return text, []             # not head-cycle-free (test_encoding covers the message)
    xs = [v.name for v in p.X]
    atoms = xs + [v.name for v in p.Y]
    out = []
    for _ in range(draw(st.integers(2, 5))):
        e = draw(st.lists(st.tuples(st.sampled_from(xs), st.booleans()), max_size=1))
        out.append((draw(st.sampled_from(["maxent", "credal", "credal"])),
                    draw(st.sampled_from(atoms)), tuple(e)))
    return text, out


def _call(sem: str, q: str, e: tuple[tuple[str, bool], ...]) -> str:
    ev = ", ".join(n if v else f"!{n}" for n, v in e)
    return f"{sem}(p, {q}{' | ' + ev if ev else ''})"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
@example(("0.9::x0. 0.9::x1. y3 :- x0.", [("credal", "x1", ()), ("credal", "y3", ())]))
def test_several_queries_in_one_program(qcase: tuple[str, list[Call]]) -> None:
    text, qs = qcase
    if not qs:
        return
    src = f"model p = pasp {{ {text.replace(chr(10), ' ')} }}\n" + "".join(
        f"query q{i} = {_call(*c)}\n" for i, c in enumerate(qs))
    me = [i for i, c in enumerate(qs) if c[0] == "maxent"]
    if len(me) >= 2:
        src += f"query both = q{me[0]} * q{me[-1]}\n"
    prog = compile_string(src)
    cs = list(choices(text))
    got: dict[int, float] = {}
    for i, (sem, q, e) in enumerate(qs):
        want = semantics(cs, ((q, True),), e)
        if sem == "credal":
            row = prog.query(f"q{i}").run().rows[0]
            assert tuple(row.value) == pytest.approx((want.lower, want.upper), abs=1e-9), \
                (src, i)
            continue
        consistent = sum(c.weight for c in cs if c.answer_sets
                         and all(c.x[n] == v for n, v in e))
        if consistent == 0:         # undefined, never a number
            row = prog.query(f"q{i}").run().rows[0]
            assert row.value is None and "probability 0" in row.entries[0].undefined
            continue
        got[i] = prog.query(f"q{i}").run().rows[0].value
        assert math.isclose(got[i], want.maxent, abs_tol=1e-9), (src, i)
    if len(me) >= 2 and me[0] in got and me[-1] in got:
        both = prog.query("both").run().rows[0].value
        assert math.isclose(both, got[me[0]] * got[me[-1]], abs_tol=1e-9), src
