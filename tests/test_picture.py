"""Pictures without graphviz: the layered layout, SVG, PNG, DOT, and the summary of large
circuits (compiler/ir/picture.py, compiler/ir/raster.py)."""
from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET

import atlasc
from atlasc.compiler.ir import picture
from atlasc.compiler.ir.printer import post_order
from atlasc.compiler.ir.raster import render

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _query(name: str, file: str = "mmap.query") -> atlasc.Query:
    return atlasc.compile_file(EXAMPLES / file).queries[name]


def test_every_node_and_edge_is_drawn_inputs_below_users() -> None:
    c = _query("mmap").circuit
    g = picture.layout(picture.circuit_graph(c))
    nodes = post_order(c.root)
    assert len(g.boxes) == len(nodes) and len(g.edges) == c.size
    assert all(g.boxes[a].y > g.boxes[b].y for a, b in g.edges)
    svg = ET.fromstring(picture.to_svg(picture.circuit_graph(c)))
    tags = [e.tag.split("}")[1] for e in svg.iter()]
    assert tags.count("line") == c.size and tags.count("text") == len(nodes) + 1


def test_boxes_of_a_layer_do_not_overlap() -> None:
    g = picture.layout(picture.circuit_graph(_query("mmap").circuit))
    for a in g.boxes:
        for b in g.boxes:
            if a is not b and a.y == b.y:
                assert abs(a.x - b.x) >= (a.w + b.w) / 2


def test_refused_operator_is_red_and_names_the_fix() -> None:
    q = _query("mmap_b")
    g = picture.operator_graph(q.report.step, q.report.headline())
    red = [b for b in g.boxes if b.colour == picture.REFUSED]
    assert len(red) == 1 and any(line.startswith("fix:") for line in red[0].lines)
    assert "color=\"#cf222e\"" in picture.to_dot(g)


def test_operator_boxes_give_the_sizes_the_text_report_gives() -> None:
    """|C| is counted lazily (Step.edges): a picture drawn before the text report must count it."""
    for name in ("mmap", "mmap_b"):
        q = _query(name)
        g = picture.operator_graph(q.report.step, q.report.headline())
        drawn = [line.split("|C|=")[1] for b in g.boxes for line in b.lines if "|C|=" in line]
        text = q.report.render()
        assert drawn and all(f"|C|={n}]" in text for n in drawn), (drawn, text)
        assert "0" not in drawn


def test_large_circuits_are_summarised_by_layer() -> None:
    c = _query("mmap").circuit
    g = picture.circuit_graph(c, max_drawn=5)
    nodes = post_order(c.root)
    counted = sum(int(w) for b in g.boxes for w in b.lines[0].split(": ")[1].split()
                  if w.isdigit())
    assert counted == len(nodes) and "summarised" in g.title
    assert render(g, "png")[:4] == b"\x89PNG"
