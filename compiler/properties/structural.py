"""Pure checkers for smoothness, decomposability and structured decomposability.

Each returns None when the property holds, or a `Violation` naming the first offending node
(in topological order) and its children's scopes."""
from __future__ import annotations

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.ir.facts import Violation


def check_smooth(c: Circuit) -> Violation | None:
    for n in c.nodes():
        if n.op is Op.SUM:
            v = _sum_smooth(c, n)
            if v:
                return v
    return None


def _sum_smooth(c: Circuit, n: Node) -> Violation | None:
    scopes = [c.scope(ch) for ch in n.children]
    full = c.scope(n)
    for ch, s in zip(n.children, scopes):
        if s != full:
            return Violation("smooth", n, f"child #{ch.uid} has scope {fmt_vars(s)} but the "
                             f"sum's scope is {fmt_vars(full)} (missing {fmt_vars(full - s)})",
                             (("children scopes", tuple(fmt_vars(s) for s in scopes)),))
    return None


def check_decomposable(c: Circuit) -> Violation | None:
    for n in c.nodes():
        if n.op is Op.PROD:
            v = _prod_dec(c, n)
            if v:
                return v
    return None


def _prod_dec(c: Circuit, n: Node) -> Violation | None:
    seen: dict[Var, Node] = {}
    for ch in n.children:
        for v in c.scope(ch):
            if v in seen:
                return Violation("decomposable", n, f"children #{seen[v].uid} and #{ch.uid} "
                                 f"both depend on {v.name}",
                                 (("children scopes", tuple(fmt_vars(c.scope(x))
                                                            for x in n.children)),))
            seen[v] = ch
    return None


def check_structured(c: Circuit, vt: Vtree) -> Violation | None:
    """Every product node respects a node of `vt`: its children's non-empty scopes split into a
    group under the vtree node's left child and a group under its right child, recursively."""
    if not c.vars <= vt.vars:
        return Violation("structured-decomposable", c.root, "the vtree lacks variables "
                         f"{fmt_vars(c.vars - vt.vars)}")
    for n in c.nodes():
        if n.op is Op.PROD:
            v = _prod_respects(c, n, vt)
            if v:
                return v
    return None


def _prod_respects(c: Circuit, n: Node, vt: Vtree) -> Violation | None:
    groups = [[c.scope(ch) for ch in n.children if c.scope(ch)]]
    while groups:
        scopes = groups.pop()
        if len(scopes) < 2:
            continue
        union = frozenset().union(*scopes)
        t = vt.lca(union)
        if t.is_leaf:
            return Violation("structured-decomposable", n, "children share a variable")
        lt, rt = t.children
        left = [s for s in scopes if s <= lt.vars]
        right = [s for s in scopes if s <= rt.vars]
        if len(left) + len(right) != len(scopes):
            bad = next(s for s in scopes if not (s <= lt.vars or s <= rt.vars))
            return Violation("structured-decomposable", n,
                             f"a child with scope {fmt_vars(bad)} straddles vtree node "
                             f"{t!r}", (("children scopes", tuple(map(fmt_vars, scopes))),))
        groups += [left, right]
    return None
