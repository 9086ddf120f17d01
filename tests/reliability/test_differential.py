"""The differential suite (tests/reliability/differential.py): every semiring at the circuit
level (LLVM by rows and by columns, the numpy reference, against runtime.brute), every query
class at the program level (Query.run, Query.run_array, the numpy reference, the elimination
and flat routes, against enumeration written in the test).  `make test` runs a few cases per
semiring; `make test-all` DIFF_CASES per semiring (default 1000); the long campaign,
resumable, with its counts in bench/differential-results.json, is `make differential`
(10,000 per semiring)."""
from __future__ import annotations

import json
import os
import random

import pytest

from tests.core.gen import ALL
from tests.reliability import differential as D
from tests.reliability import programs as P

CASES = int(os.environ.get("DIFF_CASES", "1000"))


@pytest.mark.parametrize("sr", ALL, ids=[s.name for s in ALL])
def test_circuits_of_every_semiring_agree_with_brute_force(sr) -> None:
    counts = D.circuit_chunk(sr, chunk=10_000, n=6, shrink=True)
    assert sum(counts.values()) == 6 * len(D.CLASSES)


@pytest.mark.parametrize("sr", P.SEMIRINGS)
def test_programs_of_every_semiring_agree_with_brute_force(sr: str) -> None:
    seen = [P.program_case(random.Random(f"fast:{sr}:{i}"), sr)[1] for i in range(25)]
    assert len(seen) == 25 and "refused" not in seen


def test_the_suite_sees_a_wrong_answer(monkeypatch) -> None:
    """The brute force of the program level is the test's own: a 0.1 % error in it is seen."""
    real = P.mass
    monkeypatch.setattr(P, "mass", lambda m, e, a=None: real(m, e, a) * 1.001)
    wrong = 0
    for i in range(40):
        try:
            P.program_case(random.Random(f"fast:prob:{i}"), "prob")
        except P.Disagreement:
            wrong += 1
    assert wrong > 10


def test_zero_probability_evidence_is_undefined_in_every_path() -> None:
    """A conditional under evidence of probability 0: None in run, NaN and the mask in
    run_array (the program level's oracle relies on it)."""
    m = P.Model(["V0", "V1"], "var V0, V1 : bool\nmodel m = bayesnet {\n  V0: 0.0\n"
                "  V1 | V0: {(false): 0.5, (true): 0.5}\n}", lambda a: 0.0, "bn")
    q = P.Query("conditional", "prob", "normalize(sum[{V0}] m)", lambda e, a: None, ["V1"])
    qq = P.compile_case(m, q)
    assert all(e.value is None and e.undefined for e in qq.run(evidence={"V0": True}).rows[0]
               .entries)
    arr = qq.run_array(__import__("numpy").array([[1]]), ["V0"])
    assert arr.undefined.all()


def test_the_elimination_route_is_taken_when_asked() -> None:
    r = random.Random("route")
    m = P.network(r)
    q = P.q_poe(r, m)
    assert "variable elimination" in P.compile_case(m, q, elimination=True).report.render()
    assert "variable elimination" not in P.compile_case(m, q).report.render()


@pytest.mark.slow
def test_campaign_of_every_semiring(tmp_path) -> None:
    out = tmp_path / "differential.json"
    res = D.campaign(CASES, str(out), resume=False, run_seed=2)
    assert res["failures"] == [], json.dumps(res["failures"], indent=1)[:4000]
    assert all(sum(c.values()) >= CASES for c in res["cases"].values())
    assert all(res["cases"][s]["program"] == CASES // 2 for s in P.SEMIRINGS)


def test_credal_lower_is_refused_on_pairs_outside_its_domain() -> None:
    """Found by the campaign (circuit level, pair(count,count)): credal_lower, [a = b > 0], is
    multiplicative only on pairs a <= b.  `map[credal_lower] w` with A: (3, 1), B: (1, 3) was
    certified and printed 0 at A = B = true, where the value is credal_lower((3, 3)) = 1.  It
    is refused now, with the leaf as the witness; pairs a <= b are still mapped, and right."""
    from atlasc.compiler.api import compile_string
    text = ("var A, B : bool\n"
            "model w = weights[count2] {A: (3, 1), !A: (1, 1), B: (1, 3), !B: (1, 1)}\n"
            "model v = weights[count2] {A: (1, 1), !A: (1, 2), B: (2, 3), !B: (0, 1)}\n"
            "query r = map[credal_lower] w\nquery s = map[credal_lower] v\n"
            "query t = map[credal] w\n")
    prog = compile_string(text)
    assert not prog.queries["r"].tractable and not prog.queries["t"].tractable
    assert "takes (3, 1), outside the values" in prog.queries["r"].report.render()
    got = {tuple(e.assignment.values()): e.value for e in prog.queries["s"].run().rows[0].entries}
    assert got == {("false", "false"): 0.0, ("false", "true"): 0.0, ("true", "false"): 0.0,
                   ("true", "true"): 0.0}
    one = compile_string(text.replace("B: (2, 3)", "B: (3, 3)")).queries["s"].run()
    assert {tuple(e.assignment.values()): e.value for e in one.rows[0].entries}[
        ("true", "true")] == 1.0
