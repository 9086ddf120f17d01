"""All single-variable marginals from one upward and one downward pass, compiled.

The upward pass is the stage kernels with every node keeping its value; the downward pass is
the `backward` kernel (d root / d node, reverse instruction order).  For a smooth and
decomposable prob circuit the root is linear in each input leaf, so for every variable X

    P(X = x, e without X) = sum over X's input leaves L of  d root / d L  *  w_L[x]

(Darwiche's differential semantics; the same definition as `atlasc.runtime.backward`, the numpy
oracle, which also states what is returned for observed variables)."""
from __future__ import annotations

import dataclasses
import weakref
from typing import Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.runtime.llvm.engine import engine
from atlasc.runtime.llvm.linear import Program
from atlasc.runtime.llvm.opcodes import LEAF
from atlasc.runtime.llvm.run import (KEEP_TILE_BYTES, Columns, Compiled, array_codes, compiled,
                                     ptr, rows_to_columns)
from atlasc.runtime.reference import Row


def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]
              ) -> dict[Var, np.ndarray]:
    rows = list(evidence) or [{}]
    prog = compiled(c, False, keep=True).prog
    return marginals_columns(c, rows_to_columns(prog, rows, len(rows)), len(rows), vars)


def marginals_columns(c: Circuit, ev: Columns, B: int, vars: Sequence[Var],
                      weights: dict[Var, np.ndarray] | None = None) -> dict[Var, np.ndarray]:
    """ev: Var -> int array (B,), -1 where unobserved.  weights: Var -> vector (|dom X|,)
    that scales every leaf of X elementwise for this call (soft evidence, the same for every
    row): the program is the circuit's own, with those leaves' weight blocks unshared and
    rewritten in place, so new weights cost no linearisation."""
    if c.sr != PROB:
        raise ValueError(f"marginals need a prob circuit, not {c.sr.name}")
    comp = _soft(c, frozenset(weights)) if weights else compiled(c, False, keep=True)
    p = comp.prog
    rsid = int(p.sr_id[p.root])
    E = array_codes(p, ev, {}, B)
    rows, at = by_rows(vars, B)
    with comp.lock:
        if weights:
            _reweigh(p, rsid, weights)
        _passes(comp, rsid, _input_leaves(p, rsid, vars), E, rows, at)
    return {v: rows[a:a + v.size].T for v, a in at.items()}


def by_rows(vars: Sequence[Var], B: int) -> tuple[np.ndarray, dict[Var, int]]:
    """The tables by rows: one zero array (sum of |dom X|, B) and the row of each variable's
    first value.  X's table (B, |dom X|) is a view of |dom X| rows: P(X = x, e) over the batch
    is one contiguous run of memory, which the gather below fills a tile at a time and an
    output column takes without a copy (compiler/program/frames.py)."""
    at, k = {}, 0
    for v in vars:
        at[v] = k
        k += v.size
    return np.zeros((k, B)), at


# ---- soft weights: the leaves of some variables scaled per call ---------------------------------
_SOFT: "weakref.WeakKeyDictionary[Circuit, dict[frozenset[Var], Compiled]]" = \
    weakref.WeakKeyDictionary()


def _soft(c: Circuit, vs: frozenset[Var]) -> Compiled:
    """The keep program of c with a weight block of its own for every leaf over `vs` (blocks
    are shared by equal weights otherwise); its original weights are kept in `soft_base`."""
    per = _SOFT.setdefault(c, {})
    if vs not in per:
        p = compiled(c, False, keep=True).prog
        rsid = int(p.sr_id[p.root])
        vidx = {v: i for i, v in enumerate(p.vars)}
        wbase, W = p.wbase.copy(), p.weights[rsid]
        grow, base = [W], {}
        at = len(W)
        for v in vs:
            rows = [vidx[v], len(p.vars) + vidx[v]] if v in vidx else []
            idx = np.flatnonzero((p.op == LEAF) & (p.sr_id == rsid) & np.isin(p.lrow, rows))
            base[v] = (idx, W[p.wbase[idx][:, None] + np.arange(v.size)[None, :], 0].copy())
            wbase[idx] = at + (v.size + 2) * np.arange(len(idx), dtype=np.int32)
            at += (v.size + 2) * len(idx)
            grow.append(np.zeros(((v.size + 2) * len(idx), W.shape[1]), W.dtype))
        ws = list(p.weights)
        ws[rsid] = np.concatenate(grow)
        sp = dataclasses.replace(p, wbase=wbase, weights=ws)
        sp.soft_base = base     # type: ignore[attr-defined]
        per[vs] = Compiled(sp, KEEP_TILE_BYTES, 1)
    return per[vs]


def _reweigh(p: Program, rsid: int, weights: dict[Var, np.ndarray]) -> None:
    """Write each soft leaf's block (w * s, sum, 0) in place (the kernels hold its address)."""
    W = p.weights[rsid][:, 0]
    for v, (idx, w0) in p.soft_base.items():     # type: ignore[attr-defined]
        s = np.asarray(weights[v], dtype=float)
        if s.shape != (v.size,):
            raise ValueError(f"weights of {v.name} need shape ({v.size},), got {s.shape}")
        w = w0 * s[None, :]
        block = np.concatenate([w, w.sum(axis=1, keepdims=True), np.zeros((len(idx), 1))],
                               axis=1)
        W[p.wbase[idx][:, None] + np.arange(v.size + 2)[None, :]] = block


def _passes(comp: Compiled, rsid: int, leaves: dict[Var, tuple[np.ndarray, np.ndarray]],
            E: np.ndarray, rows: np.ndarray, at: dict[Var, int]) -> None:
    """Per tile: the upward stages, then the backward kernel, then X's leaves' derivatives
    times their weights, into X's rows of `rows` (by_rows)."""
    p, back = comp.prog, engine().backward()
    B = E.shape[1]
    t = comp.tile(B)
    grad = np.empty((p.nslots[rsid], 1, t.T))
    touched = np.empty(p.nslots[rsid], np.int8)
    tmp = np.empty(2 * t.T)
    every = _Gather(leaves, at)
    dense = {v: lw for v, lw in leaves.items() if v not in every.cols}
    gather = every if every.cols else None
    for r0 in range(0, B, t.T):
        n = min(t.T, B - r0)
        t.E[:, :n] = E[:, r0:r0 + n]
        comp._stages(n, t)
        touched[:] = 0
        touched[p.slot[p.root]] = 1
        grad[p.slot[p.root], 0, :n] = 1.0
        back(p.n, ptr(p.op), ptr(p.sr_id), rsid, ptr(p.slot), ptr(p.cptr), ptr(p.cslot),
             ptr(t.bufs[rsid]), ptr(grad), n, t.T, ptr(tmp), ptr(touched))
        if gather is not None:
            gather.run(grad, touched, r0, n, rows)
        for v, (slots, w) in dense.items():
            g = np.where(touched[slots, None] != 0, grad[slots, 0, :n], 0.0)
            with np.errstate(invalid="ignore", over="ignore"):   # inf x 0: the caller's
                rows[at[v]:at[v] + v.size, r0:r0 + n] = w.T @ g    # overflow check


class _Gather:
    """The variables whose leaves each weigh one value, each a different one (indicators,
    the parameter leaves of compiler/learn): their marginals are one gather of derivatives
    for all of them per tile, not a matrix product per variable."""

    def __init__(self, leaves: dict[Var, tuple[np.ndarray, np.ndarray]],
                 at: dict[Var, int]) -> None:
        self.slots, self.pos, self.val, self.cols = [], [], [], set()
        for v, (slots, w) in leaves.items():
            nz = w != 0
            col, keep = nz.argmax(axis=1), nz.any(axis=1)
            if (nz.sum(axis=1) > 1).any() or len(np.unique(col[keep])) != int(keep.sum()):
                continue
            self.slots.append(slots[keep])
            self.pos.append(at[v] + col[keep])
            self.val.append(w[keep, col[keep]])
            self.cols.add(v)
        if self.cols:
            self.S, self.P = np.concatenate(self.slots), np.concatenate(self.pos)
            self.V = np.concatenate(self.val)[:, None]

    def run(self, grad: np.ndarray, touched: np.ndarray, r0: int, n: int,
            rows: np.ndarray) -> None:
        """The tile's derivatives times weights into their rows of by_rows's array (a value
        no leaf weighs keeps its 0)."""
        g = grad[self.S, 0, :n]
        g[touched[self.S] == 0] = 0.0           # a slot the pass did not reach: garbage
        g *= self.V
        rows[self.P, r0:r0 + n] = g


def _input_leaves(p: Program, rsid: int, vars: Sequence[Var]
                  ) -> dict[Var, tuple[np.ndarray, np.ndarray]]:
    """Per variable: the slots of its input leaves and their weights (leaves, |dom X|)."""
    V = len(p.vars)
    vidx = {v: i for i, v in enumerate(p.vars)}
    W = p.weights[rsid][:, 0]
    inputs = (p.op == LEAF) & (p.sr_id == rsid)
    out = {}
    missing = []
    cand = np.flatnonzero(inputs & (p.lrow >= V))        # the leaves, grouped by variable
    cand = cand[np.argsort(p.lrow[cand], kind="stable")]
    rows = p.lrow[cand].astype(np.int64)
    keys = np.asarray([V + vidx[v] if v in vidx else -1 for v in vars], np.int64)
    lo, hi = np.searchsorted(rows, keys), np.searchsorted(rows, keys, side="right")
    for v, a, z in zip(vars, lo.tolist(), hi.tolist()):
        idx = cand[a:z]
        if not len(idx):
            missing.append(v)
            continue
        w = W[p.wbase[idx][:, None] + np.arange(v.size)[None, :]]
        out[v] = (p.slot[idx], w)
    if missing:
        raise ValueError(f"no input leaf over {', '.join(v.name for v in missing)}")
    return out
