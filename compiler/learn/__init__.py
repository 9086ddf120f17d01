"""Parameter learning: maximum-likelihood (or pseudo-count) parameters from rows.

    import atlasc
    f = atlasc.fit("alarm.bif", "rows.parquet")        # complete rows: counts; else EM
    f.log_likelihood, f.iterations, f.history          # per-iteration log-likelihoods
    f.write("fitted.bif")                               # BIF that pgmpy and pyAgrum read

Models: Bayesian networks (`.bif[.gz]`, `.uai`, `.xml`/`.xmlbif` files, a `BayesNet`, or a
`model NAME = bayesnet {...}` / file model of a `.query` file, picked with `model_name`) and
ProbLog programs (`.pl`: the `t(_)` parameters of probabilistic facts and annotated
disjunctions, learnt from interpretations; compiler/learn/problog.py) and PASP programs (`.lp`:
the `t(_)` probabilities of probabilistic facts, under the MaxEnt semantics;
compiler/learn/pasp.py).  docs/learning.md.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from atlasc.compiler.api import compile_file
from atlasc.compiler.errors import QueryError
from atlasc.compiler.learn.bayes import INITS, Fit, Iteration, fit_bayes
from atlasc.compiler.learn.data import read_rows
from atlasc.compiler.learn import pasp as lpasp
from atlasc.compiler.learn import problog as lp
from atlasc.compiler.learn.estimate import UNSEEN
from atlasc.compiler.sources import load_model
from atlasc.compiler.sources.model import BayesNet

NETWORK_SUFFIXES = (".bif", ".bif.gz", ".uai", ".uai.gz", ".xml", ".xmlbif")


def fit(model: Any, data: Any, *, model_name: str | None = None, pseudo_count: float = 0.0,
        tol: float = 1e-8, max_iter: int = 100, init: str = "random", seed: int = 0,
        unseen: str = "uniform", progress: Callable[[Iteration], None] | None = None,
        fmt: str | None = None) -> "Fit | lp.ProbLogFit | lpasp.PaspFit":
    """Fit the parameters of `model` (a network, a .query file's network, a ProbLog `.pl` or
    a PASP `.lp` program: their t(_) probabilities; PASP under the MaxEnt semantics) to the
    rows of `data` (a file or a table from Python).
    Complete rows of a network are counted in closed form; missing values (or variables with
    no column) run EM on one compiled circuit until the objective gains no more than `tol`
    (relative) or `max_iter` iterations.  `pseudo_count` α is added to every count (1:
    Laplace).  `init`: EM's start (random: seeded Dirichlet rows; uniform; model: the file's
    own parameters).  `unseen`: what a parent configuration without data gets when α = 0
    (uniform, or error)."""
    if isinstance(model, (str, os.PathLike)) and os.fspath(model).endswith(".pl"):
        return lp.fit_problog(Path(model), data, pseudo_count=pseudo_count, tol=tol,
                              max_iter=max_iter, init=init, seed=seed, progress=progress,
                              fmt=fmt)
    if isinstance(model, (str, os.PathLike)) and os.fspath(model).endswith(".lp"):
        return lpasp.fit_pasp(Path(model), data, pseudo_count=pseudo_count, tol=tol,
                              max_iter=max_iter, init=init, seed=seed, progress=progress,
                              fmt=fmt)
    bn = network(model, model_name)
    what = f"{os.fspath(model)}" if isinstance(model, (str, os.PathLike)) else \
        f"the network {bn.name}".strip()
    cols, rows = read_rows(bn.variables, data, fmt, what)
    return fit_bayes(bn, cols, rows, pseudo_count=pseudo_count, tol=tol, max_iter=max_iter,
                     init=init, seed=seed, unseen=unseen, progress=progress)


def network(model: Any, model_name: str | None = None) -> BayesNet:
    """The Bayesian network a `fit` call names."""
    if isinstance(model, BayesNet):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise QueryError(f"cannot fit a {type(model).__name__}", None,
                         "give a network file, a .query file, a .pl program or a BayesNet")
    p = os.fspath(model)
    if p.endswith(".query"):
        return _query_model(p, model_name)
    if not p.endswith(NETWORK_SUFFIXES):
        raise QueryError(f"cannot tell what kind of model '{p}' is from its suffix", None,
                         "fit reads .bif[.gz], .uai, .xml/.xmlbif networks, .query files "
                         "and .pl ProbLog programs and .lp PASP programs")
    m = load_model(p)
    if not isinstance(m, BayesNet):
        raise QueryError(f"{p} is a Markov network: fit learns the CPTs of Bayesian "
                         "networks (a Markov network's factors have no closed-form "
                         "maximum-likelihood estimate)")
    return m


def _query_model(path: str, name: str | None) -> BayesNet:
    program = compile_file(path)
    nets = {n: m.network for n, m in program.models.items() if m.network is not None}
    if name is None and len(nets) == 1:
        name = next(iter(nets))
    if name is None or name not in nets:
        raise QueryError(f"{path}: " + (f"no Bayesian network named {name!r}" if name else
                                        f"{len(nets)} Bayesian networks"), None,
                         f"name one with --model: {', '.join(sorted(nets)) or '(none)'}")
    bn = nets[name]
    return BayesNet(bn.variables, bn.cpts, bn.name or name, bn.file, bn.decl_lines)


ProbLogFit = lp.ProbLogFit
PaspFit = lpasp.PaspFit

__all__ = ["INITS", "UNSEEN", "Fit", "Iteration", "PaspFit", "ProbLogFit", "fit", "network"]
