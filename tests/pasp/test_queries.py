"""maxent(p, q | e) and credal(p, q | e) (and the positional and keyword forms) through the
language, against the definitions computed from clingo's answer sets for every total choice
(atlasc.compiler.pasp.enumerate), with the mass of the inconsistent total choices they flag."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError, SourceError
from atlasc.compiler.pasp import load
from atlasc.compiler.pasp.enumerate import choices, semantics
from tests.pasp.programs import program

TOY = "model p = pasp { 0.3::a.  b ; c :- a. }\n"


def run(text: str, name: str, evidence: dict[str, str] | None = None) -> object:
    return compile_string(text).query(name).run(evidence).rows[0].value


def test_toy_program_of_atlas_section_5() -> None:
    src = TOY + "query me = maxent(p, b)\nquery cr = credal(p, b)\nquery po = maxent(b; p)\n"
    assert math.isclose(run(src, "me"), 0.15) and math.isclose(run(src, "po"), 0.15)
    assert tuple(run(src, "cr")) == pytest.approx((0.0, 0.3))


def test_keyword_form() -> None:
    assert math.isclose(run(TOY + "query me = maxent(p, query = {b})\n", "me"), 0.15)


def test_inconsistent_choices_dropped_by_maxent_and_reported() -> None:
    src = ("model p = pasp { 0.4::a. 0.5::f. b ; c :- a. :- f, not a. }\n"
           "query me = maxent(p, b)\nquery cr = credal(p, b)\n")
    prog = compile_string(src)
    # consistent mass: 1 - 0.6 * 0.5 = 0.7; P(b, consistent) = 0.4 / 2
    assert math.isclose(prog.query("me").run().rows[0].value, 0.2 / 0.7)
    assert tuple(prog.query("cr").run().rows[0].value) == pytest.approx((0.0, 0.4))
    for name in ("me", "cr"):
        assert math.isclose(prog.query(name).run().rows[0].inconsistent[0].mass, 0.3)
        assert "inconsistent total choices: mass 0.3, " in prog.query(name).report.render()


def test_evidence_in_the_query_and_on_facts_at_run_time() -> None:
    src = ("model p = pasp { 0.4::a. 0.6::e. b :- a, not c. c :- a, not b. :- e, c. }\n"
           "query me = maxent(p, b | e)\nquery cr = credal(p, b | e)\n"
           "query plain = maxent(p, b)\n")
    cs = list(choices("0.4::a. 0.6::e. b :- a, not c. c :- a, not b. :- e, c."))
    want = semantics(cs, (("b", True),), (("e", True),))
    assert math.isclose(run(src, "me"), want.maxent)
    assert tuple(run(src, "cr")) == pytest.approx((want.lower, want.upper))
    assert math.isclose(run(src, "plain", {"e": "true"}), want.maxent)


def test_run_time_evidence_on_a_derived_atom_is_an_error() -> None:
    prog = compile_string(TOY + "query me = maxent(b; p)\n")
    with pytest.raises(QueryError, match="only probabilistic facts"):
        prog.query("me").run({"c": "true"})


def _query_text(text: str, q: list[str], e: tuple[tuple[str, bool], ...], credal: bool,
                form: str) -> str:
    """The goal form (q1 & q2, or a set), the positional form (q1, q2; p | e)."""
    ev = ", ".join(n if v else f"!{n}" for n, v in e)
    given_ = f" | {ev}" if ev else ""
    goal = {"and": " & ".join(q), "set": "{" + ", ".join(q) + "}"}.get(form)
    body = text.replace("\n", " ")

    def call(name: str) -> str:
        return f"{name}(p, {goal}{given_})" if goal else f"{name}({', '.join(q)}; p{given_})"
    cr = f"query cr = {call('credal')}\n" if credal else ""
    return f"model p = pasp {{ {body} }}\nquery me = {call('maxent')}\n" + cr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program(), st.data())
def test_random_programs_against_the_definitions(text: str, data: st.DataObject) -> None:
    try:
        p = load(text)
    except SourceError:
        return                      # not head-cycle-free (test_encoding covers the message)
    xs = [v.name for v in p.X]
    ys = [v.name for v in p.Y]
    q = data.draw(st.lists(st.sampled_from(xs + ys), min_size=1, max_size=2, unique=True))
    e_x = data.draw(st.lists(st.tuples(st.sampled_from(xs), st.booleans()), max_size=1))
    others = [y for y in ys if y not in q]
    e_y = data.draw(st.lists(st.tuples(st.sampled_from(others), st.booleans()),
                             max_size=1)) if others else []
    e = tuple(dict(e_x + e_y).items())
    cs = list(choices(text))
    prog = compile_string(_query_text(text, q, e, not e_y,
                                      data.draw(st.sampled_from(["and", "set", "positional"]))))
    goal = tuple((a, True) for a in q)
    want = semantics(cs, goal, e)
    bad = semantics(cs, goal, tuple(e_x)).inconsistent
    assert math.isclose(prog.query("me").report.inconsistent[0].mass, bad, abs_tol=1e-9)
    mass_e = sum(c.weight * sum(all((n in A) == v for n, v in e) for A in c.answer_sets)
                 / len(c.answer_sets) for c in cs if c.answer_sets)
    if mass_e > 0:
        assert math.isclose(prog.query("me").run().rows[0].value, want.maxent, abs_tol=1e-9)
    else:                           # undefined, never a number
        row = prog.query("me").run().rows[0]
        assert row.value is None and row.entries[0].undefined.startswith(
            "the evidence has probability 0")
    want_c = semantics(cs, goal, tuple(e_x))
    if e_y:
        return
    got = prog.query("cr").run().rows[0]
    assert tuple(got.value) == pytest.approx((want_c.lower, want_c.upper), abs=1e-9)
    assert math.isclose(got.inconsistent[0].mass, bad, abs_tol=1e-9)


def test_credal_rejects_evidence_on_derived_atoms() -> None:
    with pytest.raises(QueryError, match="not probabilistic facts"):
        compile_string(TOY + "query cr = credal(p, b | c)\n")
