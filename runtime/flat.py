"""The numpy evaluator of flat circuits (compiler/ir/flat.py): per step one gather per joined
table, an elementwise product and a segment sum (np.bincount), so an upward pass costs a few
array operations per elimination step, whatever the number of nodes.

`marginals` adds the downward pass: the derivative of the root with respect to every slot,
step by step in reverse, each product's derivative times the other children scattered back
into the blocks of the tables it read (again np.bincount); P(v = i, e) is the derivative with
respect to the indicator [v = i], which only the step eliminating v reads.  `mmap` replaces
the sum by a maximum on the steps of the constrained variables (eliminated last) and decodes
the maximising assignment top-down.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from atlasc.compiler.ir.flat import FlatCircuit, FlatView, Step
from atlasc.compiler.ir.variables import Var

Row = Mapping[Var, int]                 # observed value index per variable


def lambdas(fc: FlatCircuit, row: Row | None = None,
            weights: Mapping[Var, np.ndarray] | None = None) -> dict[Var, np.ndarray]:
    """The indicator values of every variable: one-hot where observed, times soft weights."""
    out = {}
    for v in fc.variables:
        lam = np.ones(v.size)
        if row is not None and row.get(v, -1) >= 0:
            lam = np.zeros(v.size)
            lam[row[v]] = 1.0
        if weights is not None and v in weights:
            lam = lam * np.asarray(weights[v], dtype=np.float64)
        out[v] = lam
    return out


def _children(s: Step, vals: np.ndarray) -> list[np.ndarray]:
    return [vals[g] for g in s.gathers]


def _product(s: Step, lam: np.ndarray, vals: np.ndarray) -> np.ndarray:
    p = lam[s.value]
    for c in _children(s, vals):
        p = p * c
    return p


def _segment_max(s: Step, p: np.ndarray) -> np.ndarray:
    out = np.zeros(s.size)
    if p.size:
        starts = np.flatnonzero(np.r_[True, s.seg[1:] != s.seg[:-1]])
        out[s.seg[starts]] = np.maximum.reduceat(p, starts)
    return out


TINY = np.finfo(np.float64).tiny      # the smallest normal double


def upward(fc: FlatCircuit, lam: Mapping[Var, np.ndarray],
           maxed: frozenset[Var] = frozenset(), watch: list[str] | None = None) -> np.ndarray:
    """The value of every slot (sums, or maxima on the steps of `maxed`).  `watch` collects
    the variables whose step left the double range (a product of non-zero factors that is 0
    or subnormal, or an infinite sum): a 0 elsewhere is exact (parameters are non-zero)."""
    vals = np.zeros(fc.slots)
    vals[:fc.leaf_slots] = fc.params
    for s in fc.steps:
        p = _product(s, lam[s.var], vals)
        block = _segment_max(s, p) if s.var in maxed else \
            np.bincount(s.seg, p, minlength=s.size)
        if watch is not None and _left_range(s, lam[s.var], vals, p, block):
            watch.append(s.var.name)
        vals[s.out:s.out + s.size] = block
    return vals


def _left_range(s: Step, lam: np.ndarray, vals: np.ndarray, p: np.ndarray,
                block: np.ndarray) -> bool:
    if block.size and not np.isfinite(block.max()):
        return True
    if not p.size or p.min() >= TINY:
        return False
    nonzero = lam[s.value] != 0
    for c in _children(s, vals):
        nonzero &= c != 0
    return bool((p[nonzero] < TINY).any())


def root_value(fc: FlatCircuit, vals: np.ndarray) -> float:
    return float(np.prod(vals[fc.roots])) if fc.roots.size else 1.0


def value(fc: FlatCircuit, row: Row | None = None) -> float:
    """The network polynomial at the evidence `row` (P(e) for a Bayesian network)."""
    return root_value(fc, upward(fc, lambdas(fc, row)))


def _others(cs: list[np.ndarray]) -> list[np.ndarray]:
    """For each j, the product of cs[k] over k != j (prefix times suffix: no division)."""
    n = len(cs)
    pre, suf = [np.ones_like(cs[0])] * (n + 1), [np.ones_like(cs[0])] * (n + 1)
    for j in range(n):
        pre[j + 1] = pre[j] * cs[j]
        suf[n - 1 - j] = suf[n - j] * cs[n - 1 - j]
    return [pre[j] * suf[j + 1] for j in range(n)]


def _down_step(fc: FlatCircuit, s: Step, lam: np.ndarray, vals: np.ndarray,
               d: np.ndarray) -> np.ndarray:
    """Scatter step s's derivatives into the blocks it read; return d/d[indicator of s.var]."""
    dp = d[s.out + s.seg]
    cs = _children(s, vals)
    if not cs:
        return np.bincount(s.value, dp, minlength=s.var.size)
    rest = _others(cs)
    full = rest[0] * cs[0]
    ind = lam[s.value]
    for g, src, r in zip(s.gathers, s.sources, rest):
        if src >= 0:
            o = fc.steps[src]
            d[o.out:o.out + o.size] += np.bincount(g - o.out, dp * ind * r, minlength=o.size)
    return np.bincount(s.value, dp * full, minlength=s.var.size)


def derivatives(fc: FlatCircuit, lam: Mapping[Var, np.ndarray], vals: np.ndarray
                ) -> dict[Var, np.ndarray]:
    """d root / d [v = i] for every variable v (the joint P(v = i, e) of a network)."""
    d = np.zeros(fc.slots)
    if fc.roots.size:
        rv = vals[fc.roots]
        for k, o in enumerate(_others([rv[i:i + 1] for i in range(rv.size)])):
            d[fc.roots[k]] += o[0]
    out = {v: np.zeros(v.size) for v in fc.variables}
    for s in reversed(fc.steps):
        out[s.var] = _down_step(fc, s, lam[s.var], vals, d)
    return out


def marginals(fc: FlatCircuit, rows: Sequence[Row | None], vars: Sequence[Var],
              weights: Mapping[Var, np.ndarray] | None = None,
              watch: list[str] | None = None) -> dict[Var, np.ndarray]:
    """P(X = x, e) for every X in `vars` and every evidence row: arrays (rows, |dom X|);
    `watch` as for `upward`, plus the variables whose marginal has a subnormal entry."""
    out = {v: np.zeros((len(rows), v.size)) for v in vars}
    for r, row in enumerate(rows):
        lam = lambdas(fc, row, weights)
        ds = derivatives(fc, lam, upward(fc, lam, watch=watch))
        if watch is not None:
            watch += [v.name for v in vars if ((ds[v] > 0) & (ds[v] < TINY)).any()
                      or not np.isfinite(ds[v]).all()]
        for v in vars:
            out[v][r] = ds[v]
    return out


def mmap(fc: FlatCircuit, row: Row | None, X: Sequence[Var]) -> tuple[float, dict[Var, int]]:
    """max over x of the polynomial with X = x summed over the rest, and a maximising x; X must
    be the constrained variables fc was compiled with (eliminated last)."""
    maxed = frozenset(X)
    if maxed != fc.info.get("constrained", frozenset()):
        raise ValueError("mmap needs the flat circuit compiled with these variables constrained")
    lam = lambdas(fc, row)
    vals = upward(fc, lam, maxed)
    best: dict[Var, int] = {}
    for s in reversed(fc.steps):
        if s.var in maxed:
            best[s.var] = _decode(s, lam[s.var], vals, best)
    return root_value(fc, vals), best


def _decode(s: Step, lam: np.ndarray, vals: np.ndarray, best: dict[Var, int]) -> int:
    cell = 0
    for u in s.keys:
        cell = cell * u.size + best[u]
    mine = np.flatnonzero(s.seg == cell)
    if not mine.size:
        return 0
    p = lam[s.value[mine]]
    for g in s.gathers:
        p = p * vals[g[mine]]
    return int(s.value[mine][int(np.argmax(p))])


# ---- FlatView (compiler/ir/flat.py): the seam's entry points on a view of a flat circuit ------
def view_values(c: FlatView, rows: Sequence[Row], argmax: bool = False,
                watch: list[str] | None = None
                ) -> tuple[np.ndarray, list[dict[Var, int]] | None]:
    """The view at each row (evidence and assignment merged): the flat circuit's upward pass
    with maxima on the steps of `c.maxed` (its summed variables are unobserved in `rows`, so
    their indicators are 1); the maximising values of `c.maxed` per row if `argmax`."""
    fc = c.flat
    raw, best = np.empty(len(rows)), [] if argmax else None
    for r, row in enumerate(rows):
        lam = lambdas(fc, row)
        vals = upward(fc, lam, c.maxed, watch)
        raw[r] = root_value(fc, vals)
        if best is not None:
            best.append(_decode_all(fc, lam, vals, c.maxed, row))
    return raw, best


def _decode_all(fc: FlatCircuit, lam: Mapping[Var, np.ndarray], vals: np.ndarray,
                maxed: frozenset[Var], row: Row) -> dict[Var, int]:
    known = {v: x for v, x in row.items() if x is not None and x >= 0}
    for s in reversed(fc.steps):
        if s.var in maxed and s.var not in known:
            known[s.var] = _decode(s, lam[s.var], vals, known)
    return {v: known[v] for v in maxed if v in known}


def column_rows(cols: Mapping[Var, np.ndarray], B: int) -> list[dict[Var, int]]:
    """Columns (Var -> int array, -1 unobserved) as rows of observed values."""
    items = [(v, np.asarray(x)) for v, x in cols.items()]
    return [{v: int(x[b]) for v, x in items if x[b] >= 0} for b in range(B)]


__all__ = ["column_rows", "derivatives", "lambdas", "marginals", "mmap", "upward", "value",
           "view_values"]
