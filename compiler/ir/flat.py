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
from functools import partial
from typing import Any, Callable

import numpy as np

from atlasc.compiler.ir.circuit import Circuit, NodesOnDemand, Provenance
from atlasc.compiler.ir.facts import Fact, Prop
from atlasc.compiler.ir.report import Step as ReportStep
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree


class _Layer:
    """What a Step and a BatchStep share: products with their gathers, value and seg."""
    gathers: tuple[np.ndarray, ...]
    value: np.ndarray
    seg: np.ndarray

    @property
    def products(self) -> int:
        return int(self.value.size)

    @property
    def sums(self) -> int:
        return int(np.count_nonzero(np.diff(self.seg))) + 1 if self.products else 0

    @property
    def arity(self) -> int:
        return len(self.gathers)


@dataclass
class Step(_Layer):
    var: Var
    keys: tuple[Var, ...]                 # the result table's variables (row-major)
    out: int                              # first slot of the result table's block
    size: int                             # cells of the result table (its block's length)
    gathers: tuple[np.ndarray, ...]       # per table joined: the slot of each product's cell
    sources: tuple[int, ...]              # per table joined: the step that made it, -1 a leaf
    value: np.ndarray                     # per product: the value index of `var`
    seg: np.ndarray                       # per product: its result cell, non-decreasing

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        return (*self.gathers, self.value, self.seg)


@dataclass
class BatchStep(_Layer):
    """Many eliminations at once: Boolean variables `vars` no two of which share a table (an
    independent set of the interaction graph), each with `width` neighbours and joining
    `arity` tables, so the steps are equal in shape and one set of arrays holds them all.
    Variable i's result table is the block out + i * 2^width .. (its keys `keys[i]`,
    variable positions, row-major); the products are

        p = lam[value[p]] * prod_j vals[gathers[j][p]]

    with `lam` the indicators of `vars` concatenated (value = 2 i + x for vars[i] = x) and
    result cell out + seg[p] (seg non-decreasing).  The same products and sums as the
    `Step`s of the variables one at a time (in any order: none reads another's result);
    a gather reads a leaf where its slot is below the circuit's leaf slots."""
    vars: tuple[Var, ...]
    vids: np.ndarray                      # (n,) the variables' positions in the circuit
    keys: np.ndarray                      # (n, width) the result tables' variable positions
    out: int
    size: int                             # n * 2^width
    gathers: tuple[np.ndarray, ...]
    value: np.ndarray
    seg: np.ndarray

    @property
    def width(self) -> int:
        return int(self.keys.shape[1])

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        return (*self.gathers, self.value, self.seg, self.keys, self.vids)


@dataclass
class DenseStep:
    """A step held by its tables rather than its products (a large cluster with few
    structural zeros): the product of cell c of the cluster (keys + (var,), row-major) is
    [var = c's value] * prod_j vals[tables[j][c restricted to axes[j]]], and result cell r is
    the sum over var.  Evaluating it is one einsum over the tables' values, so neither the
    compile nor a pass makes a cluster-sized index array; its products are every cell of the
    cluster (the zero ones too: their values are 0), its sums every result cell."""
    var: Var
    keys: tuple[Var, ...]
    out: int
    size: int
    tables: tuple[np.ndarray, ...]        # per table joined: its cells' slots, row-major
    axes: tuple[tuple[int, ...], ...]     # per table joined: the cluster axis of each variable
    sources: tuple[int, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(u.size for u in self.keys) + (self.var.size,)

    @property
    def products(self) -> int:
        return self.size * self.var.size

    @property
    def sums(self) -> int:
        return self.size

    @property
    def arity(self) -> int:
        return len(self.tables)

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.tables


@dataclass
class FlatCircuit:
    variables: tuple[Var, ...]
    params: np.ndarray                    # slot values 0..leaf_slots-1 (slot 0 is 0.0)
    steps: list[Step | DenseStep | BatchStep]
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
        sums = sum(s.sums for s in self.steps)
        inds = sum(v.size for v in self.variables)
        return self.leaf_slots + inds + sum(s.products for s in self.steps) + sums + 1

    @property
    def edges(self) -> int:
        """Edges of the equivalent node circuit: a product's children and its sum's edge."""
        return sum(s.products * (s.arity + 2) for s in self.steps) + int(self.roots.size)

    @property
    def nbytes(self) -> int:
        arrays = [a for s in self.steps for a in s.arrays]
        return int(sum(a.nbytes for a in arrays) + self.params.nbytes)


class FlatView(NodesOnDemand):
    """A circuit answered from a FlatCircuit: the model itself, or a view of it with the
    variables `summed` summed out and `maxed` maximised (semiring `sr`).  The numpy runtime
    evaluates it (upward: sums, maxima on the steps of `maxed`; downward: every marginal).  That
    equals the node circuit of the same construction when no maximised variable is eliminated
    before a summed one (`nested`): the operators (compiler/ops) make a view only then.

    `root` and `builder` are the equivalent node circuit's, built on first use by `recipe`
    (a picklable callable: the node route of the same order, then the same operators), so any
    code that walks nodes still gets the right circuit, only slower; `materialised` says
    whether that happened."""

    def __init__(self, flat: FlatCircuit, sr: Any, recipe: Callable[[], Circuit], *,
                 summed: frozenset[Var] = frozenset(), maxed: frozenset[Var] = frozenset(),
                 name: str = "", facts: dict[Prop, Fact] | None = None,
                 source: Circuit | None = None, step: ReportStep | None = None,
                 info: dict[str, Any] | None = None) -> None:
        self.flat, self._sr, self.recipe = flat, sr, recipe
        self.summed, self.maxed = frozenset(summed), frozenset(maxed)
        self._nodes: Circuit | None = None
        self.name, self.facts = name, dict(facts or {})
        self.provenance = Provenance(source or self, None)
        self.vtree, self.step = flat.vtree, step
        self.info = {**flat.info, **(info or {})}

    def derive(self, recipe: Callable[[], Circuit], *, sr: Any = None,
               summed: frozenset[Var] = frozenset(), maxed: frozenset[Var] = frozenset(),
               facts: dict[Prop, Fact] | None = None, step: ReportStep | None = None,
               info: dict[str, Any] | None = None) -> "FlatView":
        """A view of this one's source with more variables summed or maximised."""
        return FlatView(self.flat, sr or self.sr, recipe, summed=self.summed | summed,
                        maxed=self.maxed | maxed, name=self.name,
                        facts=self.facts if facts is None else facts, source=self.source,
                        step=step, info={**self.info, **(info or {})})

    def restep(self, step: ReportStep | None, info: dict[str, Any] | None = None
               ) -> "FlatView":
        """The same view under another report step (sugar, marginals)."""
        return self.derive(partial(_shared, self), facts=dict(self.facts), step=step, info=info)

    @property
    def nested(self) -> bool:
        """No maximised variable is eliminated before a summed one."""
        if not self.maxed or not self.summed:
            return True
        pos = {v: i for i, v in enumerate(self.flat.info["order"])}
        return max(pos[v] for v in self.summed) < min(pos[v] for v in self.maxed)

    @property
    def materialised(self) -> bool:
        return self._nodes is not None

    def as_nodes(self) -> Circuit:
        """The equivalent node circuit (built once)."""
        if self._nodes is None:
            c = self.recipe()
            c.name, c.step = self.name, c.step or self.step
            self._nodes = c
        return self._nodes

    @property
    def sr(self) -> Any:
        return self._sr

    @property
    def vars(self) -> frozenset[Var]:
        """Memoised: the operators ask several times (10^6 variables: 0.2 s a set)."""
        got: frozenset[Var] | None = self.__dict__.get("_vars")
        if got is None:
            got = self.__dict__["_vars"] = frozenset(self.flat.variables) - self.summed - \
                self.maxed
        return got

    @property
    def size(self) -> int:
        return self.flat.edges

    @property
    def num_nodes(self) -> int:
        return self.flat.nodes

    def __getstate__(self) -> dict[str, Any]:
        state = {**self.__dict__, "_nodes": None}   # the cache keeps the arrays, not nodes
        state.pop("_vars", None)
        return state

    def __repr__(self) -> str:
        return (f"FlatView({self.name or '?'}: {self.sr.name} over "
                f"{{{', '.join(v.name for v in sorted(self.vars))}}}, |C|={self.size})")


def _shared(v: FlatView) -> Circuit:
    return v.as_nodes()


__all__ = ["BatchStep", "DenseStep", "FlatCircuit", "FlatView", "Step"]
