"""Graphical criteria for causal effects: backdoor and frontdoor (Pearl 2009, 3.3) on the
graph of a Bayesian network, each failure with a witness path named node by node.

`backdoor_violation(parents, X, Y, Z)` and `frontdoor_violation(parents, X, Y, Z)` return None
when the criterion holds, else a sentence naming what breaks it (an open path, a descendant).
Paths are searched with the reachability ("Bayes ball") rules of d-separation: a chain or fork
node passes the path unless it is in Z; a collider passes it only if it or one of its
descendants is in Z.  Treatment variables other than a path's start are not crossed: the
intervention fixes them.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.language.positivity import cells, failing, stratum

Graph = dict[Var, tuple[Var, ...]]
# A search state: the node, and whether the path arrived at it along an edge into it (from a
# parent, "down") or out of it (from a child, "up").
State = tuple[Var, bool]


def children_of(parents: Graph) -> Graph:
    out: dict[Var, list[Var]] = {v: [] for v in parents}
    for child, ps in parents.items():
        for p in ps:
            out[p].append(child)
    return {v: tuple(sorted(cs)) for v, cs in out.items()}


def descendants(parents: Graph, X: Iterable[Var], avoid: frozenset[Var] = frozenset()
                ) -> dict[Var, Var | None]:
    """Every descendant of X (X included) reached without entering `avoid`, with the node it
    was reached from (breadth first, so the chains are shortest)."""
    kids = children_of(parents)
    seen: dict[Var, Var | None] = {x: None for x in X}
    queue = deque(seen)
    while queue:
        v = queue.popleft()
        for c in kids[v]:
            if c not in seen and c not in avoid:
                seen[c] = v
                queue.append(c)
    return seen


def _ancestors(parents: Graph, Z: frozenset[Var]) -> set[Var]:
    out, stack = set(Z), list(Z)
    while stack:
        for p in parents[stack.pop()]:
            if p not in out:
                out.add(p)
                stack.append(p)
    return out


def open_path(parents: Graph, start: Var, first: Iterable[Var], targets: frozenset[Var],
              given: frozenset[Var], stop: frozenset[Var] = frozenset()) -> list[Var] | None:
    """A path from `start` through one of `first` (its parents or children) to a target that
    is open given `given`; None if every such path is blocked.  Nodes in `stop` are not
    crossed.  The path is returned node by node, `start` first."""
    kids = children_of(parents)
    anc = _ancestors(parents, given)
    up: set[Var] = set(parents[start])
    starts = [(v, v not in up) for v in first]
    back: dict[State, State | None] = {s: None for s in starts}
    queue = deque(starts)
    while queue:
        state = queue.popleft()
        v, down = state
        if v in targets:
            return [start] + _trace(back, state)
        if v in stop or v == start:
            continue
        for nxt in _moves(v, down, parents, kids, given, anc):
            if nxt not in back:
                back[nxt] = state
                queue.append(nxt)
    return None


def _moves(v: Var, down: bool, parents: Graph, kids: Graph, given: frozenset[Var],
           anc: set[Var]) -> list[State]:
    out: list[State] = []
    if not down and v not in given:            # v is a chain or fork on the path
        out += [(p, False) for p in parents[v]] + [(c, True) for c in kids[v]]
    if down and v not in given:                # chain: keep going down
        out += [(c, True) for c in kids[v]]
    if down and v in anc:                      # collider opened by (a descendant in) Z
        out += [(p, False) for p in parents[v]]
    return out


def _trace(back: dict[State, State | None], state: State) -> list[Var]:
    out: list[Var] = []
    cur: State | None = state
    while cur is not None:
        out.append(cur[0])
        cur = back[cur]
    return out[::-1]


def show_path(parents: Graph, path: list[Var]) -> str:
    """`X <- Z -> Y`: the path with the direction of every edge."""
    out = path[0].name
    for a, b in zip(path, path[1:]):
        out += (" <- " if b in parents[a] else " -> ") + b.name
    return out


def _directed(parents: Graph, x: Var, targets: frozenset[Var], avoid: frozenset[Var]
              ) -> list[Var] | None:
    """A directed path x -> ... -> target that avoids `avoid`."""
    back = descendants(parents, [x], avoid)
    hit = next((v for v in back if v in targets and v != x), None)
    return _chain(back, hit) if hit is not None else None


def _backdoor_path(parents: Graph, starts: frozenset[Var], targets: frozenset[Var],
                   given: frozenset[Var]) -> str | None:
    """The first open path from a start into it (an edge into the start) to a target."""
    for s in sorted(starts):
        path = open_path(parents, s, parents[s], targets, given, starts)
        if path is not None:
            return show_path(parents, path)
    return None


# ---- the criteria -----------------------------------------------------------------------------
def backdoor_violation(parents: Graph, X: frozenset[Var], Y: frozenset[Var],
                       Z: frozenset[Var]) -> str | None:
    """None if Z satisfies the backdoor criterion relative to (X, Y), else the reason."""
    desc = descendants(parents, X)
    for z in sorted(Z):
        if z in desc:
            return (f"{z.name} is a descendant of the treatment "
                    f"({show_path(parents, _chain(desc, z))}), so adjusting for it is not "
                    "allowed")
    path = _backdoor_path(parents, X, Y, Z)
    return None if path is None else f"the backdoor path {path} is not blocked by {_set(Z)}"


def frontdoor_violation(parents: Graph, X: frozenset[Var], Y: frozenset[Var],
                        Z: frozenset[Var]) -> str | None:
    """None if Z satisfies the frontdoor criterion relative to (X, Y), else the reason."""
    for x in sorted(X):
        direct = _directed(parents, x, Y, Z | (X - {x}))
        if direct is not None:
            return (f"the directed path {show_path(parents, direct)} does not go through the "
                    f"mediators {_set(Z)}")
    path = _backdoor_path(parents, X, Z, frozenset())
    if path is not None:
        return f"the backdoor path {path} from the treatment to the mediators is open"
    path = _backdoor_path(parents, Z, Y, X)
    if path is not None:
        return (f"the backdoor path {path} from a mediator to the outcome is not blocked by "
                f"the treatment {_set(X)}")
    return None


def _chain(desc: dict[Var, Var | None], z: Var) -> list[Var]:
    path = [z]
    while (nxt := desc[path[-1]]) is not None:
        path.append(nxt)
    return path[::-1]


def _set(vs: frozenset[Var]) -> str:
    return "{" + ", ".join(v.name for v in sorted(vs)) + "}"


CRITERIA = {"backdoor": backdoor_violation, "frontdoor": frontdoor_violation}

POSITIVITY_CELLS = 4096


def positivity_note(c: Circuit, kind: str, X: frozenset[Var], fix: str) -> str:
    """The report's word on positivity (docs/atlas.md P11) of the table c = p(X, Z) of an
    adjustment, without evidence: it is checked again under every evidence row when the
    query runs, and an entry at a treatment value where it fails is undefined.  Evaluated at
    every cell when there are at most POSITIVITY_CELLS."""
    xs, zs = sorted(X), sorted(c.vars - X)
    order = xs + zs
    combos = cells(order)
    what = "p(" + ", ".join(v.name for v in order) + ")"
    run = "checked per evidence row when the query runs: entries where it fails are undefined"
    if len(combos) > POSITIVITY_CELLS:
        return f"positivity of {what} is {run} ({len(combos)} cells; docs/atlas.md P11)"
    rows = [dict(zip(order, map(int, r))) for r in combos]
    t = np.asarray(evaluator().evaluate(c, assignment=rows).values, float).reshape(
        len(cells(xs)), -1)
    bad = np.flatnonzero(failing(kind, t[None])[0])
    if not len(bad):
        return f"positivity: holds for {what} without evidence; {run} (docs/atlas.md P11)"
    at = "; ".join(f"{', '.join(f'{v.name}={v.domain[x]}' for v, x in zip(xs, cells(xs)[i]))} "
                   f"({stratum(kind, t, int(i), xs, zs)})" for i in bad)
    return (f"positivity fails without evidence at {at}: those entries are undefined (null), "
            f"never the formula's number; {fix} is defined there (graph surgery; docs/atlas.md P11)")
