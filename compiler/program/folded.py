"""Evidence on a free variable that a query summed in closed form.

A variable that no clause of a CNF mentions is summed out as a constant, ((+) of its
weights)^k (compiler/ir/sparse.py, compiler/ops/aggregate.py), which reads no evidence: the
node route's aggregated leaf would have read it.  So a run that observes such a variable in a
query that folded it is refused with a positioned message, never answered with the value
that ignores the evidence.  (`marginals(...)` handles evidence on free variables in closed
form, program/freemarg.py; a query that keeps the variable reads its evidence as usual.)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from atlasc.compiler.errors import QueryTypeError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.language import typed as Ty

if TYPE_CHECKING:
    from atlasc.compiler.program.program import Program, Query


def of(program: "Program", q: "Query", circuits: Iterable[Circuit]) -> frozenset[Var]:
    """The free variables q (or a query it uses) summed in closed form."""
    out: set[Var] = set()
    for c in circuits:
        out |= c.info.get("folded", frozenset())
    for t in Ty.walk(q.typed):
        if isinstance(t, Ty.TQuery) and t.name in program.queries:
            out |= program.queries[t.name].folded
    return frozenset(out)


def argmax_of(circuits: Iterable[Circuit]) -> dict[Var, int]:
    """The maximising value of each free variable a max (min) aggregation folded: the index
    of its leaf's largest (smallest) weight, a maximiser whatever the other variables are."""
    out: dict[Var, int] = {}
    for c in circuits:
        out.update(c.info.get("argmax_fixed", {}))
    return out


def check_run_evidence(q: "Query", row: dict[Var, Any]) -> None:
    seen = sorted(v for v, x in row.items() if x is not None and v in q.folded)
    if seen:
        v = seen[0]
        raise QueryTypeError(
            f"evidence on {v.name} is not supported for query {q.name}: {v.name} is a variable "
            "no clause of the model mentions, summed out in closed form (one constant for "
            "all such variables), which reads no evidence", q.decl.span,
            f"{v.name} is independent of everything: its evidence multiplies the value by "
            f"w({v.name} = x) / (w(false) + w(true)); or condition in the query text, "
            f"(m | {v.name} = true)")
