"""PASP parameter learning (compiler/learn/pasp.py) against brute force: the total choices
and their answer sets enumerated by clingo (compiler/pasp/enumerate.py), the MaxEnt
likelihood computed from them by its definition, Π_rows N(O) / Z.  The log-likelihood atlasc
reports is that one, at the start and at the end; EM never lowers it; its fixed point is a
stationary point of the brute-force likelihood (the ML condition) and is no worse than a
bounded optimiser's (scipy) on one- and two-parameter programs; complete rows of a program
without inconsistent choices give the frequencies; a row of probability 0 is an error naming
it; the written program reads back in the PASP front end with the learnt numbers."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, reject, settings, strategies as st

import atlasc
from atlasc.compiler import pasp as P
from atlasc.compiler.errors import AtlasError, QueryError, SourceError
from atlasc.compiler.learn.pasp import fit_pasp
from atlasc.compiler.pasp.encode import HeadCycle
from atlasc.compiler.pasp.enumerate import choices
from tests.pasp.programs import program

Row = dict[str, bool]


def brute_ll(text: str, rows: list[Row]) -> float:
    """Σ_rows log P_MaxEnt(O_r), by enumeration."""
    cs = list(choices(text))
    z = sum(c.weight for c in cs if c.answer_sets)
    total = 0.0
    for r in rows:
        n = sum(c.weight * sum(all((a in A) == v for a, v in r.items())
                               for A in c.answer_sets) / len(c.answer_sets)
                for c in cs if c.answer_sets)
        total += math.log(n) if n > 0 else -math.inf
    return total - len(rows) * math.log(z)


def fit(text: str, rows: list[Row], tmp: Path, **kw: object) -> atlasc.compiler.learn.PaspFit:
    p = tmp / "prog.lp"
    p.write_text(text)
    return fit_pasp(p, rows, **kw)  # type: ignore[arg-type]


def ll_at(f: object, theta: dict[int, float], rows: list[Row]) -> float:
    return brute_ll(f.text(theta), rows)  # type: ignore[attr-defined]


@st.composite
def learnable(draw: st.DrawFn) -> tuple[str, list[Row]]:
    text = draw(program())
    lines = text.splitlines()
    facts = [i for i, l in enumerate(lines) if "::" in l]
    marked = draw(st.lists(st.sampled_from(facts), min_size=1, unique=True))
    for i in marked:
        lines[i] = re.sub(r"^[0-9.]+::", "t(_)::", lines[i])
    text = "\n".join(lines)
    try:
        prog = P.load(text, learnable=True)
    except HeadCycle:           # tests.pasp.programs can draw (y0 | y1) :- y0: not supported
        reject()
    atoms = [v.name for v in prog.X + prog.Y]
    rows = draw(st.lists(st.dictionaries(st.sampled_from(atoms), st.booleans(), min_size=1,
                                         max_size=3),
                         min_size=1, max_size=4))
    return text, rows


def possible(text: str, rows: list[Row]) -> list[Row]:
    at_half = re.sub(r"t\(_\)::", "0.5::", text)
    return [r for r in rows if math.isfinite(brute_ll(at_half, [r]))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=learnable(), seed=st.integers(0, 3))
def test_log_likelihood_is_the_brute_force_one_and_never_drops(case: tuple[str, list[Row]],
                                                                seed: int, tmp_path_factory:
                                                                pytest.TempPathFactory
                                                                ) -> None:
    text, rows = case
    cs = list(choices(re.sub(r"t\(_\)::", "0.5::", text)))
    assume(any(c.answer_sets for c in cs))
    rows = possible(text, rows)
    assume(rows)
    f = fit(text, rows, tmp_path_factory.mktemp("p"), seed=seed, max_iter=15)
    assert f.history[0].log_likelihood == pytest.approx(ll_at(f, f.start, rows), abs=1e-9)
    assert f.log_likelihood == pytest.approx(ll_at(f, f.theta, rows), abs=1e-9)
    lls = [it.log_likelihood for it in f.history]
    assert all(b >= a - 1e-9 for a, b in zip(lls, lls[1:])), lls


# a constraint (inconsistent choices), a disjunction (two answer sets), a tied family
TWO = """t(_)::a. t(_)::e(X) :- n(X). n(1..2). 0.6::b.
c ; d :- a.
:- b, e(1), not a.
f :- e(1), e(2).
"""
TWO_ROWS: list[Row] = [{"c": True}, {"f": False, "b": True}, {"a": False, "b": True},
                       {"d": True, "e(2)": True}, {"b": False}, {"f": True}]
ONE = """t(_)::a. 0.5::b.
c ; d :- a, not b.
:- a, b.
"""
ONE_ROWS: list[Row] = [{"c": True}, {"b": True}, {"d": False}, {"a": False}]


def test_fixed_point_is_the_maximum_of_the_brute_force_likelihood(tmp_path: Path) -> None:
    from scipy.optimize import minimize
    for text, rows in ((ONE, ONE_ROWS), (TWO, TWO_ROWS)):
        f = fit(text, rows, tmp_path, max_iter=2000, tol=1e-13)
        ks = sorted(f.theta)

        def neg(x: np.ndarray) -> float:
            return -ll_at(f, dict(zip(ks, map(float, x))), rows)
        best = min((minimize(neg, np.full(len(ks), s), bounds=[(1e-6, 1 - 1e-6)] * len(ks),
                             method="L-BFGS-B") for s in (0.2, 0.5, 0.8)),
                   key=lambda r: r.fun)
        assert f.log_likelihood >= -best.fun - 1e-6
        # the ML condition: no direction improves the likelihood at the fixed point
        for k in ks:
            th = f.theta[k]
            if 1e-3 < th < 1 - 1e-3:
                h = 1e-5
                up, dn = dict(f.theta), dict(f.theta)
                up[k], dn[k] = th + h, th - h
                grad = (ll_at(f, up, rows) - ll_at(f, dn, rows)) / (2 * h)
                assert abs(grad) < 1e-3, (text, k, grad)


def test_one_parameter_against_a_fine_grid(tmp_path: Path) -> None:
    f = fit(ONE, ONE_ROWS, tmp_path, max_iter=2000, tol=1e-14)
    (k,) = f.theta
    grid = np.linspace(0.001, 0.999, 999)
    lls = [ll_at(f, {k: float(t)}, ONE_ROWS) for t in grid]
    assert f.log_likelihood >= max(lls) - 1e-9
    assert abs(f.theta[k] - grid[int(np.argmax(lls))]) <= 2e-3


def test_complete_rows_without_inconsistent_choices_give_the_frequencies(tmp_path: Path
                                                                          ) -> None:
    text = "t(_)::a. t(0.3)::e(X) :- n(X). n(1..3). 0.5::b.\nc :- a, not b.\n"
    rng = np.random.default_rng(4)
    rows = [{"a": bool(rng.random() < 0.7), "e(1)": bool(rng.random() < 0.2),
             "e(2)": bool(rng.random() < 0.5), "e(3)": bool(rng.random() < 0.4)}
            for _ in range(40)]
    for alpha in (0.0, 1.0):
        f = fit(text, rows, tmp_path, pseudo_count=alpha)
        ka, ke = sorted(f.theta)
        na = sum(r["a"] for r in rows)
        ne = sum(r[f"e({i})"] for r in rows for i in (1, 2, 3))
        assert f.theta[ka] == pytest.approx((na + alpha) / (40 + 2 * alpha), abs=1e-12)
        assert f.theta[ke] == pytest.approx((ne + alpha) / (120 + 2 * alpha), abs=1e-12)
        assert f.iterations <= 2 and f.converged


def test_a_row_of_probability_zero_is_an_error_naming_it(tmp_path: Path) -> None:
    text = "t(_)::a. b :- a.\n"
    with pytest.raises(QueryError, match=r"data row 2 \(a=true, b=false\) has probability 0"):
        fit(text, [{"a": True}, {"a": True, "b": False}], tmp_path)
    with pytest.raises(QueryError, match="no total choice of positive probability has an "
                                         "answer set"):
        fit("t(_)::a. :- a. :- not a.\n", [{"a": True}], tmp_path)


def test_no_learnable_fact_and_unknown_atoms(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no t\\(_\\) probability to learn"):
        fit("0.5::a.\n", [{"a": True}], tmp_path)
    with pytest.raises(AtlasError, match="'zz' is not a variable"):
        fit("t(_)::a.\n", [{"zz": True}], tmp_path)


def test_the_written_program_reads_back_with_the_learnt_numbers(tmp_path: Path) -> None:
    f = fit(TWO, TWO_ROWS, tmp_path, max_iter=30)
    out = tmp_path / "fitted.lp"
    f.write(str(out))
    back = P.load(out.read_text(), str(out))
    learnt = {f2.text: f2.prob for f2 in back.ground.facts}
    by_text = {fact.text: f.theta[fact.index] for fact in f.facts}
    assert learnt["a"] == by_text["a"] and learnt["e(X)"] == by_text["e(X)"]
    assert learnt["b"] == 0.6
    q = tmp_path / "q.query"
    q.write_text('model p = pasp "fitted.lp"\nquery me = maxent(p, c)\n')
    value = atlasc.compile_file(str(q)).queries["me"].run().rows[0].value
    assert float(value) == pytest.approx(P_c(out.read_text()), abs=1e-12)


def P_c(text: str) -> float:
    cs = list(choices(text))
    z = sum(c.weight for c in cs if c.answer_sets)
    return sum(c.weight * sum("c" in A for A in c.answer_sets) / len(c.answer_sets)
               for c in cs if c.answer_sets) / z


def test_a_query_on_an_unfitted_program_points_at_the_marker() -> None:
    with pytest.raises(SourceError) as e:
        P.load("0.5::b.\n  t(_)::a.\n", "prog.lp")
    assert (e.value.line, e.value.col) == (2, 3)
    assert "atlasc fit" in (e.value.hint or "")


def test_the_credal_semantics_is_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="MaxEnt") as e:
        fit("t(_)::a.\n", [{"a": True}], tmp_path, semantics="credal")
    assert "interval" in (e.value.hint or "")


def test_the_command_end_to_end(tmp_path: Path) -> None:
    import json
    import jsonschema
    from click.testing import CliRunner
    from atlasc.compiler.cli import main
    prog, data, out = tmp_path / "prog.lp", tmp_path / "rows.csv", tmp_path / "fitted.lp"
    prog.write_text(TWO)
    data.write_text('c,"e( 1 )",b,f\ntrue,,,\n,true,false,\nfalse,,true,true\n')
    r = CliRunner().invoke(main, ["fit", str(prog), "--data", str(data), "-o", str(out),
                                  "--max-iter", "5", "--json"])
    assert r.exit_code == 0, r.output
    assert "EM iteration 5: log-likelihood" in r.stderr
    summary = json.loads(r.stdout)
    schema = json.loads((Path(__file__).parents[2] / "docs" / "schemas" /
                         "fit.schema.json").read_text())
    jsonschema.validate(summary, schema)
    assert summary["semantics"] == "maxent" and summary["rows"] == 3
    assert "t(_)" not in out.read_text() and P.load(out.read_text()).ground.facts
    r = CliRunner().invoke(main, ["fit", str(prog), "--data", str(data), "-o", str(prog)])
    assert r.exit_code == 2 and "refusing to overwrite" in r.stderr
    data.write_text("a,zz\ntrue,false\n")
    r = CliRunner().invoke(main, ["fit", str(prog), "--data", str(data)])
    assert r.exit_code == 2 and "rows.csv:1:3" in r.stderr and "Traceback" not in r.output
