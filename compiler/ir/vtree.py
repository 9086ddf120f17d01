"""Vtrees: full binary trees whose leaves are variables (docs/atlas.md §2.4).

Immutable; `Vtree.leaf(v)` / `Vtree.node(l, r)`.  Constructors for common shapes live here;
model sources add order heuristics (min-fill) and X-constrained vtrees on top.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from atlasc.compiler.ir.variables import Var


@dataclass(frozen=True, eq=False)
class Vtree:
    """A vtree node: a leaf (var) or an internal node (left, right)."""
    var: Var | None
    left: "Vtree | None"
    right: "Vtree | None"
    vars: frozenset[Var] = field(compare=False)

    @staticmethod
    def leaf(v: Var) -> "Vtree":
        return Vtree(v, None, None, frozenset((v,)))

    @staticmethod
    def node(left: "Vtree", right: "Vtree") -> "Vtree":
        if left.vars & right.vars:
            raise ValueError("vtree children share variables")
        return Vtree(None, left, right, left.vars | right.vars)

    @property
    def is_leaf(self) -> bool:
        return self.var is not None

    @property
    def children(self) -> tuple[Vtree, Vtree]:
        """(left, right) of an inner node; a leaf has none (ValueError)."""
        if self.left is None or self.right is None:
            raise ValueError("a vtree leaf has no children")
        return self.left, self.right

    def shape(self) -> object:
        if self.var is not None:
            return self.var
        left, right = self.children
        return left.shape(), right.shape()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vtree) and self.shape() == other.shape()

    def __hash__(self) -> int:
        return hash(self.shape())

    def order(self) -> list[Var]:
        """The leaves left to right (iterative)."""
        out: list[Var] = []
        stack: list[Vtree] = [self]
        while stack:
            t = stack.pop()
            if t.var is not None:
                out.append(t.var)
            else:
                stack.extend(reversed(t.children))
        return out

    def lca(self, vs: frozenset[Var]) -> "Vtree":
        """The lowest vtree node whose variables include `vs` (non-empty, all in the vtree)."""
        t = self
        while not t.is_leaf:
            left, right = t.children
            if vs <= left.vars:
                t = left
            elif vs <= right.vars:
                t = right
            else:
                break
        return t

    def restrict(self, keep: frozenset[Var]) -> "Vtree | None":
        """The vtree with only the variables in `keep` (nodes with one side left collapse)."""
        memo: dict[int, Vtree | None] = {}
        for t in self._postorder():
            if t.is_leaf:
                memo[id(t)] = t if t.var in keep else None
                continue
            l, r = (memo[id(x)] for x in t.children)
            memo[id(t)] = Vtree.node(l, r) if l and r else (l or r)
        return memo[id(self)]

    def _postorder(self) -> list["Vtree"]:
        out: list[Vtree] = []
        stack: list[tuple[Vtree, bool]] = [(self, False)]
        while stack:
            t, done = stack.pop()
            if done or t.is_leaf:
                out.append(t)
                continue
            left, right = t.children
            stack += [(t, True), (right, False), (left, False)]
        return out

    def __repr__(self) -> str:
        return _fmt(self)


def _fmt(t: Vtree) -> str:
    parts: list[str] = []
    stack: list[Vtree | str] = [t]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            parts.append(x)
        elif x.var is not None:
            parts.append(x.var.name)
        else:
            stack.extend([")", x.children[1], " ", x.children[0], "("])
    return "".join(parts)


def balanced(order: Sequence[Var]) -> Vtree:
    if not order:
        raise ValueError("a vtree needs at least one variable")
    level = [Vtree.leaf(v) for v in order]
    # build bottom-up, pairing neighbours; keeps the left-to-right order
    while len(level) > 1:
        nxt = [Vtree.node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def right_linear(order: Sequence[Var]) -> Vtree:
    if not order:
        raise ValueError("a vtree needs at least one variable")
    t = Vtree.leaf(order[-1])
    for v in reversed(order[:-1]):
        t = Vtree.node(Vtree.leaf(v), t)
    return t


def is_constrained(vt: Vtree, X: Iterable[Var]) -> bool:
    """X-constrained: some node on the right spine has exactly the variables outside X (so
    every node above it splits off X-variables only), or X covers the vtree."""
    rest = vt.vars - frozenset(X)
    t = vt
    while True:
        if t.vars == rest or not rest:
            return True
        if t.is_leaf:
            return False
        t = t.children[1]


def constrained(X: Iterable[Var], rest: Sequence[Var], shape: str = "balanced") -> Vtree:
    """An X-constrained vtree: X in the root's left subtree, everything else on the right, so
    every decision over X comes first and circuits that respect it are X-deterministic."""
    xs = sorted(set(X))
    others = [v for v in rest if v not in set(xs)]
    make = balanced if shape == "balanced" else right_linear
    if not xs:
        return make(others)
    if not others:
        return make(xs)
    return Vtree.node(make(xs), make(others))
