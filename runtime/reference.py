"""The numpy reference evaluator: any circuit, any registered semiring, batched over rows.

Inputs per row:
  evidence    Var -> value index: conditions every leaf over that variable (the models), so an
              aggregated leaf sums only the values consistent with the evidence;
  assignment  Var -> value index: the value of a free variable of the result (input leaves only).
A leaf over X computes (+)_x [x allowed] (x) w(x), with x allowed by the evidence and, for input
leaves, by the assignment; an unassigned free variable is summed like an aggregated one.
Argmax: for an idempotent root semiring, the maximising values of the aggregated variables are
recovered by backtracking through the selecting (+)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var

Row = dict[Var, "int | None"]      # an evidence row: value indices; missing or None: unobserved


@dataclass
class ArrayEval:
    """A batch evaluated from columns (the LLVM kernels', or the flat arrays')."""
    raw: np.ndarray                       # (B, *elem) in the root semiring's numpy type
    argmax: dict[Var, np.ndarray] | None  # maximised variable -> value index per row
    engine: str
    log: np.ndarray | None = None         # (B,) natural log of a value beyond the double
    #                                       range (raw holds its carrier 0 or inf), NaN elsewhere


@dataclass
class EvalResult:
    values: list[Any]
    raw: np.ndarray
    argmax: list[Row] | None = None
    engine: str = "numpy"


def evaluate(c: Circuit | Node, *, evidence: Sequence[Row] | None = None,
             assignment: Sequence[Row] | None = None, argmax: bool = False) -> EvalResult:
    root = c.root if isinstance(c, Circuit) else c
    ev, asg, B = batch_rows(evidence, assignment)
    order = topo(root)
    vals = _run(order, ev, asg, B)
    raw = vals[root.uid]
    values = [root.sr.to_py(raw[i]) for i in range(B)]
    am = _argmax(root, vals, ev, B) if argmax else None
    return EvalResult(values, raw, am)


def evaluate_node(n: Node) -> Any:
    """The value of an evidence-free constant sub-circuit."""
    return evaluate(n).values[0]


def batch_rows(evidence: Sequence[Row] | None, assignment: Sequence[Row] | None
               ) -> tuple[list[Row], list[Row], int]:
    """Evidence and assignment rows of one batch (a single row is repeated) and its size."""
    ev, asg = list(evidence or [{}]), list(assignment or [{}])
    B = max(len(ev), len(asg))
    return _broadcast(ev, B), _broadcast(asg, B), B


def _broadcast(rows: list[Row], B: int) -> list[Row]:
    if len(rows) == B:
        return rows
    if len(rows) == 1:
        return rows * B
    raise ValueError(f"evidence and assignment have different numbers of rows ({B})")


def _mask(var: Var, rows: list[Row], B: int) -> np.ndarray:
    m = np.ones((B, var.size), dtype=bool)
    for i, r in enumerate(rows):
        if var in r and r[var] is not None:
            m[i] = False
            m[i, r[var]] = True
    return m


def _run(order: list[Node], ev: list[Row], asg: list[Row], B: int) -> dict[int, np.ndarray]:
    vals: dict[int, np.ndarray] = {}
    masks: dict[tuple[Var, bool], np.ndarray] = {}
    for n in order:
        vals[n.uid] = _node_value(n, vals, masks, ev, asg, B)
    return vals


def _leaf_mask(n: Node, masks: dict[tuple[Var, bool], np.ndarray], ev: list[Row], asg: list[Row], B: int) -> np.ndarray:
    key = (n.arg.var, n.op is Op.INPUT)
    if key not in masks:
        m = _mask(n.arg.var, ev, B)
        masks[key] = m & _mask(n.arg.var, asg, B) if key[1] else m
    return masks[key]


def _node_value(n: Node, vals: dict[int, np.ndarray], masks: dict[tuple[Var, bool], np.ndarray],
                ev: list[Row],
                asg: list[Row], B: int) -> np.ndarray:
    sr = n.sr
    if n.op in (Op.INPUT, Op.MARGIN):
        w = sr.array(list(n.arg.weights))[None]               # (1, k, *elem)
        w = np.broadcast_to(w, (B,) + w.shape[1:])
        masked = sr.where(_leaf_mask(n, masks, ev, asg, B), w, sr.zeros(w.shape[:2]))
        return sr.add_reduce(masked, axis=1)
    if n.op is Op.CONST:
        return sr.full((B,), n.arg)
    if n.op is Op.MAP:
        return n.arg(vals[n.children[0].uid])
    stacked = np.stack([vals[ch.uid] for ch in n.children])
    return sr.add_reduce(stacked, 0) if n.op is Op.SUM else sr.mul_reduce(stacked, 0)


def _argmax(root: Node, vals: dict[int, np.ndarray], ev: list[Row], B: int) -> list[Row]:
    sr = root.sr
    if not sr.idempotent:
        raise ValueError(f"argmax needs an idempotent (+); {sr.name} is not")
    maxed = _maximised_vars(root)
    out = []
    for i in range(B):
        row = _backtrack(root, vals, i, ev[i])
        for v in maxed:
            if v not in row:   # the value does not matter on the chosen branch
                row[v] = ev[i].get(v) if ev[i].get(v) is not None else 0
        out.append(row)
    return out


def _maximised_vars(root: Node) -> list[Var]:
    out: set[Var] = set()
    stack, seen = [root], {root.uid}
    while stack:
        n = stack.pop()
        if n.op is Op.MARGIN and n.sr == root.sr:
            out.add(n.arg.var)
        if n.op is Op.MAP:
            continue
        for ch in n.children:
            if ch.uid not in seen:
                seen.add(ch.uid)
                stack.append(ch)
    return sorted(out)


def _backtrack(root: Node, vals: dict[int, np.ndarray], i: int, ev: Row) -> Row:
    sr = root.sr
    row: Row = {}
    stack = [root]
    while stack:
        n = stack.pop()
        if n.op is Op.SUM:
            kids = np.stack([vals[ch.uid][i] for ch in n.children])
            stack.append(n.children[int(sr.select(kids))])
        elif n.op is Op.PROD:
            stack.extend(n.children)
        elif n.op is Op.MARGIN:
            row[n.arg.var] = _best_value(n, vals, i, ev)
    return row


def _best_value(n: Node, vals: dict[int, np.ndarray], i: int, ev: Row) -> int:
    """The value of an aggregated leaf's variable that attains the leaf's (+)-sum at row i."""
    sr, var = n.sr, n.arg.var
    seen = ev.get(var)
    allowed = [seen] if seen is not None else list(range(var.size))
    w = sr.array([n.arg.weights[j] for j in allowed])
    return allowed[int(sr.select(w))]
