"""CNFs of low treewidth by the elimination route into flat arrays (compiler/sources/flat.py).

A clause is a 0/1 factor over its distinct variables (0 exactly at the one assignment that
falsifies every literal; a tautology is no factor; the empty clause a factor 0 over no
variable); a literal weight pair (w(false), w(true)) is a unary factor.  The product of these
factors is the CNF's (weighted) model indicator, so its network polynomial is the SDD route's
function, compiled by variable elimination along a min-fill order with no Python object per
node: the cost follows the treewidth (a 10^6-variable implication chain has width 1).

Properties by the elimination construction (compiler/sources/elimination.py,
elimination_facts): smooth, decomposable, deterministic, X-deterministic for X (`c p show`,
a constraint) eliminated last.  The structured fact is not claimed (no elimination vtree is
built: its nodes hold their variable sets, quadratic on a long chain); an unweighted CNF's node
circuit, built only where an operator needs nodes, is the SDD route's.  Counts come out of float arithmetic: runtime/evaluator.py answers a count
from the arrays only where every value stays below 2^53 (then exact), else the nodes answer.
"""
from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.facts import STRUCTURED
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import BOOL, PROB
from atlasc.compiler.sources.cnfbatch import batch_flat
from atlasc.compiler.sources.flat import flat_model, node_model
from atlasc.compiler.sources.limits import Limits
from atlasc.compiler.sources.model import Factor, MarkovNet
from atlasc.compiler.sources.orders import Order, elimination_order

FLAT_MIN_VARS = 5_000       # below this the SDD route is cheap and keeps its local structure
FLAT_MAX_CELLS = 10**8      # the order's clusters: past this the SDD route may do better
FLAT_MAX_WIDTH = 16         # a clause of more literals is a 2^k table: the SDD route


def clause_factor(c: Sequence[int], vs: Sequence[Var]) -> Factor | None:
    """The clause as a 0/1 table over its distinct variables; None for a tautology."""
    sign: dict[int, bool] = {}
    for lit in c:
        if sign.setdefault(abs(lit), lit > 0) != (lit > 0):
            return None
    table = np.ones((2,) * len(sign))
    table[tuple(0 if s else 1 for s in sign.values())] = 0.0
    return Factor(tuple(vs[i - 1] for i in sign), table)


def cnf_network(clauses: Sequence[Sequence[int]], vs: Sequence[Var],
                weights: dict[Var, tuple[float, float]] | None, name: str) -> MarkovNet:
    facs = [f for f in (clause_factor(c, vs) for c in clauses) if f is not None]
    for v, (w0, w1) in (weights or {}).items():
        if (w0, w1) != (1.0, 1.0):
            facs.append(Factor((v,), np.array([w0, w1], dtype=np.float64)))
    return MarkovNet(tuple(vs), tuple(facs), name=name)


BATCH_MIN_VARS = 5_000      # from this many mentioned variables eliminations go in rounds


def flat_order(clauses: Sequence[Sequence[int]], vs: Sequence[Var], used: int,
               X: frozenset[Var], route: str = "auto") -> Order | str | None:
    """The min-fill order when the elimination route pays for this CNF (many variables,
    narrow clauses, small clusters) or is asked for (`route="flat"`); BATCHED: the same
    route with the order made by batched rounds (compiler/sources/cnfbatch.py, from
    BATCH_MIN_VARS mentioned variables); None: the SDD route."""
    if route == "sdd" or route == "auto" and (
            used < FLAT_MIN_VARS or any(len(c) > FLAT_MAX_WIDTH for c in clauses)):
        return None
    if used >= BATCH_MIN_VARS:
        return BATCHED
    od = elimination_order(vs, [[vs[abs(l) - 1] for l in c] for c in clauses], last=X)
    return od if od.total_cells <= FLAT_MAX_CELLS or route == "flat" else None


BATCHED = "batched"


def flat_cnf(clauses: Sequence[Sequence[int]], vs: Sequence[Var],
             weights: dict[Var, tuple[float, float]] | None, X: frozenset[Var],
             limits: Limits | None, name: str, od: Order | str, info: dict[str, Any],
             sdd: Callable[[], Circuit], route: str = "auto") -> Circuit:
    """The CNF as a FlatView: PROB with weights, else BOOL (its node circuit is `sdd()`);
    an unsatisfiable CNF (a structurally zero root) by the SDD route, `sdd()`; so is a
    batched order whose clusters pass FLAT_MAX_CELLS (unless `route="flat"`)."""
    extra = {**info, "source": "cnf", "clauses": len(clauses)}
    if isinstance(od, Order):
        extra["route_reason"] = _why(vs, od)
        view = flat_model(cnf_network(clauses, vs, weights, name), constrained=X,
                          limits=limits, order=od, info=extra, vtree=False)
        fc = view.flat
    else:
        got = batch_flat(clauses, vs, weights, X, limits, name,
                         None if route == "flat" else FLAT_MAX_CELLS, extra)
        if got is None:
            return sdd()
        fc = got
        fc.info["route_reason"] = _why(vs, fc.info["elimination_order"])
        fc.info["options"] = {"vtree": None, "constrained": X, "nested": ()}
        quiet = dataclasses.replace(limits, progress=None) if limits is not None else None
        view = FlatView(fc, PROB, partial(_batched_nodes, clauses, vs, weights, X, quiet,
                                          fc.info["elimination_order"], extra, name),
                        name=name, facts=dict(fc.facts))
    if (fc.roots == 0).any():
        return sdd()        # unsatisfiable: the node route's zero circuit has no scope
    if weights is not None:
        return view
    fc = dataclasses.replace(fc, vtree=None,
                             facts={p: f for p, f in fc.facts.items() if p != STRUCTURED})
    return FlatView(fc, BOOL, partial(_nodes, sdd), name=name, facts=dict(fc.facts))


def _why(vs: Sequence[Var], od: Order) -> str:
    return (f"{len(vs)} variables; the order's clusters hold {od.total_cells} cells (width "
            f"{od.width}): the cost follows the treewidth")


def _batched_nodes(clauses: Sequence[Sequence[int]], vs: Sequence[Var],
                   weights: dict[Var, tuple[float, float]] | None, X: frozenset[Var],
                   limits: Limits | None, od: Order, info: dict[str, Any], name: str
                   ) -> Circuit:
    """The node circuit of a batched flat CNF: the node route along the same order."""
    return node_model(cnf_network(clauses, vs, weights, name), tuple(X), limits, od, info)


def _nodes(sdd: Callable[[], Circuit]) -> Circuit:
    return sdd()


def used_count(clauses: Iterable[Sequence[int]], X: frozenset[Var]) -> int:
    return len({abs(l) for c in clauses for l in c}) + len(X)


__all__ = ["BATCH_MIN_VARS", "BATCHED", "FLAT_MIN_VARS", "clause_factor", "cnf_network", "flat_cnf", "flat_order",
           "used_count"]
