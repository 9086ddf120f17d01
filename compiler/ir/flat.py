"""A circuit held in flat arrays: the network polynomial as layers of gather, multiply and
segment-sum, one layer per elimination step, with no Python object per node.

Slots are the cells of the tables of a variable-elimination run, in one value vector: slot 0 is
the constant 0, then the distinct non-zero parameters of the leaf tables (equal parameters share
a slot), then, for each step, the block of its result table's cells.  Step s eliminates `var`:
its products are

    p = [var = value[p]] * prod_j vals[gathers[j][p]]

(one cell of every table that mentions `var`, times var's indicator), and cell c of its result
table is the sum of the products with seg[p] == c (seg non-decreasing).  A product with a
structurally zero child (a zero parameter, a result cell without products) is not emitted, as
the node route drops it.  The root is the product of the final slots `roots`.

This is the arithmetic circuit of the node route (compiler/sources/elimination.py) with the
products and sums of a step held as arrays: a product node per emitted p with arity
1 + len(gathers), a sum node per non-empty result cell.  Its properties are the node route's,
by the same construction (`facts`).  Evaluation (upward, and the downward pass that gives every
marginal) is the runtime's numpy path, runtime/flat.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from atlasc.compiler.ir.facts import Fact, Prop
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree


@dataclass
class Step:
    var: Var
    keys: tuple[Var, ...]                 # the result table's variables (row-major)
    out: int                              # first slot of the result table's block
    size: int                             # cells of the result table (its block's length)
    gathers: tuple[np.ndarray, ...]       # per table joined: the slot of each product's cell
    sources: tuple[int, ...]              # per table joined: the step that made it, -1 a leaf
    value: np.ndarray                     # per product: the value index of `var`
    seg: np.ndarray                       # per product: its result cell, non-decreasing

    @property
    def products(self) -> int:
        return int(self.value.size)


@dataclass
class FlatCircuit:
    variables: tuple[Var, ...]
    params: np.ndarray                    # slot values 0..leaf_slots-1 (slot 0 is 0.0)
    steps: list[Step]
    roots: np.ndarray                     # slots multiplied at the root
    slots: int                            # length of the value vector
    facts: dict[Prop, Fact]
    vtree: Vtree | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def leaf_slots(self) -> int:
        return int(self.params.size)

    @property
    def nodes(self) -> int:
        """Nodes of the equivalent node circuit: leaves, products, non-empty sums, root."""
        sums = sum(int(np.count_nonzero(np.diff(s.seg))) + 1 for s in self.steps if s.products)
        inds = sum(v.size for v in self.variables)
        return self.leaf_slots + inds + sum(s.products for s in self.steps) + sums + 1

    @property
    def edges(self) -> int:
        """Edges of the equivalent node circuit: a product's children and its sum's edge."""
        return sum(s.products * (len(s.gathers) + 2) for s in self.steps) + int(self.roots.size)

    @property
    def nbytes(self) -> int:
        arrays = [a for s in self.steps for a in (*s.gathers, s.value, s.seg)]
        return int(sum(a.nbytes for a in arrays) + self.params.nbytes)


__all__ = ["FlatCircuit", "Step"]
