"""Run-time guards: the conditions of a query checked under each evidence row (a normaliser
that must not be zero, an adjustment's positivity), lowered to circuits by lower.py; where one
fails, the row's entries are undefined (compiler/program/undefined.py)."""
from __future__ import annotations

from dataclasses import dataclass

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.source import Span

EVIDENCE_ZERO = "the evidence has probability 0"       # a normaliser's guard fails so


@dataclass(frozen=True)
class Guard:
    """A condition checked under each run's evidence row (typed.TCheck, lowered): `circuit`
    is the table, `kind` how it is read, `on` the variables a failure is reported on; where
    it fails, entries are undefined (compiler/program/undefined.py)."""
    circuit: Circuit
    message: str
    span: Span
    kind: str = "nonzero"
    on: frozenset[Var] = frozenset()
