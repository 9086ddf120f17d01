"""The seam between the compiler and the runtime: the interface every evaluation goes through.

The compiler (operators folding constants, the program running queries) evaluates circuits
through `evaluator()`; the runtime (atlasc.runtime.evaluator, the LLVM back end) implements
`Evaluator` and is installed once by the composition root, `atlasc/__init__.py`.  So the
compiler never imports the runtime, and another back end plugs in by implementing these four
methods (docs/architecture.md), and two more
that let the compiled-program cache keep what the back end made for a circuit.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Sequence

from atlasc.compiler.errors import InternalCompilerError

if TYPE_CHECKING:   # types only: `import atlasc` (the seam's installer) loads neither numpy
    #                 nor the circuits, so the command line can set up before numpy loads
    import numpy as np

    from atlasc.compiler.ir.circuit import Circuit
    from atlasc.compiler.ir.nodes import Node
    from atlasc.compiler.ir.variables import Var

    Columns = dict[Var, np.ndarray]  # evidence by variable: value indices (rows,), -1 unobserved
else:
    Columns = dict                   # the same alias at run time, without numpy's import


class Evaluator(Protocol):
    def evaluate(self, c: Circuit | Node, *, evidence: Sequence[Any] | None = None,
                 assignment: Sequence[Any] | None = None, argmax: bool = False) -> Any:
        """Rows of dicts (Var -> value index) in; values, raw array and argmax rows out."""

    def evaluate_columns(self, c: Circuit, evidence: Columns, assignment: Columns, rows: int,
                         argmax: bool = False) -> Any:
        """Var -> int array (rows,), -1 where unobserved; raw values and argmax arrays out."""

    def marginals(self, c: Circuit, evidence: Sequence[Any], vars: Sequence[Var]
                  ) -> dict[Var, np.ndarray]:
        """P(X = x, e) for every X in `vars`, arrays (rows, |dom X|)."""

    def marginals_columns(self, c: Circuit, evidence: Columns, rows: int, vars: Sequence[Var],
                          weights: dict[Var, np.ndarray] | None = None
                          ) -> dict[Var, np.ndarray]:
        """The same with evidence as columns; `weights` (Var -> vector over its domain)
        scales every leaf of those variables for this call (soft evidence, the same for all
        rows), without compiling the circuit again (the parameters of EM, compiler/learn)."""

    def prepare(self, c: Circuit, argmax: bool = False, keep: bool = False) -> Any:
        """Make c ready to run in a mode now, not at its first run; return what was made
        (picklable: the compiled-program cache stores it, compiler/program/cache.py)."""

    def adopt(self, c: Circuit, prepared: Any) -> None:
        """Bind what `prepare` returned in an earlier process to c."""

    def export(self, c: Circuit, argmax: bool = False) -> tuple[str, bytes]:
        """What `atlasc compile --emit` writes: the kernels' code as text (LLVM IR for the
        LLVM back end) and the program tables they interpret (an .npz)."""


_installed: list[Evaluator] = []


def install(e: Evaluator) -> None:
    """Make `e` the evaluator of this process (the composition root calls this once)."""
    _installed[:] = [e]


def evaluator() -> Evaluator:
    if not _installed:
        raise InternalCompilerError("no evaluator installed: import atlasc (its __init__ "
                                    "installs the runtime's)")
    return _installed[0]
