"""The one entry point production code evaluates circuits through.

`evaluate(c, evidence=rows, assignment=rows, argmax=bool)` returns an `EvalResult` (values,
raw array, argmax rows, the engine that ran).  It runs the LLVM-compiled evaluator
(`runtime.llvm`); the numpy evaluator of `runtime.reference` is the test oracle, not a fallback.
The one exception is exactness: counts that leave int64 are recomputed with Python integers
(`engine` says so), never returned wrapped.
"""
from __future__ import annotations

from typing import Sequence

from compiler.ir.circuit import Circuit
from compiler.ir.nodes import Node
from runtime.reference import EvalResult, Row


def evaluate(c: Circuit | Node, *, evidence: Sequence[Row] | None = None,
             assignment: Sequence[Row] | None = None, argmax: bool = False) -> EvalResult:
    from runtime.llvm import evaluate as jit
    return jit(c, evidence=evidence, assignment=assignment, argmax=argmax)


# ---- all single-variable marginals (one upward + one downward pass) ----------------------------
import numpy as np  # noqa: E402

from compiler.ir.variables import Var  # noqa: E402


def marginals(c: Circuit, evidence: Sequence[Row], vars: Sequence[Var]) -> dict[Var, np.ndarray]:
    """P(X = x, e) for every X in `vars`, arrays of shape (rows, |dom X|): the derivative of
    the root with respect to X's leaves, one compiled upward and one compiled downward pass
    (runtime.llvm.marginals; the numpy oracle is runtime.backward)."""
    from runtime.llvm.marginals import marginals as compiled_marginals
    return compiled_marginals(c, evidence, vars)
