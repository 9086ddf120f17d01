"""2AMC in its general form (docs/atlas.md §4.0 and 5.4): the counterexample where a bottom-up
evaluation that switches semirings at the products mixing X and Y is wrong (0.42) while our
composition refuses that circuit and gives 0.54 on an X-deterministic one; random weights on
X-deterministic circuits against brute force."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.sources import load_nnf

EX = Path(__file__).resolve().parents[2] / "examples"
WX = {"x1": (0.4, 0.6)}                 # outer labels (maxprod): (false, true)
WY = {"x2": (0.2, 0.7)}                 # inner labels (prob)


def naive_bottom_up(root: Node, X: set[str]) -> float:
    """aspmc's ConstrainedDDNNF rule: inner (+, x) below the products that mix X and Y, then
    tau = id into the outer (max, x) there and above."""
    val: dict[int, tuple[str, float]] = {}
    for n in topo(root):
        val[n.uid] = _naive(n, val, X)
    return val[root.uid][1]


def _naive(n: Node, val: dict[int, tuple[str, float]], X: set[str]) -> tuple[str, float]:
    if n.op is Op.INPUT:
        v = n.arg.var.name
        labels = WX[v] if v in X else WY[v]
        terms = [w for w, on in zip(labels, n.arg.weights) if on]
        return ("outer", max(terms)) if v in X else ("inner", sum(terms))
    kids = [val[c.uid] for c in n.children]
    outer = any(k[0] == "outer" for k in kids)
    if n.op is Op.PROD:
        out = 1.0
        for _, x in kids:
            out *= x                     # tau = id: an inner value enters the outer product
        return ("outer" if outer else "inner", out)
    xs = [x for _, x in kids]
    return ("outer", max(xs)) if outer else ("inner", sum(xs))


def test_naive_evaluation_is_wrong_on_the_counterexample() -> None:
    c = load_nnf(EX / "twoamc_phi.nnf")
    assert naive_bottom_up(c.root, {"x1"}) == pytest.approx(0.42)


def test_our_composition_refuses_it_and_is_right_on_the_x_deterministic_circuit() -> None:
    prog = compile_string((EX / "twoamc.query").read_text(), base_dir=str(EX))
    naive = prog.queries["naive"]
    assert not naive.tractable
    assert "needs {x1}-deterministic" in naive.report.render()
    for name in ("twoamc", "longhand"):
        row = prog.queries[name].run().rows[0].entries[0]
        assert row.value == pytest.approx(0.54)
        assert row.argmax == {"x1": "true"}


def test_the_naive_rule_is_right_on_the_x_deterministic_circuit() -> None:
    """The same rule on the {x1}-deterministic circuit of phi gives 0.54: the failure is the
    circuit's structure, which is what our check looks at."""
    prog = compile_string((EX / "twoamc.query").read_text(), base_dir=str(EX))
    phi = prog.models["phi"].circuit()
    assert naive_bottom_up(phi.root, {"x1"}) == pytest.approx(0.54)


FORMULAS = ["(x1 & x2) | (x1 & !x2)", "(x1 | x2) & (!x1 | x3)", "x1 <-> (x2 & x3)",
            "(x1 -> x2) & (x3 | x1)", "!x1 | (x2 & !x3)"]
P = st.integers(1, 9).map(lambda k: k / 10)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(FORMULAS), st.lists(P, min_size=6, max_size=6),
       st.sampled_from(["id: prob -> maxprod", "sum"]))
def test_twoamc_matches_brute_force(phi: str, w: list[float], outer: str) -> None:
    """Outer maxprod (marginal MAP) or outer prob with tau = id (plain WMC), X = {x1}."""
    osr, tau = ("maxprod", "id") if outer != "sum" else ("prob", "id")
    text = (f"var x1, x2, x3 : bool\nmodel phi = logic {phi} with vtree constrained {{x1}}\n"
            f"model wx = weights[{osr}] {{x1: {w[0]}, !x1: {w[1]}}}\n"
            f"model wy = weights {{x2: {w[2]}, !x2: {w[3]}, x3: {w[4]}, !x3: {w[5]}}}\n"
            f"query q = twoamc(phi, outer = {{x1}}, inner_weights = wy, outer_weights = wx, "
            f"tau = {tau})\n")
    got = compile_string(text).queries["q"].run().rows[0].entries[0].value
    want = _brute(phi, w, max if osr == "maxprod" else sum)
    assert got == pytest.approx(want)


def _brute(phi: str, w: list[float], outer: Any) -> float:
    def holds(x1: int, x2: int, x3: int) -> bool:
        env = {"x1": bool(x1), "x2": bool(x2), "x3": bool(x3)}
        return _eval(phi, env)
    per_x = []
    for x1 in (0, 1):
        inner = sum((w[2] if x2 else w[3]) * (w[4] if x3 else w[5])
                    for x2, x3 in itertools.product((0, 1), repeat=2) if holds(x1, x2, x3))
        per_x.append((w[0] if x1 else w[1]) * inner)
    return outer(per_x)


def _eval(phi: str, env: dict[str, bool]) -> bool:
    """The five test formulas, by hand (no eval of text)."""
    x1, x2, x3 = env["x1"], env["x2"], env["x3"]
    table = {FORMULAS[0]: (x1 and x2) or (x1 and not x2),
             FORMULAS[1]: (x1 or x2) and (not x1 or x3),
             FORMULAS[2]: x1 == (x2 and x3),
             FORMULAS[3]: ((not x1) or x2) and (x3 or x1),
             FORMULAS[4]: (not x1) or (x2 and not x3)}
    return table[phi]
