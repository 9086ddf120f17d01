"""All single-variable marginals from one upward and one downward pass, compiled.

The upward pass is the stage kernels with every node keeping its value; the downward pass is
the `backward` kernel (d root / d node, reverse instruction order).  For a smooth and
decomposable prob circuit the root is linear in each input leaf, so for every variable X

    P(X = x, e without X) = sum over X's input leaves L of  d root / d L  *  w_L[x]

(Darwiche's differential semantics; the same definition as `atlasc.runtime.backward`, the numpy
oracle, which also states what is returned for observed variables)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.runtime.llvm.engine import engine
from atlasc.runtime.llvm.linear import Program
from atlasc.runtime.llvm.opcodes import LEAF
from atlasc.runtime.llvm.run import Columns, Compiled, array_codes, compiled, ptr, rows_to_columns
from atlasc.runtime.reference import Row


def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]
              ) -> dict[Var, np.ndarray]:
    rows = list(evidence) or [{}]
    prog = compiled(c, False, keep=True).prog
    return marginals_columns(c, rows_to_columns(prog, rows, len(rows)), len(rows), vars)


def marginals_columns(c: Circuit, ev: Columns, B: int, vars: Sequence[Var]
                      ) -> dict[Var, np.ndarray]:
    """ev: Var -> int array (B,), -1 where unobserved."""
    if c.sr != PROB:
        raise ValueError(f"marginals need a prob circuit, not {c.sr.name}")
    comp = compiled(c, False, keep=True)
    p = comp.prog
    rsid = int(p.sr_id[p.root])
    leaves = _input_leaves(p, rsid, vars)
    E = array_codes(p, ev, {}, B)
    out = {v: np.empty((B, v.size)) for v in vars}
    with comp.lock:
        _passes(comp, rsid, leaves, E, out)
    return out


def _passes(comp: Compiled, rsid: int, leaves: dict[Var, tuple[np.ndarray, np.ndarray]],
            E: np.ndarray, out: dict[Var, np.ndarray]) -> None:
    """Per tile: the upward stages, then the backward kernel, then X's leaves' derivatives
    times their weights."""
    p, back = comp.prog, engine().backward()
    B = E.shape[1]
    t = comp.tile(B)
    grad = np.empty((p.nslots[rsid], 1, t.T))
    touched = np.empty(p.nslots[rsid], np.int8)
    tmp = np.empty(2 * t.T)
    for r0 in range(0, B, t.T):
        n = min(t.T, B - r0)
        t.E[:, :n] = E[:, r0:r0 + n]
        comp._stages(n, t)
        touched[:] = 0
        touched[p.slot[p.root]] = 1
        grad[p.slot[p.root], 0, :n] = 1.0
        back(p.n, ptr(p.op), ptr(p.sr_id), rsid, ptr(p.slot), ptr(p.cptr), ptr(p.cslot),
             ptr(t.bufs[rsid]), ptr(grad), n, t.T, ptr(tmp), ptr(touched))
        for v, (slots, w) in leaves.items():
            g = np.where(touched[slots, None] != 0, grad[slots, 0, :n], 0.0)
            out[v][r0:r0 + n] = g.T @ w


def _input_leaves(p: Program, rsid: int, vars: Sequence[Var]
                  ) -> dict[Var, tuple[np.ndarray, np.ndarray]]:
    """Per variable: the slots of its input leaves and their weights (leaves, |dom X|)."""
    V = len(p.vars)
    vidx = {v: i for i, v in enumerate(p.vars)}
    W = p.weights[rsid][:, 0]
    inputs = (p.op == LEAF) & (p.sr_id == rsid)
    out = {}
    missing = []
    for v in vars:
        idx = np.flatnonzero(inputs & (p.lrow == V + vidx[v])) if v in vidx else np.array([], int)
        if not len(idx):
            missing.append(v)
            continue
        w = W[p.wbase[idx][:, None] + np.arange(v.size)[None, :]]
        out[v] = (p.slot[idx], w)
    if missing:
        raise ValueError(f"no input leaf over {', '.join(v.name for v in missing)}")
    return out
