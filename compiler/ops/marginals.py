"""All single-variable marginals of a prob circuit: the tables sum[* \\ {X}] C for every X in a
list, from one upward and one downward pass (atlasc.runtime.backward; Darwiche 2003).

Each table is the aggregation of C over every variable but X (docs/atlas.md §3.1), so the conditions
are aggregation's: smooth and decomposable (2.4).  Then every term of the circuit's polynomial
holds exactly one leaf of X, and the derivative of the root with respect to X's indicator is
that aggregation.  Determinism is not needed.  The circuit is smoothed first if it is not.
Nothing is built: the result is the operand's circuit (same properties, same view), with the
listed variables in `info["marginals"]` and its own report step."""
from __future__ import annotations

from typing import Iterable

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.sparse import SparseView
from atlasc.compiler.ir.variables import Var, fmt_vars, sorted_vars
from atlasc.compiler.ops import smooth
from atlasc.compiler.ops.aggregate import FIX_DEC
from atlasc.compiler.ops.common import require
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.facts import DEC, SMOOTH
from atlasc.compiler.properties.establish import establish

CONDITION = ("smooth and decomposable (docs/atlas.md §2.4 and 3.1): each table is sum[* \\ {X}] C, "
             "read as the derivative of the root with respect to X's leaves (Darwiche 2003); "
             "determinism is not needed")


def marginals(c: Circuit, X: Iterable[Var], label: str | None = None) -> Circuit:
    X = sorted_vars(frozenset(X))
    if c.sr.name != "prob":
        raise OperatorError(f"marginals need a prob circuit, not {c.sr.name}")
    if not X or frozenset(X) - c.vars:
        raise OperatorError(f"marginals of {fmt_vars(X)}: not a non-empty subset of the scope "
                            f"{fmt_vars(c.vars)}")
    step = Step("marginals", label or f"marginals[{fmt_vars(X)}]", c.sr.name,
                tuple(v.name for v in X), inputs=(c.step,) if c.step else (),
                condition=CONDITION,
                cost=f"O(|C|): one upward and one downward pass for all {len(X)} variables")
    step.needs += (require(c, DEC, step, FIX_DEC),)
    sm = establish(c, SMOOTH)
    if not sm.holds:
        c = smooth.run(c)
        step.notes += ("smoothed first (P2)",)
        sm = c.facts[SMOOTH]
    step.needs += (sm,)
    if isinstance(c, SparseView):     # free variables in closed form (program/freemarg.py)
        out: Circuit = SparseView(c.inner, c.groups, name=c.name, facts=dict(c.facts),
                                  step=step, info={**c.info, "marginals": X}, like=c)
    elif isinstance(c, FlatView):
        out = c.restep(step, {"marginals": X})
    else:
        out = Circuit(c.root, c.builder, c.name, facts=dict(c.facts), provenance=c.provenance,
                      vtree=c.vtree, step=step, info={**c.info, "marginals": X})
    step.size_of(out)
    step.keeps = tuple(str(p) for p, f in out.facts.items() if f.holds)
    return out
