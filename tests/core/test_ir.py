"""IR: hash-consing, scopes, semiring checks, no recursion on deep circuits."""
from __future__ import annotations

import pytest

from atlasc.compiler.ir.builder import Builder, BuilderError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ops import aggregate
from atlasc.compiler.ir.facts import DEC, SMOOTH
from atlasc.compiler.semirings import COUNT, PROB
from atlasc.runtime.reference import evaluate
from atlasc.compiler.properties.establish import establish

A, B = Var("A"), Var("B")
W = Var("W", ("sunny", "cloudy", "rainy"))


def test_hash_consing_makes_equal_structure_identical():
    b = Builder()
    x = b.prod([b.indicator(A, 1, PROB), b.input(B, [.2, .8], PROB)])
    y = b.prod([b.indicator(A, "true", PROB), b.input(B, [0.2, 0.8], PROB)])
    assert x is y and len(b) == 3


def test_scopes_and_sizes():
    b = Builder()
    c = Circuit(b.sum([b.prod([b.indicator(A, v, PROB), b.input(W, [1, 2, 3], PROB)])
                       for v in (0, 1)]), b)
    assert c.vars == {A, W} and c.size == 6 and c.num_nodes == 6


def test_builder_rejects_ill_formed_nodes():
    b = Builder()
    with pytest.raises(BuilderError):
        b.sum([b.input(A, [1, 2], PROB), b.input(A, [1, 2], COUNT)])
    with pytest.raises(BuilderError):
        b.input(W, [1, 2], PROB)
    with pytest.raises(ValueError):
        b.input(A, [-1.0, 1.0], PROB)
    with pytest.raises(ValueError):
        W.index("snowy")
    other = Builder()
    with pytest.raises(BuilderError):
        b.prod([b.indicator(A, 1, PROB), other.indicator(B, 1, PROB)])


def test_count_is_exact():
    b = Builder()
    big = 3 ** 60
    c = Circuit(b.prod([b.input(A, [big, big], COUNT), b.input(B, [big, 1], COUNT)]), b)
    assert evaluate(aggregate(c, [A, B])).values == [2 * big * (big + 1)]


def _deep(n: int) -> Circuit:
    """A chain of n sum/product pairs over one variable: depth ~2n."""
    b = Builder()
    x = b.input(A, [0.5, 0.5], PROB)
    for i in range(n):
        x = b.sum([b.prod([x, b.const(1.0, PROB)]), b.input(A, [float(i % 7), 0.0], PROB)])
    return Circuit(x, b, "deep")


def test_deep_circuits_need_no_recursion():
    c = _deep(60_000)            # 120k nodes, depth 120k: far past the recursion limit
    assert c.num_nodes > 100_000
    assert establish(c, SMOOTH).holds and establish(c, DEC).holds
    out = aggregate(c, [A])
    assert evaluate(out).values[0] > 0


@pytest.mark.slow
def test_million_node_circuit():
    c = _deep(500_000)
    assert c.num_nodes >= 1_000_000
    assert establish(c, SMOOTH).holds and establish(c, DEC).holds
    assert evaluate(aggregate(c, [A])).values[0] > 0
