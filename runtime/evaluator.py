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

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import Columns
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import PROB
from atlasc.runtime import flat
from atlasc.compiler.semirings.wide import SMALLEST_NORMAL
from atlasc.runtime.logspace import from_log, made_twin, rescue, rescue_columns, suspects
from atlasc.runtime.reference import ArrayEval, EvalResult, Row, batch_rows

if TYPE_CHECKING:
    from atlasc.runtime.llvm.linear import Program


class _Later:
    """A module of the LLVM back end, imported at its first use: a run the flat arrays answer
    (bnlearn networks' marginals) does not load llvmlite and the kernels' modules (~70 ms of
    CPU at start-up; tests/test_startup_llvm.py)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        mod: ModuleType = importlib.import_module(self._name)
        return getattr(mod, attr)


llvm = _Later("atlasc.runtime.llvm")
llvm_marginals = _Later("atlasc.runtime.llvm.marginals")
llvm_run = _Later("atlasc.runtime.llvm.run")
llvm_export = _Later("atlasc.runtime.llvm.export")


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
FLAT_NS_PER_EDGE = 40       # numpy layers, per edge and row (pathfinder, all marginals: 3.4 ms)
NODE_NS_PER_NODE = 20_000   # building and linearising the node circuit, per node (andes: 22 us)


def _flat_pays(c: FlatView, rows: int) -> bool:
    """The arrays answer a batch unless building the node circuit and its LLVM kernels once
    costs less than the rows on numpy layers (a large --data batch: the kernels run a row of
    pathfinder's marginals in 0.2 ms against 3.4 ms); a view whose nodes exist already runs
    on them for more than one row."""
    if rows <= 1:
        return True
    if c.materialised:
        return False
    return rows * c.flat.edges * FLAT_NS_PER_EDGE < c.flat.nodes * NODE_NS_PER_NODE


def _flat_evaluate(c: FlatView, evidence: Sequence[Row] | None,
                   assignment: Sequence[Row] | None, argmax: bool) -> EvalResult | None:
    """The view by the flat arrays; None (the node circuit answers, with its log-space rescue)
    when a value underflowed or overflowed the double range."""
    ev, asg, B = batch_rows(evidence, assignment)
    if not _flat_pays(c, B):
        return None
    merged: list[Row] = [{**e, **a} for e, a in zip(ev, asg)]
    res = _flat_columns(c, flat.row_columns(c.flat, merged), {}, B, argmax)
    if res is None:
        return None
    best: list[Row] | None = [{v: int(x[r]) for v, x in res.argmax.items()} for r in range(B)] \
        if res.argmax is not None else None
    logs = res.log if res.log is not None else np.full(len(res.raw), np.nan)
    values = [c.sr.to_py(x) if np.isnan(lg) else from_log(float(lg))
              for x, lg in zip(res.raw, logs)]
    return EvalResult(values, res.raw, best, res.engine)


def _flat_columns(c: FlatView, evidence: Columns, assignment: Columns, rows: int,
                  argmax: bool) -> ArrayEval | None:
    if not _flat_pays(c, rows) or c.sr.name not in FLAT_CARRIERS:
        return None
    cols = dict(evidence)
    for v, x in assignment.items():
        cols[v] = np.where(np.asarray(x) >= 0, x, cols[v]) if v in cols else np.asarray(x)
    watch: list[str] = []
    raw, best = flat.view_values(c, cols, rows, argmax, watch)
    if watch and c.sr.name in WIDE_CARRIERS and not argmax:
        return _wide(c, cols, rows)
    if watch or c.sr.name == "count" and not _exact_counts(raw):
        return None
    if c.sr.name == "count":
        raw = np.array([int(x) for x in raw], dtype=object)
    return ArrayEval(raw, best, "numpy (flat arrays)")


FLAT_CARRIERS = ("prob", "maxprod", "count")   # a Boolean view's arrays hold counts: nodes
WIDE_CARRIERS = ("prob", "maxprod")     # values past the double range: the wide pass


def _wide(c: FlatView, cols: Columns, rows: int) -> ArrayEval | None:
    """The view by the arrays' wide pass (mantissa and binary exponent per slot,
    runtime/flat.py wide_upward) where the doubles left the range: a normal double where the
    value has one, else its carrier (0 or inf) in `raw` and its natural log in `log`; a
    true 0 stays 0.  None (the nodes answer) for a circuit with dense steps."""
    logs = flat.view_logs(c, cols, rows)
    if logs is None:
        return None
    with np.errstate(over="ignore"):
        exact = np.exp(logs)
    plain = np.isneginf(logs) | (exact >= SMALLEST_NORMAL) & np.isfinite(exact)
    raw = np.where(plain, exact, np.where(logs > 0, np.inf, 0.0))
    log = None if plain.all() else np.where(plain, np.nan, logs)
    return ArrayEval(raw, None, "numpy (flat arrays, wide exponents)", log)
EXACT = 2.0**53


def _exact_counts(raw: np.ndarray) -> bool:
    """Counts in doubles are exact when every root is below 2^53: the values are naturals
    under + and x, so a rounded (>= 2^53) value that reaches a root through non-zero
    factors makes that root >= 2^53 too (one multiplied by 0 contributes nothing)."""
    return bool(raw.size == 0 or (np.all(np.isfinite(raw)) and raw.max() < EXACT))


def _flat_marginals(c: FlatView, evidence: Columns, rows: int, vars: Sequence[Var],
                    weights: dict[Var, np.ndarray] | None = None
                    ) -> dict[Var, np.ndarray] | None:
    """All marginals by the flat upward and downward passes, on the model itself (nothing
    summed or maximised); None where a value left the double range (the nodes answer)."""
    if c.summed or c.maxed or c.sr != PROB or not _flat_pays(c, rows):
        return None
    watch: list[str] = []
    out = flat.marginals_columns(c.flat, evidence, rows, vars, weights, watch)
    return None if watch else out


# ---- all single-variable marginals (one upward + one downward pass) ----------------------------
def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]) -> dict[Var, np.ndarray]:
    """P(X = x, e) for every X in `vars`, arrays of shape (rows, |dom X|): the derivative of
    the root with respect to X's leaves, one compiled upward and one compiled downward pass
    (atlasc.runtime.llvm.marginals; the numpy oracle is atlasc.runtime.backward)."""
    if isinstance(c, FlatView) and (out := _flat_marginals(
            c, flat.row_columns(c.flat, list(evidence) or [{}]), max(len(evidence), 1), vars)
    ) is not None:
        return out
    return llvm_marginals.marginals(c, evidence, vars)


# ---- columns: one int array per variable, no per-row Python ---------------------------------
def evaluate_columns(c: Circuit, evidence: Columns, assignment: Columns, rows: int,
                     argmax: bool = False) -> ArrayEval:
    """evidence / assignment: Var -> int array (rows,), -1 where unobserved.  Returns the raw
    values (rows, *elem), the maximising values per maximised variable, and the engine; prob
    and maxprod rows whose value left the double range are recomputed in log space
    (`log`: runtime/logspace.py rescue_columns)."""
    if isinstance(c, FlatView) and \
            (res := _flat_columns(c, evidence, assignment, rows, argmax)) is not None:
        return res
    res = llvm.evaluate_columns(c, evidence, assignment, rows, argmax)
    rescue_columns(c, res, evidence, assignment, llvm.evaluate_columns)
    return res


def marginals_columns(c: Circuit, evidence: Columns, rows: int, vars: Sequence[Var],
                      weights: dict[Var, np.ndarray] | None = None) -> dict[Var, np.ndarray]:
    if isinstance(c, FlatView) and \
            (out := _flat_marginals(c, evidence, rows, vars, weights)) is not None:
        return out
    return llvm_marginals.marginals_columns(c, evidence, rows, vars, weights)


# ---- the program cache: linear programs made once, kept with the compiled program -------------
def prepare(c: Circuit, argmax: bool = False, keep: bool = False) -> dict[str, Program]:
    """Linearise c for a mode now (values; argmax; keep: all marginals); its linear programs
    so far, by mode (numpy tables: picklable), with its log-space twin's if a run made it.  A
    flat view needs nothing made: its arrays are it; once a batch past the break-even ran on
    its node circuit, that circuit's programs are returned (the cache keeps them)."""
    if not isinstance(c, FlatView):
        llvm_run.compiled(c, argmax, keep)
    return _made(c)


TWIN = "log:"       # the twin's modes in what `prepare` returns


def _made(c: Circuit) -> dict[str, Program]:
    if isinstance(c, FlatView) and not c.materialised:
        return {}
    made = dict(llvm_run.programs(c))
    twin = made_twin(c)
    if twin is not None:
        made.update({TWIN + m: p for m, p in llvm_run.programs(twin).items()})
    return made


def adopt(c: Circuit, prepared: dict[str, Program]) -> None:
    if not prepared:
        return
    llvm_run.adopt(c, {m: p for m, p in prepared.items() if not m.startswith(TWIN)})
    twin = made_twin(c)
    if twin is not None:
        llvm_run.adopt(twin, {m[len(TWIN):]: p for m, p in prepared.items()
                              if m.startswith(TWIN)})


def export(c: Circuit, argmax: bool = False) -> tuple[str, bytes]:
    return llvm_export.emit_module(c, argmax), llvm_export.program_npz(c, argmax)


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
