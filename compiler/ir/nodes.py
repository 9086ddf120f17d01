"""Circuit nodes: immutable, hash-consed by `atlasc.compiler.ir.builder.Builder`.

Opcodes:
  INPUT   leaf over one variable X: the function x -> weights[x] (an indicator is one-hot).
  MARGIN  leaf over a variable that has been aggregated: the constant (+)_x weights[x]; its scope
          is empty, but it still reads X's evidence at run time.
  CONST   a constant of the node's semiring (empty scope).
  SUM     (+) of the children, in the node's semiring.
  PROD    (x) of the children, in the node's semiring.
  MAP     tau(child): the child is in tau.src, the node in tau.dst.  The child has empty scope
          (a folded constant sub-circuit, docs/atlas.md P1).

Two nodes made by one builder are structurally equal exactly when they are the same object, so
nodes hash and compare by identity; `uid` is the creation number, and children always have
smaller uids than their parents, so sorting by uid is a topological order.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings.base import Semiring


class Op(Enum):
    INPUT = "input"
    MARGIN = "margin"
    CONST = "const"
    SUM = "sum"
    PROD = "prod"
    MAP = "map"


LEAVES = frozenset({Op.INPUT, Op.MARGIN})
INNER = frozenset({Op.SUM, Op.PROD})


@dataclass(frozen=True, slots=True)
class Leaf:
    """The label of an INPUT or MARGIN node: a variable and one semiring value per domain value."""
    var: Var
    weights: tuple[Any, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """A circuit node made by a Builder (hash-consed: equal nodes are one object)."""
    op: Op
    children: tuple["Node", ...]
    arg: Any
    sr: "Semiring"
    uid: int

    @property
    def leaf(self) -> Leaf:
        assert self.op in LEAVES
        return self.arg

    def __repr__(self) -> str:
        return f"<{self.op.value} #{self.uid} {self.sr.name}>"
