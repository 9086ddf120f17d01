"""MAP nodes of several mappings in one stage of the compiled back end.

The back end applies a stage's MAP nodes grouped by mapping, while slots are allocated in
instruction order: a MAP may get the slot of a source that an earlier MAP of the stage read
last.  Applying one group's MAPs before another group had read its sources overwrote them
(maps A, B, A by instruction order: the second A wrote over B's source).  These circuits have
such stages; the numpy evaluator is the oracle, and the .query case also has its value by hand.
"""
from __future__ import annotations

from typing import Any

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.symbolic import from_expr
from atlasc.compiler.ops.aggregate import aggregate
from atlasc.compiler.ir.transplant import transplant
from atlasc.compiler.semirings import registry as R
from atlasc.runtime import reference
from atlasc.runtime.evaluator import evaluate
from tests.core.gen import VARS, circuits
from tests.runtime.test_llvm import rows, same

X = sp.Symbol("x")
PROB_MAPS = [builtin.recip(R.PROB), builtin.power(2, R.PROB), builtin.power(3, R.PROB),
             from_expr("user", X**2 / (1 + X), X, R.PROB, R.PROB)]


def test_maps_a_b_a_over_leaves() -> None:
    """pow2(w_A) * recip(w_B) * pow2(w_C), each w the sum of a leaf's weights: the MAPs are
    instructions pow2, recip, pow2 of one stage, the last one given recip's source's slot."""
    b = Builder()
    A, B_, C = (Var(n, ("0", "1")) for n in "ABC")
    pow2, recip = builtin.power(2, R.PROB), builtin.recip(R.PROB)
    ms = [b.map(pow2, b.margin(A, [1.0, 2.0], R.PROB)),
          b.map(recip, b.margin(B_, [1.0, 1.0], R.PROB)),
          b.map(pow2, b.margin(C, [1.0, 4.0], R.PROB))]
    c = Circuit(b.prod(ms, R.PROB), b, "a-b-a")
    ev = [{}, {A: 1}, {B_: 0, C: 1}]
    assert evaluate(c, evidence=ev).values == pytest.approx([112.5, 50.0, 144.0])
    assert reference.evaluate(c, evidence=ev).values == pytest.approx([112.5, 50.0, 144.0])


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_several_mappings_in_one_stage(data: Any) -> None:
    """Random empty-scope prob circuits, each under a random mapping, multiplied and summed
    with a random scoped circuit on top: many MAPs of different mappings at one level."""
    b = Builder()
    mapped = []
    for _ in range(data.draw(st.integers(2, 6))):
        inner = data.draw(circuits(R.PROB))
        tau = data.draw(st.sampled_from(PROB_MAPS))
        mapped.append(b.map(tau, transplant(aggregate(inner, inner.vars), b).root))
    upper = data.draw(circuits(R.PROB, b=b))
    k = data.draw(st.integers(1, len(mapped)))
    root = b.sum([b.prod([upper.root, *mapped[:k]], R.PROB), b.prod(mapped[k:] or mapped, R.PROB)],
                 R.PROB)
    c = Circuit(root, b, "maps")
    ev = rows(data.draw, VARS, data.draw(st.integers(1, 4)))
    same(R.PROB, evaluate(c, evidence=ev).values, reference.evaluate(c, evidence=ev).values)


WEIGHTS = ("var A, B, C : bool\n"
           "model w = weights {A: 2, !A: 1}\nmodel v = weights {B: 1, !B: 1}\n"
           "model u = weights {C: 4, !C: 1}\n")
QUERIES = {  # one query, and the same built on earlier queries
    "one query": "query q = map[pow(2)] (sum[*] w) * map[recip] (sum[*] v) * map[pow(2)] "
                 "(sum[*] u)\n",
    "query of a query": "query a = map[pow(2)] (sum[*] w)\n"
                        "query q = a * map[recip] (sum[*] v) * map[pow(2)] (sum[*] u)\n",
    "query of queries": "query a = map[pow(2)] (sum[*] w)\nquery b = map[recip] (sum[*] v)\n"
                        "query q = a * b * map[pow(2)] (sum[*] u)\n",
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_queries_with_two_mappings_by_hand(name: str) -> None:
    """No PASP: pow(2), recip, pow(2) of three sums gave 9 instead of 112.5."""
    prog = compile_string(WEIGHTS + QUERIES[name])
    A, C = prog.env.vars["A"], prog.env.vars["C"]
    got = prog.queries["q"].run([{}, {A: "true"}, {A: "false", C: "true"}])
    values = [r.entries[0].value for r in got.rows]
    # (w_A sum)^2 / (w_B sum) * (w_C sum)^2 under each row's evidence
    assert values == pytest.approx([9 * 0.5 * 25, 4 * 0.5 * 25, 1 * 0.5 * 16])
