"""pgmpy as the oracle of learning (test only): MaximumLikelihoodEstimator on complete rows
(every CPT cell within 1e-6) and ExpectationMaximization with a latent variable, started from
the same parameters (our final log-likelihood is the same or better)."""
from __future__ import annotations

import gzip
import logging
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pgmpy")

import atlasc  # noqa: E402,F401
from atlasc.compiler.learn.bayes import expected_counts, fit_bayes, initial_tables  # noqa: E402
from atlasc.compiler.learn.circuit import parameter_circuit  # noqa: E402
from atlasc.compiler.sources import load_model  # noqa: E402
from atlasc.compiler.sources.model import CPT, BayesNet  # noqa: E402

from tests.learn.helpers import sample  # noqa: E402
from tests.sources.helpers import bnlearn  # noqa: E402


def _pgmpy_model(name: str, tmp_path):  # type: ignore[no-untyped-def]
    from pgmpy.readwrite import BIFReader
    path = tmp_path / f"{name}.bif"
    path.write_text(gzip.open(bnlearn(name), "rt").read())
    return BIFReader(str(path)).get_model()


def _frame(bn: BayesNet, cols: dict, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame({v.name: np.asarray(v.domain, dtype=object)[cols[v]]
                         for v in bn.variables if v.name not in drop})


def _table(c: CPT, cpd, names: dict[str, list]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """pgmpy's CPD as our (parents..., child) table, cell by cell through state names."""
    out = np.zeros(c.table.shape)
    for ix in np.ndindex(*c.table.shape):
        at = {v.name: names.get(v.name, list(v.domain))[i] for v, i in zip(c.family, ix)}
        out[ix] = cpd.get_value(**at)
    return out


@pytest.mark.parametrize("name", ["asia", "sachs", "alarm"])
def test_complete_rows_match_maximum_likelihood_estimator(name: str, tmp_path) -> None:
    from pgmpy.estimators import MaximumLikelihoodEstimator
    bn = load_model(bnlearn(name))
    rows = 3000
    cols = sample(bn, rows, np.random.default_rng(1))
    ours = fit_bayes(bn, cols, rows)
    assert ours.method == "counts"
    model = _pgmpy_model(name, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpds = {cpd.variable: cpd for cpd in
                MaximumLikelihoodEstimator(model, _frame(bn, cols)).get_parameters()}
    for c in ours.model.cpts:
        np.testing.assert_allclose(c.table, _table(c, cpds[c.child.name], {}), atol=1e-6)


def test_em_with_a_latent_variable_is_as_good_as_pgmpy(tmp_path) -> None:
    from pgmpy.estimators import ExpectationMaximization
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork
    logging.disable(logging.WARNING)
    bn = load_model(bnlearn("asia"))
    rows, latent = 400, "lung"
    cols = sample(bn, rows, np.random.default_rng(2))
    obs = {v: a for v, a in cols.items() if v.name != latent}
    start = initial_tables(bn, "random", 3)
    ours = fit_bayes(BayesNet(bn.variables, tuple(CPT(c.child, c.parents, t) for c, t in
                                                  zip(bn.cpts, start))),
                     obs, rows, init="model", tol=1e-12, max_iter=500)
    names = {latent: [0, 1]}
    init = {}
    for c, t in zip(bn.cpts, start):
        vals = np.moveaxis(t, -1, 0).reshape(c.child.size, -1)
        fam = [c.child] + list(c.parents)
        init[c.child.name] = TabularCPD(
            c.child.name, c.child.size, vals, evidence=[p.name for p in c.parents] or None,
            evidence_card=[p.size for p in c.parents] or None,
            state_names={v.name: names.get(v.name, list(v.domain)) for v in fam})
    model = DiscreteBayesianNetwork(_pgmpy_model("asia", tmp_path).edges(), latents={latent})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpds = ExpectationMaximization(model, _frame(bn, cols, (latent,))).get_parameters(
            latent_card={latent: 2}, init_cpds=init, max_iter=500, show_progress=False)
    by = {cpd.variable: cpd for cpd in cpds}
    theirs = [_table(c, by[c.child.name], names) for c in bn.cpts]
    _, ll_theirs = expected_counts(parameter_circuit(bn), obs, rows, theirs)
    assert ours.converged
    assert ours.log_likelihood >= ll_theirs - 1e-7 * abs(ll_theirs)
    assert ours.log_likelihood == pytest.approx(ll_theirs, rel=1e-5)
