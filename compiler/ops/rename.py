"""Renaming variables, C[X := X'] (frontdoor adjustment uses a copy X' of X, docs/atlas.md §4.5).
A bijective renaming keeps every property; the result is a new source (facts are renamed)."""
from __future__ import annotations

from typing import Mapping as MappingT

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.ops.common import rebuild, same_op, scope_of
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.facts import Fact, Kind, Prop, carry


def rename(c: Circuit, mapping: MappingT[Var, Var], label: str | None = None) -> Circuit:
    ren = dict(mapping)
    _check(c, ren)
    b = c.builder

    def visit(n: Node, kids: tuple[Node, ...]) -> Node:
        if n.op in (Op.INPUT, Op.MARGIN) and n.arg.var in ren:
            make = b.input if n.op is Op.INPUT else b.margin
            return make(ren[n.arg.var], n.arg.weights, n.sr)
        return same_op(b, n, kids)

    m = rebuild(c, visit)
    text = ", ".join(f"{a.name} -> {z.name}" for a, z in sorted(ren.items()))
    out = Circuit(m[c.root.uid], b, c.name, facts=_facts(c, ren),
                  vtree=rename_vtree(c.vtree, ren), info={"renamed_from": c, "renaming": ren})
    out.step = Step("rename", label or f"rename[{text}]", c.sr.name, scope_of(out),
                    inputs=(c.step,) if c.step else (), condition="a bijective renaming keeps "
                    "every property", cost="O(|C|)")
    out.step.size_of(out)
    return out


def _check(c: Circuit, ren: dict[Var, Var]) -> None:
    for a, z in ren.items():
        if a.domain != z.domain:
            raise OperatorError(f"cannot rename {a.name} to {z.name}: their domains differ")
    targets = list(ren.values())
    clash = (set(targets) & (c.vars - set(ren))) or len(set(targets)) != len(targets)
    if clash:
        raise OperatorError("the renaming is not injective on the circuit's variables")


def _facts(c: Circuit, ren: dict[Var, Var]) -> dict[Prop, Fact]:
    out = {}
    for p, f in c.facts.items():
        q = Prop(p.kind, frozenset(ren.get(v, v) for v in p.X)) \
            if p.kind is Kind.XDET and p.X is not None else p
        out[q] = carry(f, "renamed", q)
    return out


def rename_vtree(t: Vtree | None, ren: MappingT[Var, Var]) -> Vtree | None:
    if t is None:
        return None
    memo: dict[int, Vtree] = {}
    for x in t._postorder():
        memo[id(x)] = Vtree.leaf(ren.get(x.var, x.var)) if x.var is not None else \
            Vtree.node(*(memo[id(y)] for y in x.children))
    return memo[id(t)]
