"""Maximum-likelihood (or pseudo-count) parameters of a Bayesian network from rows.

Complete rows (every variable observed) are counted in closed form: one `np.bincount` per
CPT over the rows' family indices.  If some rows miss values (or the data has no column for a
variable: a latent variable), EM runs on the parameter circuit (`learn/circuit.py`): each
iteration is one batched upward and downward pass over the incomplete rows, whose marginals
are the expected family counts, plus the complete rows' fixed counts; then the M-step
(`learn/estimate.py`).  The log-likelihood Σ_rows log P(e_row) of the parameters of each
iteration is reported; EM stops when the objective (the log-likelihood, plus α Σ log θ with
pseudo-counts α) gains no more than `tol` times its size, or after `max_iter` iterations.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from atlasc.compiler.api import Network, Program
from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.errors import QueryError
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.learn.circuit import ParamCircuit, parameter_circuit
from atlasc.compiler.learn.estimate import (Unseen, check_options, log_likelihood_of_counts,
                                            log_prior, normalise)
from atlasc.compiler.sources.bifwrite import bif_text
from atlasc.compiler.sources.limits import Limits
from atlasc.compiler.sources.model import CPT, BayesNet, validate

INITS = ("random", "uniform", "model")
MARGINAL_BYTES = 1 << 25      # rows per pass: the marginals of one chunk take about this much

Columns = dict[Var, np.ndarray]
Progress = Callable[["Iteration"], None]


@dataclass(frozen=True)
class Iteration:
    number: int             # 0: the initial parameters
    log_likelihood: float   # Σ_rows log P(row) under this iteration's parameters
    objective: float        # the log-likelihood plus α Σ log θ
    seconds: float          # the time of this iteration's pass


@dataclass
class Fit:
    """The fitted network and how it was found."""
    model: BayesNet
    log_likelihood: float
    method: str                     # "counts" (complete rows) or "em"
    rows: int
    complete_rows: int
    iterations: int = 0
    converged: bool = True
    history: list[Iteration] = field(default_factory=list)
    unseen: list[Unseen] = field(default_factory=list)

    @property
    def posterior(self) -> list[np.ndarray]:
        """The Dirichlet parameters of every CPT row (shape of the CPT's table): pseudo-count
        + counts; under EM the expected counts of the last E-step (an approximation of the
        posterior, docs/moments.md).  The fitted file carries them (`dirichlet_alpha`)."""
        return [c.alpha for c in self.model.cpts if c.alpha is not None]

    @property
    def posterior_kind(self) -> str:
        """What `posterior` is: exact (counts) or the last E-step's approximation (EM)."""
        if self.method == "counts":
            return "exact: Dirichlet(pseudo-count + counts)"
        return "approximate: Dirichlet(pseudo-count + the expected counts of the last E-step)"

    def summary(self) -> str:
        how = "closed-form counts (complete rows)" if self.method == "counts" else (
            f"EM, {self.iterations} iterations, "
            + ("converged" if self.converged else "stopped at the iteration limit"))
        out = (f"{self.model.name or 'network'}: {how}; log-likelihood "
               f"{self.log_likelihood:.10g} over {self.rows} rows "
               f"({self.complete_rows} complete)")
        if self.unseen:
            k = len(self.unseen)
            out += (f"; {k} parent configuration{'s' if k > 1 else ''} had no data and "
                    f"got uniform rows (first: {self.unseen[0].describe()})")
        return out + f"; row posteriors kept ({self.posterior_kind})"

    def text(self) -> str:
        """The fitted network as BIF."""
        return bif_text(self.model)

    def write(self, path: str | os.PathLike[str]) -> None:
        write_text(path, self.text(), (".bif",))

    def compile(self, queries: str, name: str = "bn") -> Program:
        """Compile `queries` over the fitted network, declared as model `name` with its
        posterior: `f.compile("query m = moments(bn, dirichlet = posterior | X = a)")`."""
        return Network(self.model, name).compile(queries)


def write_text(path: str | os.PathLike[str], text: str, suffixes: tuple[str, ...]) -> None:
    """Write a fitted model atomically, to a file whose suffix says its format."""
    p = os.fspath(path)
    if not p.endswith(suffixes):
        raise QueryError(f"cannot write the fitted model to '{p}': its file must end in "
                         f"{' or '.join(suffixes)}")
    write_atomic_bytes(Path(p).resolve(), text.encode("utf-8"))


def fit_bayes(bn: BayesNet, cols: Columns, rows: int, *, pseudo_count: float = 0.0,
              tol: float = 1e-8, max_iter: int = 100, init: str = "random", seed: int = 0,
              unseen: str = "uniform", progress: Progress | None = None,
              limits: Limits | None = None) -> Fit:
    check_options(pseudo_count, unseen, tol, max_iter)
    if init not in INITS:
        raise QueryError(f"init must be one of {', '.join(INITS)}, not {init!r}")
    full = complete_mask(bn, cols, rows)
    fixed = [family_counts(c, cols, full) for c in bn.cpts]
    if full.all():
        tables, miss = m_step(bn, fixed, pseudo_count, unseen)
        ll = log_likelihood_of_counts(tables, fixed)
        return Fit(_with(bn, tables, fixed, pseudo_count), ll, "counts", rows, rows, 0, True,
                   [Iteration(0, ll, ll + log_prior(tables, pseudo_count), 0.0)], miss)
    return _em(bn, cols, rows, full, fixed, _Options(pseudo_count, tol, max_iter, unseen,
                                                     progress, limits),
               initial_tables(bn, init, seed))


@dataclass(frozen=True)
class _Options:
    alpha: float
    tol: float
    max_iter: int
    unseen: str
    progress: Progress | None
    limits: Limits | None


def _em(bn: BayesNet, cols: Columns, rows: int, full: np.ndarray, fixed: list[np.ndarray],
        o: _Options, tables: list[np.ndarray]) -> Fit:
    pc = parameter_circuit(bn, o.limits)
    where = np.flatnonzero(~full)
    ev = {v: np.ascontiguousarray(a[where]) for v, a in cols.items()}
    history: list[Iteration] = []
    miss: list[Unseen] = []
    counts, it = _iteration(pc, ev, where, fixed, tables, o, 0, history)
    converged = False
    for t in range(1, o.max_iter + 1):
        new, miss = m_step(bn, counts, o.alpha, o.unseen)
        counts, nxt = _iteration(pc, ev, where, fixed, new, o, t, history)
        tables, prev, it = new, it, nxt
        if it.objective - prev.objective <= o.tol * max(1.0, abs(prev.objective)):
            converged = True
            break
    return Fit(_with(bn, tables, counts, o.alpha), it.log_likelihood, "em", rows,
               int(full.sum()),
               len(history) - 1, converged, history, miss)


def _iteration(pc: ParamCircuit, ev: Columns, where: np.ndarray, fixed: list[np.ndarray],
               tables: list[np.ndarray], o: _Options, t: int, history: list[Iteration]
               ) -> tuple[list[np.ndarray], Iteration]:
    """One E-step: the expected counts and the log-likelihood of `tables`, recorded."""
    start = time.perf_counter()
    exp, ll = expected_counts(pc, ev, len(where), tables, where)
    ll += log_likelihood_of_counts(tables, fixed)
    it = Iteration(t, ll, ll + log_prior(tables, o.alpha), time.perf_counter() - start)
    history.append(it)
    if o.progress is not None:
        o.progress(it)
    return [a + b for a, b in zip(fixed, exp)], it


def expected_counts(pc: ParamCircuit, ev: Columns, rows: int, tables: list[np.ndarray],
                    where: np.ndarray | None = None) -> tuple[list[np.ndarray], float]:
    """Σ_rows P(family cell | row) for every CPT (flat, row-major) and Σ_rows log P(row),
    from one upward and downward pass per chunk of rows.  `where`: the data row of each
    evidence row (for the error about a row of probability 0)."""
    weights = {g.var: tables[g.cpt].ravel()[g.start:g.stop] for g in pc.groups}
    gvars = [g.var for g in pc.groups]
    first = [g.var for g in pc.of(0)]
    counts = [np.zeros(t.size) for t in tables]
    cells = sum(t.size for t in tables)
    chunk = max(256, MARGINAL_BYTES // (8 * max(cells, 1)))
    ll = 0.0
    for r0 in range(0, rows, chunk):
        n = min(chunk, rows - r0)
        part = {v: a[r0:r0 + n] for v, a in ev.items()}
        m = evaluator().marginals_columns(pc.circuit, part, n, gvars, weights=weights)
        pe = sum(m[v].sum(axis=1) for v in first)
        _check_rows(pe, r0, where)
        ll += float(np.log(pe).sum())
        inv = 1.0 / pe
        for g in pc.groups:
            counts[g.cpt][g.start:g.stop] += inv @ m[g.var]
    return counts, ll


def _check_rows(pe: np.ndarray, r0: int, where: np.ndarray | None) -> None:
    bad = np.flatnonzero(~(pe > 0))
    if len(bad):
        row = int(where[r0 + bad[0]]) if where is not None else r0 + int(bad[0])
        raise QueryError(f"data row {row + 1} has probability 0 under the current parameters "
                         f"({len(bad)} such rows in its batch): it contradicts a zero "
                         "parameter (or its probability is below the double range)", None,
                         "start from --init uniform or random, or give a pseudo-count")


def complete_mask(bn: BayesNet, cols: Columns, rows: int) -> np.ndarray:
    full = np.ones(rows, bool)
    for v in bn.variables:
        full &= cols[v] >= 0 if v in cols else False
    return full


def family_counts(c: CPT, cols: Columns, mask: np.ndarray) -> np.ndarray:
    """How many rows under `mask` show each cell of c's family (flat, row-major)."""
    if not mask.any():
        return np.zeros(c.table.size)
    idx = np.ravel_multi_index([cols[v][mask] for v in c.family], c.table.shape)
    return np.bincount(idx, minlength=c.table.size).astype(float)


def m_step(bn: BayesNet, counts: list[np.ndarray], alpha: float, unseen: str
           ) -> tuple[list[np.ndarray], list[Unseen]]:
    tables, miss = [], []
    for c, n in zip(bn.cpts, counts):
        t, m = normalise(c, n, alpha, unseen)
        tables.append(t)
        miss += m
    return tables, miss


def initial_tables(bn: BayesNet, init: str, seed: int) -> list[np.ndarray]:
    if init == "model":
        return [c.table.astype(float) for c in bn.cpts]
    if init == "uniform":
        return [np.full(c.table.shape, 1.0 / c.child.size) for c in bn.cpts]
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.ones(c.child.size), size=c.table.shape[:-1]).reshape(c.table.shape)
            for c in bn.cpts]


def _with(bn: BayesNet, tables: list[np.ndarray], counts: list[np.ndarray], alpha: float
          ) -> BayesNet:
    """The fitted network; each CPT carries its rows' Dirichlet posterior, the pseudo-counts
    plus the counts (expected counts of the last E-step under EM: the usual approximation)."""
    cpts = tuple(CPT(c.child, c.parents, t, c.line, n.reshape(t.shape) + alpha)
                 for c, t, n in zip(bn.cpts, tables, counts))
    out = BayesNet(bn.variables, cpts, bn.name, bn.file, bn.decl_lines)
    validate(out)
    return out


__all__ = ["Fit", "INITS", "write_text", "Iteration", "complete_mask", "expected_counts", "family_counts",
           "fit_bayes", "initial_tables", "m_step"]
