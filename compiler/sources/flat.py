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
from atlasc.compiler.ir.flat import BatchStep, DenseStep, FlatCircuit, FlatView, Step
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.semirings import PROB
from atlasc.compiler.sources.elimination import (HINT, compile_elimination, elimination_facts,
                                                 fits)
from atlasc.compiler.errors import LimitExceeded
from atlasc.compiler.sources.limits import DEFAULT_MAX_NODES, Budget, Limits, available_bytes
from atlasc.compiler.sources.model import Factor, Model
from atlasc.compiler.sources.orders import Order, elimination_order
from atlasc.compiler.sources.vtrees import join_right

IDX = np.int32          # slots, values and segments: 4 bytes an entry (< 2^31 slots)
MEMORY_HINT = ("the elimination order's largest cluster does not fit in memory: a network of "
               "smaller treewidth, fewer constrained variables, or a machine with more memory "
               "(--max-nodes does not raise this limit)")


DENSE_MIN_CELLS = 1 << 12  # a smaller cluster is held as products (exact node counts, zeros)
DENSE_MIN_KEPT = 0.25      # ... and one whose products are mostly structural zeros
DENSE_BYTES = 24           # per result cell of a dense step: its value, its derivative and
#                            the einsum's output (runtime/flat.py)
MAX_AXES = 40              # einsum's letters: a cluster of more variables is held as products


def dense_pays(cells: int, hit: list[FlatTable], axes: int) -> bool:
    """Hold the step as its tables (DenseStep) when the cluster is large and, by the tables'
    fractions of non-zero cells (as if independent), most of its products are not zero: then
    an einsum over the tables costs less than building and gathering the index arrays."""
    if not hit or cells < DENSE_MIN_CELLS or axes > MAX_AXES:
        return False
    kept = math.prod(np.count_nonzero(t.cells) / max(t.cells.size, 1) for t in hit)
    return bool(kept >= DENSE_MIN_KEPT)


SMALL_STEP = 64 * 2**20  # a step needing less is not checked against the memory available


def step_bytes(tables: int) -> int:
    """Peak bytes per cluster cell of one step: while built, an int64 index and an int32 slot
    per joined table and the kept positions (int64); kept, an int32 slot per table, the value
    and the segment."""
    return 12 * max(tables, 1) + 8 + 4 * (max(tables, 1) + 2)


@dataclass
class FlatTable:
    vars: tuple[Var, ...]
    cells: np.ndarray                     # slot per cell, row-major; 0 is structurally zero
    source: int                           # the step that made it, -1 a leaf table
    vtree: Vtree | None
    ids: tuple[int, ...] = ()             # the variables' positions in the model


class Pool:
    """The live tables by number (creation order) and, per variable position, the numbers of
    the tables that mention it: a step finds its tables without scanning the pool."""

    def __init__(self, tables: list[FlatTable], n: int) -> None:
        self.live = dict(enumerate(tables))
        self.where: list[set[int]] = [set() for _ in range(n)]
        for k, t in self.live.items():
            for u in t.ids:
                self.where[u].add(k)
        self.count = len(tables)

    def take(self, v: int) -> list[FlatTable]:
        """The tables that mention variable v, in creation order, removed from the pool."""
        hit = []
        for k in sorted(self.where[v]):
            t = self.live.pop(k)
            for u in t.ids:
                self.where[u].discard(k)
            hit.append(t)
        return hit

    def add(self, t: FlatTable) -> None:
        self.live[self.count] = t
        for u in t.ids:
            self.where[u].add(self.count)
        self.count += 1

    def tables(self) -> list[FlatTable]:
        return [self.live[k] for k in sorted(self.live)]


def sorted_unique(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(x, return_inverse=True) by a stable sort: numpy's default quicksort takes
    ~12x longer on CPT cells (mildew's 547,158: 0.12 s against 0.01 s)."""
    perm = np.argsort(x, kind="stable")
    s = x[perm]
    first = np.r_[True, s[1:] != s[:-1]] if s.size else np.zeros(0, bool)
    inverse = np.empty(x.size, np.int64)
    inverse[perm] = np.cumsum(first) - 1
    return s[first], inverse


def leaf_tables(facs: list[Factor], ix: dict[Var, int] | None = None
                ) -> tuple[np.ndarray, list[FlatTable]]:
    """The distinct non-zero parameters as slots 1.., and each factor's table of slots
    (`ix`: the variables' positions)."""
    flat = np.concatenate([f.table.ravel().astype(np.float64) for f in facs]) if facs \
        else np.zeros(0)
    values, inverse = sorted_unique(flat)
    shift = 0 if values.size and values[0] == 0.0 else 1
    params = np.concatenate([[0.0], values[values != 0.0]]) if shift else values
    slots = (inverse.ravel() + shift).astype(IDX)
    tables, at = [], 0
    for f in facs:
        n = f.table.size
        ids = tuple(ix[u] for u in f.vars) if ix is not None else ()
        tables.append(FlatTable(tuple(f.vars), slots[at:at + n], -1, None, ids))
        at += n
    return params, tables


def _index(t: FlatTable, at: dict[int, int], shape: tuple[int, ...]) -> np.ndarray:
    """For every assignment of the joined variables (positions `at`, row-major), the flat
    cell index in `t`."""
    idx = np.zeros((1,) * len(shape), dtype=np.int64)
    stride = 1
    for u, w in zip(reversed(t.vars), reversed(t.ids)):
        view = [1] * len(shape)
        view[at[w]] = u.size
        idx = idx + (np.arange(u.size, dtype=np.int64) * stride).reshape(view)
        stride *= u.size
    return np.broadcast_to(idx, shape)       # a view: the gather below makes the only copy


class FlatEliminator:
    def __init__(self, budget: Budget, start: int, total: int, vtrees: bool = True) -> None:
        self.budget, self.next, self.total, self.done = budget, start, max(total, 1), 0
        self.vtrees = vtrees               # False: no vtree (each node's variable set)
        self.steps: list[Step | DenseStep | BatchStep] = []
        self.made = 0                      # products so far

    def eliminate(self, v: Var, vid: int, hit: list[FlatTable]) -> FlatTable:
        joined = {(w, u): None for t in hit for w, u in zip(t.ids, t.vars) if w != vid}
        out = tuple(u for _, u in joined)
        at = {w: j for j, (w, _) in enumerate(joined)}
        at[vid] = len(out)
        shape = tuple(u.size for u in out) + (v.size,)
        cells = math.prod(shape)
        if dense_pays(cells, hit, len(shape)):
            return self._dense(v, hit, out, at, tuple(w for w, _ in joined), cells)
        self._check(v, cells, len(hit))
        cols = [t.cells[_index(t, at, shape)].ravel() for t in hit]
        keep = np.flatnonzero(np.logical_and.reduce([c != 0 for c in cols])) if cols \
            else np.arange(cells)
        size, base = cells // v.size, self.next
        step = Step(v, out, base, size, tuple(c[keep] for c in cols), tuple(t.source for t in hit),
                    (keep % v.size).astype(IDX), (keep // v.size).astype(IDX))
        self.steps.append(step)
        self.next += size
        self.made += step.products
        return FlatTable(out, self._result(step), len(self.steps) - 1, self._vtree(v, hit),
                         tuple(w for w, _ in joined))

    def _dense(self, v: Var, hit: list[FlatTable], out: tuple[Var, ...], at: dict[int, int],
               ids: tuple[int, ...], cells: int) -> FlatTable:
        """The step as its tables (DenseStep): no index array of the cluster's size; its
        result table has a slot for every cell."""
        size, base = cells // v.size, self.next
        self._check(v, cells, len(hit), size * DENSE_BYTES)
        step = DenseStep(v, out, base, size, tuple(t.cells for t in hit),
                         tuple(tuple(at[w] for w in t.ids) for t in hit),
                         tuple(t.source for t in hit))
        self.steps.append(step)
        self.next += size
        self.made += step.products
        return FlatTable(out, np.arange(base, base + size, dtype=IDX), len(self.steps) - 1,
                         self._vtree(v, hit), ids)

    def _memory(self, v: Var, cells: int, tables: int, need: int | None = None) -> None:
        """Refuse, before building it, a step whose index arrays would not fit: per cell of
        the cluster an int64 index and an int32 slot per joined table while it is built, and
        up to (tables + 2) int32 entries kept (STEP_BYTES), against the memory available
        (MemAvailable) or `max_memory_mb`, whichever is smaller."""
        need = cells * step_bytes(tables) if need is None else need
        if need < SMALL_STEP and self.budget.limits.max_memory_mb is None:
            return
        room = available_bytes(self.budget.limits.max_memory_mb)
        if room is not None and need > room:
            raise LimitExceeded(
                f"compiling {self.budget.what}: eliminating {v.name} joins {tables} tables into "
                f"a cluster of {cells:,} cells, about {need / 2**30:.1f} GiB of index arrays; "
                f"{room / 2**30:.1f} GiB of memory are available", hint=MEMORY_HINT)

    @staticmethod
    def _result(step: Step) -> np.ndarray:
        filled = np.bincount(step.seg, minlength=step.size) > 0
        return np.where(filled, step.out + np.arange(step.size, dtype=IDX), 0).astype(IDX)

    def _vtree(self, v: Var, hit: list[FlatTable]) -> Vtree | None:
        if not self.vtrees:
            return None
        kids = [t.vtree for t in hit if t.vtree is not None]
        return Vtree.node(Vtree.leaf(v), join_right(kids)) if kids else Vtree.leaf(v)

    def _check(self, v: Var, cells: int, tables: int, need: int | None = None) -> None:
        """The memory this step needs (and a node limit, if one was asked for), then progress
        with ETA."""
        made = self.made
        if self.budget.limits.max_nodes != DEFAULT_MAX_NODES:
            fits(self.budget, v, cells, made)
        self._memory(v, cells, tables, need)
        self.budget.check(made if self.budget.limits.max_nodes != DEFAULT_MAX_NODES else 0)
        self.done += cells
        frac = self.done / self.total
        eta = self.budget.elapsed * (1 - frac) / frac if frac > 0 else 0.0
        self.budget.report(f"eliminating {v.name} ({cells} cells), {made} products, "
                           f"{100 * frac:.0f}% of the order's cells, ETA {eta:.1f}s")


def compile_flat(m: Model, *, constrained: Iterable[Var] | None = None,
                 limits: Limits | None = None, order: Order | None = None,
                 info: dict[str, Any] | None = None, vtree: bool = True) -> FlatCircuit:
    """The network polynomial of `m` as a flat circuit, along a min-fill order that eliminates
    `constrained` last (the same order as compile_elimination's).  `vtree=False`: no
    elimination vtree (its nodes hold their variable sets: quadratic on a long chain), so
    no structured-decomposability fact."""
    X = frozenset(constrained or ())
    facs = m.factors()
    budget = Budget(limits, m.name or f"the {m.kind} network", HINT, unit="the circuit")
    od = order or elimination_order(m.variables, [f.vars for f in facs], last=X)
    ix = {v: i for i, v in enumerate(m.variables)}
    params, leaves = leaf_tables(facs, ix)
    pool = Pool(leaves, len(ix))
    el = FlatEliminator(budget, params.size, od.total_cells, vtree)
    for v in od.order:
        vid = ix[v]
        pool.add(el.eliminate(v, vid, pool.take(vid)))
    final = pool.tables()
    roots = np.array([t.cells[0] for t in final], dtype=np.int64)
    kids = [t.vtree for t in final if t.vtree is not None]
    vt = join_right(kids) if kids and not (roots == 0).any() else None
    meta = {"source": m.kind, "model": m, "path": m.file, "route": "elimination", "arrays": "flat",
            "treewidth": od.width, "order": od.order, "largest_cluster_log2": od.log2_weight,
            "order_heuristic": od.heuristic,
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
               info: dict[str, Any] | None = None, vtree: bool = True) -> FlatView:
    """The network polynomial as a FlatView: evaluated from flat arrays; its node circuit (the
    node route along the same order) is built only if an operator needs nodes."""
    X = tuple(constrained or ())
    od = order or elimination_order(m.variables, [f.vars for f in m.factors()],
                                    last=frozenset(X))
    fc = compile_flat(m, constrained=X, limits=limits, order=od, info=info, vtree=vtree)
    fc.info["options"] = {"vtree": None, "constrained": frozenset(X), "nested": ()}
    quiet = dataclasses.replace(limits, progress=None) if limits is not None else None
    recipe = partial(node_model, m, X, quiet, od, info)
    return FlatView(fc, PROB, recipe, name=m.name, facts=dict(fc.facts))


def node_model(m: Model, X: tuple[Var, ...], limits: Limits | None, od: Order,
                info: dict[str, Any] | None) -> Circuit:
    """The same construction as Python nodes (compiler/sources/elimination.py)."""
    return compile_elimination(m, constrained=X, limits=limits, order=od,
                               info={**(info or {}), "arrays": "nodes (for an operator the "
                                     "flat arrays do not answer)"})


__all__ = ["FlatTable", "compile_flat", "flat_model", "leaf_tables", "node_model"]
