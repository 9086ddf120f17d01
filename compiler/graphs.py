"""Strongly connected components (iterative Tarjan), for the cycles of ground programs
(compiler/pasp, compiler/problog)."""
from __future__ import annotations

from typing import Callable, Iterable


def strongly_connected(roots: Iterable[int], kids: Callable[[int], Iterable[int]]
                       ) -> list[list[int]]:
    """The components of the graph reachable from `roots` (edges v -> kids(v)), each listed
    with its first-visited node last, children first: a component comes after every
    component it reaches."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []

    def visit(v: int) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
    for root in roots:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(kids(root)))]
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    visit(w)
                    work.append((w, iter(kids(w))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                out.append(_pop(v, stack, on))
    return out


def _pop(v: int, stack: list[int], on: set[int]) -> list[int]:
    comp = []
    while True:
        w = stack.pop()
        on.discard(w)
        comp.append(w)
        if w == v:
            return comp
