"""Property facts, witnesses and how each was established."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var, fmt_vars


class How(Enum):
    CONSTRUCTION = "by construction"
    VERIFIED = "verified"
    PROPAGATED = "propagated"


class Kind(Enum):
    SMOOTH = "smooth"
    DEC = "decomposable"
    DET = "deterministic"
    XDET = "X-deterministic"
    STRUCTURED = "structured-decomposable"
    COMPAT = "compatible"


@dataclass(frozen=True)
class Prop:
    """A property of one circuit.  XDET carries its X (a frozenset of variables).

    DET is full determinism: every sum node, empty-scope ones included.  XDET with X equal to
    the circuit's variables exempts empty-scope sums; that is what a mapping needs once constant
    sub-circuits are folded (docs/atlas.md P1)."""
    kind: Kind
    X: frozenset[Var] | None = None

    def __str__(self) -> str:
        if self.kind is Kind.XDET:
            return f"{fmt_vars(self.X or ())}-deterministic"
        return self.kind.value


SMOOTH = Prop(Kind.SMOOTH)
DEC = Prop(Kind.DEC)
DET = Prop(Kind.DET)
STRUCTURED = Prop(Kind.STRUCTURED)
COMPAT = Prop(Kind.COMPAT)


def xdet(X: frozenset[Var] | set[Var] | tuple[Var, ...]) -> Prop:
    return Prop(Kind.XDET, frozenset(X))


@dataclass(frozen=True)
class Violation:
    """A witness that a property fails (or could not be shown): the node and why."""
    prop: str
    node: Node | None
    reason: str
    details: tuple[tuple[str, Any], ...] = ()
    label: str = ""   # a printable name of the node in its circuit (e.g. n12)

    def describe(self) -> str:
        where = f"node {self.label or ('#' + str(self.node.uid) if self.node else '?')}"
        kind = f" ({self.node.op.value}, {self.node.sr.name})" if self.node is not None else ""
        return f"{where}{kind}: {self.reason}"


@dataclass(frozen=True)
class Fact:
    """Whether a property holds of a circuit, and how that was established."""
    prop: Prop
    holds: bool | None           # None: undecided (counts as absent)
    how: How
    detail: str = ""
    witness: Violation | None = field(default=None, compare=False)
    origin: str = field(default="", compare=False)   # for propagated facts: the first "how"

    def __bool__(self) -> bool:
        return self.holds is True

    def describe(self) -> str:
        state = {True: "holds", False: "fails", None: "unknown"}[self.holds]
        notes = [x for x in (self.detail, f"established {self.origin}" if self.origin else "")
                 if x]
        extra = f" ({'; '.join(notes)})" if notes else ""
        return f"{self.prop}: {state}, {self.how.value}{extra}"


def carry(f: Fact, why: str, prop: Prop | None = None) -> Fact:
    """`f` kept through an operation: a propagated fact that remembers how it was first
    established."""
    origin = f.origin if f.how is How.PROPAGATED else \
        f.how.value + (f": {f.detail}" if f.detail else "")
    return Fact(prop or f.prop, f.holds, How.PROPAGATED, why, f.witness, origin)
