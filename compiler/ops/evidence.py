"""Evidence in the query text, (C | X = x): multiply by the indicator [X = x], folded into the
input leaves over X (docs/atlas.md §4.0: a fully factorised factor costs O(|C|)).

Correct when every induced sub-circuit holds a leaf over X, i.e. when C is smooth (it is
smoothed first otherwise).  Supports only shrink, so every property and the view status are
kept."""
from __future__ import annotations

from typing import Mapping as MappingT

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ops import smooth
from atlasc.compiler.ops.common import carry_view, rebuild, same_op, scope_of
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.facts import SMOOTH, carry
from atlasc.compiler.properties.establish import establish


def condition(c: Circuit, evidence: MappingT[Var, int | frozenset[int]],
              label: str | None = None) -> Circuit:
    ev = {v: (frozenset((x,)) if isinstance(x, int) else frozenset(x))
          for v, x in evidence.items()}
    if set(ev) - c.vars:
        raise OperatorError(f"evidence on {fmt_vars(set(ev) - c.vars)}, which "
                            f"{c.name or 'the operand'} does not depend on")
    text = ", ".join(f"{v.name}={'|'.join(v.domain[i] for i in sorted(ev[v]))}"
                     for v in sorted(ev))
    step = Step("evidence", label or f"| {text}", c.sr.name, scope_of(c),
                inputs=(c.step,) if c.step else (), cost="O(|C|)",
                condition="smooth: every induced sub-circuit has a leaf over each evidence "
                          "variable (4.0)")
    sm = establish(c, SMOOTH)
    if not sm.holds:
        c = smooth.run(c)
        sm = c.facts[SMOOTH]
        step.notes += ("smoothed first",)
    step.needs += (sm,)
    b = c.builder

    def visit(n: Node, kids: tuple[Node, ...]) -> Node:
        if n.op is Op.INPUT and n.arg.var in ev:
            keep = ev[n.arg.var]
            w = [x if i in keep else n.sr.zero for i, x in enumerate(n.arg.weights)]
            return b.input(n.arg.var, w, n.sr)
        return same_op(b, n, kids)

    m = rebuild(c, visit)
    facts = {p: carry(f, "kept: evidence only shrinks supports") for p, f in c.facts.items()
             if f.holds}
    out = Circuit(m[c.root.uid], b, c.name, facts=facts, provenance=carry_view(c, m),
                  vtree=c.vtree, step=step)
    step.size_of(out)
    step.keeps = tuple(str(p) for p in facts) + (f"view of {out.source.name or 'the source'}",)
    return out
