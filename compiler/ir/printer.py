"""A deterministic text form of a circuit, for dumps, golden tests and diffs.

Nodes are numbered ``n0, n1, ...`` in the post-order of a depth-first walk from the root that
visits children in order, so the text depends only on the circuit's structure, never on uids
or on which builder made it.  Every child is printed before its parents.  Example::

    circuit prob over {Rain, Wet}, |C|=4, 5 nodes
    n0 = input[prob] Rain (false: 0.7, true: 0.3)
    n1 = input[prob] Wet (false: 0.0, true: 1.0)
    n2 = const[prob] 0.5
    n3 = prod[prob](n0, n1, n2)
    n4 = map[id: prob -> maxprod](n3)
    root n4

Floats are printed with `repr`, so they read back exactly.  Non-Boolean variables show their
domain in the header (``Color(r, g, b)``).  If the circuit records a vtree a ``vtree`` line
follows the header.  The walks are iterative: 10^6-node circuits are fine.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from atlasc.compiler.ir.nodes import LEAVES, Node, Op
from atlasc.compiler.ir.variables import Var, sorted_vars
from atlasc.compiler.semirings.wide import Wide, int_text

if TYPE_CHECKING:
    from atlasc.compiler.ir.circuit import Circuit


def post_order(root: Node) -> list[Node]:
    """The reachable nodes in the printer's order: depth-first from the root, children in
    order, each node after all of its children (so the list is topological)."""
    out: list[Node] = []
    seen = {root.uid}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        n, i = stack[-1]
        if i < len(n.children):
            stack[-1] = (n, i + 1)
            c = n.children[i]
            if c.uid not in seen:
                seen.add(c.uid)
                stack.append((c, 0))
        else:
            stack.pop()
            out.append(n)
    return out


def numbering(nodes: list[Node]) -> dict[int, int]:
    """uid -> position in `nodes`."""
    return {n.uid: i for i, n in enumerate(nodes)}


def print_circuit(c: Circuit, facts: bool = False) -> str:
    """The circuit as text (see the module docstring); `facts=True` adds the recorded facts."""
    nodes = post_order(c.root)
    index = numbering(nodes)
    lines = [header(c, nodes)]
    if c.vtree is not None:
        lines.append(f"vtree {c.vtree!r}")
    if facts:
        lines.extend(f"fact {f.describe()}" for f in _sorted_facts(c))
    lines.extend(f"n{i} = {node_text(n, index)}" for i, n in enumerate(nodes))
    lines.append(f"root n{index[c.root.uid]}")
    return "\n".join(lines) + "\n"


def header(c: Circuit, nodes: list[Node]) -> str:
    name = f" {c.name}" if c.name else ""
    edges = sum(len(n.children) for n in nodes)
    vs = ", ".join(fmt_var(v) for v in sorted_vars(c.vars))
    return f"circuit{name}: {c.sr.name} over {{{vs}}}, |C|={edges}, {len(nodes)} nodes"


def fmt_var(v: Var) -> str:
    return v.name if v.is_bool else f"{v.name}({', '.join(v.domain)})"


def node_text(n: Node, index: dict[int, int]) -> str:
    """One node's right-hand side, children named by `index`."""
    tag = f"{n.op.value}[{n.sr.name}]"
    if n.op in LEAVES:
        return f"{tag} {n.leaf.var.name} ({_weights(n)})"
    if n.op is Op.CONST:
        return f"{tag} {fmt_value(n.arg)}"
    kids = ", ".join(f"n{index[k.uid]}" for k in n.children)
    if n.op is Op.MAP:
        return f"map[{mapping_text(n.arg)}]({kids})"
    return f"{tag}({kids})"


def _weights(n: Node) -> str:
    leaf = n.leaf
    return ", ".join(f"{d}: {fmt_value(w)}" for d, w in zip(leaf.var.domain, leaf.weights))


def mapping_text(m: Any) -> str:
    """``name(params) = expr: src -> dst`` (params and expr only when present)."""
    p = f"({', '.join(fmt_value(x) for x in m.params)})" if m.params else ""
    e = f" = {m.expr}" if m.expr else ""
    return f"{m.name}{p}{e}: {m.src.name} -> {m.dst.name}"


def fmt_value(x: Any) -> str:
    """A semiring element: floats by repr (inf and -inf included), ints, true/false, pairs."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(fmt_value(y) for y in x) + ")"
    if isinstance(x, Wide):
        return x.scientific()
    if isinstance(x, (float, np.floating)):
        return repr(float(x)) if not math.isnan(x) else "nan"
    if isinstance(x, (int, np.integer)):
        return int_text(int(x))
    return str(x)


def _sorted_facts(c: Circuit) -> list[Any]:
    return sorted(c.facts.values(), key=lambda f: str(f.prop))
