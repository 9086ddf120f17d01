"""normalize: conditional tables against brute force on random networks with random evidence;
zero-probability evidence is an error, never a number."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError
from tests.queries.randbn import RandomBN, constrained, random_bn

SETTINGS = settings(max_examples=25, deadline=None)


def _entries(res, b: int = 0) -> dict[tuple[int, ...], float]:  # type: ignore[no-untyped-def]
    return {tuple(int(v == "true") for v in e.assignment.values()): e.value
            for e in res.rows[b].entries}


@SETTINGS
@given(random_bn(3, 5), st.data())
def test_posterior_under_random_evidence(bn: RandomBN, data: st.DataObject) -> None:
    names = bn.names
    Y = sorted(data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)),
               key=names.index)
    E = data.draw(st.lists(st.sampled_from([v for v in names if v not in Y]), unique=True,
                           max_size=2))
    rows = [{v: data.draw(st.sampled_from([False, True])) for v in E} for _ in range(3)]
    scope = ", ".join(v for v in names if v not in Y)
    text = bn.text() + f"query q = normalize(sum[{scope}] bn)\n"
    res = compile_string(text).queries["q"].run(evidence=rows)
    for b, row in enumerate(rows):
        joint = bn.joint()
        for v, x in row.items():
            joint = np.take(joint, [int(x)], axis=names.index(v))
        m = bn.marginal(joint, sorted(Y))
        assume(m.sum() > 0)
        want = m / m.sum()
        got = _entries(res, b)
        for idx, val in got.items():
            assert val == pytest.approx(want[idx], abs=1e-9)


@SETTINGS
@given(random_bn(3, 4), st.data())
def test_conditional_table_over_some_variables(bn: RandomBN, data: st.DataObject) -> None:
    """normalize(q, over = {Y}) = p(Y | X): needs {X}-determinism, from a constrained vtree."""
    y, x = data.draw(st.lists(st.sampled_from(bn.names), min_size=2, max_size=2, unique=True))
    rest = ", ".join(v for v in bn.names if v not in (x, y))
    text = bn.text(options=constrained([x])) + \
        (f"query j = sum[{rest}] bn\n" if rest else "query j = bn\n") + \
        f"query q = normalize(j, over = {{{y}}})\n"
    got = _entries(compile_string(text).queries["q"].run())
    m = bn.marginal(bn.joint(), sorted([x, y]))
    xi = sorted([x, y]).index(x)
    want = m / m.sum(axis=1 - xi, keepdims=True)
    for idx, val in got.items():
        assert val == pytest.approx(want[idx], abs=1e-9)


def test_conditional_needs_determinism_on_the_rest() -> None:
    text = ("var A, B : bool\nmodel p = bayesnet { A: 0.3  B | A: {false: 0.2, true: 0.9} } "
            "with vtree constrained {B}\nquery q = normalize(p, over = {B})\n")
    q = compile_string(text).queries["q"]
    assert not q.tractable
    assert "{A}-deterministic" in q.report.render()


ZERO = """var A, B : bool
model bn = bayesnet { A: 0.0  B | A: {false: 0.5, true: 0.5} }
query q = normalize(sum[A] bn)
query inside = normalize(sum[A] (bn | A))
"""


def test_zero_probability_evidence_is_undefined() -> None:
    prog = compile_string(ZERO, filename="zero.query")
    res = prog.queries["q"].run(evidence={"A": True})
    assert [e.value for e in res.rows[0].entries] == [None, None]
    assert res.rows[0].entries[0].undefined == "the evidence has probability 0: {A = true}"
    assert not res.defined
    inside = prog.queries["inside"].run().rows[0].entries
    assert [e.undefined for e in inside] == ["the evidence has probability 0"] * 2
    rows = prog.queries["q"].run(evidence={"A": False}).rows[0].entries
    assert [e.value for e in rows] == pytest.approx([0.5, 0.5])


def test_zero_row_in_a_batch_leaves_the_others() -> None:
    prog = compile_string(ZERO)
    res = prog.queries["q"].run(evidence=[{"A": False}, {"A": True}, {}])
    assert [e.value for e in res.rows[0].entries] == pytest.approx([0.5, 0.5])
    assert [e.value for e in res.rows[1].entries] == [None, None]
    assert [e.value for e in res.rows[2].entries] == pytest.approx([0.5, 0.5])
    out = prog.queries["q"].run_array(np.array([[0], [1], [-1]]), ["A"])
    assert out.undefined.tolist() == [[False, False], [True, True], [False, False]]
    assert np.isnan(out.values[1]).all() and out.values[0] == pytest.approx([0.5, 0.5])
    assert out.why(1, 0) == "the evidence has probability 0: {A = true}"
    assert out.why(0, 0) is None


def test_normalize_needs_probabilities() -> None:
    with pytest.raises(QueryError, match="normalize: needs a prob model, not bool"):
        compile_string("var A : bool\nmodel f = logic A\nquery q = normalize(f)\n")
