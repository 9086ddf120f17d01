"""The tree-decomposition route: a network polynomial compiled by variable elimination.

Darwiche's construction of arithmetic circuits along an elimination order (the jointree of the
order's clusters): every factor is a table of circuit nodes, one cell per assignment of its
variables; a CPT starts with its parameters as constants (zeros dropped: a missing cell is 0;
equal parameters are one hash-consed constant).  Eliminating v multiplies, for each assignment
of the cluster, the indicator [v = i] with one cell of every table that mentions v, and sums
over i.  The cost follows the order's clusters (treewidth), not the SDD of the whole network.

Properties by construction (recorded as facts, so the report says why):
  * decomposable: each eliminated variable is in exactly one table of the pool, a cell's scope
    is the set of variables eliminated into its table, and a product's children are one cell
    of distinct tables plus the indicator of a variable that is in none of them;
  * smooth: a non-zero cell's scope is exactly its table's eliminated set (induction: zero
    cells are dropped, never replaced by a smaller scope), so every child of a sum has the
    sum's scope;
  * deterministic: the children of the sum for v carry the indicators [v = i] for distinct i;
  * X-deterministic when the order eliminates X last: every sum over a variable outside X
    has a scope outside X (only earlier variables are below it), and every sum over a
    variable of X is split by its indicator;
  * structured-decomposable for the elimination vtree built alongside: eliminating v makes
    the node (v, t1, ..., tk) over the sub-vtrees of the tables it joins (right-linear),
    exactly the scopes of a product's children.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from atlasc.compiler.errors import LimitExceeded
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, STRUCTURED, Fact, How, Prop, xdet
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ir.vtree import Vtree, is_constrained
from atlasc.compiler.semirings import PROB
from atlasc.compiler.sources.limits import Budget, Limits
from atlasc.compiler.sources.model import Factor, Model
from atlasc.compiler.sources.orders import Order, elimination_order
from atlasc.compiler.sources.vtrees import join_right

HINT = ("the tree-decomposition route builds one node per cluster cell: a network of smaller "
        "treewidth, fewer constrained variables (a constrained order has larger clusters), "
        "or higher limits")


@dataclass
class Table:
    vars: tuple[Var, ...]
    cells: list[Node | None]           # row-major over vars; None is 0
    vtree: Vtree | None                # over the variables eliminated into this table


class Eliminator:
    def __init__(self, b: Builder, budget: Budget, total: int) -> None:
        self.b, self.budget, self.total, self.done = b, budget, max(total, 1), 0
        self.one = b.one(PROB)
        self._ind: dict[Var, list[Node]] = {}

    def indicators(self, v: Var) -> list[Node]:
        if v not in self._ind:
            self._ind[v] = [self.b.indicator(v, i, PROB) for i in range(v.size)]
        return self._ind[v]

    def leaf_table(self, f: Factor) -> Table:
        consts: dict[float, Node | None] = {0.0: None}
        cells = [consts[w] if w in consts else consts.setdefault(w, self.b.const(w, PROB))
                 for w in (float(x) for x in f.table.ravel())]
        return Table(tuple(f.vars), cells, None)

    def eliminate(self, v: Var, hit: list[Table]) -> Table:
        out = tuple(dict.fromkeys(u for t in hit for u in t.vars if u != v))
        shape = tuple(u.size for u in out) + (v.size,)
        self._fits(v, math.prod(shape))
        cols = [self._index(t, out + (v,), shape) for t in hit]
        cells = [self._cell(v, j * v.size, hit, cols) for j in range(math.prod(shape[:-1]))]
        kids = [t.vtree for t in hit if t.vtree is not None]
        vt = Vtree.node(Vtree.leaf(v), join_right(kids)) if kids else Vtree.leaf(v)
        self._tick(v, math.prod(shape))
        return Table(out, cells, vt)

    @staticmethod
    def _index(t: Table, full: tuple[Var, ...], shape: tuple[int, ...]) -> list[int]:
        """For every assignment of `full` (row-major), the flat cell index in `t`."""
        strides = np.cumprod((1,) + tuple(u.size for u in reversed(t.vars)))[:-1][::-1]
        idx = np.zeros(shape, dtype=np.int64)
        for u, s in zip(t.vars, strides):
            ax = full.index(u)
            view = [1] * len(full)
            view[ax] = u.size
            idx = idx + (np.arange(u.size, dtype=np.int64) * int(s)).reshape(view)
        return idx.ravel().tolist()

    def _cell(self, v: Var, base: int, hit: list[Table], cols: list[list[int]]) -> Node | None:
        b, terms = self.b, []
        for i, ind in enumerate(self.indicators(v)):
            kids = [ind]
            for t, col in zip(hit, cols):
                c = t.cells[col[base + i]]
                if c is None:
                    break
                if c is not self.one:
                    kids.append(c)
            else:
                terms.append(b.owned(Op.PROD, tuple(kids), PROB))
        return b.owned(Op.SUM, tuple(terms), PROB) if terms else None

    def _fits(self, v: Var, cells: int) -> None:
        fits(self.budget, v, cells, len(self.b))

    def _tick(self, v: Var, cells: int) -> None:
        self.done += cells
        self.budget.check(len(self.b))
        frac = self.done / self.total
        eta = self.budget.elapsed * (1 - frac) / frac if frac > 0 else 0.0
        self.budget.report(f"eliminated {v.name} ({cells} cells), {len(self.b)} nodes, "
                           f"{100 * frac:.0f}% of the order's cells, ETA {eta:.1f}s")


def fits(budget: Budget, v: Var, cells: int, made: int) -> None:
    """Refuse a cluster whose products alone would pass the node limit, before building it
    (one cluster can hold more cells than memory allows)."""
    cap = budget.limits.max_nodes
    if cap is not None and made + cells > cap:
        raise LimitExceeded(f"compiling {budget.what}: eliminating {v.name} needs up to "
                            f"{cells} products, past the node limit of {cap}", hint=HINT)


def compile_elimination(m: Model, *, constrained: Iterable[Var] | None = None,
                        limits: Limits | None = None, order: Order | None = None,
                        info: dict[str, Any] | None = None) -> Circuit:
    """The network polynomial of `m` (PROB; unnormalised for Markov networks) along a min-fill
    order that eliminates `constrained` last."""
    X = frozenset(constrained or ())
    facs = m.factors()
    budget = Budget(limits, m.name or f"the {m.kind} network", HINT, unit="the circuit")
    od = order or elimination_order(m.variables, [f.vars for f in facs], last=X)
    budget.report(f"elimination order: width {od.width}, largest cluster 2^{od.log2_weight:.1f}"
                  f" cells, {od.total_cells} cells in all")
    b = Builder()          # the budget checks the node limit after each elimination
    el = Eliminator(b, budget, od.total_cells)
    pool = [el.leaf_table(f) for f in facs]
    for v in od.order:
        hit = [t for t in pool if v in t.vars]
        pool = [t for t in pool if v not in t.vars] + [el.eliminate(v, hit)]
    root, vt = _root(b, pool)
    meta = {"source": m.kind, "model": m, "path": m.file, "route": "elimination",
            "treewidth": od.width, "order": od.order, "largest_cluster_log2": od.log2_weight,
            "options": {"vtree": None, "constrained": X, "nested": ()},
            "compile_seconds": budget.elapsed, "circuit_nodes": len(b), **(info or {})}
    budget.report(f"circuit built: {len(b)} nodes")
    return Circuit(root, b, name=m.name, facts=elimination_facts(vt, X, od.width),
                   vtree=vt, info=meta)


def _root(b: Builder, pool: list[Table]) -> tuple[Node, Vtree | None]:
    cells = [t.cells[0] for t in pool]
    if any(c is None for c in cells):
        return b.zero(PROB), None
    kids = [t.vtree for t in pool if t.vtree is not None]
    return b.prod([c for c in cells if c is not None], PROB), (join_right(kids) if kids else None)


def elimination_facts(vt: Vtree | None, X: frozenset[Var], width: int) -> dict[Prop, Fact]:
    how, od = How.CONSTRUCTION, f"variable elimination, width {width}"
    facts = {SMOOTH: Fact(SMOOTH, True, how, f"{od}: zero cells are dropped, never narrowed"),
             DEC: Fact(DEC, True, how, f"{od}: a product joins cells of distinct tables"),
             DET: Fact(DET, True, how, f"{od}: each sum splits on the eliminated variable's "
                       "indicator")}
    if vt is not None:
        facts[STRUCTURED] = Fact(STRUCTURED, True, how, "respects the elimination vtree "
                                 f"over {len(vt.vars)} variables (circuit.vtree)")
    if X:
        tail = "; its vtree is X-constrained" if vt is not None and is_constrained(vt, X) else ""
        facts[xdet(X)] = Fact(xdet(X), True, how, f"{fmt_vars(X)} eliminated last (a "
                              f"constrained order){tail}")
    return facts


def zero_fraction(facs: Sequence[Factor]) -> float:
    cells = sum(f.table.size for f in facs)
    return sum(int(np.count_nonzero(f.table == 0)) for f in facs) / max(cells, 1)


__all__ = ["Eliminator", "Table", "compile_elimination", "fits", "elimination_facts", "zero_fraction"]
