"""Iterative traversals: no Python recursion, so 10^6-node circuits are fine."""
from __future__ import annotations

from typing import Callable, Iterator

from atlasc.compiler.ir.nodes import Node


def topo(root: Node, stop: Callable[[Node], bool] | None = None) -> list[Node]:
    """Every node reachable from root, children before parents (ascending uid); `stop`
    nodes are included but not entered."""
    seen: dict[int, Node] = {root.uid: root}
    stack = [root]
    while stack:
        n = stack.pop()
        if stop is not None and stop(n):
            continue
        for c in n.children:
            if c.uid not in seen:
                seen[c.uid] = c
                stack.append(c)
    return [seen[k] for k in sorted(seen)]


def topo_many(roots: list[Node]) -> list[Node]:
    seen: dict[int, Node] = {}
    for r in roots:
        for n in topo(r):
            seen[n.uid] = n
    return [seen[k] for k in sorted(seen)]


def edges(root: Node) -> int:
    """|C|: the number of edges (one walk, no ordering)."""
    seen = {root.uid}
    stack, total = [root], 0
    while stack:
        kids = stack.pop().children
        total += len(kids)
        for c in kids:
            if c.uid not in seen:
                seen.add(c.uid)
                stack.append(c)
    return total


def parents(root: Node) -> dict[int, list[Node]]:
    out: dict[int, list[Node]] = {}
    for n in topo(root):
        for c in n.children:
            out.setdefault(c.uid, []).append(n)
    return out


def iter_ops(root: Node, *ops: object) -> Iterator[Node]:
    for n in topo(root):
        if n.op in ops:
            yield n
