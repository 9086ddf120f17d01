"""The single-factor condition for a mapping that is not multiplicative (docs/atlas.md §3.3, 4.3).

tau(C) may be computed node by node, with a tau that is not multiplicative, when C is
deterministic on its variables and, for every assignment x, C(x) is a product of values that
tau passes (tau(w (x) v) = tau(w) (x)' tau(v) for every v) and at most one other value.  Then
tau(C(x)) is the product of the mapped factors.  The structural form checked here: every
product node with a non-empty scope has at most one child that may take a value tau does not
pass.  A maximal empty-scope sub-circuit is one value (it is evaluated, then mapped: P1), and
such a value may be anything unless all its leaves pass, since passed values are closed under
(+) and (x).  This is the "single Y-only sub-circuit for every x" of X-first or constrained
vtrees, stated on the values, so it holds after any aggregation of Y.
"""
from __future__ import annotations

from typing import Any, Callable

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.facts import Violation

Passes = Callable[[Any], bool]


def single_factor_violation(c: Circuit, passes: Passes) -> Violation | None:
    """None if every product with a non-empty scope has at most one child that tau may not
    pass; else the first such product (children first)."""
    other: dict[int, bool] = {}        # node -> it may take a value tau does not pass
    for n in topo(c.root):
        other[n.uid] = _other(n, other, passes)
        if n.op is Op.PROD and c.scope(n):
            bad = [ch for ch in n.children if other[ch.uid]]
            if len(bad) > 1:
                return _witness(c, n, bad)
    return None


def _other(n: Node, other: dict[int, bool], passes: Passes) -> bool:
    if n.op in (Op.INPUT, Op.MARGIN):
        return not all(passes(w) for w in n.leaf.weights)
    if n.op is Op.CONST:
        return not passes(n.arg)
    if n.op is Op.MAP:
        return True
    return any(other[ch.uid] for ch in n.children)


def _witness(c: Circuit, n: Node, bad: list[Node]) -> Violation:
    scopes = ["{" + ", ".join(v.name for v in sorted(c.scope(ch))) + "}" for ch in bad]
    return Violation("one factor per product", n,
                     f"{len(bad)} children may carry values the mapping does not pass "
                     f"(scopes {', '.join(scopes)}); for some assignment the value is a "
                     "product of several such factors")


def domain_violation(c: Circuit, inside: Passes) -> Violation | None:
    """None if every leaf weight and constant of c lies in `inside` (a set closed under (+)
    and (x), so every value c computes lies in it too); else the first leaf outside.  A MAP
    node's value is not known here: it counts as outside."""
    for n in topo(c.root):
        if n.op in (Op.INPUT, Op.MARGIN):
            bad = [w for w in n.leaf.weights if not inside(w)]
        elif n.op is Op.CONST:
            bad = [] if inside(n.arg) else [n.arg]
        else:
            bad = [n] if n.op is Op.MAP else []
        if bad:
            return Violation("values in the mapping's domain", n,
                             f"this node takes {bad[0]!r}, outside the values on which the "
                             "mapping's properties are declared")
    return None
