"""Built-in compilers for small inline models, used when the SDD sources are not installed.

Both build an ordered decision diagram: the node at depth i splits on the i-th variable of the
order, one child per value, each a binary product [X = v] (x) (the node for the rest).  Nodes
are shared through a memo on what the rest depends on, and the builder's hash-consing.  By
construction the result is smooth, decomposable and deterministic, respects the right-linear
vtree of the order, and is X-deterministic for every prefix X of the order (put the variables
a query needs first with `with vtree constrained {...}`).

Size is exponential only in the width of the order; `MAX_VARS` keeps it to small models.
"""
from __future__ import annotations

from typing import Any, Sequence

from compiler.errors import LimitExceeded
from compiler.ir.builder import Builder
from compiler.ir.circuit import Circuit
from compiler.ir.nodes import Node
from compiler.ir.variables import Var
from compiler.ir.vtree import right_linear
from compiler.properties.facts import DEC, DET, SMOOTH, Fact, How
from compiler.semirings import registry as R
from compiler.sources.model import BayesNet

MAX_VARS = 22
Formula = tuple[Any, ...]


def _facts() -> dict[Any, Fact]:
    why = "an ordered decision diagram"
    return {p: Fact(p, True, How.CONSTRUCTION, why) for p in (SMOOTH, DEC, DET)}


def _guard(order: Sequence[Var], what: str) -> None:
    if len(order) > MAX_VARS:
        raise LimitExceeded(f"{what} has {len(order)} variables; the built-in compiler handles "
                            f"at most {MAX_VARS}", hint="install the SDD model sources")


# ---- Bayesian networks ------------------------------------------------------------------------
def compile_bayesnet(bn: BayesNet, order: Sequence[Var], name: str = "") -> Circuit:
    """p(V) of `bn` as a decision diagram along `order` (all of bn's variables)."""
    _guard(order, f"the network {name or bn.name}")
    pos = {v: i for i, v in enumerate(order)}
    # each CPT is multiplied in at the deepest variable of its family
    at: dict[int, list[Any]] = {}
    for c in bn.cpts:
        at.setdefault(max(pos[v] for v in c.family), []).append(c)
    needed = _needed(order, [c.family for c in bn.cpts], pos)
    b = Builder()
    memo: dict[tuple[int, tuple[int, ...]], Node] = {}

    def node(i: int, asg: dict[Var, int]) -> Node:
        key = (i, tuple(asg[v] for v in needed[i]))
        if key not in memo:
            memo[key] = _bn_node(b, order, at, i, asg, node)
        return memo[key]

    root = node(0, {})
    return Circuit(root, b, name, facts=_facts(), vtree=right_linear(order))


def _needed(order: Sequence[Var], families: list[tuple[Var, ...]], pos: dict[Var, int]
            ) -> list[tuple[Var, ...]]:
    """needed[i]: the variables before position i that a family finishing at or after i uses."""
    out = []
    for i in range(len(order) + 1):
        keep = {v for f in families if max(pos[u] for u in f) >= i for v in f if pos[v] < i}
        out.append(tuple(sorted(keep, key=lambda v: pos[v])))
    return out


def _bn_node(b: Builder, order: Sequence[Var], at: dict[int, list[Any]], i: int,
             asg: dict[Var, int], node: Any) -> Node:
    x = order[i]
    ws = []
    for val in range(x.size):
        full = {**asg, x: val}
        w = 1.0
        for c in at.get(i, ()):
            w *= float(c.table[tuple(full[v] for v in c.family)])
        ws.append(w)
    if i + 1 == len(order):     # the last split is one leaf: sum_v [x=v] w_v
        return b.input(x, ws, R.PROB)
    return b.sum(b.prod([b.input(x, [w if j == val else 0.0 for j in range(x.size)], R.PROB),
                         node(i + 1, {**asg, x: val})]) for val, w in enumerate(ws))


# ---- Boolean formulas -------------------------------------------------------------------------
def compile_formula(expr: Formula, order: Sequence[Var], name: str = "") -> Circuit:
    """[[expr]] in the Boolean semiring as a decision diagram along `order`."""
    _guard(order, f"the formula {name}".rstrip())
    b = Builder()
    memo: dict[tuple[int, Formula], Node] = {}

    def node(i: int, f: Formula) -> Node:
        if (i, f) not in memo:
            memo[(i, f)] = _f_node(b, order, i, f, node)
        return memo[(i, f)]

    if not order:
        return Circuit(b.const(expr == ("true",), R.BOOL), b, name, facts=_facts())
    return Circuit(node(0, simplify(expr)), b, name, facts=_facts(), vtree=right_linear(order))


def _f_node(b: Builder, order: Sequence[Var], i: int, f: Formula, node: Any) -> Node:
    x = order[i]
    rests = [cofactor(f, x, val) for val in range(x.size)]
    if i + 1 == len(order):     # the last split is one leaf: sum_v [x=v] f|x=v
        return b.input(x, [r == ("true",) for r in rests], R.BOOL)
    return b.sum(b.prod([b.indicator(x, val, R.BOOL), node(i + 1, r)])
                 for val, r in enumerate(rests))


def cofactor(f: Formula, x: Var, val: int) -> Formula:
    """f with x = val, simplified."""
    return simplify(_subst(f, x, val))


def _subst(f: Formula, x: Var, val: int) -> Formula:
    tag = f[0]
    if tag == "lit":
        return (("true",) if f[2] == val else ("false",)) if f[1] == x else f
    if tag in ("true", "false"):
        return f
    return (tag,) + tuple(_subst(g, x, val) for g in f[1:])


def simplify(f: Formula) -> Formula:
    tag = f[0]
    if tag in ("lit", "true", "false"):
        return f
    if tag == "not":
        g = simplify(f[1])
        return {("true",): ("false",), ("false",): ("true",)}.get(g, ("not", g))
    absorbing, neutral = (("false",), ("true",)) if tag == "and" else (("true",), ("false",))
    args = []
    for g in (simplify(h) for h in f[1:]):
        if g == absorbing:
            return absorbing
        if g != neutral and g not in args:
            args.append(g)
    if not args:
        return neutral
    return args[0] if len(args) == 1 else (tag,) + tuple(args)
