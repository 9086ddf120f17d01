"""Marginals of a circuit with free variables held apart (compiler/ir/sparse.py SparseView):
the inner circuit's one upward and one downward pass, and the free variables in closed form.

A free variable u is independent of everything: the joint is inner(e) times the product of
s_u(e) over the free variables (s_u = w_u(observed value), or (+) of w_u when u is not
observed).  So for a free target X, P(X = x, e without X) = inner(e) * F(e) / s_X(e) * w_X(x),
and P(X = x | e without X) = w_X(x) / (+) w_X: its normalised weights.  For an inner target,
the inner table times F(e).  F is computed in log space, so its factor over 10^5 variables
(2^99996) never overflows: the conditionals come from the in-range parts (F cancels), and the
joint is also given by its natural log (`joint_log`), which the outputs print in scientific
notation where the double holds no value.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from atlasc.compiler.ir.evaluation import Columns, evaluator
from atlasc.compiler.ir.sparse import SparseView
from atlasc.compiler.ir.variables import Var

Tables = dict[Var, np.ndarray]


def columns_of_rows(rows: Sequence[dict[Var, int]], vars: frozenset[Var]) -> Columns:
    """Evidence rows (Var -> value index) as columns (-1: unobserved) over `vars`."""
    seen = {v for r in rows for v in r if v in vars}
    return {v: np.array([r.get(v, -1) for r in rows], dtype=np.int64) for v in seen}


def marginals(c: SparseView, ev: Columns, B: int, targets: Sequence[Var]
              ) -> tuple[Tables, Tables, Tables]:
    """(joint, joint_log, conditional) per target, each (B, |dom X|)."""
    inner = c.inner
    first = min(inner.vars)
    inner_t = sorted({v for v in targets if v in inner.vars} | {first})
    iev = {v: a for v, a in ev.items() if v in inner.vars}
    ij = evaluator().marginals_columns(inner, iev, B, inner_t)
    z = _evidence(ij[first], iev.get(first))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        free = _Free(c, ev, B)
        logF = free.log()
        joint, logs, cond = {}, {}, {}
        weights = {v: w for w, vs in c.groups for v in vs}
        shared: dict[tuple[float, ...], tuple[np.ndarray, ...]] = {}
        for X in targets:
            if X in inner.vars or X in free.d:
                joint[X], logs[X], cond[X] = _tables(X, ij, z, logF, free, weights)
            else:       # unobserved free variables with equal weights share their tables
                w = weights[X]
                if w not in shared:
                    shared[w] = _tables(X, ij, z, logF, free, weights)
                joint[X], logs[X], cond[X] = shared[w]
    return joint, logs, cond


def _tables(X: Var, ij: Tables, z: np.ndarray, logF: np.ndarray, free: "_Free",
            weights: dict[Var, tuple[float, ...]]) -> tuple[np.ndarray, ...]:
    if X in ij:
        part, scale = ij[X], logF
    else:
        w = np.asarray(weights[X], dtype=float)
        part = z[:, None] * w[None, :]
        scale = free.without(X, np.log(w.sum()))
    logs = np.log(part) + scale[:, None]
    return np.exp(logs), logs, _normalised(part, scale)


def _evidence(table: np.ndarray, seen: np.ndarray | None) -> np.ndarray:
    """P(e) per row from a retraction table: its entry at the observed value, or its sum."""
    total = table.sum(axis=1)
    if seen is None:
        return total
    at = table[np.arange(table.shape[0]), np.clip(seen, 0, None)]
    return np.where(seen >= 0, at, total)


class _Free:
    """log F(e) = base + the sum of the observed free variables' terms d_u = log s_u - log
    (+)w_u, kept as a finite sum and a count of -inf terms (a zero weight observed), so that
    one variable's term can be taken out again (the retraction of X's own evidence)."""

    def __init__(self, c: SparseView, ev: Columns, B: int) -> None:
        self.base = sum(len(vs) * np.log(sum(w)) for w, vs in c.groups)
        self.fin, self.ninf = np.zeros(B), np.zeros(B, dtype=np.int64)
        self.d: dict[Var, np.ndarray] = {}
        for w, vs in c.groups:
            lw, lt = np.log(np.asarray(w, dtype=float)), np.log(sum(w))
            for v in (v for v in vs if v in ev):
                a = ev[v]
                d = np.where(a >= 0, lw[np.clip(a, 0, None)], lt) - lt
                self.d[v] = d
                self.ninf += d == -np.inf
                self.fin += np.where(d == -np.inf, 0.0, d)

    def log(self) -> np.ndarray:
        return self.base + np.where(self.ninf > 0, -np.inf, self.fin)

    def without(self, X: Var, lt: float) -> np.ndarray:
        """log of the product over the free variables other than X."""
        d = self.d.get(X)
        if d is None:
            return self.log() - lt
        zero = d == -np.inf
        fin, ninf = self.fin - np.where(zero, 0.0, d), self.ninf - zero
        return self.base - lt + np.where(ninf > 0, -np.inf, fin)


def _normalised(part: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """part's rows divided by their sums; NaN where the evidence has probability 0 (the row
    sums to 0, or the free factor is 0) or an entry is not finite."""
    total = part.sum(axis=1, keepdims=True)
    ok = (total > 0) & np.isfinite(part).all(axis=1, keepdims=True) & \
        (scale > -np.inf)[:, None]
    return np.where(ok, part / np.where(ok, total, 1.0), np.nan)


__all__ = ["columns_of_rows", "marginals"]
