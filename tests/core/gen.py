"""Random small circuits for property tests (docs/atlas.md §5.8): smooth, decomposable circuits over a
few variables, with prescribed decision variables (split on first, so the circuit is
X-deterministic for them) and optional non-deterministic mixtures or non-smooth sums."""
from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree, balanced
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring

A, B, C, D = (Var(n) for n in "ABCD")
E3 = Var("E", ("lo", "mid", "hi"))
VARS = (A, B, C, D)


def weight(draw: Any, sr: Semiring) -> Any:
    """A random element of sr, zero included often enough to matter."""
    n = sr.name
    if n in ("prob", "maxprod"):
        return draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0, 2.0]))
    if n in ("log", "maxlog"):
        return draw(st.sampled_from([-math.inf, -2.0, -0.5, 0.0, 0.3]))
    if n == "minsum":
        return draw(st.sampled_from([math.inf, -1.0, 0.0, 0.5, 2.0]))
    if n == "bool":
        return draw(st.booleans())
    if n == "count":
        return draw(st.integers(0, 3))
    if n == "pair(count,count)":
        return (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    if n == "pair(prob,prob)":
        return (draw(st.sampled_from([0.0, 0.5, 1.0])), draw(st.sampled_from([0.0, 0.3, 2.0])))
    if n == "expectation":
        return (draw(st.sampled_from([0.0, 0.5, 1.0])), draw(st.sampled_from([-1.0, 0.0, 2.0])))
    if n == "grad":
        return (draw(st.sampled_from([-1.0, 0.0, 0.5, 2.0])), draw(st.sampled_from([-1.0, 0.0, 1.0])))
    raise AssertionError(n)


class Gen:
    """Draws one circuit.  `decide` variables are split on (deterministically) before any
    other; `mix` allows non-deterministic sums; `gaps` allows non-smooth sums."""

    def __init__(self, draw: Any, b: Builder, sr: Semiring, decide: frozenset[Var] = frozenset(),
                 mix: bool = True, gaps: bool = False, vtree: Vtree | None = None) -> None:
        self.draw, self.b, self.sr = draw, b, sr
        self.decide, self.mix, self.gaps, self.vtree = decide, mix, gaps, vtree
        self.budget = 40

    def leaf(self, v: Var) -> Node:
        return self.b.input(v, [weight(self.draw, self.sr) for _ in range(v.size)], self.sr)

    def build(self, S: frozenset[Var], depth: int = 0) -> Node:
        self.budget -= 1
        pending = [v for v in sorted(S & self.decide) if self.can_split(v, S)]
        if pending:
            return self.split(pending[0], S, depth)
        if len(S) == 1:
            v = next(iter(S))
            if self.mix and self.budget > 0 and self.draw(st.integers(0, 3)) == 0:
                return self.b.sum([self.leaf(v), self.leaf(v)])
            return self.leaf(v)
        choice = self.draw(st.integers(0, 3)) if self.budget > 0 else 2
        if choice == 0 and self.mix:
            return self.b.sum([self.build(S, depth + 1), self.build(S, depth + 1)])
        splittable = [v for v in sorted(S) if self.can_split(v, S)]
        if choice == 1 and splittable:
            return self.split(self.draw(st.sampled_from(splittable)), S, depth)
        if choice == 3 and self.gaps and self.budget > 0:
            sub = frozenset(self.draw(st.sets(st.sampled_from(sorted(S)), min_size=1)))
            return self.b.sum([self.build(S, depth + 1), self.build(sub, depth + 1)])
        left, right = self.halves(S)
        return self.b.prod([self.build(left, depth + 1), self.build(right, depth + 1)])

    def can_split(self, v: Var, S: frozenset[Var]) -> bool:
        """A split on v respects the vtree when v is alone on one side of S's vtree node."""
        if self.vtree is None or len(S) == 1:
            return True
        left, right = self.halves(S)
        return {v} in (left, right)

    def halves(self, S: frozenset[Var]) -> tuple[frozenset[Var], frozenset[Var]]:
        if self.vtree is not None:
            t = self.vtree.lca(S)
            return S & t.left.vars, S & t.right.vars  # type: ignore[union-attr]
        order = sorted(S)
        k = self.draw(st.integers(1, len(order) - 1))
        perm = self.draw(st.permutations(order))
        return frozenset(perm[:k]), frozenset(perm[k:])

    def split_chain(self, order: list[Var]) -> Node:
        """Split on order[0], then order[1], ...: X-deterministic for every prefix X."""
        if len(order) == 1:
            return self.leaf(order[0])
        v, kids = order[0], []
        for x in range(v.size):
            w = [self.sr.zero] * v.size
            w[x] = weight(self.draw, self.sr)
            kids.append(self.b.prod([self.b.input(v, w, self.sr), self.split_chain(order[1:])]))
        return self.b.sum(kids)

    def split(self, v: Var, S: frozenset[Var], depth: int) -> Node:
        """(+)_x [v = x] (x) w_x (x) C_x: deterministic on v."""
        rest = S - {v}
        kids = []
        for x in range(v.size):
            w = [self.sr.zero] * v.size
            w[x] = weight(self.draw, self.sr)
            parts = [self.b.input(v, w, self.sr)]
            if rest:
                parts.append(self.build(rest, depth + 1))
            kids.append(self.b.prod(parts))
        return self.b.sum(kids)


@st.composite
def circuits(draw: Any, sr: Semiring, vars: tuple[Var, ...] = VARS, decide: Any = None,
             mix: bool | None = None, gaps: bool = False, vtree: Vtree | None = None,
             b: Builder | None = None) -> Circuit:
    b = b or Builder()
    S = frozenset(vars)
    if decide is None:
        decide = frozenset(draw(st.sets(st.sampled_from(sorted(S)))))
    if mix is None:
        mix = draw(st.booleans())
    g = Gen(draw, b, sr, frozenset(decide), mix, gaps, vtree)
    return Circuit(g.build(S), b, "C")


SCALAR = [R.PROB, R.LOG, R.MAXPROD, R.MAXLOG, R.MINSUM, R.BOOL, R.COUNT]
ALL = SCALAR + [R.COUNT2, R.PROB2, R.EXPECTATION, R.GRAD]


def shared_vtree() -> Vtree:
    return balanced(list(VARS))
