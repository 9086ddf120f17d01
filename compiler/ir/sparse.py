"""A circuit with free variables held apart: `inner` (over the variables its formula mentions)
times one independent leaf per free variable, w_v(x_v), that no clause mentions.

`p cnf 100000 2` has two clauses and 99,998 such variables.  As nodes they cost ~100 us each in
every pass (the mapping, the aggregation, the cache's pickle, the evaluation); as a `SparseView`
they are a few weight groups (free variables with equal weights share a group).  The operators
(compiler/ops) keep the view where they can:

* a mapping maps `inner` and each group's weights (what it does to each leaf);
* aggregating a free variable multiplies in the constant (+)_x w(x), and k variables of one
  group the constant raised to k (`power`, exact for integers, chunked into factors that stay
  within the double range for floats: the evaluator's log-space twin then gives the exact log
  of a product that over- or underflows);
* anything else (`root`, `builder`) builds the equivalent node circuit once (`as_nodes`): the
  product of inner's root and the free leaves on the vtree (inner's, balanced(free)), so code
  that walks nodes gets the same circuit as before, only at the old cost.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit, NodesOnDemand, Provenance
from atlasc.compiler.ir.facts import Fact, Prop
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree, balanced

Group = tuple[tuple[Any, ...], tuple[Var, ...]]     # (weights, the free variables that have them)


def groups_of(free: Sequence[Var], weights: dict[Var, tuple[Any, ...]], default: tuple[Any, ...]
              ) -> tuple[Group, ...]:
    """The free variables grouped by their weights (in the order of `free`)."""
    by: dict[tuple[Any, ...], list[Var]] = {}
    for v in free:
        by.setdefault(tuple(weights.get(v) or default), []).append(v)
    return tuple((w, tuple(vs)) for w, vs in by.items())


class SparseView(NodesOnDemand):
    """inner (x) the product of the free leaves (see the module docstring)."""

    def __init__(self, inner: Circuit, groups: tuple[Group, ...], *, name: str = "",
                 facts: dict[Prop, Fact] | None = None, step: Step | None = None,
                 info: dict[str, Any] | None = None, like: SparseView | None = None) -> None:
        """`like`: a view with the same free variables and the same scope (a mapping's or
        marginals' result), whose `free` and `vars` are taken instead of made again."""
        self.inner, self.groups = inner, tuple(g for g in groups if g[1])
        self.name, self.facts = name, dict(facts or {})
        self.step, self.info = step, dict(info or {})
        self._nodes: Circuit | None = None
        self._vtree: Vtree | None = None
        self.provenance = Provenance(self, None)
        self._free: tuple[Var, ...] | None = like._free if like else None
        self._vars: frozenset[Var] | None = like._vars if like else None

    @property
    def free(self) -> tuple[Var, ...]:
        if self._free is None:          # groups and inner never change: made once (10^6 free
            self._free = tuple(v for _, vs in self.groups for v in vs)   # variables: ~0.5 s)
        return self._free

    @property
    def sr(self) -> Any:
        return self.inner.sr

    @property
    def vars(self) -> frozenset[Var]:
        if self._vars is None:
            self._vars = self.inner.vars | frozenset(self.free)
        return self._vars

    @property
    def vtree(self) -> Vtree | None:
        if self._vtree is None and self.inner.vtree is not None:
            self._vtree = Vtree.node(self.inner.vtree, balanced(list(self.free)))
        return self._vtree

    @vtree.setter
    def vtree(self, vt: Vtree | None) -> None:
        self._vtree = vt

    @property
    def materialised(self) -> bool:
        return self._nodes is not None

    def as_nodes(self) -> Circuit:
        """The equivalent node circuit (built once): inner's root times every free leaf."""
        if self._nodes is None:
            b, sr = self.inner.builder, self.sr
            leaves = [b.input(v, w, sr) for w, vs in self.groups for v in vs]
            self._nodes = Circuit(b.prod([self.inner.root] + leaves, sr), b, self.name,
                                  facts=dict(self.facts), vtree=self.vtree, step=self.step,
                                  info=self.info)
        return self._nodes

    @property
    def size(self) -> int:
        return self.inner.size + len(self.free) + 1

    @property
    def num_nodes(self) -> int:
        return self.inner.num_nodes + len(self.free) + 1

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_nodes": None, "_vtree": None,   # rebuilt on demand
                "_free": None, "_vars": None}

    def __repr__(self) -> str:
        return (f"SparseView({self.name or '?'}: {self.sr.name} over {len(self.vars)} "
                f"variables, {len(self.free)} of them free, |C|={self.size})")


def total(sr: Any, weights: Sequence[Any]) -> Any:
    """(+) of a leaf's weights."""
    return sr.to_py(sr.add_reduce(sr.array(list(weights))))


def power(b: Builder, x: Any, k: int, sr: Any) -> list[Node]:
    """Constant nodes whose product is x^k (k >= 0) in sr: x^m for the largest power of two m
    whose value is still `_safe` (within the double range), repeated, then the binary
    decomposition of the rest.  One node for exact carriers (integers, Booleans)."""
    if k == 0:
        return []
    if isinstance(x, bool):
        return [b.const(x, sr)]
    if isinstance(x, int):
        return [b.const(x ** k, sr)]              # exact (count): Python integers
    powers = [x]                        # powers[i] = x^(2^i), all safe
    while 2 ** len(powers) <= k:
        nxt = _mul(sr, powers[-1], powers[-1])
        if not _safe(nxt, x):
            break
        powers.append(nxt)
    m = 2 ** (len(powers) - 1)
    q, r = divmod(k, m)
    out = [b.const(powers[-1], sr)] * q
    out += [b.const(powers[i], sr) for i in range(len(powers)) if r >> i & 1]
    return out


def _mul(sr: Any, a: Any, c: Any) -> Any:
    one = sr.add_reduce
    with np.errstate(all="ignore"):             # an overflow is seen by _safe
        return sr.to_py(sr.mul(one(sr.array([a])), one(sr.array([c]))))


def _safe(y: Any, x: Any) -> bool:
    """y (a power of x) holds its value: every float component normal or an exact 0 or 1
    where x's component is (integers and Booleans are exact)."""
    ys = y if isinstance(y, tuple) else (y,)
    xs = x if isinstance(x, tuple) else (x,)
    for a, base in zip(ys, xs):
        if isinstance(a, float) and not (a == base or 2.3e-308 < abs(a) < 1.7e308):
            return False
    return True


__all__ = ["SparseView", "groups_of", "power", "total"]
