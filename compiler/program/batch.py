"""Large batches: evidence as an integer array in, arrays out.

`Query.run_array(evidence, columns)` answers B rows of evidence at once with no Python work
per row: evidence is an int array (B, len(columns)) of value indices, -1 where a variable is
unobserved (indices, not values: on `var X : {1, 2, 3}` index 0 is the value 1;
`Program.indices(values, columns)` converts values, read as `run` reads them).  A query with free variables F returns a table per row, over all K = prod |dom f|
assignments of F in `assignments` order; an assignment that contradicts the row's evidence on
F gets the semiring's zero (where `run` would leave it out).  Maximising queries also return,
per maximised variable, the maximising value index of every (row, assignment).

The checks are those of `run`: evidence on a variable that the query also aggregates is an
error and run-time evidence on a PASP query may observe probabilistic facts only.  Entries
that a row leaves undefined (zero-probability evidence, positivity of an adjustment:
compiler/program/undefined.py) are NaN, `undefined` is their (B, K) mask and `why(b, k)` the
reason; the other rows are unaffected.  PASP
maxent/credal queries also return, per call, the mass of the inconsistent total choices under
each row's evidence (`inconsistent`, as `run` flags them row by row).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from atlasc.compiler.errors import QueryError, QueryTypeError
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.sparse import SparseView
from atlasc.compiler.program import folded, frames, freemarg
from atlasc.compiler.program.marginals import conditionals, rescue
from atlasc.compiler.program.pasp import check_run_evidence
from atlasc.compiler.semirings.wide import Wide
from atlasc.compiler.program.undefined import (Undefined, WithOverflow, overflow,
                                               overflow_mask, undefined)

if TYPE_CHECKING:
    from atlasc.compiler.program.program import Query

Columns = dict[Var, np.ndarray]
INDICES_HINT = ("run_array takes value indices, not values (on var X : {1, 2, 3} the index 0 "
                "is the value 1); Program.indices(values, columns) converts values")


@dataclass
class ArrayResult:
    """A query's values for a batch of rows, as arrays."""
    name: str
    semiring: str
    free: tuple[Var, ...]
    assignments: np.ndarray               # (K, |free|) value indices: the table's entries
    values: np.ndarray                    # (B, K, *elem)
    argmax: dict[str, np.ndarray] | None  # maximised variable -> (B, K) value indices
    engine: str                           # "llvm", or "exact (...)" for counts past int64
    inconsistent: dict[str, np.ndarray] | None = None   # PASP call -> (B,) mass per row
    undefined: np.ndarray | None = None   # (B, K) True where the entry is undefined (NaN)
    reasons: Undefined | WithOverflow | None = field(default=None, repr=False)
    domains: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # argmax
    log: np.ndarray | None = None         # (B, K) natural log of each entry beyond the double
    #   range (a prob below 2.2e-308 or above 1.8e308: NaN in values, never 0), NaN elsewhere

    @property
    def wide(self) -> np.ndarray | None:
        """(B, K) True where the value is beyond the double range and held by `log`."""
        return None if self.log is None else ~np.isnan(self.log)

    def to_arrow(self, start: int = 0) -> Any:
        """One row per evidence row, a column per entry (compiler/program/frames.py)."""
        return frames.table(start, self.values.shape[0], [self])

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def to_numpy(self) -> np.ndarray:
        """The values (rows, entries, *elem), NaN where undefined (no copy)."""
        return frames.to_numpy(self)

    def why(self, row: int, k: int) -> str | None:
        """Why entry k of row `row` is undefined (None if it is defined)."""
        return self.reasons.why(row, k) if self.reasons is not None else None

    def beyond(self, row: int, k: int) -> str | None:
        """The value of entry k of row `row` as text when it is beyond the double range."""
        if self.log is None or np.isnan(self.log[row, k]):
            return None
        log = float(self.log[row, k])
        return (f"{Wide.of_log(log)} is beyond the double range of {self.semiring}; its "
                f"natural log is {log!r}")


@dataclass
class ArrayMarginals:
    name: str
    vars: tuple[Var, ...]
    joint: dict[str, np.ndarray]          # X -> (B, |dom X|): P(X = x, e)
    joint_log: dict[str, np.ndarray] | None = None    # its natural log (free variables)
    lost: dict[int, float] = field(default_factory=dict)     # row -> log P(e) (marginals.py)

    _cond: dict[str, np.ndarray] | None = field(default=None, init=False, repr=False)

    @property
    def conditional(self) -> dict[str, np.ndarray]:
        """P(X = x | e), NaN (undefined) in the rows whose evidence has probability 0
        (normalised once for the batch)."""
        if self._cond is None:
            self._cond = conditionals(self.joint)
        return self._cond

    def to_arrow(self, start: int = 0) -> Any:
        rows = next(iter(self.joint.values())).shape[0] if self.joint else 0
        return frames.table(start, rows, [self])

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def to_numpy(self) -> np.ndarray:
        """P(X = x | e) of every variable side by side: (rows, sum of the domain sizes)."""
        return frames.to_numpy(self)


def run_array(q: "Query", evidence: np.ndarray, columns: Sequence[str]
              ) -> ArrayResult | ArrayMarginals:
    if q.circuit is None:
        assert q.error is not None
        raise q.error
    ev, B = columns_of(q, evidence, columns)
    return run_columns(q, ev, B)


def run_columns(q: "Query", ev: Columns, B: int) -> ArrayResult | ArrayMarginals:
    """run_array on evidence columns (Var -> (B,) value indices, -1: unobserved)."""
    if q.circuit is None:
        assert q.error is not None
        raise q.error
    _check(q, ev, B)
    if isinstance(q.typed, Ty.TMarginals):
        targets = q.typed.targets
        if isinstance(q.circuit, SparseView):          # free variables: program/freemarg.py
            joint, logs, cond = freemarg.marginals(q.circuit, ev, B, targets)
            marg = ArrayMarginals(q.name, targets, {v.name: joint[v] for v in targets},
                                  {v.name: logs[v] for v in targets})
            marg._cond = {v.name: cond[v] for v in targets}
            return marg
        joint = evaluator().marginals_columns(q.circuit, ev, B, list(targets))
        marg = ArrayMarginals(q.name, targets, {v.name: joint[v] for v in targets})
        rescue(marg, q.circuit, ev)       # tables that underflowed: from logs
        return marg
    out = _table(q, q.circuit, ev, B)
    if q.inconsistent:
        out.inconsistent = _flags(q, ev, B)
    und = undefined(q.guards, q.typed.summed, ev, B, q.free)
    if und is not None:
        out.values = np.where(und.mask.reshape(und.mask.shape + (1,) * (out.values.ndim - 2)),
                              np.nan, out.values.astype(float))
        out.undefined, out.reasons = und.mask, und
    over = overflow_mask(out.values, q.semiring)
    if out.log is not None:
        over &= np.isnan(out.log)       # held by its log, not lost
    if over.any():
        out.reasons = WithOverflow(und, over, overflow(math.inf, q.semiring) or "overflow")
        out.undefined = out.reasons.mask
        out.values = np.where(over.reshape(over.shape + (1,) * (out.values.ndim - 2)), np.nan,
                              out.values)
    return out


def _flags(q: "Query", ev: Columns, B: int) -> dict[str, np.ndarray]:
    """Per maxent/credal call: 1 - P(consistent | the row's evidence on the facts)."""
    out = {}
    for f in q.inconsistent:
        p = evaluator().evaluate_columns(f.circuit, {v: x for v, x in ev.items() if v in f.X}, {}, B).raw
        out[f.label] = np.maximum(0.0, np.round(1.0 - p.astype(float), 12))
    return out


def _table(q: "Query", c: Circuit, ev: Columns, B: int) -> ArrayResult:
    free, summed = q.free, q.typed.summed
    K = int(np.prod([v.size for v in free], dtype=np.int64))
    combos = np.asarray(list(itertools.product(*(range(v.size) for v in free))),
                        np.int32).reshape(K, len(free))
    flat_ev = {v: x if K == 1 else np.repeat(x, K) for v, x in ev.items()
               if v in summed or v in free}
    flat_asg = {v: np.tile(combos[:, j], B) for j, v in enumerate(free)}
    maxed = q.argmax_vars()
    res = evaluator().evaluate_columns(c, flat_ev, flat_asg, B * K, argmax=bool(maxed))
    values = res.raw.reshape((B, K) + res.raw.shape[1:])
    am = None
    if res.argmax is not None:
        got = {**{v: np.full(B * K, i) for v, i in q.fixed_argmax.items()}, **res.argmax}
        am = {v.name: a.reshape(B, K) for v, a in sorted(got.items()) if v in maxed}
    out = ArrayResult(q.name, q.semiring.name, free, combos, values, am, res.engine)
    out.domains = {v.name: v.domain for v in maxed}
    if res.log is not None:            # rescued in log space (runtime/logspace.py)
        log = out.log = res.log.reshape(B, K)
        out.values = np.where(~np.isnan(log), np.nan, values)
    return out


def columns_of(q: "Query", evidence: Any, columns: Sequence[str]) -> tuple[Columns, int]:
    a = np.asarray(evidence)
    if a.ndim != 2 or a.shape[1] != len(columns) or not np.issubdtype(a.dtype, np.integer):
        raise QueryTypeError("run_array needs an integer array of shape (rows, len(columns)): "
                             "value indices, -1 where unobserved", None, INDICES_HINT)
    out: Columns = {}
    for j, name in enumerate(columns):
        v = q.program._var(name)
        col = a[:, j].astype(np.int32)
        bad = (col < -1) | (col >= v.size)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise QueryTypeError(f"evidence row {row + 1}: {int(col[row])} is not a value index "
                                 f"of {v.name} (0..{v.size - 1}, or -1 for unobserved)", None,
                                 INDICES_HINT)
        out[v] = col
    return out, a.shape[0]


def _check(q: "Query", ev: Columns, B: int) -> None:
    """The checks of `run`, on the variables observed anywhere; when one fails, the rows are
    checked in order so the error is the one `run` gives (its first offending row)."""
    observed = {v: x for v, x in ev.items() if (x >= 0).any()}
    try:
        for v in observed:
            if q.conflict(v) is not None:
                raise QueryError("conflict")
        check_run_evidence(q, {v: 0 for v in observed})
        folded.check_run_evidence(q, {v: 0 for v in observed})
    except QueryError:
        for b in range(B):
            q._check_rows({v: int(x[b]) for v, x in observed.items() if x[b] >= 0})
        raise
