"""The one entry point production code evaluates circuits through.

`evaluate(c, evidence=rows, assignment=rows, argmax=bool)` returns an `EvalResult` (values,
raw array, argmax rows, the engine that ran).  It runs the LLVM-compiled evaluator
(`atlasc.runtime.llvm`); the numpy evaluator of `atlasc.runtime.reference` is the test oracle, not a fallback.
The one exception is exactness: counts that leave int64 are recomputed with Python integers
(`engine` says so), never returned wrapped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.runtime.reference import EvalResult, Row

if TYPE_CHECKING:
    from atlasc.runtime.llvm import ArrayEval


def evaluate(c: Circuit | Node, *, evidence: Sequence[Row] | None = None,
             assignment: Sequence[Row] | None = None, argmax: bool = False) -> EvalResult:
    from atlasc.runtime.llvm import evaluate as jit
    return jit(c, evidence=evidence, assignment=assignment, argmax=argmax)


# ---- all single-variable marginals (one upward + one downward pass) ----------------------------


def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]) -> dict[Var, np.ndarray]:
    """P(X = x, e) for every X in `vars`, arrays of shape (rows, |dom X|): the derivative of
    the root with respect to X's leaves, one compiled upward and one compiled downward pass
    (atlasc.runtime.llvm.marginals; the numpy oracle is atlasc.runtime.backward)."""
    from atlasc.runtime.llvm.marginals import marginals as compiled_marginals
    return compiled_marginals(c, evidence, vars)


# ---- columns: one int array per variable, no per-row Python ---------------------------------
def evaluate_columns(c: Circuit, evidence: dict, assignment: dict, rows: int,
                     argmax: bool = False) -> "ArrayEval":
    """evidence / assignment: Var -> int array (rows,), -1 where unobserved.  Returns the raw
    values (rows, *elem), the maximising values per maximised variable, and the engine."""
    from atlasc.runtime.llvm import evaluate_columns as compiled_columns
    return compiled_columns(c, evidence, assignment, rows, argmax)


def marginals_columns(c: Circuit, evidence: dict, rows: int, vars: Sequence[Var]
                      ) -> dict[Var, np.ndarray]:
    from atlasc.runtime.llvm.marginals import marginals_columns as compiled_marginals
    return compiled_marginals(c, evidence, rows, vars)
