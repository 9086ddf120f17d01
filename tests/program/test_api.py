"""The Python API: compile_string / compile_file, reports, run with batches."""
from __future__ import annotations

import numpy as np
import pytest

import atlasc
from atlasc.compiler.api import compile_file as compile_file_impl
from atlasc.compiler.errors import QueryError, StructuralPropertyError

SRC = """
var A, B : bool
var C : {lo, mid, hi}
model p = bayesnet {
  A: 0.3
  B | A: {false: 0.2, true: 0.9}
  C | B: {false: [0.5, 0.25, 0.25], true: [lo: 0.1, mid: 0.1, hi: 0.8]}
} with vtree constrained {A}
mapping twice : prob -> prob = x -> 2 * x
mapping r : prob -> prob = x -> 1/x, 0 -> 0
query joint = p
query pa = sum[* \\ {A}] p
query best = max[*] map[id: prob -> maxprod] p
query pair = mmap(A; p | C = hi)
query scaled = sum[*] map[twice] p
query again = sum[*] pa
"""


@pytest.fixture(scope="module")
def prog() -> atlasc.Program:
    return atlasc.compile_string(SRC, filename="t.query")


def test_public_exports() -> None:
    assert atlasc.compile_file is compile_file_impl
    with pytest.raises(AttributeError):
        atlasc.nothing  # noqa: B018


def test_report(prog) -> None:
    rep = prog.report
    assert rep.tractable and "certified tractable" in str(rep)
    js = rep.to_json()
    assert [q["name"] for q in js["queries"]] == list(prog.queries)
    assert prog.queries["pa"].report.free == ("A",)


def test_run_dict_list_and_arrays(prog) -> None:
    q = prog.queries["joint"]
    one = q.run(evidence={"A": "true", "B": True, "C": "hi"}).rows[0]
    assert one.entries[0].value == pytest.approx(0.3 * 0.9 * 0.8)
    batch = q.run(evidence=[{"A": 1, "B": 1, "C": "hi"}, {"A": 0, "B": 0, "C": "lo"}])
    assert [r.value for r in batch.rows] == pytest.approx([0.216, 0.7 * 0.8 * 0.5])
    arr = np.array([[True, "true", "hi"], [False, "false", "lo"], [None, None, None]],
                   dtype=object)
    by_arr = q.run(evidence=arr, columns=["A", "B", "C"])
    assert by_arr.rows[0].value == pytest.approx(0.216)
    assert len(by_arr.rows[2].entries) == 12
    st = np.array([(1, 1)], dtype=[("A", int), ("B", int)])
    assert len(q.run(evidence=st).rows[0].entries) == 3


def test_marginal_and_queries_of_queries(prog) -> None:
    t = {e.assignment["A"]: e.value for e in prog.queries["pa"].run().rows[0].entries}
    assert t == pytest.approx({"false": 0.7, "true": 0.3})
    assert prog.queries["again"].run().rows[0].value == pytest.approx(1.0)
    assert prog.queries["scaled"].run().rows[0].value == pytest.approx(2.0)


def test_mmap_sugar_matches_brute_force(prog) -> None:
    e = prog.queries["pair"].run().rows[0].entries[0]
    best = max((0.7 * (0.8 * 0.25 + 0.2 * 0.8), "false"), (0.3 * (0.1 * 0.25 + 0.9 * 0.8),
                                                           "true"))
    assert e.value == pytest.approx(best[0]) and e.argmax == {"A": best[1]}


def test_bad_evidence(prog) -> None:
    with pytest.raises(QueryError, match="unknown variable"):
        prog.queries["joint"].run(evidence={"Z": 1})
    with pytest.raises(QueryError, match="no value"):
        prog.queries["joint"].run(evidence={"C": "huge"})


def test_intractable_query_refuses_to_run() -> None:
    src = """var A, B, C : bool
    model p = bayesnet { A: 0.5  B | A: {false: 0.5, true: 0.2}  C | B: {false: 0.1, true: 0.3} }
      with vtree constrained {C}
    model q = bayesnet { A: 0.5  B | A: {false: 0.5, true: 0.2}  C | B: {false: 0.1, true: 0.3} }
      with vtree constrained {A}
    query bad = sum[*] (p * q)"""
    prog = atlasc.compile_string(src)
    q = prog.queries["bad"]
    assert not q.tractable and not prog.report.tractable
    assert q.report.to_json()["failure"]["fix"]
    with pytest.raises(StructuralPropertyError):
        q.run()
