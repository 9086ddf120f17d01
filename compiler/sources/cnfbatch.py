"""A large CNF into flat arrays by batched elimination (compiler/ir/flat.py BatchStep).

The tables of compiler/sources/cnfflat.py (a clause: a 0/1 table over its distinct variables;
a literal weight pair: a unary table) are held by arity as numpy arrays (variable positions,
slots), with no Python object per table.  A round eliminates at once an independent set of
the interaction graph among the variables of at most BATCH_MAX_WIDTH neighbours outside the
constrained ones: a variable whose priority (its number of neighbours, then a hash of its
position) is below every such neighbour's (Luby's rule; a chain loses about a third of its
variables a round, so 10^6 variables take about 35 rounds).  No two of them share a table, so
their steps read disjoint tables and are the per-variable `Step`s of the same order, held as
one BatchStep per (neighbours, tables joined).  When a round would eliminate fewer than
1/BATCH_MIN_SHARE of the live variables, the rest (high degree, the constrained ones last) goes
by min-fill, one step per variable (compiler/sources/flat.py FlatEliminator).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from atlasc.compiler.errors import LimitExceeded
from atlasc.compiler.ir.flat import BatchStep, FlatCircuit, Step, DenseStep
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.elimination import HINT, elimination_facts
from atlasc.compiler.sources.flat import IDX, FlatEliminator, FlatTable, Pool
from atlasc.compiler.sources.limits import DEFAULT_MAX_NODES, Budget, Limits
from atlasc.compiler.sources.orders import Order, elimination_order

BATCH_MAX_WIDTH = 3      # neighbours of a variable a round eliminates (clusters of <= 16 cells)
BATCH_MIN_SHARE = 32     # a round of fewer than 1/32 of the live variables ends the batching
HEURISTIC = "batched rounds (independent sets of low degree), then min-fill"


@dataclass
class Tables:
    """The live tables of one arity k: variable positions (T, k), slots (T, 2^k), row-major
    with the first variable most significant, and the step that made each (-1 a leaf)."""
    vars: np.ndarray
    cells: np.ndarray
    src: np.ndarray

    def take(self, rows: np.ndarray) -> "Tables":
        return Tables(self.vars[rows], self.cells[rows], self.src[rows])


Groups = dict[int, Tables]


def clause_tables(clauses: Sequence[Sequence[int]], one: int) -> tuple[Groups, list[int]]:
    """The clauses as 0/1 tables grouped by arity (slot `one` for 1, 0 at the falsifying
    cell); a tautology is no table, a repeated literal counts once.  Also the slots of the
    tables of no variable (an empty clause: 0)."""
    by_len: dict[int, list[Sequence[int]]] = {}
    for c in clauses:
        by_len.setdefault(len(c), []).append(c)
    groups: dict[int, list[Tables]] = {}
    consts = [0] * len(by_len.pop(0, []))
    for k, cs in by_len.items():
        lits = np.array(cs, dtype=np.int64).reshape(len(cs), k)
        var, neg = _sorted_rows(lits)
        same = (var[:, 1:] == var[:, :-1]).any(axis=1)
        groups.setdefault(k, []).append(_clause_group(var[~same], neg[~same], one))
        for row in np.flatnonzero(same):
            _odd_clause(var[row], neg[row], one, groups)
    return {k: _concat(ts) for k, ts in groups.items()}, consts


def _sorted_rows(lits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    o = np.argsort(np.abs(lits), axis=1, kind="stable")
    s = np.take_along_axis(lits, o, axis=1)
    return np.abs(s) - 1, s < 0


def _clause_group(var: np.ndarray, neg: np.ndarray, one: int) -> Tables:
    T, k = var.shape
    cells = np.full((T, 1 << k), one, dtype=IDX)
    bits = (neg.astype(np.int64) << (k - 1 - np.arange(k))).sum(axis=1)
    cells[np.arange(T), bits] = 0
    return Tables(var, cells, np.full(T, -1, dtype=np.int64))


def _odd_clause(var: np.ndarray, neg: np.ndarray, one: int, groups: dict[int, list[Tables]]
                ) -> None:
    """A clause with a repeated variable: a tautology (both signs) is dropped, a repeated
    literal kept once."""
    sign: dict[int, bool] = {}
    for v, n in zip(var.tolist(), neg.tolist()):
        if sign.setdefault(v, n) != n:
            return
    vs, ns = np.array([list(sign)]), np.array([list(sign.values())])
    groups.setdefault(len(sign), []).append(_clause_group(vs, ns, one))


def _concat(ts: list[Tables]) -> Tables:
    return Tables(np.concatenate([t.vars for t in ts]), np.concatenate([t.cells for t in ts]),
                  np.concatenate([t.src for t in ts]))


def leaves(clauses: Sequence[Sequence[int]], ix: dict[Var, int],
           weights: dict[Var, tuple[float, float]] | None
           ) -> tuple[np.ndarray, Groups, list[int]]:
    """The distinct non-zero parameters as slots 1.. (slot 0 is 0.0), the leaf tables by
    arity and the constant tables' slots."""
    pos = np.fromiter(map(ix.__getitem__, weights or {}), np.int64, len(weights or {}))
    W = np.array(list((weights or {}).values()), dtype=np.float64).reshape(-1, 2)
    keep = (W != 1.0).any(axis=1)               # (1, 1) is no table
    pos, W = pos[keep], W[keep]
    nz = np.unique(np.concatenate([[1.0], W.ravel()]))
    nz = nz[nz != 0.0]
    params = np.concatenate([[0.0], nz])
    groups, consts = clause_tables(clauses, 1 + int(np.searchsorted(nz, 1.0)))
    if pos.size:
        slots = np.where(W == 0.0, 0, 1 + np.searchsorted(nz, W)).astype(IDX)
        unary = Tables(pos.reshape(-1, 1), slots, np.full(pos.size, -1, dtype=np.int64))
        groups[1] = _concat([groups[1], unary]) if 1 in groups else unary
    return params, groups, consts


def pairs(groups: Groups, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ordered pairs (a, b), a != b, of variables sharing a table, sorted, once each."""
    keys = [t.vars[:, i] * n + t.vars[:, j] for k, t in groups.items() if k > 1
            for i in range(k) for j in range(k) if i != j]
    key = np.sort(np.concatenate(keys)) if keys else np.zeros(0, np.int64)
    key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    return key // n, key % n


def _hash(ids: np.ndarray) -> np.ndarray:
    return (ids * 2654435761) & 0xFFFFFFFF      # a bijection of [0, 2^32): no ties


def select(groups: Groups, alive: np.ndarray, free: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The variables of this round (ascending), each one's neighbours (padded with n) and
    number of tables; also every variable's number of neighbours."""
    n = alive.size
    a, b = pairs(groups, n)
    deg = np.bincount(a, minlength=n)
    cand = alive & free & (deg <= BATCH_MAX_WIDTH)
    pri = (deg.astype(np.int64) << 32) | _hash(np.arange(n, dtype=np.int64))
    low = np.full(n, np.iinfo(np.int64).max)
    on = cand[b]
    np.minimum.at(low, a[on], pri[b[on]])
    sel = np.flatnonzero(cand & (pri < low))
    nb = np.full((sel.size, BATCH_MAX_WIDTH), n, dtype=np.int64)
    start = np.searchsorted(a, sel)
    for j in range(BATCH_MAX_WIDTH):
        has = deg[sel] > j
        nb[has, j] = b[start[has] + j]
    hits = np.zeros(n, dtype=np.int64)
    for k, t in groups.items():
        hits += np.bincount(t.vars.ravel(), minlength=n)
    return sel, nb, hits[sel], deg


@dataclass
class Hit:
    """The tables a round reads, each gathered into its variable's cluster: the cluster of
    v is (its neighbours ascending, v), row-major, 2^(d+1) cells."""
    var: np.ndarray        # (E,) the round's variable (its rank in the round)
    arity: np.ndarray      # (E,) the table's arity (to order the gathers)
    slots: np.ndarray      # (E, 2^(d+1)) the table's slot at each cluster cell


def gather(t: Tables, rows: np.ndarray, rank: np.ndarray, nb: np.ndarray, d: int, k: int
           ) -> Hit:
    """The tables `rows` of arity k, each holding one variable of the round of d
    neighbours, as slots per cluster cell."""
    tv = t.vars[rows]
    mine = rank[tv]                                   # the round's rank or -1, per entry
    r = mine.max(axis=1)
    v = np.take_along_axis(tv, mine.argmax(axis=1)[:, None], axis=1)[:, 0]
    nbs = nb[r][:, :d]
    pos = np.where(tv == v[:, None], d, (nbs[:, None, :] < tv[:, :, None]).sum(axis=2))
    c = np.arange(1 << (d + 1), dtype=np.int64)
    idx = np.zeros((tv.shape[0], c.size), dtype=np.int64)
    for q in range(k):
        idx |= ((c[None, :] >> (d - pos[:, q:q + 1])) & 1) << (k - 1 - q)
    cells = t.cells[rows]
    return Hit(r, np.full(r.size, k), np.take_along_axis(cells, idx, axis=1))


class Batcher:
    """The rounds: live tables by arity, the steps made, the next free slot."""

    def __init__(self, vs: Sequence[Var], params: np.ndarray, groups: Groups,
                 consts: list[int], X: frozenset[Var], budget: Budget) -> None:
        self.vs, self.n, self.budget = vs, len(vs), budget
        self.groups = {k: t for k, t in groups.items() if k > 0}
        self.roots: list[int] = list(consts)
        self.alive = np.ones(self.n, dtype=bool)
        self.free = np.array([v not in X for v in vs], dtype=bool) if X else self.alive.copy()
        self.steps: list[Step | DenseStep | BatchStep] = []
        self.next, self.made, self.cells, self.width = int(params.size), 0, 0, 0
        self.order: list[np.ndarray] = []
        self.leaf_slots = int(params.size)

    def run(self) -> None:
        while self.alive.any():
            sel, nb, hits, deg = select(self.groups, self.alive, self.free)
            if not sel.size or sel.size * BATCH_MIN_SHARE < np.count_nonzero(self.alive):
                return
            self.round(sel, nb, hits, deg[sel])

    def round(self, sel: np.ndarray, nb: np.ndarray, hits: np.ndarray, deg: np.ndarray
              ) -> None:
        rank = np.full(self.n + 1, -1, dtype=np.int64)
        rank[sel] = np.arange(sel.size)
        byd: dict[int, list[Hit]] = {}
        for k, t in list(self.groups.items()):
            rk = rank[t.vars].max(axis=1)
            hit = rk >= 0
            dr = np.where(hit, deg[np.maximum(rk, 0)], -1)
            for d in np.unique(dr[hit]).tolist():
                byd.setdefault(d, []).append(gather(t, np.flatnonzero(dr == d), rank, nb, d, k))
            self.groups[k] = t.take(~hit)
        for d in range(BATCH_MAX_WIDTH + 1):
            self._eliminate(sel, nb, hits, deg, d, byd.get(d, []))
        self.alive[sel] = False
        self._progress(sel.size)

    def _eliminate(self, sel: np.ndarray, nb: np.ndarray, hits: np.ndarray, deg: np.ndarray,
                   d: int, got: list[Hit]) -> None:
        """The round's variables of d neighbours, one BatchStep per number of tables."""
        mine = np.flatnonzero(deg == d)
        if not mine.size:
            return
        var = np.concatenate([h.var for h in got]) if got else np.zeros(0, np.int64)
        slots = np.concatenate([h.slots for h in got]) if got else \
            np.zeros((0, 2 << d), IDX)
        arity = np.concatenate([h.arity for h in got]) if got else np.zeros(0, np.int64)
        o = np.lexsort((arity, var, hits[var]))
        var, slots = var[o], slots[o]
        ranks = mine[np.argsort(hits[mine], kind="stable")]
        at = 0
        for m in np.unique(hits[ranks]).tolist():
            rs = ranks[hits[ranks] == m]
            self._step(sel[rs], nb[rs, :d], slots[at:at + rs.size * m], m, d)
            at += rs.size * m

    def _step(self, ids: np.ndarray, keys: np.ndarray, slots: np.ndarray, m: int, d: int
              ) -> None:
        nv, C = ids.size, 2 << d
        gath = slots.reshape(nv, m, C)
        nz = (gath != 0).all(axis=1).ravel() if m else np.ones(nv * C, dtype=bool)
        keep = np.flatnonzero(nz)
        size, out = nv * (C // 2), self.next
        seg = (keep >> 1).astype(IDX)
        step = BatchStep(tuple(self.vs[i] for i in ids.tolist()), ids, keys, out, size,
                         tuple(gath[:, j, :].ravel()[keep].astype(IDX) for j in range(m)),
                         (((keep // C) << 1) | (keep & 1)).astype(IDX), seg)
        self._check(step, nv * C)
        self.steps.append(step)
        self.next += size
        self.made += step.products
        self.cells += nv * C
        self.width = max(self.width, d)
        self.order.append(ids)
        filled = np.bincount(seg, minlength=size) > 0
        res = np.where(filled, out + np.arange(size, dtype=IDX), 0).astype(IDX)
        if d == 0:
            self.roots += res.tolist()
            return
        new = Tables(keys, res.reshape(nv, C // 2), np.full(nv, len(self.steps) - 1))
        self.groups[d] = _concat([self.groups[d], new]) if d in self.groups else new

    def _check(self, step: BatchStep, cells: int) -> None:
        cap = self.budget.limits.max_nodes
        if cap is not None and cap != DEFAULT_MAX_NODES and self.made + cells > cap:
            raise LimitExceeded(f"compiling {self.budget.what}: a round of {len(step.vars)} "
                                f"eliminations needs up to {cells} products, past the node "
                                f"limit of {cap}", hint=HINT)
        self.budget.check(self.made if cap != DEFAULT_MAX_NODES else 0)

    def _progress(self, k: int) -> None:
        self.budget.report(f"eliminated {k} variables in one round, "
                           f"{np.count_nonzero(self.alive)} left, {self.made} products")

    def tail(self) -> tuple[list[FlatTable], list[Var]]:
        """The live tables as FlatTables over local positions (the remaining variables)."""
        rest = np.flatnonzero(self.alive)
        local = np.full(self.n, -1, dtype=np.int64)
        local[rest] = np.arange(rest.size)
        out = []
        for k, t in self.groups.items():
            for vv, cc, s in zip(t.vars.tolist(), t.cells, t.src.tolist()):
                out.append(FlatTable(tuple(self.vs[i] for i in vv), cc, s, None,
                                     tuple(int(local[i]) for i in vv)))
        return out, [self.vs[i] for i in rest.tolist()]


def batch_flat(clauses: Sequence[Sequence[int]], vs: Sequence[Var],
               weights: dict[Var, tuple[float, float]] | None, X: frozenset[Var],
               limits: Limits | None, name: str, max_cells: int | None,
               info: dict[str, Any]) -> FlatCircuit | None:
    """The CNF's flat circuit by batched rounds then min-fill; None when the order's
    clusters hold more than `max_cells` cells (then the SDD route may do better)."""
    budget = Budget(limits, name or "the CNF", HINT, unit="the circuit")
    ix = {v: i for i, v in enumerate(vs)} if weights else {}   # weights' positions
    params, groups, consts = leaves(clauses, ix, weights)
    b = Batcher(vs, params, groups, consts, X, budget)
    b.run()
    tables, rest = b.tail()
    od = elimination_order(rest, [t.vars for t in tables], last=X)
    if max_cells is not None and b.cells + od.total_cells > max_cells:
        return None
    el = FlatEliminator(budget, b.next, od.total_cells, False)
    el.steps, el.made = b.steps, b.made
    pool = Pool(tables, len(rest))
    local = {v: i for i, v in enumerate(rest)}
    for v in od.order:
        pool.add(el.eliminate(v, local[v], pool.take(local[v])))
    roots = np.array(b.roots + [int(t.cells[0]) for t in pool.tables()], dtype=np.int64)
    order = Order(tuple(vs[i] for i in np.concatenate(b.order + [np.zeros(0, int)]).tolist())
                  + od.order, max(b.width, od.width),
                  max(math.log2(2 << b.width) if b.order else 0.0, od.log2_weight),
                  b.cells + od.total_cells, HEURISTIC)
    meta = {"source": "cnf", "path": info.get("path"), "route": "elimination",
            "arrays": "flat", "treewidth": order.width, "order": order.order,
            "largest_cluster_log2": order.log2_weight, "order_heuristic": HEURISTIC,
            "order_cells": order.total_cells, "constrained": X,
            "compile_seconds": budget.elapsed, "batched_rounds": len(b.order), **info}
    meta["elimination_order"] = order
    return FlatCircuit(tuple(vs), params, el.steps, roots, el.next,
                       elimination_facts(None, X, order.width), None, meta)


__all__ = ["BATCH_MAX_WIDTH", "BATCH_MIN_SHARE", "batch_flat", "clause_tables", "leaves"]
