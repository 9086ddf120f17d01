"""maxent(p, q) and credal(p, q) against aspmc (PyPI `aspmc`, an independent algebraic answer
set counter), on stratified programs in the style of its ProbLog examples: probabilistic facts
and families, default negation, positive recursion (reachability), several queries.

On a stratified program every total choice has exactly one answer set, so MaxEnt, the credal
lower bound and the credal upper bound all equal the ProbLog probability, which aspmc computes
with `-m problog -c` (run as a subprocess per program).  Each program is written once in our
syntax and translated mechanically for aspmc: `not` becomes `\\+`, a `query(atom).` line per
query.  The premise (one answer set per total choice) is checked by clingo enumeration
(atlasc.compiler.pasp.enumerate) for every program.

aspmc's own PASP modes (`-m smproblog` for MaxEnt, `-m credal`) cannot run here: they need an
X/D-constrained compilation that only c2d or miniC2D do, and those binaries are not in the
aspmc wheel (aspmc fails looking for external/c2d/bin/c2d_linux).  Programs with several answer
sets per total choice are checked against clingo enumeration only (tests/pasp/test_queries.py).

aspmc prints each probability as a Python float (shortest repr, not rounded), so the values are
compared at 1e-9 relative.  `-dt 0.1` caps its tree-decomposition search at 0.1 s (default 1 s):
any decomposition gives the same counts, and a program costs ~0.9 s instead of ~2.7 s.
"""
from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_file, compile_string
from atlasc.compiler.pasp import load
from atlasc.compiler.pasp.enumerate import choices

pytest.importorskip("aspmc")

ASPMC = [sys.executable, "-m", "aspmc.main", "-m", "problog", "-c", "-dt", "0.1"]
RESULT = re.compile(r"^\[RESULT\] aspmc: (.+?):\s+(\S+)\s*$", re.MULTILINE)
NOT = re.compile(r"\bnot\s+")

REACH = """\
0.3::e(1,2). 0.6::e(2,3). 0.5::e(1,3). 0.2::e(3,1).
r(X,Y) :- e(X,Y).
r(X,Z) :- r(X,Y), e(Y,Z).
q :- r(1,3), not r(3,1).
"""
SMOKERS = """\
person(ann). person(bob). person(cid).
0.3::stress(X) :- person(X).
0.4::risk(X) :- person(X).
0.2::influences(ann,bob). 0.5::influences(bob,cid). 0.4::influences(cid,ann).
0.1::influences(bob,ann).
smokes(X) :- stress(X).
smokes(X) :- influences(Y,X), smokes(Y).
asthma(X) :- smokes(X), risk(X).
fine(X) :- person(X), not smokes(X).
"""
ALARM = """\
0.1::burglary. 0.2::earthquake.
0.7::hears(john). 0.4::hears(mary).
alarm :- burglary.
alarm :- earthquake.
calls(X) :- alarm, hears(X).
quiet :- not calls(john), not calls(mary).
false_alarm :- alarm, not burglary.
"""
LAYERS = """\
0.5::a. 0.6::b. 0.3::c.
p :- a.
p :- q.
q :- p, b.
q :- c.
s :- not p.
t :- s, not c.
t :- q, not b.
u :- not t, not s.
"""
GAME = """\
0.5::move(a,b). 0.6::move(a,c). 0.7::move(b,c). 0.4::move(b,d). 0.8::move(c,d).
win(X) :- move(X,Y), not win(Y).
"""
FIXED = {   # program -> queries (ground atoms); GAME is stratified on the ground program only
    "reach": (REACH, ["r(1,3)", "q", "r(3,1)"]),
    "smokers": (SMOKERS, ["smokes(cid)", "asthma(bob)", "fine(ann)", "smokes(ann)"]),
    "alarm": (ALARM, ["alarm", "calls(john)", "quiet", "false_alarm"]),
    "layers": (LAYERS, ["p", "q", "s", "t", "u"]),
    "game": (GAME, ["win(a)", "win(b)", "win(c)"]),
}


def aspmc(text: str, queries: list[str], tmp: Path) -> dict[str, float]:
    """aspmc's probability of each query (the program translated to its syntax)."""
    path = tmp / "aspmc.lp"
    path.write_text(NOT.sub(r"\\+", text) + "".join(f"query({q}).\n" for q in queries))
    out = subprocess.run([*ASPMC, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return {name.replace(" ", ""): float(v)
            for name, v in RESULT.findall(out.stdout + "\n" + out.stderr)}


def _queries_text(queries: list[str]) -> str:
    return "".join(f"query me{i} = maxent(prog, {q})\n"
                   f"query cr{i} = credal(prog, {q})\n" for i, q in enumerate(queries))


def ours(prog: object, queries: list[str]) -> dict[str, tuple[float, float, float]]:
    """(MaxEnt, credal lower, credal upper) of each query."""
    got = {}
    for i, q in enumerate(queries):
        lo, hi = prog.query(f"cr{i}").run().rows[0].value
        got[q] = (prog.query(f"me{i}").run().rows[0].value, lo, hi)
    return got


def assert_stratified(text: str) -> None:
    """The oracle's premise: every total choice has exactly one answer set."""
    for c in choices(text):
        assert len(c.answer_sets) == 1, (c.x, c.answer_sets)


def assert_agree(text: str, queries: list[str], prog: object, tmp: Path) -> None:
    want = aspmc(text, queries, tmp)
    assert set(want) == set(queries), (want, queries)
    for q, values in ours(prog, queries).items():
        for v in values:
            assert math.isclose(v, want[q], rel_tol=1e-9, abs_tol=1e-12), (q, values, want[q])


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs_from_an_lp_file(name: str, tmp_path: Path) -> None:
    text, queries = FIXED[name]
    assert_stratified(text)
    (tmp_path / "prog.lp").write_text(text)
    (tmp_path / "prog.query").write_text('model prog = pasp "prog.lp"\n' + _queries_text(queries))
    assert_agree(text, queries, compile_file(tmp_path / "prog.query"), tmp_path)


def test_translation_to_aspmc_syntax(tmp_path: Path) -> None:
    """The hand-computed reachability example: P(r(1,3)) = 1 - 0.5 (1 - 0.3 * 0.6) and
    q = r(1,3) and not r(3,1), where r(3,1) is e(3,1) alone."""
    got = aspmc(REACH, ["r(1,3)", "q"], tmp_path)
    assert math.isclose(got["r(1,3)"], 0.59) and math.isclose(got["q"], 0.59 * 0.8)
    assert "\\+r(3,1)" in (tmp_path / "aspmc.lp").read_text()


def test_credal_of_a_fact_then_of_an_atom_derived_from_it(tmp_path: Path) -> None:
    """Found by this oracle: credal(b) gave (0, 0) after credal(f).  The compiled back end
    applied a stage's MAP nodes grouped by mapping (credal, then recip), while slots are
    allocated in instruction order, so a credal result overwrote recip's source
    (tests/runtime/test_map_stages.py)."""
    text, queries = "0.1::f.\nb :- f.\n", ["f", "b"]
    prog = compile_string(f"model prog = pasp {{\n{text}}}\n" + _queries_text(queries))
    assert_agree(text, queries, prog, tmp_path)


# Random stratified programs: probabilistic facts (stratum 0) and three strata of derived
# atoms; a rule for an atom of stratum k has positive body atoms from strata <= k (positive
# recursion inside a stratum) and negated ones from strata < k only.
FACTS = ["f0", "f1", "f2", "f3"]
STRATA = [["a0", "a1", "a2"], ["b0", "b1"], ["c0", "c1"]]
PROBS = ["0.1", "0.25", "0.5", "0.7", "0.9"]


@st.composite
def stratified(draw: st.DrawFn) -> str:
    facts = FACTS[:draw(st.integers(1, len(FACTS)))]
    lines = [f"{draw(st.sampled_from(PROBS))}::{f}." for f in facts]
    below = list(facts)
    for stratum in STRATA:
        here = below + stratum
        for _ in range(draw(st.integers(1, 4))):
            head = draw(st.sampled_from(stratum))
            pos = draw(st.lists(st.sampled_from(here), min_size=1, max_size=2, unique=True))
            neg = draw(st.lists(st.sampled_from(below), max_size=2, unique=True))
            lines.append(f"{head} :- {', '.join(pos + [f'not {a}' for a in neg])}.")
        below = here
    return "\n".join(lines) + "\n"


@st.composite
def reachability(draw: st.DrawFn) -> str:
    """Probabilistic edges on 4 nodes, reachability from 1, and a negated layer on top."""
    pairs = [(i, j) for i in range(1, 5) for j in range(1, 5) if i != j]
    edges = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=6, unique=True))
    lines = [f"{draw(st.sampled_from(PROBS))}::e({i},{j})." for i, j in edges]
    lines += ["node(1). node(2). node(3). node(4).", "r(X,Y) :- e(X,Y).",
              "r(X,Z) :- r(X,Y), e(Y,Z).", "cut(X) :- node(X), not r(1,X).",
              "back(X) :- r(1,X), r(X,1).", "lone :- not back(2), not back(3), not back(4)."]
    return "\n".join(lines) + "\n"


def check_random(text: str, data: st.DataObject, tmp: Path) -> None:
    """Queries on probabilistic facts and derived atoms that clingo keeps, in random order."""
    assert_stratified(text)
    g = load(text).ground
    atoms = sorted(g.symbols.values())
    queries = data.draw(st.lists(st.sampled_from(atoms), min_size=1, max_size=4, unique=True))
    prog = compile_string(f"model prog = pasp {{\n{text}}}\n" + _queries_text(queries))
    assert_agree(text, queries, prog, tmp)


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                       HealthCheck.function_scoped_fixture])


@settings(max_examples=8, **SETTINGS)
@given(stratified(), st.data())
def test_random_stratified_programs(tmp_path: Path, text: str, data: st.DataObject) -> None:
    check_random(text, data, tmp_path)


@settings(max_examples=5, **SETTINGS)
@given(reachability(), st.data())
def test_random_reachability(tmp_path: Path, text: str, data: st.DataObject) -> None:
    check_random(text, data, tmp_path)


@pytest.mark.slow
@settings(max_examples=80, **SETTINGS)
@given(st.one_of(stratified(), reachability()), st.data())
def test_random_programs_many(tmp_path: Path, text: str, data: st.DataObject) -> None:
    check_random(text, data, tmp_path)
