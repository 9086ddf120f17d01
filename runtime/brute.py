"""Brute force: functions as full tables over their variables, and the three operators at the
function level (docs/atlas.md §3).  This is the test oracle: it never looks at circuit structure,
except to tabulate a source circuit pointwise at every assignment."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterable, Mapping as MappingT

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.semirings.base import Semiring


@dataclass
class Table:
    vars: tuple[Var, ...]          # axis order (sorted by name)
    sr: Semiring
    values: np.ndarray             # shape (|dom v| for v in vars) + sr.elem_shape

    def at(self, assignment: MappingT[Var, int]) -> Any:
        idx = tuple(assignment[v] for v in self.vars)
        return self.sr.to_py(self.values[idx])

    def items(self) -> Iterable[tuple[dict[Var, int], Any]]:
        for idx in itertools.product(*(range(v.size) for v in self.vars)):
            a = dict(zip(self.vars, idx))
            yield a, self.at(a)


def assignments(vs: Iterable[Var]) -> list[dict[Var, int]]:
    vs = sorted(vs)
    return [dict(zip(vs, idx)) for idx in itertools.product(*(range(v.size) for v in vs))]


def table_of(c: Circuit | Node, vars: Iterable[Var] | None = None) -> Table:
    """Tabulate a circuit pointwise: leaves read the assignment, sums and products apply."""
    root = c.root if isinstance(c, Circuit) else c
    order = topo(root)
    vs = tuple(sorted(vars if vars is not None else
                      {n.arg.var for n in order if n.op is Op.INPUT}))
    grid = assignments(vs)
    B = len(grid)
    vals: dict[int, np.ndarray] = {}
    for n in order:
        vals[n.uid] = _pointwise(n, vals, grid, B)
    shape = tuple(v.size for v in vs) + root.sr.elem_shape
    return Table(vs, root.sr, vals[root.uid].reshape(shape))


def _pointwise(n: Node, vals: dict[int, np.ndarray], grid: list[dict[Var, int]],
               B: int) -> np.ndarray:
    sr = n.sr
    if n.op is Op.INPUT:
        return sr.array([n.arg.weights[a[n.arg.var]] for a in grid])
    if n.op is Op.MARGIN:
        w = sr.array(list(n.arg.weights))
        return sr.array([sr.to_py(sr.add_reduce(w, 0))] * B)
    if n.op is Op.CONST:
        return sr.array([n.arg] * B)
    if n.op is Op.MAP:
        return n.arg(vals[n.children[0].uid])
    acc = vals[n.children[0].uid]
    for ch in n.children[1:]:
        acc = sr.add(acc, vals[ch.uid]) if n.op is Op.SUM else sr.mul(acc, vals[ch.uid])
    return acc


def aggregate(t: Table, W: Iterable[Var]) -> Table:
    W = set(W)
    vals = t.values
    for axis in reversed(range(len(t.vars))):
        if t.vars[axis] in W:
            vals = t.sr.add_reduce(vals, axis)
    keep = tuple(v for v in t.vars if v not in W)
    return Table(keep, t.sr, np.asarray(vals))


def _expand(t: Table, vs: tuple[Var, ...]) -> np.ndarray:
    """t's values broadcast to the axes `vs` (a superset of t.vars, sorted)."""
    perm = [t.vars.index(v) for v in vs if v in t.vars]
    ne = len(t.sr.elem_shape)
    vals = np.transpose(t.values, perm + list(range(len(t.vars), len(t.vars) + ne)))
    shape = tuple(v.size if v in t.vars else 1 for v in vs) + t.sr.elem_shape
    full = tuple(v.size for v in vs) + t.sr.elem_shape
    return np.broadcast_to(vals.reshape(shape), full)


def multiply(*ts: Table) -> Table:
    vs = tuple(sorted(set().union(*(t.vars for t in ts))))
    sr = ts[0].sr
    acc = _expand(ts[0], vs)
    for t in ts[1:]:
        acc = sr.mul(acc, _expand(t, vs))
    return Table(vs, sr, np.array(acc))


def apply(t: Table, tau: Mapping) -> Table:
    ne = len(t.sr.elem_shape)
    flat = t.values.reshape((-1,) + t.sr.elem_shape)
    out = tau(flat)
    return Table(t.vars, tau.dst, out.reshape(t.values.shape[:t.values.ndim - ne] +
                                              tau.dst.elem_shape))


def condition(t: Table, evidence: MappingT[Var, int]) -> Table:
    ind = []
    for v, x in evidence.items():
        w = t.sr.array([t.sr.one if i == x else t.sr.zero for i in range(v.size)])
        ind.append(Table((v,), t.sr, w))
    return multiply(t, *ind) if ind else t
