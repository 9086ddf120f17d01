"""Counts to parameters: the M-step shared by closed-form and EM learning.

A CPT's parameters are (N + α) / Σ_x (N + α) per parent configuration, N the (expected)
counts and α the pseudo-count (α = 1: Laplace; the estimate is then the posterior mode under
a Dirichlet(α + 1) prior, so EM maximises LL + α Σ log θ).  A parent configuration with no
count and no pseudo-count has no maximum-likelihood estimate (0/0): `unseen="uniform"` gives
it the uniform row (pgmpy's MaximumLikelihoodEstimator does the same) and says so in the
result; `unseen="error"` refuses.  NaN is never returned.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlasc.compiler.errors import QueryError
from atlasc.compiler.sources.model import CPT

UNSEEN = ("uniform", "error")


@dataclass(frozen=True)
class Unseen:
    """A parent configuration that got no count: its CPT row is uniform."""
    child: str
    parents: tuple[tuple[str, str], ...]     # (parent, value)

    def describe(self) -> str:
        cfg = ", ".join(f"{p}={x}" for p, x in self.parents)
        return f"{self.child} | {cfg}" if cfg else self.child


def normalise(c: CPT, counts: np.ndarray, alpha: float, unseen: str
              ) -> tuple[np.ndarray, list[Unseen]]:
    """The CPT table (parents..., child) from flat counts; the configurations left uniform."""
    n = counts.reshape(c.table.shape) + alpha
    tot = n.sum(axis=-1, keepdims=True)
    empty = tot[..., 0] <= 0
    if not empty.any():
        return n / tot, []
    cfgs = [tuple(int(i) for i in ix) for ix in np.argwhere(np.atleast_1d(empty))]
    miss = [Unseen(c.child.name, tuple((p.name, p.domain[i]) for p, i in zip(c.parents, ix)))
            for ix in cfgs]
    if unseen == "error":
        raise QueryError(f"no data for {miss[0].describe()}"
                         + (f" (and {len(miss) - 1} more parent configurations)"
                            if len(miss) > 1 else "") + ": its maximum-likelihood estimate "
                         "is 0/0", None, "give a pseudo-count (--pseudo-count 1 is Laplace) "
                         "or --unseen uniform")
    out = np.where(empty[..., None], 1.0 / c.child.size, n / np.where(tot > 0, tot, 1.0))
    return out, miss


def log_likelihood_of_counts(tables: list[np.ndarray], counts: list[np.ndarray]) -> float:
    """Σ N log θ over every cell (0 log 0 = 0); -inf when a counted cell has θ = 0."""
    total = 0.0
    for t, n in zip(tables, counts):
        th = t.ravel()
        used = n > 0
        if (th[used] <= 0).any():
            return float("-inf")
        total += float(np.dot(n[used], np.log(th[used])))
    return total


def log_prior(tables: list[np.ndarray], alpha: float) -> float:
    """α Σ log θ (the pseudo-counts' part of EM's objective); 0 without pseudo-counts."""
    if alpha == 0:
        return 0.0
    return float(alpha * sum(np.log(np.maximum(t, 1e-300)).sum() for t in tables))


def check_options(alpha: float, unseen: str, tol: float, max_iter: int) -> None:
    if not np.isfinite(alpha) or alpha < 0:
        raise QueryError(f"the pseudo-count must be a finite number >= 0, not {alpha}")
    if unseen not in UNSEEN:
        raise QueryError(f"unseen must be one of {', '.join(UNSEEN)}, not {unseen!r}")
    if not np.isfinite(tol) or tol < 0:
        raise QueryError(f"the tolerance must be a finite number >= 0, not {tol}")
    if max_iter < 0:
        raise QueryError(f"the iteration limit must be >= 0, not {max_iter}")


__all__ = ["UNSEEN", "Unseen", "check_options", "log_likelihood_of_counts", "log_prior",
           "normalise"]
