"""All single-variable marginals at once: one upward and one downward pass (numpy).

Darwiche's differential approach (J. ACM 2003): read the circuit as a polynomial f in the
indicators lambda_{X=x}; an input leaf L over X is sum_x lambda_{X=x} w_L[x].  If the circuit is
smooth and decomposable (docs/atlas.md §2.4, the conditions of aggregation in 3.1), every term of f
holds exactly one leaf of X, so f is linear in lambda_X and

    df/dlambda_{X=x} = sum_{leaves L of X} w_L[x] * df/dL = f(lambda_X = [X = x])
                     = (sum over every variable but X of the circuit, with the evidence)(x).

One upward pass computes every node's value under the evidence, one downward pass every
node's derivative df/dn (the chain rule over sums and products); the marginal of each listed
variable is then a small matrix product over its leaves.  The derivative does not read X's own
evidence: for an observed X the result is the retraction P(X = x, e without X), whose entry at
the observed value is P(e).

The circuit's root must be in prob.  MAP nodes (constant sub-circuits in other semirings) and
aggregated leaves are values of the upward pass only (their scope is empty).  Inner nodes are
grouped by height, so each pass is a few numpy reductions per height, not a loop over nodes.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.runtime.evaluator import evaluate
from atlasc.runtime.reference import Row


@dataclass(frozen=True)
class _Edges:
    """Inner nodes of one operation at one height, with their children flattened."""
    parents: np.ndarray       # node indices
    children: np.ndarray      # child indices, parent after parent
    starts: np.ndarray        # offset of each parent's first child in `children`
    owner: np.ndarray         # for each edge, the position of its parent in `parents`
    by_child: np.ndarray      # the edges sorted by child (scatter-adds become reductions)
    child_starts: np.ndarray  # offset of each distinct child's first edge in `by_child`
    distinct: np.ndarray      # the distinct children, in that order


@dataclass
class _Plan:
    size: int
    root: int
    inputs: dict[Var, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    margins: dict[Var, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    totals: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # no evidence
    consts: list[tuple[int, float]] = field(default_factory=list)
    maps: list[tuple[int, Node]] = field(default_factory=list)
    layers: list[tuple[_Edges | None, _Edges | None]] = field(default_factory=list)


def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]) -> dict[Var, np.ndarray]:
    """P(X = x, e) for each X in `vars` and each evidence row: arrays of shape (B, |dom X|)."""
    if c.sr != PROB:
        raise ValueError(f"marginals need a prob circuit, not {c.sr.name}")
    plan = _plan(c.root)
    rows = list(evidence) or [{}]
    missing = [v for v in vars if v not in plan.inputs]
    if missing:
        raise ValueError(f"no input leaf over {', '.join(v.name for v in missing)}")
    vals, zeros, nonzero = _upward(plan, rows)
    grad = _downward(plan, vals, zeros, nonzero)
    return {v: grad[plan.inputs[v][0]].T @ plan.inputs[v][1] for v in vars}


# ---- the plan: nodes indexed, leaves grouped by variable, inner nodes by height ----------------
@functools.lru_cache(maxsize=16)
def _plan(root: Node) -> _Plan:
    order = topo(root, stop=lambda n: n.op is Op.MAP)   # MAP sources are other semirings
    index = {n.uid: i for i, n in enumerate(order)}
    plan = _Plan(len(order), index[root.uid])
    height = np.zeros(len(order), dtype=np.int64)
    inner: dict[tuple[int, Op], list[int]] = {}
    leaves: dict[tuple[Var, Op], list[int]] = {}
    for i, n in enumerate(order):
        if n.op in (Op.SUM, Op.PROD):
            height[i] = 1 + max(height[index[ch.uid]] for ch in n.children)
            inner.setdefault((int(height[i]), n.op), []).append(i)
        elif n.op in (Op.INPUT, Op.MARGIN):
            leaves.setdefault((n.arg.var, n.op), []).append(i)
        elif n.op is Op.CONST:
            plan.consts.append((i, float(n.arg)))
        else:
            plan.maps.append((i, n))
    for (v, op), idx in leaves.items():
        w = np.array([order[i].arg.weights for i in idx], dtype=float).reshape(len(idx), v.size)
        (plan.inputs if op is Op.INPUT else plan.margins)[v] = (np.array(idx), w)
    plan.totals = [(np.array(i), np.array([order[j].arg.weights for j in i], dtype=float)
                    .reshape(len(i), -1).sum(axis=1)) for i in leaves.values()]
    top = int(height.max()) if len(order) else 0
    plan.layers = [(_edges(inner.get((h, Op.SUM)), order, index),
                    _edges(inner.get((h, Op.PROD)), order, index)) for h in range(1, top + 1)]
    return plan


def _edges(idx: list[int] | None, order: list[Node], index: dict[int, int]) -> _Edges | None:
    if not idx:
        return None
    kids = [[index[ch.uid] for ch in order[i].children] for i in idx]
    counts = np.array([len(k) for k in kids])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    children = np.array([j for k in kids for j in k])
    by_child = np.argsort(children, kind="stable")
    distinct, child_starts = np.unique(children[by_child], return_index=True)
    return _Edges(np.array(idx), children, starts, np.repeat(np.arange(len(idx)), counts),
                  by_child, child_starts, distinct)


# ---- the two passes ---------------------------------------------------------------------------
def _masks(rows: list[Row]) -> dict[Var, np.ndarray]:
    """The evidence masks (rows, |dom X|) of the variables observed in some row."""
    seen: dict[Var, list[tuple[int, int]]] = {}
    for b, r in enumerate(rows):
        for v, x in r.items():
            if x is not None:
                seen.setdefault(v, []).append((b, x))
    out = {}
    for v, obs in seen.items():
        m = np.ones((len(rows), v.size))
        b, x = np.array(obs).T
        m[b] = 0.0
        m[b, x] = 1.0
        out[v] = m
    return out


def _upward(plan: _Plan, rows: list[Row]) -> tuple[np.ndarray, dict[int, np.ndarray],
                                                  dict[int, np.ndarray]]:
    vals = np.empty((plan.size, len(rows)))
    for idx, total in plan.totals:
        vals[idx] = total[:, None]
    masks = _masks(rows)
    for group in (plan.inputs, plan.margins):
        for v in masks.keys() & group.keys():
            idx, w = group[v]
            vals[idx] = w @ masks[v].T
    for i, x in plan.consts:
        vals[i] = x
    for i, n in plan.maps:
        vals[i] = np.asarray(evaluate(n, evidence=rows).raw, dtype=np.float64)
    zeros: dict[int, np.ndarray] = {}
    nonzero: dict[int, np.ndarray] = {}
    for h, (sums, prods) in enumerate(plan.layers):
        if sums is not None:
            vals[sums.parents] = np.add.reduceat(vals[sums.children], sums.starts, axis=0)
        if prods is not None:
            kids = vals[prods.children]
            zeros[h] = np.add.reduceat(kids == 0.0, prods.starts, axis=0)
            nonzero[h] = np.multiply.reduceat(np.where(kids == 0.0, 1.0, kids), prods.starts,
                                              axis=0)
            vals[prods.parents] = np.where(zeros[h] > 0, 0.0, nonzero[h])
    return vals, zeros, nonzero


def _downward(plan: _Plan, vals: np.ndarray, zeros: dict[int, np.ndarray],
              nonzero: dict[int, np.ndarray]) -> np.ndarray:
    grad = np.zeros_like(vals)
    grad[plan.root] = 1.0
    for h in range(len(plan.layers) - 1, -1, -1):
        sums, prods = plan.layers[h]
        if sums is not None:
            _scatter(grad, sums, grad[sums.parents][sums.owner])
        if prods is not None:
            others = _others(vals[prods.children], zeros[h][prods.owner],
                             nonzero[h][prods.owner])
            _scatter(grad, prods, grad[prods.parents][prods.owner] * others)
    return grad


def _scatter(grad: np.ndarray, e: _Edges, per_edge: np.ndarray) -> None:
    """grad[child] += the contributions of its edges (sorted by child, then reduced)."""
    grad[e.distinct] += np.add.reduceat(per_edge[e.by_child], e.child_starts, axis=0)


def _others(kid: np.ndarray, zeros: np.ndarray, nonzero: np.ndarray) -> np.ndarray:
    """The product of a product node's other children, per edge, without dividing by zero:
    the non-zero product over the child when no child is zero, the non-zero product when the
    child is the only zero one, and 0 when another child is zero."""
    safe = np.where(kid == 0.0, 1.0, kid)
    return np.where(zeros == 0, nonzero / safe,
                    np.where((zeros == 1) & (kid == 0.0), nonzero, 0.0))
