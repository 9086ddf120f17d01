"""The `smooth` pass: make every sum node's children range over the same variables by
multiplying a child that misses variables M with (+)-neutral all-ones leaves over M.

The result computes the same function, stays decomposable (the new leaves are over variables
the child lacks) and keeps every support as a function of the sum's scope, hence determinism
and X-determinism.  It is a new source circuit (its nodes are not an image of the input's)."""
from __future__ import annotations

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var, sorted_vars
from atlasc.compiler.ops.common import rebuild, same_op
from atlasc.compiler.ir.facts import SMOOTH, Fact, How, Kind, carry

NAME = "smooth"


def run(c: Circuit, only: frozenset[Var] | None = None,
        all_vars: frozenset[Var] | None = None) -> Circuit:
    """Smooth `c` (with respect to the variables in `only`, or all); with `all_vars`, the root
    also gets filler leaves for the variables in `all_vars` it lacks (a loaded circuit whose
    file declares more variables than it mentions)."""
    b = c.builder

    def visit(n: Node, kids: tuple[Node, ...]) -> Node:
        if n.op is not Op.SUM:
            return same_op(b, n, kids)
        full = frozenset().union(*(b.scope(k) for k in kids))
        return b.sum([_pad(b, k, full - b.scope(k), only) for k in kids], n.sr)

    m = rebuild(c, visit)
    root = _pad(b, m[c.root.uid], (all_vars or frozenset()) - b.scope(m[c.root.uid]), None)
    facts = {p: carry(f, "kept by smoothing") for p, f in c.facts.items()
             if f.holds and p.kind in (Kind.DEC, Kind.DET, Kind.XDET)}
    if only is None:
        facts[SMOOTH] = Fact(SMOOTH, True, How.CONSTRUCTION, "made smooth by the smooth pass")
    return Circuit(root, b, c.name, facts=facts, step=c.step,
                   info={**c.info, "smoothed_from": c})


def _pad(b: Builder, n: Node, missing: frozenset[Var], only: frozenset[Var] | None) -> Node:
    if only is not None:
        missing = missing & only
    if not missing:
        return n
    ones = [b.input(v, [n.sr.one] * v.size, n.sr) for v in sorted_vars(missing)]
    return b.prod([n] + ones, n.sr)
