"""The LLVM back end: table-driven kernels compiled once per semiring (`kernels`, `engine`),
programs linear in the circuit (`linear`), batched runs with argmax (`run`)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from compiler.ir.circuit import Circuit
from compiler.ir.nodes import Node
from runtime.llvm.run import Compiled, Overflow, compiled, evidence_codes, to_semiring
from runtime.reference import EvalResult, Row, _broadcast, _maximised_vars


def evaluate(c: Circuit | Node, *, evidence: Sequence[Row] | None = None,
             assignment: Sequence[Row] | None = None, argmax: bool = False) -> EvalResult:
    root = c.root if isinstance(c, Circuit) else c
    if argmax and not root.sr.idempotent:
        raise ValueError(f"argmax needs an idempotent (+); {root.sr.name} is not")
    ev, asg = list(evidence or [{}]), list(assignment or [{}])
    B = max(len(ev), len(asg))
    ev, asg = _broadcast(ev, B), _broadcast(asg, B)
    comp = compiled(c, argmax)
    if comp.prog.exact_only:
        return _exact(c, ev, asg, argmax, "weights exceed int64")
    E = evidence_codes(comp.prog, ev, asg, B)
    try:
        out, am = comp.run(E, argmax)
    except Overflow as e:
        return _exact(c, ev, asg, argmax, str(e))
    raw = to_semiring(root.sr, out[None])[0]
    values = [root.sr.to_py(raw[i]) for i in range(B)]
    rows = _argmax_rows(comp, am, root, ev) if am is not None else None
    return EvalResult(values, raw, rows, engine="llvm")


def _argmax_rows(comp: Compiled, am: np.ndarray, root: Node, ev: list[Row]) -> list[Row]:
    """Rows of maximising values; a variable off the chosen branch gets its evidence or 0."""
    if comp.maxed is None:                       # once per program: a traversal
        comp.maxed = _maximised_vars(root)
    vidx = {v: i for i, v in enumerate(comp.prog.vars)}
    maxed = comp.maxed
    picked = am[[vidx[v] for v in maxed]].T.tolist() if maxed else [[] for _ in ev]
    out = []
    for vals, e in zip(picked, ev):
        out.append({v: x if x >= 0 else (e.get(v) if e.get(v) is not None else 0)
                    for v, x in zip(maxed, vals)})
    return out


def _exact(c: Circuit | Node, ev: list[Row], asg: list[Row], argmax: bool, why: str
           ) -> EvalResult:
    """Counts past int64: exact Python integers (the numpy evaluator), flagged."""
    from runtime.reference import evaluate as ref
    res = ref(c, evidence=ev, assignment=asg, argmax=argmax)
    res.engine = f"exact ({why})"
    return res
