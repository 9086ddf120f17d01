"""Property checkers return witnesses; facts record how they were established."""
from __future__ import annotations

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import balanced, constrained
from atlasc.compiler.ops import aggregate, model
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.ir.facts import DET, How, xdet
from atlasc.compiler.properties.structural import (check_decomposable, check_smooth,
                                            check_structured)
from atlasc.compiler.semirings import PROB
from atlasc.compiler.properties.establish import establish

A, B, C = Var("A"), Var("B"), Var("C")


def test_smooth_witness_names_the_missing_variables():
    b = Builder()
    s = b.sum([b.input(A, [1, 1], PROB), b.prod([b.input(A, [1, 1], PROB), b.input(B, [1, 2], PROB)])])
    v = check_smooth(Circuit(s, b))
    assert v.node is s and "missing {B}" in v.reason


def test_decomposable_witness_names_the_shared_variable():
    b = Builder()
    p = b.prod([b.input(A, [1, 1], PROB), b.prod([b.input(A, [1, 2], PROB), b.input(B, [1, 2], PROB)])])
    v = check_decomposable(Circuit(p, b))
    assert v.node is p and "both depend on A" in v.reason


def test_determinism_witness_gives_an_overlapping_assignment():
    b = Builder()
    s = b.sum([b.prod([b.indicator(A, 1, PROB), b.input(B, [1, 1], PROB)]),
               b.prod([b.input(A, [1, 1], PROB), b.indicator(B, 1, PROB)])])
    res = check_deterministic(Circuit(s, b))
    assert res.holds is False and res.route == "SDD"
    assert "A=true, B=true" in res.witness.reason
    assert check_deterministic(Circuit(s, b), frozenset({C})).holds is True   # vacuous


def test_structural_fast_path():
    b = Builder()
    s = b.sum([b.prod([b.indicator(A, x, PROB), b.input(B, [1, 2], PROB)]) for x in (0, 1)])
    res = check_deterministic(Circuit(s, b), frozenset({A}))
    assert res.holds and res.route == "structural"


def test_size_limit_gives_unknown_never_yes():
    b = Builder()
    s = b.sum([b.prod([b.indicator(A, 1, PROB), b.input(B, [1, 1], PROB)]),
               b.prod([b.input(A, [1, 1], PROB), b.indicator(B, 1, PROB)])])
    res = check_deterministic(Circuit(s, b), limit=1)
    assert res.holds is None and "undecided" in res.witness.reason


def test_structured_decomposability_against_a_vtree():
    b = Builder()
    p = b.prod([b.input(A, [1, 2], PROB), b.input(B, [1, 2], PROB), b.input(C, [1, 2], PROB)])
    c = Circuit(p, b)
    assert check_structured(c, balanced([A, B, C])) is None
    q = b.prod([b.prod([b.input(A, [1, 3], PROB), b.input(C, [1, 3], PROB)]), b.input(B, [1, 3], PROB)])
    v = check_structured(Circuit(q, b), balanced([A, B, C]))
    assert v is not None and "straddles" in v.reason
    assert check_structured(Circuit(q, b), constrained([B], [A, C])) is None


def test_facts_record_how_they_were_established():
    b = Builder()
    s = b.sum([b.prod([b.indicator(A, x, PROB), b.input(B, [1, 2], PROB)]) for x in (0, 1)])
    c = model(Circuit(s, b), "m")
    assert establish(c, xdet({A})).how is How.VERIFIED
    view = aggregate(c, [B])
    f = establish(view, xdet({A}))
    assert f.holds and f.how is How.PROPAGATED and "W misses X" in f.detail
    view.facts.clear()
    assert "source m" in establish(view, xdet({A})).detail
    c.facts[DET] = establish(c, DET)
    assert establish(c, xdet({A, B})).detail.startswith("implied by determinism")


def test_determinism_does_not_imply_x_determinism():
    """P4: split on B first, deterministic, but not {A}-deterministic; recording DET must not
    make the fact engine claim {A}-determinism."""
    b = Builder()
    s = b.sum([b.prod([b.indicator(B, x, PROB), b.input(A, [.3, .4], PROB)]) for x in (0, 1)])
    c = model(Circuit(s, b), "bfirst")
    c.facts[DET] = establish(c, DET)
    assert c.facts[DET].holds
    assert establish(c, xdet({A})).holds is False


def test_compatibility_checker_returns_the_two_nodes():
    from atlasc.compiler.properties.compat import check_compatible
    b = Builder()
    leaf = lambda v: b.input(v, [1, 2], PROB)  # noqa: E731
    left = Circuit(b.prod([b.prod([leaf(A), leaf(B)]), leaf(C)]), b, "left")
    right = Circuit(b.prod([leaf(A), b.prod([leaf(B), leaf(C)])]), b, "right")
    flat = Circuit(b.prod([leaf(A), leaf(B), leaf(C)]), b, "flat")
    assert check_compatible(left, flat) is None
    v = check_compatible(left, right)
    assert v is not None and "split {A, B, C}" in v.reason and v.node is left.root


def test_support_compatibility_needs_one_source_and_shared_determinism():
    from atlasc.compiler.properties.compat import check_support_compatible
    b = Builder()
    s = b.sum([b.prod([b.indicator(A, x, PROB), b.input(B, [1, 2], PROB)]) for x in (0, 1)])
    c = model(Circuit(s, b), "m")
    assert check_support_compatible([c, aggregate(c, [B])]) is None
    other = model(Circuit(s, b), "m2")
    assert "different circuits" in check_support_compatible([c, other]).reason
    mix = model(Circuit(b.sum([b.input(A, [1, 2], PROB), b.input(A, [2, 1], PROB)]), b), "mix")
    assert "not {A}-deterministic" in check_support_compatible([mix, mix]).reason
