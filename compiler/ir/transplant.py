"""Copy a circuit into another builder (so circuits from separate compilations can be combined).
The copy is a new source with the same facts (they are properties of the function's structure,
which the copy has node for node)."""
from __future__ import annotations

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo


def copy_nodes(c: Circuit, b: Builder) -> dict[int, Node]:
    """uid in c -> the same node made by builder b."""
    m: dict[int, Node] = {}
    for n in topo(c.root):
        m[n.uid] = _copy(b, n, tuple(m[ch.uid] for ch in n.children))
    return m


def transplant(c: Circuit, b: Builder) -> Circuit:
    if c.builder is b:
        return c
    m = copy_nodes(c, b)
    out = Circuit(m[c.root.uid], b, c.name, facts=dict(c.facts), vtree=c.vtree, step=c.step,
                  info={**c.info, "copied_from": c})
    return out


def _copy(b: Builder, n: Node, kids: tuple[Node, ...]) -> Node:
    if n.op is Op.INPUT:
        return b.input(n.arg.var, n.arg.weights, n.sr)
    if n.op is Op.MARGIN:
        return b.margin(n.arg.var, n.arg.weights, n.sr)
    if n.op is Op.CONST:
        return b.const(n.arg, n.sr)
    if n.op is Op.MAP:
        return b.map(n.arg, kids[0])
    return b.sum(kids, n.sr) if n.op is Op.SUM else b.prod(kids, n.sr)
