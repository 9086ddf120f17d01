"""The issue's call form `maxent(p, q)` / `credal(p, q)`: the model first, then the query atoms
(one, a conjunction `q1 & q2`, or a set `{q1, q2}`), then evidence after `|`.  Every spelling
gives the same circuit value as the positional form and as the definitions computed from
clingo's answer sets for each total choice (atlasc.compiler.pasp.enumerate)."""
from __future__ import annotations

import math

import pytest

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError
from atlasc.compiler.language.parse import parse
from atlasc.compiler.pasp.enumerate import choices, semantics

PROGRAM = "0.4::a. 0.6::e. 0.5::f. b :- a, not c. c :- a, not b. d :- b. :- e, c. :- f, not a."
SRC = f"model p = pasp {{ {PROGRAM} }}\n"


def value(src: str, name: str = "q") -> object:
    return compile_string(SRC + src).query(name).run().rows[0].value


@pytest.mark.parametrize("goal, evidence, atoms, lits", [
    ("b", "", ("b",), ()),
    ("b & d", "", ("b", "d"), ()),
    ("{b, d}", "", ("b", "d"), ()),
    ("b", " | e", ("b",), (("e", True),)),
    ("b & d", " | e, !f", ("b", "d"), (("e", True), ("f", False))),
    ("{c}", " | !e", ("c",), (("e", False),)),
    ("c", " | d", ("c",), (("d", True),)),          # evidence on a derived atom
    ("b", " | d, f", ("b",), (("d", True), ("f", True))),
])
def test_maxent_goal_form_against_the_definitions(goal: str, evidence: str,
                                                  atoms: tuple[str, ...],
                                                  lits: tuple[tuple[str, bool], ...]) -> None:
    want = semantics(list(choices(PROGRAM)), tuple((s, True) for s in atoms), lits)
    got = value(f"query q = maxent(p, {goal}{evidence})\n")
    ev = ", ".join(s if v else f"!{s}" for s, v in lits)
    positional = value(f"query q = maxent({', '.join(atoms)}; p{' | ' + ev if ev else ''})\n")
    assert math.isclose(got, want.maxent, abs_tol=1e-12)
    assert got == positional


@pytest.mark.parametrize("goal, evidence, atoms, lits", [
    ("b", "", ("b",), ()),
    ("b & d", " | e", ("b", "d"), (("e", True),)),
    ("{c, b}", " | !e, a", ("b", "c"), (("e", False), ("a", True))),
    ("d", " | f", ("d",), (("f", True),)),
])
def test_credal_goal_form_against_the_definitions(goal: str, evidence: str,
                                                  atoms: tuple[str, ...],
                                                  lits: tuple[tuple[str, bool], ...]) -> None:
    want = semantics(list(choices(PROGRAM)), tuple((s, True) for s in atoms), lits)
    got = value(f"query q = credal(p, {goal}{evidence})\n")
    assert tuple(got) == pytest.approx((want.lower, want.upper), abs=1e-12)


def test_the_three_spellings_parse_to_one_group() -> None:
    m = parse("query a = maxent(p, x & y | z)\nquery b = maxent(p, {y, x} | z)\n"
              "query c = credal(p, x)\n")
    groups = [tuple(sorted(n.text for n in s.expr.var_groups[0])) for s in m.stmts]
    assert groups == [("x", "y"), ("x", "y"), ("x",)]
    assert all(s.expr.goal_form for s in m.stmts)
    assert [len(s.expr.operand.evidence) if hasattr(s.expr.operand, "evidence") else 0
            for s in m.stmts] == [1, 1, 0]


def test_the_evidence_span_runs_from_the_model_to_the_last_literal() -> None:
    text = "query a = maxent(p, x | z, !w)\n"
    given = parse(text).stmts[0].expr.operand
    assert text[given.span.start:given.span.end] == "p, x | z, !w"
    assert (given.span.col, given.span.end_col) == (18, 30)


def error(src: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        compile_string(SRC + src)
    return info.value


def test_other_forms_do_not_take_the_goal_form() -> None:
    e = error("query q = mmap(p, b)\n")
    assert "does not take the form mmap(model, atoms | evidence)" in e.message
    assert e.hint is not None and "mmap(Q; model)" in e.hint


def test_goal_form_errors_point_at_the_call_or_the_atom() -> None:
    e = error("query q = maxent(p, b & zz)\n")
    assert "zz" in e.message and e.span is not None
    assert (e.span.line, e.span.col) == (2, 25)
    e = error("query q = maxent(p, {})\n")
    assert "empty" in e.message
    e = error("query q = credal(p, b | d)\n")
    assert "not probabilistic facts" in e.message and (e.span.line, e.span.col) == (2, 11)
    e = error("var z\nmodel w = weights {z: 0.5, !z: 0.5}\nquery q = maxent(w, z)\n")
    assert "needs a pasp model" in e.message and "maxent(p, q | e, !f)" in e.message
