"""The runtime's side of the seam (compiler/ir/evaluation.py): the LLVM-compiled evaluators.

`evaluate(c, evidence=rows, assignment=rows, argmax=bool)` returns an `EvalResult` (values,
raw array, argmax rows, the engine that ran).  It runs the LLVM-compiled evaluator
(`atlasc.runtime.llvm`); the numpy evaluator of `atlasc.runtime.reference` is the test oracle,
not a fallback.  The one exception is exactness: counts that leave int64 are recomputed with
Python integers (`engine` says so), never returned wrapped; prob and maxprod values that leave
the double range (0, subnormal or inf) are recomputed in log space (runtime/logspace.py), never
printed as 0.  `LLVM` bundles the four entry
points as the `Evaluator` that `atlasc/__init__.py` installs.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.runtime import flat, llvm
from atlasc.runtime.llvm import marginals as llvm_marginals
from atlasc.runtime.llvm import run as llvm_run
from atlasc.runtime.llvm.export import emit_module, program_npz
from atlasc.runtime.llvm.linear import Program
from atlasc.runtime.llvm.run import Columns
from atlasc.runtime.logspace import rescue, suspects
from atlasc.runtime.reference import EvalResult, Row, batch_rows


def evaluate(c: Circuit | Node, *, evidence: Sequence[Row] | None = None,
             assignment: Sequence[Row] | None = None, argmax: bool = False) -> EvalResult:
    if isinstance(c, FlatView) and (res := _flat_evaluate(c, evidence, assignment, argmax)):
        return res
    res = llvm.evaluate(c, evidence=evidence, assignment=assignment, argmax=argmax)
    if isinstance(c, Circuit) and suspects(res.values):
        ev, asg, _ = batch_rows(evidence, assignment)
        rescue(c, res.values, ev, asg, res.argmax, llvm.evaluate)    # runtime/logspace.py
    return res


# ---- flat views (compiler/ir/flat.py): numpy layers, or nodes where a value leaves the range --
def _flat_evaluate(c: FlatView, evidence: Sequence[Row] | None,
                   assignment: Sequence[Row] | None, argmax: bool) -> EvalResult | None:
    """The view by the flat arrays; None (the node circuit answers, with its log-space rescue)
    when a value underflowed or overflowed the double range."""
    ev, asg, B = batch_rows(evidence, assignment)
    watch: list[str] = []
    raw, best = flat.view_values(c, [{**e, **a} for e, a in zip(ev, asg)], argmax, watch)
    values = [c.sr.to_py(x) for x in raw]
    return None if watch else EvalResult(values, raw, best, "numpy (flat arrays)")


def _flat_columns(c: FlatView, evidence: Columns, assignment: Columns, rows: int,
                  argmax: bool) -> llvm.ArrayEval | None:
    res = _flat_evaluate(c, flat.column_rows(evidence, rows),
                         flat.column_rows(assignment, rows), argmax)
    if res is None:
        return None
    am = {v: np.array([r[v] for r in res.argmax], np.int64) for v in c.maxed} \
        if res.argmax is not None else None
    return llvm.ArrayEval(res.raw, am, res.engine)


def _flat_marginals(c: FlatView, rows: Sequence[Row], vars: Sequence[Var],
                    weights: dict[Var, np.ndarray] | None = None
                    ) -> dict[Var, np.ndarray] | None:
    """All marginals by the flat upward and downward passes, on the model itself (nothing
    summed or maximised); None where P(e) left the double range (the nodes answer)."""
    if c.summed or c.maxed or c.sr != PROB:
        return None
    watch: list[str] = []
    out = flat.marginals(c.flat, list(rows) or [{}], vars, weights, watch)
    return None if watch else out


# ---- all single-variable marginals (one upward + one downward pass) ----------------------------
def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]) -> dict[Var, np.ndarray]:
    """P(X = x, e) for every X in `vars`, arrays of shape (rows, |dom X|): the derivative of
    the root with respect to X's leaves, one compiled upward and one compiled downward pass
    (atlasc.runtime.llvm.marginals; the numpy oracle is atlasc.runtime.backward)."""
    if isinstance(c, FlatView) and (out := _flat_marginals(c, evidence, vars)) is not None:
        return out
    return llvm_marginals.marginals(c, evidence, vars)


# ---- columns: one int array per variable, no per-row Python ---------------------------------
def evaluate_columns(c: Circuit, evidence: Columns, assignment: Columns, rows: int,
                     argmax: bool = False) -> llvm.ArrayEval:
    """evidence / assignment: Var -> int array (rows,), -1 where unobserved.  Returns the raw
    values (rows, *elem), the maximising values per maximised variable, and the engine."""
    if isinstance(c, FlatView) and \
            (res := _flat_columns(c, evidence, assignment, rows, argmax)) is not None:
        return res
    return llvm.evaluate_columns(c, evidence, assignment, rows, argmax)


def marginals_columns(c: Circuit, evidence: Columns, rows: int, vars: Sequence[Var],
                      weights: dict[Var, np.ndarray] | None = None) -> dict[Var, np.ndarray]:
    if isinstance(c, FlatView) and (out := _flat_marginals(
            c, flat.column_rows(evidence, rows), vars, weights)) is not None:
        return out
    return llvm_marginals.marginals_columns(c, evidence, rows, vars, weights)


# ---- the program cache: linear programs made once, kept with the compiled program -------------
def prepare(c: Circuit, argmax: bool = False, keep: bool = False) -> dict[str, Program]:
    """Linearise c for a mode now (values; argmax; keep: all marginals); its linear programs
    so far, by mode (numpy tables: picklable).  A flat view needs nothing: its arrays are it."""
    if isinstance(c, FlatView):
        return {}
    llvm_run.compiled(c, argmax, keep)
    return llvm_run.programs(c)


def adopt(c: Circuit, prepared: dict[str, Program]) -> None:
    if isinstance(c, FlatView):
        return
    llvm_run.adopt(c, prepared)


def export(c: Circuit, argmax: bool = False) -> tuple[str, bytes]:
    return emit_module(c, argmax), program_npz(c, argmax)


class _LLVM:
    """The compiled back end as the compiler's `Evaluator`."""
    evaluate = staticmethod(evaluate)
    evaluate_columns = staticmethod(evaluate_columns)
    marginals = staticmethod(marginals)
    marginals_columns = staticmethod(marginals_columns)
    prepare = staticmethod(prepare)
    adopt = staticmethod(adopt)
    export = staticmethod(export)


LLVM = _LLVM()
