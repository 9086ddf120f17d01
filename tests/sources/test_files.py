"""CNF model counts, verified external circuits, and bad files -> SourceError(file, line)."""
from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings, strategies as st
from pysdd.sdd import SddManager, Vtree as SddVtree

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.variables import bool_var
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, How, xdet
from atlasc.compiler.sources import (compile_cnf_clauses, compile_formula, load_bif, load_cnf,
                              load_nnf, load_psdd, load_sdd, load_uai, recompile)
from conftest import DATA
from helpers import all_assignments, close, evaluate, value_at


def _brute_count(clauses, n, w=None):
    total = 0.0
    for bits in itertools.product((0, 1), repeat=n):
        if all(any((l > 0) == bool(bits[abs(l) - 1]) for l in c) for c in clauses):
            p = 1.0
            for i, b in enumerate(bits):
                p *= (w or {}).get((i + 1) if b else -(i + 1), 1.0)
            total += p
    return total


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), st.lists(
    st.lists(st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v])), min_size=1,
             max_size=3), max_size=8))))
def test_cnf_counts_match_brute_force_and_pysdd(nc) -> None:
    n, clauses = nc
    vs = [bool_var(f"x{i}") for i in range(1, n + 1)]
    c = compile_cnf_clauses(clauses, vs)
    count = sum(1 for x in all_assignments(vs) if value_at(c, x))
    assert count == _brute_count(clauses, n)
    mgr = SddManager.from_vtree(SddVtree(var_count=n, vtree_type="balanced"))
    f = mgr.true()
    for cl in clauses:
        g = mgr.false()
        for l in cl:
            g = mgr.disjoin(g, mgr.literal(l))
        f = mgr.conjoin(f, g)
    assert count == f.global_model_count()
    assert check_deterministic(c).holds is True


def test_weighted_cnf_file() -> None:
    path = os.path.join(DATA, "weighted.cnf")
    c = load_cnf(path)
    assert c.sr.name == "prob"
    w = {1: 0.3, -1: 0.7, 2: 0.6, 3: 2.5}
    assert close(evaluate(c), _brute_count([[1, -2], [2, 3], [-1, -3, 4]], 4, w))
    u = load_cnf(path, weighted=False)
    assert u.sr.name == "bool"


def test_cnf_show_constrains(tmp_path) -> None:
    p = tmp_path / "p.cnf"
    p.write_text("p cnf 3 2\nc p show 3 0\n1 2 0\n-1 3 0\n")
    c = load_cnf(p)
    x3 = next(v for v in c.vars if v.name == "x3")
    assert c.info["show"] == (x3,)
    assert check_deterministic(c, frozenset([x3])).holds is True
    assert c.facts[xdet([x3])].holds


def test_formula_multivalued_and_recompile() -> None:
    from atlasc.compiler.ir.variables import Var
    a, col = bool_var("a"), Var("col", ("r", "g", "b"))
    expr = ("or", ("and", ("lit", a, 1), ("not", ("lit", col, "g"))), ("lit", col, 0))
    c = compile_formula(expr, [a, col])
    for x in all_assignments([a, col]):
        assert value_at(c, x) == ((x[a] == 1 and x[col] != 1) or x[col] == 0)
    c2 = recompile(c, constrained=[col])
    assert check_deterministic(c2, frozenset([col])).holds is True


def test_broken_nnf_is_caught() -> None:
    c = load_nnf(os.path.join(DATA, "broken.nnf"))
    assert c.facts[DEC].holds is False and c.facts[DEC].how is How.VERIFIED
    assert c.facts[DEC].witness is not None
    assert c.facts[DET].holds is not True and c.facts[DET].witness is not None
    d = load_nnf(os.path.join(DATA, "nondet.nnf"))
    assert d.facts[DEC].holds is True
    assert d.facts[DET].holds is False and "x1=true, x2=true" in d.facts[DET].witness.reason


def test_good_nnf_smoothed_and_recompiled() -> None:
    c = load_nnf(os.path.join(DATA, "good.nnf"))
    assert c.facts[DEC].holds and c.facts[DET].holds
    assert c.facts[SMOOTH].holds and "smoothed" in c.facts[SMOOTH].detail
    assert sum(1 for x in all_assignments(sorted(c.vars)) if value_at(c, x)) == 3
    raw = load_nnf(os.path.join(DATA, "good.nnf"), smooth=False)
    assert raw.facts[SMOOTH].holds is False
    x1 = next(v for v in c.vars if v.name == "x1")
    r = recompile(c, constrained=[x1])
    assert sum(1 for x in all_assignments(sorted(r.vars)) if value_at(r, x)) == 3


def test_sdd_files_from_pysdd(tmp_path) -> None:
    mgr = SddManager.from_vtree(SddVtree(var_count=4, vtree_type="balanced"))
    f = mgr.conjoin(mgr.disjoin(mgr.literal(1), mgr.literal(-3)),
                    mgr.disjoin(mgr.literal(2), mgr.literal(4)))
    mgr.save(str(tmp_path / "f.sdd").encode(), f)
    mgr.vtree().save(str(tmp_path / "f.vtree").encode())
    c = load_sdd(tmp_path / "f.sdd", tmp_path / "f.vtree")
    assert all(c.facts[p].holds and c.facts[p].how is How.VERIFIED for p in (SMOOTH, DEC, DET))
    assert sum(1 for x in all_assignments(sorted(c.vars)) if value_at(c, x)) == \
        f.global_model_count()


def test_psdd_file(tmp_path) -> None:
    (tmp_path / "p.vtree").write_text("vtree 3\nL 0 1\nL 2 2\nI 1 0 2\n")
    # x1 with p=0.3; given x1, x2 ~ 0.8, given not x1, x2 false
    (tmp_path / "p.psdd").write_text(
        "psdd 6\nL 0 0 1\nL 1 0 -1\nT 2 2 2 -0.2231435513\nL 3 2 -2\n"
        "D 4 1 2 0 2 -1.2039728043 1 3 -0.3566749439\n")
    c = load_psdd(tmp_path / "p.psdd", tmp_path / "p.vtree")
    x1, x2 = sorted(c.vars)
    assert close(evaluate(c), 1.0, rel=1e-8)
    assert close(value_at(c, {x1: 1, x2: 1}), 0.3 * 0.8, rel=1e-8)
    assert close(value_at(c, {x1: 0, x2: 0}), 0.7, rel=1e-8)
    assert c.facts[DET].holds


BAD = [("bad_rows.bif", 4, "sums to"), ("cycle.bif", None, "cycle"),
       ("unknown_parent.bif", 2, "unknown variable"), ("wrong_size.bif", 2, "needs 2"),
       ("duplicate.bif", 2, "declared twice")]


@pytest.mark.parametrize("name,line,msg", BAD)
def test_bad_bif_files(name, line, msg) -> None:
    with pytest.raises(SourceError) as e:
        load_bif(os.path.join(DATA, name))
    assert e.value.file.endswith(name) and msg in e.value.message
    assert e.value.line is not None
    if line is not None:
        assert e.value.line == line
    assert f"{name}:{e.value.line}:" in e.value.render()


@pytest.mark.parametrize("text,line", [
    ("p cnf 2 1\n1 3 0\n", 2), ("1 2 0\n", 1), ("p cnf 2 2\n1 2 0\n", 2),
    ("p cnf 2 1\nc p weight 1 -0.5 0\n1 0\n", 2), ("p cnf 2 1\n1 x 0\n", 2)])
def test_bad_cnf_files(tmp_path, text, line) -> None:
    p = tmp_path / "bad.cnf"
    p.write_text(text)
    with pytest.raises(SourceError) as e:
        load_cnf(p)
    assert e.value.line == line and e.value.file == str(p)


@pytest.mark.parametrize("text,line", [
    ("BAYES\n2\n2 2\n1\n1 0\n\n3\n0.5 0.5 0.1\n", 7),
    ("BAYES\n1\n2\n1\n1 4\n2 0.5 0.5\n", 5),
    ("MARKOV\n1\n2\n1\n1 0\n2 0.5 -1\n", 6), ("NOPE\n", 1)])
def test_bad_uai_files(tmp_path, text, line) -> None:
    p = tmp_path / "bad.uai"
    p.write_text(text)
    with pytest.raises(SourceError) as e:
        load_uai(p)
    assert e.value.line == line


@pytest.mark.parametrize("text,line", [
    ("nnf 2 1 1\nL 1\nA 1 5\n", 3), ("L 1\n", 1), ("nnf 1 0 1\nL 3\n", 2)])
def test_bad_nnf_files(tmp_path, text, line) -> None:
    p = tmp_path / "bad.nnf"
    p.write_text(text)
    with pytest.raises(SourceError) as e:
        load_nnf(p)
    assert e.value.line == line


def test_bad_sdd_file(tmp_path) -> None:
    (tmp_path / "v.vtree").write_text("vtree 3\nL 0 1\nL 2 2\nI 1 0 2\n")
    (tmp_path / "f.sdd").write_text("sdd 3\nL 0 2 2\nL 1 0 1\nD 2 1 1 0 1\n")
    with pytest.raises(SourceError) as e:
        load_sdd(tmp_path / "f.sdd", tmp_path / "v.vtree")
    assert e.value.line == 4 and "not split" in e.value.message


def test_missing_file() -> None:
    with pytest.raises(SourceError) as e:
        load_bif("/nonexistent/x.bif")
    assert "cannot read" in e.value.message
