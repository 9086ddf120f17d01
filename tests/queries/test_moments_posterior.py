"""moments(bn, dirichlet = posterior | e): every CPT row an independent Dirichlet(alpha_row),
alpha as the network carries it (`atlasc fit` writes it), against brute force.

* exact: E[P(e)] and E[P(e)^2] enumerated over pairs of complete assignments with the row
  moments of Dirichlet(alpha_row) (hypothesis: random networks of 2-3 valued variables, zero
  alpha entries, rows whose declared numbers are not alpha / alpha0);
* Monte Carlo: 40,000 seeded draws of every row from its Dirichlet, within 5 standard errors,
  and the same bound rejects every shared concentration s (alpha = s theta, what
  `dirichlet = s` computes) on a network whose rows have very different alpha0;
* the round trip: fit (counts and EM) -> the .bif file (alpha in `property dirichlet_alpha`)
  -> the query; the file's alpha against the counts and the enumerated expected counts, and
  pgmpy and pyAgrum read the fitted file with the same numbers;
* errors: no alpha, an improper row, a malformed property, a conditional (`of = ...`).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import atlasc
from atlasc.compiler.api import Network
from atlasc.compiler.cli import main
from atlasc.compiler.errors import QueryError, SourceError
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources import load_model
from atlasc.compiler.sources.bif import parse_bif
from atlasc.compiler.sources.model import CPT, BayesNet, bayesnet
from tests.learn.helpers import brute_expected, hide, networks, sample

Assignment = dict[Var, int]


# ---- the oracles ------------------------------------------------------------------------------
def _worlds(bn: BayesNet, ev: Assignment) -> list[Assignment]:
    vs = list(bn.variables)
    return [x for x in (dict(zip(vs, vals)) for vals in
                        itertools.product(*(range(v.size) for v in vs)))
            if all(x[v] == i for v, i in ev.items())]


def enumerated(bn: BayesNet, alphas: list[np.ndarray], ev: Assignment) -> tuple[float, float]:
    """E[P(e)] and Var[P(e)] with every row an independent Dirichlet(alpha_row)."""
    xs = _worlds(bn, ev)

    def mean(c: CPT, a: np.ndarray, x: Assignment) -> float:
        row = a[tuple(x[p] for p in c.parents)]
        return float(row[x[c.child]] / row.sum())

    def pair(c: CPT, a: np.ndarray, x: Assignment, y: Assignment) -> float:
        u, w = tuple(x[p] for p in c.parents), tuple(y[p] for p in c.parents)
        if u != w:
            return mean(c, a, x) * mean(c, a, y)
        row = a[u]
        a0 = row.sum()
        i, j = x[c.child], y[c.child]
        return float(row[i] * (row[j] + (i == j)) / (a0 * (a0 + 1)))
    cs = list(zip(bn.cpts, alphas))
    e = sum(math.prod(mean(c, a, x) for c, a in cs) for x in xs)
    e2 = sum(math.prod(pair(c, a, x, y) for c, a in cs) for x in xs for y in xs)
    return e, e2 - e * e


def sampled(bn: BayesNet, alphas: list[np.ndarray], ev: Assignment, n: int, seed: int
            ) -> np.ndarray:
    """P(e) under n draws of every row from its Dirichlet (a zero alpha entry: 0)."""
    rng = np.random.default_rng(seed)
    draws = []
    for c, a in zip(bn.cpts, alphas):
        t = np.zeros((n,) + a.shape)
        for u in np.ndindex(*a.shape[:-1]):
            pos = np.flatnonzero(a[u] > 0)
            t[(slice(None),) + u + (pos,)] = rng.dirichlet(a[u][pos], size=n)
        draws.append(t)
    out = np.zeros(n)
    for x in _worlds(bn, ev):
        term = np.ones(n)
        for c, t in zip(bn.cpts, draws):
            term *= t[(slice(None),) + tuple(x[v] for v in c.family)]
        out += term
    return out


def _within(sample: np.ndarray, e: float, var: float, k: float = 5.0) -> tuple[bool, bool]:
    n = len(sample)
    se_mean = math.sqrt(sample.var() / n)
    m2 = ((sample - sample.mean()) ** 2)
    se_var = math.sqrt(m2.var() / n)
    return abs(sample.mean() - e) <= k * se_mean, abs(sample.var() - var) <= k * se_var


def with_alpha(bn: BayesNet, alphas: list[np.ndarray], mean: bool = True) -> BayesNet:
    """bn with each CPT carrying alpha; mean: its numbers are alpha / alpha0."""
    cpts = [CPT(c.child, c.parents, a / a.sum(axis=-1, keepdims=True) if mean else c.table,
                c.line, a) for c, a in zip(bn.cpts, alphas)]
    return bayesnet(cpts, bn.name)


def run(bn: BayesNet, ev: Assignment, form: str = "posterior") -> tuple[float, float]:
    prog = Network(bn).compile(f"query m = moments(bn, dirichlet = {form})\n")
    q = prog.queries["m"]
    assert q.tractable, q.report
    e, var = q.run(evidence={v.name: v.domain[i] for v, i in ev.items()}).rows[0].value
    return float(e), float(var)


# ---- exact enumeration ------------------------------------------------------------------------
ALPHA = st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.0, 40.0])


@st.composite
def posteriors(draw: st.DrawFn) -> tuple[BayesNet, list[np.ndarray], bool, Assignment]:
    bn = draw(networks(max_vars=3))
    alphas = []
    for c in bn.cpts:
        a = np.asarray(draw(st.lists(ALPHA, min_size=c.table.size, max_size=c.table.size)))
        a = a.reshape(c.table.shape)
        a[..., 0] += 0.5 * (a.sum(axis=-1) == 0)          # proper: every alpha0 > 0
        alphas.append(a)
    ev = {v: draw(st.integers(0, v.size - 1)) for v in bn.variables if draw(st.booleans())}
    return bn, alphas, draw(st.booleans()), ev


@settings(max_examples=30, deadline=None)
@given(posteriors())
def test_posterior_equals_the_enumeration(case: tuple[BayesNet, list[np.ndarray], bool,
                                                      Assignment]) -> None:
    bn, alphas, mean, ev = case
    e, var = run(with_alpha(bn, alphas, mean), ev)
    ee, ev_ = enumerated(bn, alphas, ev)
    assert e == pytest.approx(ee, rel=1e-9, abs=1e-14)
    assert var == pytest.approx(ev_, rel=1e-6, abs=1e-14)


def _uneven() -> tuple[BayesNet, list[np.ndarray]]:
    """A -> B -> C, rows of very different alpha0 (2 to 4000)."""
    a, b, c = (Var(n, ("x", "y", "z") if n == "B" else ("f", "t")) for n in "ABC")
    alphas = [np.array([3.0, 1.0]), np.array([[1.0, 0.5, 0.5], [900.0, 2000.0, 1100.0]]),
              np.array([[1.5, 3.5], [40.0, 10.0], [0.0, 2.0]])]
    cpts = [CPT(a, (), alphas[0]), CPT(b, (a,), alphas[1]), CPT(c, (b,), alphas[2])]
    return with_alpha(bayesnet([CPT(k.child, k.parents, k.table / k.table.sum(-1, keepdims=True))
                                for k in cpts]), alphas), alphas


def test_monte_carlo_agrees_and_rejects_a_shared_concentration() -> None:
    bn, alphas = _uneven()
    thetas = [c.table for c in bn.cpts]
    grid = np.logspace(-2, 6, 400)
    fits: list[set[float]] = []
    for ev in ({bn.var("A"): 1}, {bn.var("A"): 0, bn.var("B"): 0}, {bn.var("C"): 1}):
        e, var = run(bn, ev)
        ee, ev_ = enumerated(bn, alphas, ev)
        assert (e, var) == (pytest.approx(ee, rel=1e-12), pytest.approx(ev_, rel=1e-9))
        draws = sampled(bn, alphas, ev, 40_000, seed=7)
        assert _within(draws, e, var) == (True, True)
        # one shared concentration s for every row (alpha = s theta, dirichlet = s): the s
        # whose variance is within the bound for this evidence
        fits.append({s for s in grid
                     if _within(draws, e, enumerated(bn, [s * t for t in thetas], ev)[1])[1]})
        e4, var4 = run(bn, ev, "4")            # the query form agrees with that oracle
        assert (e4, var4) == (pytest.approx(e, rel=1e-12),
                              pytest.approx(enumerated(bn, [4 * t for t in thetas], ev)[1]))
    assert fits[0] and fits[1] and not fits[0] & fits[1]   # no single s explains both rows


def test_zero_alpha_entries_and_zero_probability_evidence() -> None:
    bn, alphas = _uneven()
    # C = f under B = z has alpha 0: theta = 0 for every draw; P(B = z, C = f) = 0 exactly
    assert run(bn, {bn.var("B"): 2, bn.var("C"): 0}) == (0.0, 0.0)
    e, var = run(bn, {bn.var("B"): 2, bn.var("C"): 1})
    assert (e, var) == (pytest.approx(enumerated(bn, alphas, {bn.var("B"): 2})[0]),
                        pytest.approx(enumerated(bn, alphas, {bn.var("B"): 2})[1]))


# ---- fit -> file -> query ----------------------------------------------------------------------
def _complete(bn: BayesNet, rows: int, seed: int) -> dict[str, list[str]]:
    cols = sample(bn, rows, np.random.default_rng(seed))
    return {v.name: [v.domain[i] for i in cols[v]] for v in bn.variables}


def _table(cols: dict[str, list[str | None]]) -> pa.Table:
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


def test_fit_counts_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bn, _ = _uneven()
    data = _complete(bn, 200, seed=3)
    f = atlasc.fit(bn, _table(data), pseudo_count=0.5)
    assert f.method == "counts"
    for c, a in zip(bn.cpts, f.posterior):      # alpha = counts + pseudo-count, cell by cell
        n = np.zeros(c.table.shape)
        for r in range(200):
            n[tuple(c.family[k].domain.index(data[v.name][r])
                    for k, v in enumerate(c.family))] += 1
        assert np.array_equal(a, n + 0.5)
    out = tmp_path / "fitted.bif"
    f.write(out)
    back = load_model(out)
    assert all(np.array_equal(c.alpha, a) for c, a in zip(back.cpts, f.posterior))
    assert all(np.array_equal(c.table, k.table) for c, k in zip(back.cpts, f.model.cpts))
    (tmp_path / "m.query").write_text('model bn = bif "fitted.bif"\n'
                                      "query m = moments(bn, dirichlet = posterior | C = t)\n"
                                      "query p = sum[*] bn | C = t\n")
    prog = atlasc.compile_file(tmp_path / "m.query")
    e, var = prog.queries["m"].run().rows[0].value
    # counts: the posterior mean is the fitted network, so E[P(e)] is its P(e)
    assert e == pytest.approx(prog.queries["p"].run().rows[0].value, rel=1e-12)
    ee, ev_ = enumerated(back, f.posterior, {back.var("C"): 1})
    assert (e, var) == (pytest.approx(ee, rel=1e-12), pytest.approx(ev_, rel=1e-9))
    assert f.compile("query m = moments(bn, dirichlet = posterior | C = t)\n"
                     ).queries["m"].run().rows[0].value == pytest.approx((e, var), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(networks(max_vars=3), st.integers(0, 10_000), st.sampled_from([0.0, 1.0]))
def test_fit_em_keeps_the_last_e_steps_expected_counts(bn: BayesNet, seed: int,
                                                        pseudo: float) -> None:
    rng = np.random.default_rng(seed)
    cols = hide(sample(bn, 40, rng), 0.3, rng)
    if seed % 2 and len(bn.variables) > 1:          # a latent variable: no column
        cols = {v: a for v, a in cols.items() if v != bn.variables[-1]}
    f = atlasc.fit(bn, _table({v.name: [v.domain[i] if i >= 0 else None for i in a]
                               for v, a in cols.items()}), pseudo_count=pseudo, max_iter=5,
                   unseen="uniform")
    tables = [c.table for c in f.model.cpts]
    counts, _ = brute_expected(bn, tables, cols, 40)
    for c, a, n in zip(bn.cpts, f.posterior, counts):
        assert a == pytest.approx(n.reshape(c.table.shape) + pseudo, abs=1e-9)
        assert a.sum() == pytest.approx(40 + pseudo * c.table.size)   # every row counted once
    back = parse_bif(f.text())
    assert all(np.array_equal(c.alpha, a) for c, a in zip(back.cpts, f.posterior))
    if any((a.sum(axis=-1) <= 0).any() for a in f.posterior):
        with pytest.raises(QueryError, match="improper"):
            f.compile("query m = moments(bn, dirichlet = posterior)\n")
        return
    ev = {bn.variables[0]: 0}
    assert run(f.model, ev) == pytest.approx(enumerated(bn, f.posterior, ev), rel=1e-9,
                                             abs=1e-14)


def test_cli_fit_then_run_text_json_data_and_arrays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bn, _ = _uneven()
    rows = _complete(bn, 120, seed=5)
    rows["B"] = [x if i % 3 else "" for i, x in enumerate(rows["B"])]   # missing: EM
    csv = tmp_path / "rows.csv"
    csv.write_text("A,B,C\n" + "".join(f"{a},{b},{c}\n" for a, b, c in
                                        zip(rows["A"], rows["B"], rows["C"])))
    (tmp_path / "net.bif").write_text(Network(bn).bif())
    r = CliRunner().invoke(main, ["fit", str(tmp_path / "net.bif"), "--data", str(csv), "-o",
                                  str(tmp_path / "fitted.bif"), "--pseudo-count", "1",
                                  "--quiet"])
    assert r.exit_code == 0, r.output
    assert "property dirichlet_alpha = " in (tmp_path / "fitted.bif").read_text()
    q = tmp_path / "m.query"
    q.write_text('model bn = bif "fitted.bif"\nquery m = moments(bn, dirichlet = posterior)\n')
    ev = tmp_path / "ev.csv"
    ev.write_text("C,A\nt,\nf,f\n,\n")
    r = CliRunner().invoke(main, ["run", str(q), "--data", str(ev), "--json"])
    assert r.exit_code == 0, r.output
    import json
    got = json.loads(r.output)["queries"][0]["rows"]
    back = load_model(tmp_path / "fitted.bif")
    alphas = [c.alpha for c in back.cpts]
    for row, e in zip(got, [{back.var("C"): 1}, {back.var("C"): 0, back.var("A"): 0}, {}]):
        ee, ev_ = enumerated(back, alphas, e)
        assert row["expectation"] == pytest.approx(ee, rel=1e-12)
        assert row["variance"] == pytest.approx(ev_, rel=1e-9, abs=1e-15)
        assert row["std"] == pytest.approx(math.sqrt(row["variance"]))
    prog = atlasc.compile_file(q)
    arr = prog.queries["m"].run_array(np.array([[1, -1], [0, 0], [-1, -1]]), ["C", "A"])
    assert arr.values[:, 0, :] == pytest.approx(np.array([r["value"] for r in got]))
    table = prog.queries["m"].run(evidence={"C": "t"}).to_arrow()
    assert table.column("expectation").to_pylist() == [pytest.approx(got[0]["expectation"])]
    r = CliRunner().invoke(main, ["run", str(q), "-e", "C=t"])
    assert r.exit_code == 0 and r.output.splitlines()[1].split() == ["expectation", "variance",
                                                                     "std"]


def test_pgmpy_and_pyagrum_read_the_fitted_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("pgmpy")
    gum = pytest.importorskip("pyagrum")
    from pgmpy.readwrite import BIFReader
    bn, _ = _uneven()
    f = atlasc.fit(bn, _table(_complete(bn, 100, seed=9)), pseudo_count=1.0)
    out = tmp_path / "fitted.bif"
    f.write(out)
    pg = BIFReader(str(out)).get_model()
    ag = gum.loadBN(str(out))
    for c in f.model.cpts:
        cpd = pg.get_cpds(c.child.name)
        ours = np.moveaxis(c.table, -1, 0).reshape(c.child.size, -1)
        assert np.asarray(cpd.get_values()) == pytest.approx(ours, abs=1e-15)
        # pyAgrum reads the numbers in single precision
        assert np.asarray(ag.cpt(c.child.name).toarray()) == pytest.approx(c.table, abs=1e-7)


# ---- errors -------------------------------------------------------------------------------------
SPRINKLER = """var Rain, Wet : bool
model bn = bayesnet {
  Rain: 0.2
  Wet | Rain: {false: 0.1, true: 0.9}
}
"""


@pytest.mark.parametrize("query, message, at", [
    ("moments(bn, dirichlet = posterior)", "bn carries no Dirichlet posterior: the CPT of "
                                           "Rain has no dirichlet_alpha", "dirichlet"),
    ("moments(bn, dirichlet = prior)", "dirichlet is a number (an equivalent sample size) or "
                                       "'posterior'", "dirichlet"),
    ("moments(bn, dirichlet = 10, of = {Rain} | Wet = true)", "moments of a conditional "
                                                              "P(q | e) are not computed", "of"),
    ("moments(bn, dropout = 0.1, of = Rain)", "the ratio P(q, e) / P(e)", "of"),
])
def test_errors_are_positioned(query: str, message: str, at: str) -> None:
    line = f"query m = {query}"
    with pytest.raises(QueryError) as err:
        atlasc.compile_string(SPRINKLER + line + "\n")
    assert message in str(err.value)
    assert err.value.span is not None and err.value.span.line == 6, err.value.span
    assert err.value.span.col == line.index(f" {at} =") + 2, str(err.value)


def test_the_conditional_refusal_names_the_fix() -> None:
    with pytest.raises(QueryError) as err:
        atlasc.compile_string(SPRINKLER + "query m = moments(bn, dirichlet = 5, of = Rain | "
                                          "Wet = true)\n")
    assert "moments(bn, dirichlet = ... | q, e) and moments(bn, dirichlet = ... | e)" in \
        str(err.value.hint)


def test_an_improper_row_is_refused() -> None:
    bn, alphas = _uneven()
    alphas = [a.copy() for a in alphas]
    alphas[2][2] = 0.0                                 # C | B = z: no data, no pseudo-count
    bad = BayesNet(bn.variables, tuple(CPT(c.child, c.parents, c.table, c.line, a)
                                       for c, a in zip(bn.cpts, alphas)), bn.name)
    with pytest.raises(QueryError, match=r"the row C \| B=z has alpha 0 .* improper"):
        Network(bad).compile("query m = moments(bn, dirichlet = posterior)\n")


@pytest.mark.parametrize("prop, message, col", [
    ("1, 2 | 3", "dirichlet_alpha needs 1 row(s) separated by '|', got 2", 3),
    ("1, -2", "a Dirichlet parameter must be finite and >= 0, not -2", 33),
    ("1, x", "expected a number, found 'x'", 33),
    ("1, 2, 3", "a dirichlet_alpha row needs 2 numbers, got 3", 30),
])
def test_a_malformed_property_is_a_positioned_source_error(prop: str, message: str,
                                                           col: int) -> None:
    text = ("network n {\n}\nvariable A {\n  type discrete [ 2 ] { f, t };\n}\n"
            f"probability ( A ) {{\n  property dirichlet_alpha = {prop};\n  table 0.5, 0.5;\n}}\n")
    with pytest.raises(SourceError) as err:
        parse_bif(text, "x.bif")
    assert message in str(err.value) and err.value.line == 7
    assert err.value.col == col, str(err.value)
