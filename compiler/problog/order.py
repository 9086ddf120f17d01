"""A vtree for the program's formula from the structure of its ground DAG.

The primal graph has one vertex per variable (the choices X and the atoms Y) and one per gate
of the DAG (a conjunction or disjunction node), an edge between a gate and each child and
between an atom and its node: the graph of the formula's Tseitin form.  A min-degree
elimination order of that graph (a heap with lazy updates: O(E log V), where min-fill over
cliques of supports was far too slow on ALARM) gives an elimination tree; the vtree follows it
with each variable decided above the ones eliminated before it, and the gates dropped (a gate's
subtree is its children's, joined).  This is the dtree-like vtree of `sources.vtrees` built on
the Tseitin graph instead of the moral graph.

Atoms whose definitions read the same annotated disjunctions (the values of one variable of a
Bayesian network written in ProbLog: `x(low)`, `x(high)` from the rows of x's table) are
contracted into one vertex first: they are mutually exclusive, so together they act as one
multi-valued variable, and ordering them as separate Booleans gave an elimination far wider
than the network's (ALARM: the SDD went past 2e7 nodes; with the clusters it is 4.7e4).
"""
from __future__ import annotations

import heapq
from typing import Hashable, Iterable

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree

Item = Hashable          # a Var, or ("gate", key)


def min_degree_order(graph: dict[Item, set[Item]]) -> tuple[list[Item], dict[Item, Item]]:
    """The elimination order and the elimination tree (vertex -> parent)."""
    g = {v: set(nb) for v, nb in graph.items()}
    rank = {v: i for i, v in enumerate(g)}
    heap = [(len(nb), rank[v], v) for v, nb in g.items()]
    heapq.heapify(heap)
    order: list[Item] = []
    at_elim: dict[Item, set[Item]] = {}
    while heap:
        d, _, v = heapq.heappop(heap)
        if v not in g or d != len(g[v]):
            continue
        nb = g.pop(v)
        at_elim[v] = nb
        order.append(v)
        for a in nb:
            g[a].discard(v)
            g[a].update(b for b in nb if b != a)
            heapq.heappush(heap, (len(g[a]), rank[a], a))
    pos = {v: i for i, v in enumerate(order)}
    parent = {v: min(nb, key=pos.__getitem__) for v, nb in at_elim.items() if nb}
    return order, parent


def elimination_vtree(graph: dict[Item, set[Item]], variables: Iterable[Var],
                      clusters: dict[Var, Hashable] | None = None) -> Vtree:
    """The vtree along the elimination tree; the atoms of one cluster (clusters: atom -> key)
    are one vertex of the graph and sit together, balanced, in the vtree."""
    members: dict[Item, list[Var]] = {}
    for v, k in (clusters or {}).items():
        members.setdefault(("cluster", k), []).append(v)
    order, parent = min_degree_order(_contract(graph, clusters or {}))
    kids: dict[Item, list[Vtree]] = {}
    roots: list[Vtree] = []
    keep = set(variables)
    for item in order:
        below = kids.pop(item, [])
        own = [_balanced([Vtree.leaf(u) for u in members[item]])] if item in members else \
            [Vtree.leaf(item)] if isinstance(item, Var) and item in keep else []
        t = _join(own + below)
        if t is None:
            continue
        (kids.setdefault(parent[item], []) if item in parent else roots).append(t)
    out = _join(roots)
    assert out is not None and out.vars == frozenset(keep)
    return out


def _contract(graph: dict[Item, set[Item]], clusters: dict[Var, Hashable]
              ) -> dict[Item, set[Item]]:
    def rep(v: Item) -> Item:
        return ("cluster", clusters[v]) if isinstance(v, Var) and v in clusters else v
    out: dict[Item, set[Item]] = {}
    for a, nb in graph.items():
        ra = rep(a)
        out.setdefault(ra, set()).update(rep(b) for b in nb)
        out[ra].discard(ra)
    return out


def _join(ts: list[Vtree]) -> Vtree | None:
    """The first tree decided above the rest, the rest balanced (so depth stays logarithmic
    where a gate has many children)."""
    if not ts:
        return None
    if len(ts) == 1:
        return ts[0]
    rest = _balanced(ts[1:])
    return Vtree.node(ts[0], rest)


def _balanced(ts: list[Vtree]) -> Vtree:
    while len(ts) > 1:
        ts = [Vtree.node(ts[i], ts[i + 1]) if i + 1 < len(ts) else ts[i]
              for i in range(0, len(ts), 2)]
    return ts[0]
