"""The circuit EM runs on: a network polynomial whose parameters are leaves of their own.

The circuits of `compiler/sources` hold a CPT's parameters as constants (equal numbers are
one hash-consed node, zeros are dropped), so no derivative tells one parameter from another.
Here every CPT cell j of X's family is an input leaf over a *parameter variable* Θ (one-hot at
j, weight 1), built by variable elimination along a min-fill order (`sources/elimination.py`,
so the cost follows the treewidth).  Zero cells are kept: the circuit's structure does not
depend on the parameters, which come in at run time as the leaves' soft weights
(`evaluator().marginals_columns(..., weights=)`).  For a full assignment exactly one cell of
each CPT is used, so the marginal of Θ is the family's joint with the evidence,

    P(Θ = j, e) = P(family of X in configuration j, e),

and one upward and one downward pass give the expected counts of every CPT at once.  A CPT of
more than GROUP cells gets several parameter variables (consecutive parent configurations,
GROUP cells or fewer each, one configuration at least), so the per-leaf weight vectors stay
short: the marginals pass costs O(cells * GROUP), not O(cells^2).
"""
from __future__ import annotations

from dataclasses import dataclass

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.compiler.sources.elimination import Eliminator, Table, elimination_facts
from atlasc.compiler.sources.limits import Budget, Limits
from atlasc.compiler.sources.model import CPT, BayesNet
from atlasc.compiler.sources.orders import elimination_order

GROUP = 64
HINT = ("parameter learning compiles the network by variable elimination: its cost follows "
        "the treewidth; raise the limits or learn a network of smaller treewidth")


@dataclass(frozen=True)
class Group:
    """The parameter variable of cells [start, stop) of CPT `cpt` (flat, row-major)."""
    var: Var
    cpt: int
    start: int
    stop: int


@dataclass(frozen=True)
class ParamCircuit:
    circuit: Circuit
    groups: tuple[Group, ...]

    def of(self, i: int) -> list[Group]:
        return [g for g in self.groups if g.cpt == i]


def groups(bn: BayesNet, size: int = GROUP) -> tuple[Group, ...]:
    out: list[Group] = []
    for i, c in enumerate(bn.cpts):
        k, n = c.child.size, c.table.size
        step = max(1, size // k) * k
        for start in range(0, n, step):
            stop = min(n, start + step)
            name = f"θ[{c.child.name}]#{start // k}"
            out.append(Group(Var(name, tuple(str(j) for j in range(stop - start))), i, start,
                             stop))
    return tuple(out)


def parameter_circuit(bn: BayesNet, limits: Limits | None = None) -> ParamCircuit:
    """The network polynomial of `bn` with one parameter leaf per CPT cell."""
    gs = groups(bn)
    budget = Budget(limits, bn.name or "the network", HINT, unit="the circuit")
    facs = [c.factor() for c in bn.cpts]
    od = elimination_order(bn.variables, [f.vars for f in facs])
    b = Builder()
    el = Eliminator(b, budget, od.total_cells)
    pool = [_table(b, c, [g for g in gs if g.cpt == i]) for i, c in enumerate(bn.cpts)]
    for v in od.order:
        hit = [t for t in pool if v in t.vars]
        pool = [t for t in pool if v not in t.vars] + [el.eliminate(v, hit)]
    root = b.prod([t.cells[0] for t in pool if t.cells[0] is not None], PROB)
    info = {"source": "bayes", "model": bn, "route": "elimination", "treewidth": od.width,
            "purpose": "parameter learning"}
    c = Circuit(root, b, name=bn.name, facts=elimination_facts(None, frozenset(), od.width),
                info=info)
    return ParamCircuit(c, gs)


def _table(b: Builder, c: CPT, gs: list[Group]) -> Table:
    """The CPT's cells as one-hot leaves of its parameter variables (weight 1: the
    parameters are soft weights given per run)."""
    cells = []
    for g in gs:
        n = g.stop - g.start
        cells += [b.input(g.var, [1.0 if k == j else 0.0 for k in range(n)], PROB)
                  for j in range(n)]
    return Table(tuple(c.family), list(cells), None)


__all__ = ["GROUP", "Group", "ParamCircuit", "groups", "parameter_circuit"]
