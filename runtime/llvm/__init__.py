"""The LLVM back end: table-driven kernels compiled once per semiring (`kernels`, `engine`),
programs linear in the circuit (`linear`), batched runs with argmax (`run`).

Two entry points: `evaluate` takes rows of {Var: value index} (the reference evaluator's
interface); `evaluate_columns` takes one int array per variable (-1: unobserved) and returns
arrays, with no per-row Python work -- the path for large batches."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.runtime.llvm.run import (Columns, Compiled, Overflow, array_codes, compiled,
                              rows_to_columns, to_semiring)
from atlasc.runtime.reference import (ArrayEval, EvalResult, Row, _maximised_vars,
                                      batch_rows)
from atlasc.runtime.reference import evaluate as ref


def evaluate(c: Circuit | Node, *, evidence: Sequence[Row] | None = None,
             assignment: Sequence[Row] | None = None, argmax: bool = False) -> EvalResult:
    root = c.root if isinstance(c, Circuit) else c
    ev, asg, B = batch_rows(evidence, assignment)
    prog = compiled(c, argmax).prog
    res = evaluate_columns(c, rows_to_columns(prog, ev, B), rows_to_columns(prog, asg, B), B,
                           argmax)
    values = [root.sr.to_py(res.raw[i]) for i in range(B)]
    rows = None
    if res.argmax is not None:
        cols = {v: a.tolist() for v, a in res.argmax.items()}
        rows = [{v: col[b] for v, col in cols.items()} for b in range(B)]
    return EvalResult(values, res.raw, rows, engine=res.engine)


def evaluate_columns(c: Circuit | Node, ev: Columns, asg: Columns, B: int,
                     argmax: bool = False) -> ArrayEval:
    """ev / asg: Var -> int array (B,), -1 where unobserved / unassigned."""
    root = c.root if isinstance(c, Circuit) else c
    if argmax and not root.sr.idempotent:
        raise ValueError(f"argmax needs an idempotent (+); {root.sr.name} is not")
    comp = compiled(c, argmax)
    if comp.prog.exact_only:
        return _exact(c, ev, asg, B, argmax, "weights exceed int64")
    try:
        out, am = comp.run(array_codes(comp.prog, ev, asg, B), argmax)
    except Overflow as e:
        return _exact(c, ev, asg, B, argmax, str(e))
    raw = to_semiring(root.sr, out[None])[0]
    return ArrayEval(raw, _argmax_columns(comp, am, root, ev, B) if am is not None else None,
                     "llvm")


def _argmax_columns(comp: Compiled, am: np.ndarray, root: Node, ev: Columns, B: int
                    ) -> dict[Var, np.ndarray]:
    """Maximising values; a variable off the chosen branch gets its evidence or 0."""
    if comp.maxed is None:                       # once per program: a traversal
        comp.maxed = _maximised_vars(root)
    vidx = {v: i for i, v in enumerate(comp.prog.vars)}
    out = {}
    for v in comp.maxed:
        e = ev.get(v)
        fill = np.maximum(e, 0) if e is not None else 0
        out[v] = np.where(am[vidx[v]] >= 0, am[vidx[v]], fill)
    return out


def _rows(cols: Columns, B: int) -> list[Row]:
    lists = {v: np.broadcast_to(a, (B,)).tolist() for v, a in cols.items()}
    return [{v: x[b] for v, x in lists.items() if x[b] >= 0} for b in range(B)]


def _exact(c: Circuit | Node, ev: Columns, asg: Columns, B: int, argmax: bool, why: str
           ) -> ArrayEval:
    """Counts past int64: exact Python integers (the numpy evaluator), flagged."""
    res = ref(c, evidence=_rows(ev, B), assignment=_rows(asg, B), argmax=argmax)
    cols: dict[Var, Any] | None = None
    if res.argmax is not None:
        keys = sorted({v for r in res.argmax for v in r})
        cols = {v: np.asarray([r[v] for r in res.argmax]) for v in keys}
    return ArrayEval(res.raw, cols, f"exact ({why})")
