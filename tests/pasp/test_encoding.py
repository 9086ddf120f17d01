"""phi(X, Y) of random programs against clingo: for every total choice, the models of the
compiled circuit are exactly the answer sets clingo enumerates."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from atlasc.compiler.errors import SourceError
from atlasc.compiler.pasp import compile_pasp, load
from atlasc.compiler.pasp.enumerate import choices
from atlasc.runtime.evaluator import evaluate
from tests.pasp.programs import program

REACH = """0.6::e(1,2). 0.5::e(2,1). 0.7::e(2,3). 0.4::e(3,1).
r(X,Y) :- e(X,Y). r(X,Z) :- r(X,Y), e(Y,Z)."""


def models_by_choice(text: str) -> dict[tuple[int, ...], set[frozenset[str]]]:
    p = load(text)
    c, _ = compile_pasp(p)
    X, Y = p.X, p.Y
    sym = {v: p.ground.symbols[a] for a, v in p.vars.items()}
    rows = [dict(zip(X + Y, bits)) for bits in itertools.product((0, 1), repeat=len(X + Y))]
    out: dict[tuple[int, ...], set[frozenset[str]]] = {}
    for r, val in zip(rows, evaluate(c, assignment=rows).values):
        x = tuple(r[v] for v in X)
        out.setdefault(x, set())
        if val:
            out[x].add(frozenset(sym[v] for v in X + Y if r[v]))
    return out


def check_against_clingo(text: str) -> None:
    got = models_by_choice(text)
    p = load(text)
    sym = {v: p.ground.symbols[a] for a, v in p.vars.items()}
    for ch in choices(text):
        x = tuple(int(ch.x[sym[v]]) for v in p.X)
        assert got[x] == set(ch.answer_sets), (text, ch.x)


@pytest.mark.parametrize("text", [
    "0.3::a.  b ; c :- a.",
    REACH,
    "0.4::a. 0.5::b. c :- a, not d. d :- b, not c. :- c, b. e :- d. e :- c, e. f :- g. g :- f.",
    "0.5::a. {b; c} :- a. d :- b. d :- c, d. :- not d, a.",
    "0.5::a. b :- not c. c :- not b. d :- b, a. d :- e. e :- d.",
])
def test_known_programs(text: str) -> None:
    check_against_clingo(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program())
def test_random_programs_match_clingo(text: str) -> None:
    try:
        load(text)
    except SourceError as e:
        assert "head-cycle-free" in e.message
        return
    check_against_clingo(text)


def test_tightness_is_reported() -> None:
    assert load("0.5::a. b :- a.").encoding().tight
    enc = load(REACH).encoding()
    assert not enc.tight and enc.components == 3
