"""Hand-built circuits for the worked examples: decision trees that split variables in a given
order (smooth, decomposable, deterministic, and X-deterministic for every prefix X)."""
from __future__ import annotations

from typing import Callable

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ops import model
from atlasc.compiler.semirings import BOOL, PROB

Dist = Callable[[Var, dict[Var, int]], list[float]]


def decision_tree(b: Builder, order: list[Var], dist: Dist, name: str, sr=PROB) -> Circuit:
    def build(i: int, ctx: dict[Var, int]) -> Node:
        v = order[i]
        p = dist(v, ctx)
        if i == len(order) - 1:
            return b.input(v, p, sr)
        kids = []
        for x in range(v.size):
            w = [sr.zero] * v.size
            w[x] = p[x]
            kids.append(b.prod([b.input(v, w, sr), build(i + 1, {**ctx, v: x})], sr))
        return b.sum(kids, sr)
    return model(Circuit(build(0, {}), b), name)


def cpt(table: dict[str, Callable[[dict[Var, int]], float]]) -> Dist:
    """table[var name](ctx) = p(var = 1 | ctx) for Boolean variables."""
    def dist(v: Var, ctx: dict[Var, int]) -> list[float]:
        p1 = table[v.name](ctx)
        return [1.0 - p1, p1]
    return dist


def or_not_deterministic(b: Builder, A: Var, B: Var) -> Circuit:
    """A or B built as ([A] and T_B) or (T_A and [B]): smooth, decomposable, not
    deterministic (docs/atlas.md §5.2)."""
    top = lambda v: b.input(v, [True, True], BOOL)  # noqa: E731
    return model(Circuit(b.sum([b.prod([b.indicator(A, 1, BOOL), top(B)]),
                                b.prod([top(A), b.indicator(B, 1, BOOL)])]), b), "phi")
