"""Query.run_array (arrays in, arrays out) against Query.run (rows of dicts) on every
tractable query of the examples, with random evidence; and its errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from atlasc import compile_file
from atlasc.compiler.errors import QueryError

EX = Path(__file__).resolve().parents[2] / "examples"
FILES = ["sprinkler", "conditional", "mpe", "mmap", "marginals", "backdoor", "meu", "wmc",
         "sharpsat", "pasp_credal", "pasp_reach"]
PROGRAMS = {name: compile_file(str(EX / f"{name}.query")) for name in FILES}


def cases() -> list[tuple[str, str]]:
    return [(f, q) for f, p in PROGRAMS.items() for q, query in p.queries.items()
            if query.tractable]


def draw_evidence(data: Any, prog: Any, query: Any) -> tuple[np.ndarray, list[str]]:
    allowed = [v for v in prog.variables.values() if query.conflict(v) is None]
    cols = sorted(v.name for v in allowed)
    n = data.draw(st.integers(1, 5))
    E = np.full((n, len(cols)), -1, np.int64)
    for b in range(n):
        for j, name in enumerate(cols):
            if data.draw(st.booleans()):
                E[b, j] = data.draw(st.integers(0, prog.variables[name].size - 1))
    return E, cols


def dict_rows(prog: Any, E: np.ndarray, cols: list[str]) -> list[dict[str, str]]:
    return [{c: prog.variables[c].domain[x] for c, x in zip(cols, row) if x >= 0}
            for row in E.tolist()]


@pytest.mark.parametrize("file,name", cases())
@settings(max_examples=15)
@given(data=st.data())
def test_run_array_matches_run(file: str, name: str, data: Any) -> None:
    prog = PROGRAMS[file]
    q = prog.queries[name]
    E, cols = draw_evidence(data, prog, q)
    try:
        want = q.run(dict_rows(prog, E, cols))
    except QueryError as e:               # e.g. a zero normaliser: run_array must refuse too
        with pytest.raises(QueryError) as got:
            q.run_array(E, cols)
        assert str(got.value) == str(e)
        return
    got = q.run_array(E, cols)
    if hasattr(want, "joint"):
        for x, table in want.joint.items():
            np.testing.assert_allclose(got.joint[x], table, rtol=1e-12)
        return
    sr = q.semiring
    for b, row in enumerate(want.rows):
        flags = {f.query: f.mass for f in row.inconsistent}
        assert flags == ({k: float(m[b]) for k, m in got.inconsistent.items()}
                         if got.inconsistent is not None else {})
        seen = set()
        for e in row.entries:
            k = _entry(got, e.assignment)
            seen.add(k)
            assert got.why(b, k) == e.undefined
            if e.undefined is not None:          # undefined in both, with the same reason
                assert e.value is None and np.isnan(got.values[b, k]).all()
                continue
            assert sr.close(sr.to_py(got.values[b, k]), e.value)
            if e.argmax is not None:
                assert {v: prog.variables[v].domain[a[b, k]] for v, a in got.argmax.items()} \
                    == e.argmax
        for k in set(range(len(got.assignments))) - seen:   # contradicts the evidence
            assert sr.close(sr.to_py(got.values[b, k]), sr.zero)


def _entry(got: Any, assignment: dict[str, str]) -> int:
    want = tuple(v.domain.index(assignment[v.name]) for v in got.free)
    return [tuple(a) for a in got.assignments.tolist()].index(want)


def test_run_array_errors() -> None:
    prog = PROGRAMS["sprinkler"]
    q = prog.queries["marg"]
    with pytest.raises(QueryError, match="integer array"):
        q.run_array(np.zeros((2, 2)), ["Wet", "Rain"])
    with pytest.raises(QueryError, match="not a value index of Wet"):
        q.run_array(np.array([[0], [2]]), ["Wet"])
    with pytest.raises(QueryError, match="unknown variable"):
        q.run_array(np.array([[0]]), ["Nope"])
    cond = PROGRAMS["conditional"].queries["rain_wet"]      # p(Rain | Wet = true)
    out = cond.run_array(np.array([[1], [-1], [0], [0]]), ["Wet"])   # one bad row: the others
    assert out.undefined.any(axis=1).tolist() == [False, False, True, True]
    assert not np.isnan(out.values[:2]).any()
    assert out.why(2, 0) == "the evidence has probability 0: {Wet = false}"
    with pytest.raises(QueryError, match="meaningless"):
        PROGRAMS["conditional"].queries["rain"].run_array(np.array([[1]]), ["Rain"])


def test_run_array_large_batch_equals_rows() -> None:
    prog = PROGRAMS["mpe"]
    q = next(iter(q for q in prog.queries.values() if q.argmax_vars()))
    cols = sorted(v.name for v in prog.variables.values() if q.conflict(v) is None)[:3]
    rng = np.random.default_rng(0)
    E = np.stack([rng.integers(-1, prog.variables[c].size, 3000) for c in cols], axis=1)
    got = q.run_array(E, cols)
    want = q.run(dict_rows(prog, E, cols))
    assert got.values.shape[:2] == (3000, 1)
    assert all(q.semiring.close(q.semiring.to_py(got.values[b, 0]), r.value)
               for b, r in enumerate(want.rows))
