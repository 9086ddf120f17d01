"""The PASP examples (examples/pasp_credal.query, examples/pasp_reach.query with reach.lp): every
query's value and flagged inconsistent mass against the definitions computed from clingo's
answer sets for every total choice."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from atlasc.compiler.api import compile_file
from atlasc.compiler.pasp.enumerate import choices, semantics

EX = Path(__file__).resolve().parents[2] / "examples"
T, F = True, False

CREDAL_EX = {   # query -> (program, goal, evidence, credal)
    "p_b": ("0.3::a. b ; c :- a.", (("b", T),), (), False),
    "bounds": ("0.3::a. b ; c :- a.", (("b", T),), (), True),
    "b_if_a": ("0.3::a. b ; c :- a.", (("b", T),), (("a", T),), False),
    "b_kw": ("0.3::a. b ; c :- a.", (("b", T),), (), False),
    "b_pos": ("0.3::a. b ; c :- a.", (("b", T),), (), False),
    "dropped": ("0.4::a. 0.5::f. b ; c :- a. :- f, not a.", (("b", T),), (), False),
    "neither": ("0.4::a. 0.5::f. b ; c :- a. :- f, not a.", (("b", T),), (), True),
    "given_f": ("0.4::a. 0.5::f. b ; c :- a. :- f, not a.", (("b", T),), (("f", T),), False),
}
REACH = (EX / "reach.lp").read_text()
REACH_EX = {
    "reach_1_4": (REACH, (("r(1,4)", T),), (), False),
    "p_red_2": (REACH, (("red(2)", T),), (), False),
    "cr_red_2": (REACH, (("red(2)", T),), (), True),
    "via_3": (REACH, (("r(1,4)", T),), (("e(1,3)", T),), False),
    "red_given": (REACH, (("red(2)", T),), (("blue(3)", T),), False),
    "both": (REACH, (("r(1,2)", T), ("r(1,3)", T)), (), False),
}


@pytest.mark.parametrize("file, table", [("pasp_credal.query", CREDAL_EX),
                                         ("pasp_reach.query", REACH_EX)])
def test_examples_against_the_definitions(file: str, table: dict) -> None:
    prog = compile_file(EX / file)
    assert set(table) == set(prog.queries)
    cache: dict[str, list] = {}
    for name, (text, goal, ev, credal) in table.items():
        cs = cache.setdefault(text, list(choices(text)))
        want = semantics(cs, goal, ev)
        row = prog.query(name).run().rows[0]
        if credal:
            assert tuple(row.value) == pytest.approx((want.lower, want.upper)), name
        else:
            assert math.isclose(row.value, want.maxent, abs_tol=1e-12), name
        facts = tuple(p for p in ev if any(p[0] in c.x for c in cs[:1]))
        assert math.isclose(row.inconsistent[0].mass, semantics(cs, goal, facts).inconsistent,
                            abs_tol=1e-12), name
    if file == "pasp_credal.query":
        assert prog.query("dropped").run().rows[0].inconsistent[0].mass == pytest.approx(0.3)
