"""The deterministic circuit printer: golden texts, stability, values, deep circuits."""
from __future__ import annotations

import math

import pytest
import sympy as sp

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.printer import fmt_value, post_order, print_circuit
from atlasc.compiler.ir.variables import Var, bool_var
from atlasc.compiler.ir.vtree import balanced
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.symbolic import from_expr
from atlasc.compiler.ir.facts import SMOOTH, Fact, How, xdet
from atlasc.compiler.semirings import BOOL, COUNT, COUNT2, LOG, MAXPROD, MINSUM, PROB

RAIN, WET, COLOR = bool_var("Rain"), bool_var("Wet"), Var("Color", ("r", "g", "b"))


def sprinkler(b: Builder) -> Circuit:
    r = b.input(RAIN, [0.7, 0.3], PROB)
    w = b.indicator(WET, True, PROB)
    col = b.input(COLOR, [0.2, 0.3, 0.5], PROB)
    m = b.map(builtin.power(2.5), b.margin(RAIN, [0.7, 0.3], PROB))
    left = b.prod([r, w, col, b.const(0.5, PROB), m])
    return Circuit(b.sum([left, b.prod([r, col])]), b, name="sprinkler")


GOLDEN = """\
circuit sprinkler: prob over {Color(r, g, b), Rain, Wet}, |C|=10, 9 nodes
n0 = input[prob] Rain (false: 0.7, true: 0.3)
n1 = input[prob] Wet (false: 0.0, true: 1.0)
n2 = input[prob] Color (r: 0.2, g: 0.3, b: 0.5)
n3 = const[prob] 0.5
n4 = margin[prob] Rain (false: 0.7, true: 0.3)
n5 = map[pow(2.5): prob -> prob](n4)
n6 = prod[prob](n0, n1, n2, n3, n5)
n7 = prod[prob](n0, n2)
n8 = sum[prob](n6, n7)
root n8
"""


def test_golden():
    assert print_circuit(sprinkler(Builder())) == GOLDEN


def test_independent_of_uids_and_builder_history():
    b = Builder()
    for i in range(5):   # unrelated nodes first: every uid shifts
        b.input(bool_var(f"Z{i}"), [0.1, 0.9], PROB)
    b.prod([b.input(COLOR, [0.2, 0.3, 0.5], PROB), b.const(0.5, PROB)])
    assert print_circuit(sprinkler(b)) == GOLDEN


def test_shared_nodes_print_once_and_children_come_first():
    b = Builder()
    x = b.input(RAIN, [0.7, 0.3], PROB)
    y = b.input(WET, [0.4, 0.6], PROB)
    s = b.sum([b.prod([x, y]), b.prod([y, x]), b.prod([x, y])])
    c = Circuit(s, b)
    assert print_circuit(c) == (
        "circuit: prob over {Rain, Wet}, |C|=7, 5 nodes\n"
        "n0 = input[prob] Rain (false: 0.7, true: 0.3)\n"
        "n1 = input[prob] Wet (false: 0.4, true: 0.6)\n"
        "n2 = prod[prob](n0, n1)\n"
        "n3 = prod[prob](n1, n0)\n"
        "n4 = sum[prob](n2, n3, n2)\n"
        "root n4\n")
    order = post_order(s)
    pos = {n.uid: i for i, n in enumerate(order)}
    assert all(pos[k.uid] < pos[n.uid] for n in order for k in n.children)


def test_semirings_values_and_mappings():
    b = Builder()
    lg = b.input(RAIN, [-math.inf, 0.0], LOG)
    ms = b.input(WET, [math.inf, 0.1 + 0.2], MINSUM)
    cnt = b.prod([b.const(3, COUNT), b.input(RAIN, [2, 10**20], COUNT)])
    pair = b.input(WET, [(0, 1), (2, 3)], COUNT2)
    bl = b.input(RAIN, [False, True], BOOL)
    half = from_expr("half", sp.Symbol("x") / 2, sp.Symbol("x"), PROB, PROB)
    mp = b.map(builtin.identity(PROB, MAXPROD), b.map(half, b.margin(WET, [0.25, 0.75], PROB)))
    texts = {n: print_circuit(Circuit(n, b)).splitlines() for n in (lg, ms, cnt, pair, bl, mp)}
    assert texts[lg][1] == "n0 = input[log] Rain (false: -inf, true: 0.0)"
    assert texts[ms][1] == "n0 = input[minsum] Wet (false: inf, true: 0.30000000000000004)"
    assert texts[cnt][1:4] == ["n0 = const[count] 3",
                               "n1 = input[count] Rain (false: 2, true: 100000000000000000000)",
                               "n2 = prod[count](n0, n1)"]
    assert texts[pair][1] == "n0 = input[pair(count,count)] Wet (false: (0, 1), true: (2, 3))"
    assert texts[bl][1] == "n0 = input[bool] Rain (false: false, true: true)"
    assert texts[mp][2:4] == ["n1 = map[half = x/2: prob -> prob](n0)",
                              "n2 = map[id: prob -> maxprod](n1)"]


def test_floats_round_trip_through_repr():
    for v in (0.1, 1 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 2.5):
        assert float(fmt_value(v)) == v


def test_header_vtree_and_facts():
    b = Builder()
    c = sprinkler(b)
    c.vtree = balanced([COLOR, RAIN, WET])
    c.facts[SMOOTH] = Fact(SMOOTH, True, How.VERIFIED, "checked")
    c.facts[xdet({RAIN})] = Fact(xdet({RAIN}), None, How.PROPAGATED)
    lines = print_circuit(c, facts=True).splitlines()
    assert lines[1] == "vtree ((Color Rain) Wet)"
    assert lines[2:4] == ["fact smooth: holds, verified (checked)",
                          "fact {Rain}-deterministic: unknown, propagated"]
    assert "fact" not in print_circuit(c)


def _chain(n: int) -> Circuit:
    b = Builder()
    x, y = b.input(RAIN, [0.5, 0.5], PROB), b.input(WET, [0.5, 0.5], PROB)
    node = x
    for i in range(n):
        node = b.sum([node, y]) if i % 2 else b.prod([node, y])
    return Circuit(node, b)


def test_deep_circuit_does_not_recurse():
    text = print_circuit(_chain(50_000))
    lines = text.splitlines()
    assert len(lines) == 50_000 + 4 and lines[-1] == "root n50001"
    assert lines[-2] == "n50001 = sum[prob](n50000, n1)"


@pytest.mark.slow
def test_million_node_circuit():
    c = _chain(1_000_000)
    assert print_circuit(c).count("\n") == 1_000_000 + 4
    assert c.root.op is Op.SUM
