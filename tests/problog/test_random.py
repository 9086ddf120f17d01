"""Hypothesis-generated ProbLog programs, acyclic and cyclic (positive cycles; negation only
on lower strata), with probabilistic facts, probabilistic clauses, annotated disjunctions and
evidence: atlasc's answers equal ProbLog's within 1e-6, and where ProbLog finds the evidence
inconsistent atlasc answers nothing (undefined), never a number."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytest.importorskip("problog")

from problog.errors import InconsistentEvidenceError, ProbLogError  # noqa: E402

from atlasc.compiler.errors import SourceError  # noqa: E402
from atlasc.compiler.problog import roots  # noqa: E402
from atlasc.compiler.program import problog as P  # noqa: E402
from tests.problog.oracle import close, problog_text  # noqa: E402

PROB = st.sampled_from([0.1, 0.25, 0.5, 0.7, 0.9, 1.0, 0.0])


@st.composite
def programs(draw: st.DrawFn, cyclic: bool) -> str:
    nf = draw(st.integers(1, 4))
    nd = draw(st.integers(1, 4))
    lines = [f"{draw(PROB)}::f{i}." for i in range(nf)]
    if draw(st.booleans()):
        p, q = draw(st.sampled_from([(0.2, 0.3), (0.5, 0.5), (0.1, 0.6)]))
        lines.append(f"{p}::c0; {q}::c1.")
        facts = [f"f{i}" for i in range(nf)] + ["c0", "c1"]
    else:
        facts = [f"f{i}" for i in range(nf)]
    for d in range(nd):
        for _ in range(draw(st.integers(1, 3))):
            lines.append(_rule(draw, d, nd, facts, cyclic))
    lines += [f"query(d{d})." for d in range(nd)]
    for _ in range(draw(st.integers(0, 2))):
        atom = draw(st.sampled_from(facts + [f"d{d}" for d in range(nd)]))
        lines.append(f"evidence({atom}, {draw(st.sampled_from(['true', 'false']))}).")
    return "\n".join(lines) + "\n"


def _rule(draw: st.DrawFn, d: int, nd: int, facts: list[str], cyclic: bool) -> str:
    lower = [f"d{j}" for j in range(d)]
    pos_pool = facts + lower + ([f"d{j}" for j in range(nd)] if cyclic else [])
    body = [draw(st.sampled_from(pos_pool)) for _ in range(draw(st.integers(1, 2)))]
    neg_pool = facts + lower
    if draw(st.booleans()):
        body.append("\\+" + draw(st.sampled_from(neg_pool)))
    head = f"d{d}" if draw(st.integers(0, 2)) else f"{draw(PROB)}::d{d}"
    return f"{head} :- {', '.join(body)}."


def _check(text: str, tmp_path: Path, overlap: float) -> None:
    """`overlap`: roots.OVERLAP, so that both encodings are tested (0: the joint one)."""
    old, roots.OVERLAP = roots.OVERLAP, overlap
    try:
        _compare(text, tmp_path)
    finally:
        roots.OVERLAP = old


def _compare(text: str, tmp_path: Path) -> None:
    f = tmp_path / "p.pl"
    f.write_text(text)
    try:
        theirs = problog_text(text)
    except InconsistentEvidenceError:
        theirs = None
    except ProbLogError as e:           # e.g. a negative cycle: atlasc rejects it as ProbLog does
        with pytest.raises(SourceError, match=type(e).__name__):
            P.run(str(f))
        return
    try:
        _, answers = P.run(str(f))
    except SourceError as e:            # evidence that contradicts itself: ProbLog's error
        assert theirs is None and "InconsistentEvidenceError" in e.message
        return
    if theirs is None:
        assert answers[0].values is None and "Inconsistent" in answers[0].undefined
    else:
        assert answers[0].undefined is None, (text, answers[0].undefined)
        assert close(answers[0].values, theirs), (text, answers[0].values, theirs)


SETTINGS = settings(max_examples=int(os.environ.get("PROBLOG_EXAMPLES", "50")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


OVERLAPS = st.sampled_from([0.0, float("inf")])


@SETTINGS
@given(programs(cyclic=False), OVERLAPS)
def test_acyclic_programs_match_problog(tmp_path: Path, text: str, overlap: float) -> None:
    _check(text, tmp_path, overlap)


@SETTINGS
@given(programs(cyclic=True), OVERLAPS)
def test_cyclic_programs_match_problog(tmp_path: Path, text: str, overlap: float) -> None:
    _check(text, tmp_path, overlap)


@st.composite
def graphs(draw: st.DrawFn) -> str:
    """Reachability on a random directed graph (cycles of every length, several components),
    probabilistic edges, some evidence: the least fixpoint on ProbLog's cyclic formula."""
    n = draw(st.integers(2, 6))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          min_size=1, max_size=12, unique=True))
    lines = [f"{draw(PROB)}::e({a},{b})." for a, b in edges]
    lines += ["p(X,Y) :- e(X,Y).", "p(X,Y) :- e(X,Z), p(Z,Y).",
              "q(X) :- p(0,X), \\+p(X,0)."]
    lines += [f"query(p(0,{y}))." for y in range(n)] + [f"query(q({n - 1}))."]
    if draw(st.booleans()):
        a, b = draw(st.sampled_from(edges))
        lines.append(f"evidence(e({a},{b}), {draw(st.sampled_from(['true', 'false']))}).")
    return "\n".join(lines) + "\n"


@SETTINGS
@given(graphs(), OVERLAPS)
def test_reachability_matches_problog(tmp_path: Path, text: str, overlap: float) -> None:
    _check(text, tmp_path, overlap)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs(), OVERLAPS)
def test_report_path_agrees_with_model_counts(tmp_path: Path, text: str, overlap: float
                                              ) -> None:
    """With --report the answers come from the circuit through the marginals operator and the
    LLVM runtime; without, from the SDD's weighted model counts: the same numbers, in both
    encodings."""
    f = tmp_path / "p.pl"
    f.write_text(text)
    old, roots.OVERLAP = roots.OVERLAP, overlap
    try:
        s, counted = P.run(str(f))
        r, reported = P.run(str(f), report=True)
    finally:
        roots.OVERLAP = old
    assert "marginals" in P.report_text(r) and not s.steps
    if counted[0].undefined:
        assert reported[0].undefined == counted[0].undefined
    else:
        assert close(counted[0].values, reported[0].values)
