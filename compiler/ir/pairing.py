"""Scope-directed pairing of two circuits' nodes (docs/atlas.md §3.2, P8): the algorithm of the
compatible product, shared by the product operator (compiler/ops/product.py) and the
compatibility checker (compiler/properties/compat.py), which runs it on scratch copies.

Memoised on node pairs: no shared variable -> a product node; a product with a single child
sharing variables -> push into that child; a sum -> distribute; two products -> pair children by
the blocks of shared variables; two leaves -> pointwise.  Two product nodes that split the shared
variables differently raise `Incompatible` with both nodes.
"""
from __future__ import annotations

import numpy as np

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var, fmt_vars


def pointwise(b: Builder, leaves: list[Node]) -> Node:
    sr, var = leaves[0].sr, leaves[0].arg.var
    w = sr.array(list(leaves[0].arg.weights))
    # an overflow (1e308 * 1e308) is refused by the builder's carrier check, with the
    # operator's position (WeightRangeError): numpy's warning would only be noise before it
    with np.errstate(over="ignore", invalid="ignore"):
        for lf in leaves[1:]:
            w = sr.mul(w, sr.array(list(lf.arg.weights)))
    return b.input(var, [sr.to_py(w[i]) for i in range(var.size)], sr)


class Incompatible(Exception):
    def __init__(self, a: Node, b: Node, why: str) -> None:
        self.a, self.b, self.why = a, b, why


class Pairing:
    """Iterative memoised pairing (no recursion: circuits can be deep)."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.memo: dict[tuple[int, int], Node] = {}

    def run(self, a: Node, c: Node) -> Node:
        stack: list[tuple[Node, Node, bool]] = [(a, c, False)]
        while stack:
            x, y, expanded = stack.pop()
            key = (x.uid, y.uid)
            if key in self.memo:
                continue
            plan = self._plan(x, y)
            subs = plan[1]
            missing = [(p, q) for p, q in subs if (p.uid, q.uid) not in self.memo]
            if missing and not expanded:
                stack.append((x, y, True))
                stack.extend((p, q, False) for p, q in missing)
                continue
            self.memo[key] = self._build(x, y, plan)
        return self.memo[(a.uid, c.uid)]

    def _plan(self, x: Node, y: Node) -> tuple[str, list[tuple[Node, Node]], list[Node]]:
        b = self.b
        sx, sy = b.scope(x), b.scope(y)
        if not sx & sy:
            return ("leaf", [], [])
        for first, second, flip in ((x, y, False), (y, x, True)):
            if first.op is Op.PROD:
                sharing = [ch for ch in first.children if b.scope(ch) & b.scope(second)]
                if len(sharing) == 1:
                    rest = [ch for ch in first.children if ch is not sharing[0]]
                    pair = (second, sharing[0]) if flip else (sharing[0], second)
                    return ("push", [pair], rest)
        if x.op is Op.SUM:
            return ("sum", [(ch, y) for ch in x.children], [])
        if y.op is Op.SUM:
            return ("sum", [(x, ch) for ch in y.children], [])
        if x.op is Op.PROD and y.op is Op.PROD:
            return self._blocks(x, y)
        if x.op is Op.INPUT and y.op is Op.INPUT:
            return ("pointwise", [], [])
        raise Incompatible(x, y, f"cannot pair a {x.op.value} node with a {y.op.value} node "
                            "that share variables")

    def _blocks(self, x: Node, y: Node) -> tuple[str, list[tuple[Node, Node]], list[Node]]:
        b = self.b
        X = b.scope(x) & b.scope(y)
        xs = [ch for ch in x.children if b.scope(ch) & X]
        ys = [ch for ch in y.children if b.scope(ch) & X]
        rest = [ch for ch in x.children + y.children if not b.scope(ch) & X]
        blocks: list[tuple[list[Node], list[Node], frozenset[Var]]] = []
        for ch, side in [(ch, 0) for ch in xs] + [(ch, 1) for ch in ys]:
            s = b.scope(ch) & X
            hit = [bl for bl in blocks if bl[2] & s]
            new: tuple[list[Node], list[Node], frozenset[Var]] = ([], [], s)
            for bl in hit:
                new = (new[0] + bl[0], new[1] + bl[1], new[2] | bl[2])
            (new[1] if side else new[0]).append(ch)
            blocks = [bl for bl in blocks if bl not in hit] + [new]
        pairs = []
        for left, right, vs in blocks:
            if len(left) > 1 and len(right) > 1:
                raise Incompatible(x, y, f"its children split {fmt_vars(vs)} as "
                                    f"{split_text(b, left, X)} but the other node splits them as "
                                    f"{split_text(b, right, X)}")
            pairs.append((b.prod(left, x.sr), b.prod(right, y.sr)))
        return ("blocks", pairs, rest)

    def _build(self, x: Node, y: Node, plan: tuple[str, list[tuple[Node, Node]], list[Node]]) -> Node:
        b = self.b
        kind, subs, rest = plan
        if kind == "leaf":
            return b.prod([x, y], x.sr)
        if kind == "pointwise":
            return pointwise(b, [x, y])
        done = [self.memo[(p.uid, q.uid)] for p, q in subs]
        if kind == "sum":
            return b.sum(done, x.sr)
        return b.prod(rest + done, x.sr)


def split_text(b: Builder, nodes: list[Node], X: frozenset[Var]) -> str:
    return " | ".join(fmt_vars(b.scope(n) & X) for n in nodes)
