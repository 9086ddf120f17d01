"""Elimination orders for the tree-decomposition route: greedy heuristics with a heap.

`elimination_order(variables, families, last=X)` eliminates every variable outside X before any
variable of X (a constrained order, so a circuit built along it is X-deterministic).  The score
of a variable is (phase, heuristic's score, v): phase 1 for X; min-fill scores the number of
fill edges its elimination adds, then the log-size of its cluster (its domain times its
neighbours'); weighted min-fill the sum over those fill edges of the product of their ends'
domain sizes (an edge between large domains costs more), then the cluster; min-weight the
cluster's size, then the fill.  Scores live in a heap with lazy invalidation; eliminating v
rescores its neighbours and theirs (the only variables whose score can change), so an order
costs about sum |N(v)|^2 per step, not the quadratic rescan of every variable.  Min-fill is
computed first; when its clusters hold more than TRY_MORE_CELLS cells, the other two are
computed too and the order of fewest cells kept (munin1: min-fill 4.6e8 cells, weighted
min-fill 2.2e8).  `width` is the induced width (largest cluster minus one), `weight` the log2
of the largest cluster's table size.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from atlasc.compiler.ir.variables import Var

HEURISTICS = ("min-fill", "weighted min-fill", "min-weight")
TRY_MORE_CELLS = 1 << 24    # past this, the other heuristics are tried too (each costs about
#                             what min-fill costs: 0.05-0.3 s on a network of 1,000 variables)


@dataclass(frozen=True)
class Order:
    order: tuple[Var, ...]
    width: int              # induced width (treewidth bound): largest cluster - 1
    log2_weight: float      # log2 of the largest cluster's number of cells
    total_cells: int        # sum over eliminations of the cluster's cells (circuit size bound)
    heuristic: str = HEURISTICS[0]


class _Graph:
    """The moral graph over variable positions (ints: set operations in C, no Var hashing)."""

    def __init__(self, variables: Sequence[Var], families: Iterable[Sequence[Var]],
                 last: frozenset[Var], heuristic: str = HEURISTICS[0]) -> None:
        pos = {v: i for i, v in enumerate(variables)}
        self.size = [v.size for v in variables]
        self.g: dict[int, set[int]] = {i: set() for i in range(len(variables))}
        for fam in families:
            ids = [pos[v] for v in fam]
            for a in ids:
                self.g[a].update(ids)
        for a, nb in self.g.items():
            nb.discard(a)
        self.last = [v in last for v in variables]
        self.heuristic = heuristic
        self.stamp = [0] * len(variables)
        self.heap: list[tuple[int, float, float, int, int]] = []
        for i in range(len(variables)):
            self.push(i)

    def fill(self, v: int) -> int:
        nb, g = self.g[v], self.g
        return sum(len(nb - g[a]) - 1 for a in nb) // 2

    def weighted_fill(self, v: int) -> int:
        nb, g, s = self.g[v], self.g, self.size
        return sum(s[a] * s[b] for a in nb for b in nb - g[a] if b > a)

    def cluster(self, v: int) -> int:
        return self.size[v] * math.prod(self.size[u] for u in self.g[v])

    def score(self, v: int) -> tuple[float, float]:
        w = math.log2(self.cluster(v))
        if self.heuristic == "min-weight":
            return w, self.fill(v)
        if self.heuristic == "weighted min-fill":
            return self.weighted_fill(v), w
        return self.fill(v), w

    def push(self, v: int) -> None:
        self.stamp[v] += 1
        heapq.heappush(self.heap, (int(self.last[v]), *self.score(v), v, self.stamp[v]))

    def pop(self) -> int:
        while True:
            _, _, _, v, st = heapq.heappop(self.heap)
            if v in self.g and self.stamp[v] == st:
                return v

    def eliminate(self, v: int) -> set[int]:
        nb = self.g.pop(v)
        for a in nb:
            ga = self.g[a]
            ga |= nb
            ga.discard(a)
            ga.discard(v)
        return nb


def greedy_order(variables: Sequence[Var], families: Sequence[Sequence[Var]],
                 last: frozenset[Var], heuristic: str) -> Order:
    """The order one heuristic makes (HEURISTICS)."""
    vs = list(variables)
    g = _Graph(vs, families, last, heuristic)
    out: list[Var] = []
    width, logw, cells = 0, 0.0, 0
    while g.g:
        v = g.pop()
        size = g.cluster(v)
        nb = g.eliminate(v)
        width = max(width, len(nb))
        logw, cells = max(logw, math.log2(size)), cells + size
        out.append(vs[v])
        touched = set(nb)
        for u in nb:
            touched |= g.g[u]
        for a in touched:
            g.push(a)
    return Order(tuple(out), width, logw, cells, heuristic)


def elimination_order(variables: Sequence[Var], families: Iterable[Sequence[Var]],
                      last: Iterable[Var] = ()) -> Order:
    """Min-fill's order or, past TRY_MORE_CELLS, the one of fewest cells of the heuristics."""
    fams, X = [tuple(f) for f in families], frozenset(last)
    best = greedy_order(variables, fams, X, HEURISTICS[0])
    if best.total_cells <= TRY_MORE_CELLS:
        return best
    tried = [best] + [greedy_order(variables, fams, X, h) for h in HEURISTICS[1:]]
    return min(tried, key=lambda o: (o.total_cells, o.log2_weight))


__all__ = ["HEURISTICS", "Order", "elimination_order", "greedy_order"]
