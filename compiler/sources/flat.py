"""The elimination route into flat arrays (compiler/ir/flat.py): every step's products and sums
made by vectorised numpy index arithmetic, with no Python object per node.

A table is an int array of slots, row-major over its variables, slot 0 where the cell is
structurally zero.  Eliminating v broadcasts, for every table that mentions v, its cells over the
assignments of the joined variables (out + (v,)); the products kept are those whose cells are
all non-zero; their result cell is the assignment of `out` (the flat index divided by |v|).
Same order, same zero-dropping and the same properties as the node route
(compiler/sources/elimination.py), whose facts it reuses.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.flat import FlatCircuit, FlatView, Step
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.semirings import PROB
from atlasc.compiler.sources.elimination import (HINT, compile_elimination, elimination_facts,
                                                 fits)
from atlasc.compiler.sources.limits import Budget, Limits
from atlasc.compiler.sources.model import Factor, Model
from atlasc.compiler.sources.orders import Order, elimination_order
from atlasc.compiler.sources.vtrees import join_right

IDX = np.int32          # slots, values and segments: 4 bytes an entry (< 2^31 slots)


@dataclass
class FlatTable:
    vars: tuple[Var, ...]
    cells: np.ndarray                     # slot per cell, row-major; 0 is structurally zero
    source: int                           # the step that made it, -1 a leaf table
    vtree: Vtree | None


def leaf_tables(facs: list[Factor]) -> tuple[np.ndarray, list[FlatTable]]:
    """The distinct non-zero parameters as slots 1.., and each factor's table of slots."""
    flat = np.concatenate([f.table.ravel().astype(np.float64) for f in facs]) if facs \
        else np.zeros(0)
    values, inverse = np.unique(flat, return_inverse=True)
    shift = 0 if values.size and values[0] == 0.0 else 1
    params = np.concatenate([[0.0], values[values != 0.0]]) if shift else values
    slots = (inverse.ravel() + shift).astype(IDX)
    tables, at = [], 0
    for f in facs:
        n = f.table.size
        tables.append(FlatTable(tuple(f.vars), slots[at:at + n], -1, None))
        at += n
    return params, tables


def _index(t: FlatTable, full: tuple[Var, ...], shape: tuple[int, ...]) -> np.ndarray:
    """For every assignment of `full` (row-major), the flat cell index in `t`."""
    idx = np.zeros((1,) * len(full), dtype=np.int64)
    stride = 1
    for u in reversed(t.vars):
        view = [1] * len(full)
        view[full.index(u)] = u.size
        idx = idx + (np.arange(u.size, dtype=np.int64) * stride).reshape(view)
        stride *= u.size
    return np.broadcast_to(idx, shape).ravel()


class FlatEliminator:
    def __init__(self, budget: Budget, start: int, total: int) -> None:
        self.budget, self.next, self.total, self.done = budget, start, max(total, 1), 0
        self.steps: list[Step] = []

    def eliminate(self, v: Var, hit: list[FlatTable]) -> FlatTable:
        out = tuple(dict.fromkeys(u for t in hit for u in t.vars if u != v))
        shape = tuple(u.size for u in out) + (v.size,)
        cells = math.prod(shape)
        self._check(v, cells)
        cols = [t.cells[_index(t, out + (v,), shape)] for t in hit]
        keep = np.flatnonzero(np.logical_and.reduce([c != 0 for c in cols])) if cols \
            else np.arange(cells)
        size, base = cells // v.size, self.next
        step = Step(v, out, base, size, tuple(c[keep] for c in cols), tuple(t.source for t in hit),
                    (keep % v.size).astype(IDX), (keep // v.size).astype(IDX))
        self.steps.append(step)
        self.next += size
        return FlatTable(out, self._result(step), len(self.steps) - 1, self._vtree(v, hit))

    @staticmethod
    def _result(step: Step) -> np.ndarray:
        filled = np.bincount(step.seg, minlength=step.size) > 0
        return np.where(filled, step.out + np.arange(step.size, dtype=IDX), 0).astype(IDX)

    @staticmethod
    def _vtree(v: Var, hit: list[FlatTable]) -> Vtree:
        kids = [t.vtree for t in hit if t.vtree is not None]
        return Vtree.node(Vtree.leaf(v), join_right(kids)) if kids else Vtree.leaf(v)

    def _check(self, v: Var, cells: int) -> None:
        """The node limit (products made so far and this step's), then progress with ETA."""
        made = sum(s.products for s in self.steps)
        fits(self.budget, v, cells, made)
        self.budget.check(made)            # the time and memory limits
        self.done += cells
        frac = self.done / self.total
        eta = self.budget.elapsed * (1 - frac) / frac if frac > 0 else 0.0
        self.budget.report(f"eliminating {v.name} ({cells} cells), {made} products, "
                           f"{100 * frac:.0f}% of the order's cells, ETA {eta:.1f}s")


def compile_flat(m: Model, *, constrained: Iterable[Var] | None = None,
                 limits: Limits | None = None, order: Order | None = None,
                 info: dict[str, Any] | None = None) -> FlatCircuit:
    """The network polynomial of `m` as a flat circuit, along a min-fill order that eliminates
    `constrained` last (the same order as compile_elimination's)."""
    X = frozenset(constrained or ())
    facs = m.factors()
    budget = Budget(limits, m.name or f"the {m.kind} network", HINT, unit="the circuit")
    od = order or elimination_order(m.variables, [f.vars for f in facs], last=X)
    params, pool = leaf_tables(facs)
    el = FlatEliminator(budget, params.size, od.total_cells)
    for v in od.order:
        hit = [t for t in pool if v in t.vars]
        pool = [t for t in pool if v not in t.vars] + [el.eliminate(v, hit)]
    roots = np.array([t.cells[0] for t in pool], dtype=np.int64)
    kids = [t.vtree for t in pool if t.vtree is not None]
    vt = join_right(kids) if kids and not (roots == 0).any() else None
    meta = {"source": m.kind, "model": m, "path": m.file, "route": "elimination", "arrays": "flat",
            "treewidth": od.width, "order": od.order, "largest_cluster_log2": od.log2_weight,
            "order_cells": od.total_cells,
            "constrained": X, "compile_seconds": budget.elapsed, **(info or {})}
    fc = FlatCircuit(tuple(m.variables), params, el.steps, roots, el.next,
                     elimination_facts(vt, X, od.width), vt, meta)
    budget.report(f"flat circuit built: {fc.nodes} nodes, {fc.edges} edges")
    return fc


WHY = ("variable elimination along the order, held as numpy index arrays (one layer of "
       "gathers, products and segment sums per eliminated variable, no object per node); "
       "smooth, decomposable and deterministic by construction, X-deterministic for X "
       "eliminated last")


def flat_model(m: Model, *, constrained: Iterable[Var] | None = None,
               limits: Limits | None = None, order: Order | None = None,
               info: dict[str, Any] | None = None) -> FlatView:
    """The network polynomial as a FlatView: evaluated from flat arrays; its node circuit (the
    node route along the same order) is built only if an operator needs nodes."""
    X = tuple(constrained or ())
    od = order or elimination_order(m.variables, [f.vars for f in m.factors()],
                                    last=frozenset(X))
    fc = compile_flat(m, constrained=X, limits=limits, order=od,
                      info=info)
    fc.info["options"] = {"vtree": None, "constrained": frozenset(X), "nested": ()}
    quiet = dataclasses.replace(limits, progress=None) if limits is not None else None
    recipe = partial(_node_model, m, X, quiet, od, info)
    return FlatView(fc, PROB, recipe, name=m.name, facts=dict(fc.facts))


def _node_model(m: Model, X: tuple[Var, ...], limits: Limits | None, od: Order,
                info: dict[str, Any] | None) -> Circuit:
    """The same construction as Python nodes (compiler/sources/elimination.py)."""
    return compile_elimination(m, constrained=X, limits=limits, order=od,
                               info={**(info or {}), "arrays": "nodes (for an operator the "
                                     "flat arrays do not answer)"})


__all__ = ["FlatTable", "compile_flat", "flat_model", "leaf_tables"]
