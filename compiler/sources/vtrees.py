"""Vtrees for model sources: orders (min-fill on the moral graph), shapes, X-constraints.

`choose_vtree(model_vars, families, kind, constrained)` returns our `Vtree` over the model's
variables.  Kinds: "minfill" (a dtree-like vtree built along a min-fill elimination order: the
variables eliminated together sit together), "balanced" and "right" (right-linear) over the
min-fill order, or "balanced-natural"/"right-natural" over the declaration order.  With
`constrained=X`, X goes in the root's left subtree (docs/atlas.md §2.4), each side shaped by `kind`.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Iterable, Sequence

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree, balanced, right_linear

KINDS = ("minfill", "balanced", "right", "balanced-natural", "right-natural")


def moral_graph(variables: Sequence[Var], families: Iterable[Sequence[Var]]
                ) -> dict[Var, set[Var]]:
    g: dict[Var, set[Var]] = {v: set() for v in variables}
    for fam in families:
        for a in fam:
            g[a].update(b for b in fam if b != a)
    return g


def min_fill_order(variables: Sequence[Var], families: Iterable[Sequence[Var]],
                   first: Iterable[Var] | None = None) -> list[Var]:
    """A greedy min-fill elimination order (ties: fewer neighbours, then declaration order);
    with `first`, those variables are eliminated before all others."""
    g = moral_graph(variables, families)
    pos = {v: i for i, v in enumerate(variables)}
    todo = set(first) if first is not None else set()
    heaps: tuple[list[tuple[int, int, int, Var]], ...] = ([], [])   # (todo, the others)
    key: dict[Var, tuple[int, int, int]] = {}

    def push(u: Var) -> None:
        key[u] = (_fill(g, u), len(g[u]), pos[u])
        heapq.heappush(heaps[0 if u in todo else 1], (*key[u], u))
    for u in g:
        push(u)
    order: list[Var] = []
    while g:
        v = _pop(heaps[0] if todo else heaps[1], key)
        todo.discard(v)
        nb = g.pop(v)
        del key[v]
        for a in nb:
            g[a].discard(v)
            g[a].update(b for b in nb if b != a)
        for u in _touched(g, nb):
            push(u)
        order.append(v)
    return order


def _pop(heap: list[tuple[int, int, int, Var]], key: dict[Var, tuple[int, int, int]]) -> Var:
    """The least entry whose key is current (stale ones are skipped: lazy deletion)."""
    while True:
        *k, u = heapq.heappop(heap)
        if key.get(u) == tuple(k):
            return u


def _touched(g: dict[Var, set[Var]], nb: set[Var]) -> set[Var]:
    """The variables whose fill or degree eliminating a variable with neighbours `nb` can
    change: the neighbours and their neighbours."""
    out = set(nb)
    for a in nb:
        out |= g[a]
    return out


def _fill(g: dict[Var, set[Var]], v: Var) -> int:
    nb = list(g[v])
    return sum(1 for i, a in enumerate(nb) for b in nb[i + 1:] if b not in g[a])


def elimination_vtree(order: Sequence[Var], families: Iterable[Sequence[Var]]) -> Vtree:
    """Eliminating v makes the node (v, join(sub-vtrees of every cluster that mentions v)):
    the vtree mirrors the elimination (pseudo) tree with v decided before the variables
    eliminated earlier, which are independent given v and its separator, so the SDD at v's
    node is bounded by the separator's domain."""
    clusters: dict[int, tuple[Vtree | None, set[Var]]] = {}   # in creation order
    index: dict[Var, set[int]] = {}                             # variable -> its clusters
    ids = itertools.count()

    def add(vt: Vtree | None, vs: set[Var]) -> None:
        k = next(ids)
        clusters[k] = (vt, vs)
        for u in vs:
            index.setdefault(u, set()).add(k)
    for f in families:
        add(None, set(f))
    known = set(order)
    for v in order:
        hit = [clusters.pop(k) for k in sorted(index.pop(v, ()))]
        for _, vs in hit:
            for u in vs - {v}:
                index[u] -= {k for k in index[u] if k not in clusters}
        kids = [t for t, _ in hit if t is not None]
        vt = Vtree.node(Vtree.leaf(v), join_parts(kids)) if kids else Vtree.leaf(v)
        add(vt, set().union(*(s for _, s in hit)) - {v} if hit else set())
    rest = [t for t, _ in clusters.values() if t is not None]
    assert set().union(*(t.vars for t in rest)) == known
    return join_parts(rest)


LINEAR_JOIN = 16     # more independent parts than this are joined balanced (log k deep)


def join_parts(ts: list[Vtree]) -> Vtree:
    """`join_right` over at most LINEAR_JOIN sub-vtrees; balanced over more, so that k
    independent parts (a header's unused variables, a star's leaves) make a vtree log k
    deep, not k (the SDD conversion's cost follows the depth)."""
    if len(ts) > LINEAR_JOIN:
        mid = len(ts) // 2
        return Vtree.node(join_parts(ts[:mid]), join_parts(ts[mid:]))
    return join_right(ts)


def join_right(ts: list[Vtree]) -> Vtree:
    """Right-linear over sub-vtrees: ((t1, (t2, ... tk)))."""
    out = ts[-1]
    for t in reversed(ts[:-1]):
        out = Vtree.node(t, out)
    return out


def shape_vtree(kind: str, variables: Sequence[Var], families: Sequence[Sequence[Var]]) -> Vtree:
    if kind.endswith("natural"):
        order = list(variables)
    else:
        order = min_fill_order(variables, families)
    if kind == "minfill":
        keep = set(variables)
        return elimination_vtree(order, [[v for v in f if v in keep] for f in families
                                         if any(v in keep for v in f)] or [[v] for v in order])
    if kind.startswith("balanced"):
        return balanced(order)
    if kind.startswith("right"):
        return right_linear(order)
    raise ValueError(f"unknown vtree kind {kind!r}; choose one of {', '.join(KINDS)}")


def choose_vtree(variables: Sequence[Var], families: Sequence[Sequence[Var]], kind: str = "minfill",
                 constrained: Iterable[Var] | None = None,
                 nested: Iterable[frozenset[Var]] = ()) -> Vtree:
    """A vtree of the given kind; constrained for X (X in the root's left subtree), or for
    every set of a chain X1 within X2 within ... (X1, then X2 minus X1, ..., then the rest
    along the right spine), each part shaped by `kind` on the families restricted to it."""
    chain = sorted({frozenset(s) for s in nested} | ({frozenset(constrained)} if constrained
                                                      else set()), key=len)
    chain = [s for s in chain if s and not s >= set(variables)]
    if not chain:
        return shape_vtree(kind, variables, families)
    parts: list[Vtree] = []
    seen: frozenset[Var] = frozenset()
    for s in chain:
        block = [v for v in variables if v in s and v not in seen]
        if block:
            parts.append(_side(kind, block, families, seen))
        seen |= s
    rest = [v for v in variables if v not in seen]
    t = _side(kind, rest, families, seen) if rest else parts.pop()
    for part in reversed(parts):
        t = Vtree.node(part, t)
    return t


def _side(kind: str, vs: list[Var], families: Sequence[Sequence[Var]],
          above: frozenset[Var] = frozenset()) -> Vtree:
    """The part of a constrained vtree over `vs`, below the spine nodes that decide `above`.
    For "minfill": the elimination tree of `vs` eliminated first in the moral graph over
    `vs` and `above`, so the separators count the variables decided above (every function
    below is conditioned on them)."""
    if kind == "minfill" and above:
        keep = set(vs) | above
        ctx = sorted(above, key=lambda v: v.name)
        fams = [[v for v in f if v in keep] for f in families]
        fams = [f for f in fams if f] + [[v] for v in vs]
        order = min_fill_order(vs + ctx, fams, first=vs)[:len(vs)]
        return elimination_vtree(order, fams)
    keep = set(vs)
    fams = [[v for v in f if v in keep] for f in families]
    return shape_vtree(kind, vs, [f for f in fams if f] + [[v] for v in vs])


