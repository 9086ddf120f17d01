"""Graphviz pictures: a query's operator tree with its report, or its circuit."""
from __future__ import annotations

from typing import Any

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.printer import fmt_value, mapping_text, numbering, post_order

MAX_CIRCUIT_NODES = 5000


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'


def operator_tree(name: str, step: Any, headline: str) -> str:
    """The operator tree of a query (atlasc.compiler.ir.report.Step), one box per operator."""
    lines = ["digraph query {", "  rankdir=BT;", "  node [shape=box, fontname=monospace];",
             f"  label={_q(headline)}; labelloc=t;"]
    ids: dict[int, int] = {}
    stack = [step]
    while stack:
        s = stack.pop()
        if id(s) in ids:
            continue
        ids[id(s)] = len(ids)
        lines.append(f"  s{ids[id(s)]} [label={_q(_step_text(s))}{_step_style(s)}];")
        stack.extend(s.inputs)
    for s_id, s in _steps(step):
        for k in s.inputs:
            lines.append(f"  s{ids[id(k)]} -> s{ids[s_id]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _steps(step: Any) -> list[tuple[int, Any]]:
    out, seen, stack = [], set(), [step]
    while stack:
        s = stack.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        out.append((id(s), s))
        stack.extend(s.inputs)
    return out


def _step_text(s: Any) -> str:
    scope = "{" + ", ".join(s.scope) + "}"
    parts = [s.label, f"{s.semiring} over {scope}" + (f", |C|={s.size}" if s.ok else "")]
    if s.condition:
        parts.append(s.condition)
    if s.failure:
        parts += [f"missing: {s.failure['property']}", f"fix: {s.failure['fix']}"]
    return "\n".join(parts) + "\n"


def _step_style(s: Any) -> str:
    return "" if s.ok else ", color=red, fontcolor=red"


def circuit(c: Circuit) -> str:
    """The circuit's nodes (numbered as `atlasc.compiler.ir.printer` numbers them)."""
    nodes = post_order(c.root)
    if len(nodes) > MAX_CIRCUIT_NODES:
        raise ValueError(f"the circuit has {len(nodes)} nodes; pictures are limited to "
                         f"{MAX_CIRCUIT_NODES}")
    index = numbering(nodes)
    lines = ["digraph circuit {", "  node [fontname=monospace];"]
    for n in nodes:
        lines.append(f"  n{index[n.uid]} [label={_q(_node_text(n, index[n.uid]))}"
                     f"{_node_style(n.op)}];")
        for ch in n.children:
            lines.append(f"  n{index[n.uid]} -> n{index[ch.uid]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_text(n: Any, i: int) -> str:
    if n.op in (Op.INPUT, Op.MARGIN):
        w = ", ".join(fmt_value(x) for x in n.arg.weights)
        agg = "(+) " if n.op is Op.MARGIN else ""
        return f"n{i}: {agg}{n.arg.var.name} [{w}]"
    if n.op is Op.CONST:
        return f"n{i}: {fmt_value(n.arg)}"
    if n.op is Op.MAP:
        return f"n{i}: {mapping_text(n.arg)}"
    return f"n{i}: {'+' if n.op is Op.SUM else 'x'}"


def _node_style(op: Op) -> str:
    return {Op.SUM: ", shape=circle", Op.PROD: ", shape=circle",
            Op.MAP: ", shape=diamond"}.get(op, ", shape=box")
