"""Pictures without system binaries: a query's operator tree or its circuit as a layered
drawing, written as Graphviz DOT text, as SVG (our own layout) or as PNG (compiler/ir/raster.py).

The layout is a plain layered one: a node sits one layer above its highest input, nodes of a
layer are ordered by the mean position of their inputs (a few sweeps), and edges are straight.
A circuit with more than MAX_DRAWN nodes is summarised: one box per layer, with the counts of
its inputs, sums and products and the number of edges into the layer below.
"""
from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.printer import fmt_value, mapping_text, numbering, post_order
from atlasc.compiler.ir.report import Step, scope_text

if TYPE_CHECKING:
    from atlasc.compiler.ir.circuit import Circuit

WRAP = 64                # characters per line of an operator's box
MAX_DRAWN = 400          # circuits with more nodes are summarised per layer
CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 7.2, 15, 8, 18, 46
OK, REFUSED, INK = "#1a7f37", "#cf222e", "#24292f"


@dataclass
class Box:
    """One node of a drawing: its text lines, shape and colour."""
    lines: list[str]
    shape: str = "box"             # box | circle | diamond
    colour: str = INK
    x: float = 0.0                 # centre
    y: float = 0.0                 # top

    @property
    def w(self) -> float:
        text = max(len(s) for s in self.lines) * CHAR_W + 2 * PAD
        return {"box": text, "circle": max(text, self.h)}.get(self.shape, 1.5 * text)

    @property
    def h(self) -> float:
        return len(self.lines) * LINE_H + 2 * PAD - 4


@dataclass
class Graph:
    """Boxes and edges (input -> user); a user is drawn above its inputs."""
    title: str
    name: str = "query"            # the DOT graph's name: query or circuit
    boxes: list[Box] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


# ---- the two pictures -------------------------------------------------------------------------
def operator_graph(step: Step, headline: str) -> Graph:
    """One box per operator: its label, semiring and scope, condition, and what is missing."""
    g, ids = Graph(headline), {}
    for s in _steps(step):
        ids[id(s)] = len(g.boxes)
        g.boxes.append(Box(_step_lines(s), colour=OK if s.ok else REFUSED))
    g.edges = [(ids[id(k)], ids[id(s)]) for s in _steps(step) for k in s.inputs]
    return g


def _steps(step: Step) -> list[Step]:
    out, seen, stack = [], set(), [step]
    while stack:
        s = stack.pop()
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
            stack.extend(reversed(s.inputs))
    return out


def _step_lines(s: Step) -> list[str]:
    scope = scope_text(s.names)
    out = [s.label, f"{s.semiring} over {scope}" + (f", |C|={s.edges}" if s.ok else "")]
    out += [s.condition] if s.condition else []
    if s.failure:
        out += [f"missing: {s.failure['property']}", f"fix: {s.failure['fix']}"]
    return [part for line in out for part in textwrap.wrap(line, WRAP)]


def circuit_graph(c: "Circuit", max_drawn: int = MAX_DRAWN) -> Graph:
    """The circuit's nodes numbered as the printer numbers them; a summary when it is large."""
    nodes = post_order(c.root)
    if len(nodes) > max_drawn:
        return _summary(c, nodes)
    index = numbering(nodes)
    g = Graph(f"{c.name or 'circuit'}: {c.sr.name}, {len(nodes)} nodes, |C|={c.size}", "circuit")
    g.boxes = [Box([node_text(n, i)], _shape(n.op)) for i, n in enumerate(nodes)]
    g.edges = [(index[k.uid], index[n.uid]) for n in nodes for k in n.children]
    return g


def node_text(n: Any, i: int) -> str:
    if n.op in (Op.INPUT, Op.MARGIN):
        w = ", ".join(fmt_value(x) for x in n.arg.weights)
        agg = "(+) " if n.op is Op.MARGIN else ""
        return f"n{i}: {agg}{n.arg.var.name} [{w}]"[:60]
    if n.op is Op.CONST:
        return f"n{i}: {fmt_value(n.arg)}"
    if n.op is Op.MAP:
        return f"n{i}: {mapping_text(n.arg)}"
    return f"n{i}: {'+' if n.op is Op.SUM else 'x'}"


def _shape(op: Op) -> str:
    return {Op.SUM: "circle", Op.PROD: "circle", Op.MAP: "diamond"}.get(op, "box")


def _summary(c: "Circuit", nodes: list[Any]) -> Graph:
    """One box per layer (its node counts by kind), edges counted between layers."""
    layer = _layers(nodes)
    top = max(layer.values())
    counts: list[dict[str, int]] = [{} for _ in range(top + 1)]
    for n in nodes:
        kind = {Op.SUM: "sums", Op.PROD: "products"}.get(n.op, "inputs")
        counts[layer[n.uid]][kind] = counts[layer[n.uid]].get(kind, 0) + 1
    g = Graph(f"{c.name or 'circuit'}: {c.sr.name}, {len(nodes)} nodes, |C|={c.size} "
              f"(summarised: more than {MAX_DRAWN} nodes)", "circuit")
    g.boxes = [Box([f"layer {k}: " + ", ".join(f"{v} {n}" for n, v in sorted(cs.items()))])
               for k, cs in enumerate(counts)]
    between: dict[tuple[int, int], int] = {}
    for n in nodes:
        for k in n.children:
            key = (layer[k.uid], layer[n.uid])
            between[key] = between.get(key, 0) + 1
    g.edges = sorted(between)
    for (lo, hi), m in sorted(between.items()):
        if hi == lo + 1:
            g.boxes[hi].lines.append(f"{m} edges from layer {lo}")
    return g


def _layers(nodes: list[Any]) -> dict[int, int]:
    """uid -> 1 + the highest layer of its children (leaves: 0); nodes are topological."""
    out: dict[int, int] = {}
    for n in nodes:
        out[n.uid] = 1 + max((out[k.uid] for k in n.children), default=-1)
    return out


# ---- layout -----------------------------------------------------------------------------------
def layout(g: Graph) -> Graph:
    """Place the boxes: layers bottom-up from the inputs, ordered by barycentre."""
    ins: list[list[int]] = [[] for _ in g.boxes]
    for a, b in g.edges:
        ins[b].append(a)
    rank = _ranks(ins)
    rows: list[list[int]] = [[] for _ in range(max(rank, default=0) + 1)]
    for i in range(len(g.boxes)):
        rows[rank[i]].append(i)
    _order(rows, ins)
    _place(g, rows)
    return g


def _ranks(ins: list[list[int]]) -> list[int]:
    rank = [-1] * len(ins)
    for i in range(len(ins)):
        stack = [i]
        while stack:
            j = stack[-1]
            todo = [k for k in ins[j] if rank[k] < 0]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            rank[j] = 1 + max((rank[k] for k in ins[j]), default=-1)
    return rank


def _order(rows: list[list[int]], ins: list[list[int]]) -> None:
    """Each row (above the first) sorted by the mean position of its inputs, twice over."""
    for _ in range(2):
        pos = {i: k for row in rows for k, i in enumerate(row)}
        for row in rows[1:]:
            row.sort(key=lambda i: sum(pos[k] for k in ins[i]) / len(ins[i]) if ins[i] else 0)
            pos.update({i: k for k, i in enumerate(row)})


def _place(g: Graph, rows: list[list[int]]) -> None:
    widths = [sum(g.boxes[i].w for i in row) + GAP_X * (len(row) - 1) for row in rows]
    g.width = max(widths, default=0) + 2 * GAP_X
    heights = [max((g.boxes[i].h for i in row), default=0) for row in rows]
    y: float = LINE_H * 2 + GAP_X
    for row, width, height in reversed(list(zip(rows, widths, heights))):
        x = (g.width - width) / 2
        for i in row:
            b = g.boxes[i]
            b.x, b.y = x + b.w / 2, y + (height - b.h) / 2
            x += b.w + GAP_X
        y += height + GAP_Y
    g.height = y - GAP_Y + GAP_X


# ---- writers ----------------------------------------------------------------------------------
def to_svg(g: Graph) -> str:
    layout(g)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{g.width:.0f}" '
           f'height="{g.height:.0f}" viewBox="0 0 {g.width:.0f} {g.height:.0f}" '
           'font-family="DejaVu Sans Mono, monospace" font-size="12">',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/>'
           '</marker></defs>', f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{GAP_X}" y="{LINE_H + 4}" font-weight="bold">{_x(g.title)}</text>']
    for a, b in g.edges:
        (x1, y1), (x2, y2) = edge_ends(g.boxes[a], g.boxes[b])
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   'stroke="#57606a" marker-end="url(#a)"/>')
    out += [_svg_box(b) for b in g.boxes]
    return "\n".join(out + ["</svg>"]) + "\n"


def edge_ends(lo: Box, hi: Box) -> tuple[tuple[float, float], tuple[float, float]]:
    """From the top of the input to the bottom of its user."""
    return (lo.x, lo.y), (hi.x, hi.y + hi.h)


def _svg_box(b: Box) -> str:
    left, w, h = b.x - b.w / 2, b.w, b.h
    if b.shape == "circle":
        shape = (f'<ellipse cx="{b.x:.1f}" cy="{b.y + h / 2:.1f}" rx="{w / 2:.1f}" '
                 f'ry="{h / 2:.1f}"')
    elif b.shape == "diamond":
        pts = f"{b.x},{b.y} {left + w},{b.y + h / 2} {b.x},{b.y + h} {left},{b.y + h / 2}"
        shape = f'<polygon points="{pts}"'
    else:
        shape = f'<rect x="{left:.1f}" y="{b.y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3"'
    text = "".join(f'<tspan x="{left + PAD:.1f}" dy="{LINE_H if k else 0}">{_x(s)}</tspan>'
                   for k, s in enumerate(b.lines))
    anchor = f' x="{left + PAD:.1f}" y="{b.y + PAD + LINE_H - 5:.1f}"'
    return (f'{shape} fill="white" stroke="{b.colour}"/>'
            f'<text{anchor} fill="{b.colour}">{text}</text>')


def _x(s: str) -> str:
    return html.escape(s, quote=True)


def to_dot(g: Graph) -> str:
    lines = [f"digraph {g.name} {{", "  rankdir=BT;", "  node [fontname=monospace];",
             f"  label={_q(g.title)}; labelloc=t;"]
    for i, b in enumerate(g.boxes):
        colour = "" if b.colour == INK else f', color="{b.colour}", fontcolor="{b.colour}"'
        lines.append(f"  n{i} [label={_q(chr(10).join(b.lines) + chr(10))}, "
                     f"shape={b.shape}{colour}];")
    lines += [f"  n{a} -> n{b};" for a, b in g.edges]
    return "\n".join(lines + ["}"]) + "\n"


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '"'
