"""The explicit builder that creates and hash-conses circuit nodes.

One builder per compilation (like a PySDD manager): its unique table makes structural equality
identity, so memo tables keyed on nodes, DAG sharing and CSE come free.  The builder also caches
derived facts that never change for an immutable node (scopes), computed by iterative walks.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from atlasc.compiler.ir.nodes import Leaf, Node, Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.errors import LimitExceeded, WeightRangeError

EMPTY: frozenset[Var] = frozenset()


class BuilderError(ValueError):
    """An attempt to build an ill-formed node (an internal or API misuse, not a user error)."""


class Builder:
    def __init__(self, max_nodes: int | None = None) -> None:
        self._table: dict[tuple[Any, ...], Node] = {}
        self._nodes: list[Node] = []          # by uid
        self._scope: dict[int, frozenset[Var]] = {}
        self._interned: dict[frozenset[Var], frozenset[Var]] = {EMPTY: EMPTY}
        self.max_nodes = max_nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def owns(self, n: Node) -> bool:
        nodes = self._nodes
        return n.uid < len(nodes) and nodes[n.uid] is n

    # ---- constructors -------------------------------------------------------------------
    def _make(self, op: Op, children: tuple[Node, ...], arg: Any, sr: Semiring) -> Node:
        key = _key(op, children, arg, sr)
        n = self._table.get(key)
        return n if n is not None else self._new(op, children, arg, sr, key)

    def _new(self, op: Op, children: tuple[Node, ...], arg: Any, sr: Semiring,
             key: tuple[Any, ...]) -> Node:
        if self.max_nodes is not None and len(self._nodes) >= self.max_nodes:
            raise LimitExceeded(f"the circuit passed the node limit of {self.max_nodes}")
        n = Node(op, children, arg, sr, len(self._nodes))
        self._table[key] = n
        self._nodes.append(n)
        self._scope[n.uid] = self._compute_scope(n)
        return n

    def input(self, var: Var, weights: Sequence[Any], sr: Semiring) -> Node:
        """The leaf x -> weights[x] over `var`."""
        return self._make(Op.INPUT, (), self._leaf(var, weights, sr), sr)

    def indicator(self, var: Var, value: str | int | bool, sr: Semiring) -> Node:
        i = var.index(value)
        return self.input(var, [sr.one if j == i else sr.zero for j in range(var.size)], sr)

    def margin(self, var: Var, weights: Sequence[Any], sr: Semiring) -> Node:
        """The aggregated leaf (+)_x weights[x] (empty scope; reads var's evidence)."""
        return self._make(Op.MARGIN, (), self._leaf(var, weights, sr), sr)

    def const(self, value: Any, sr: Semiring) -> Node:
        return self._make(Op.CONST, (), sr.element(value), sr)

    def zero(self, sr: Semiring) -> Node:
        return self.const(sr.zero, sr)

    def one(self, sr: Semiring) -> Node:
        return self.const(sr.one, sr)

    def sum(self, children: Iterable[Node], sr: Semiring | None = None) -> Node:
        return self._inner(Op.SUM, tuple(children), sr)

    def prod(self, children: Iterable[Node], sr: Semiring | None = None) -> Node:
        return self._inner(Op.PROD, tuple(children), sr)

    def owned(self, op: Op, children: tuple[Node, ...], sr: Semiring) -> Node:
        """A sum or product of at least two children that this builder made, all in `sr`:
        the checks of `sum`/`prod` skipped, for compilers that build millions of nodes."""
        return children[0] if len(children) == 1 else self._make(op, children, None, sr)

    def map(self, mapping: Any, child: Node) -> Node:
        """tau(child) for a child of empty scope (a folded constant sub-circuit)."""
        if child.sr != mapping.src:
            raise BuilderError(f"mapping {mapping.name} reads {mapping.src.name}, "
                               f"the child is {child.sr.name}")
        if self.scope(child):
            raise BuilderError("a MAP node's child must have empty scope")
        return self._make(Op.MAP, (child,), mapping, mapping.dst)

    def _inner(self, op: Op, children: tuple[Node, ...], sr: Semiring | None) -> Node:
        if not children:
            if sr is None:
                raise BuilderError(f"an empty {op.value} needs its semiring")
            return self.zero(sr) if op is Op.SUM else self.one(sr)
        sr = sr or children[0].sr
        nodes, uids = self._nodes, []
        for c in children:
            if c.sr is not sr and c.sr != sr:
                raise BuilderError(f"{op.value} node in {sr.name} has a child in {c.sr.name}")
            u = c.uid
            if u >= len(nodes) or nodes[u] is not c:
                raise BuilderError("a child node was made by another builder")
            uids.append(u)
        if len(children) == 1:
            return children[0]
        key = (op.value, tuple(uids), None, sr.name)     # = _key(op, children, None, sr)
        n = self._table.get(key)
        return n if n is not None else self._new(op, children, None, sr, key)

    @staticmethod
    def _leaf(var: Var, weights: Sequence[Any], sr: Semiring) -> Leaf:
        if len(weights) != var.size:
            raise BuilderError(f"leaf over {var.name} needs {var.size} weights, "
                               f"got {len(weights)}")
        return Leaf(var, tuple(_element(sr, var, w) for w in weights))

    # ---- derived facts ------------------------------------------------------------------
    def scope(self, n: Node) -> frozenset[Var]:
        return self._scope[n.uid]

    def _compute_scope(self, n: Node) -> frozenset[Var]:
        if n.op is Op.INPUT:
            return self._intern(frozenset((n.arg.var,)))
        if n.op is Op.MARGIN or n.op is Op.CONST or n.op is Op.MAP:
            return EMPTY
        scopes = [self._scope[c.uid] for c in n.children]
        first = scopes[0]
        if all(s is first for s in scopes):
            return first
        return self._intern(frozenset().union(*scopes))

    def _intern(self, s: frozenset[Var]) -> frozenset[Var]:
        return self._interned.setdefault(s, s)


def _key(op: Op, children: tuple[Node, ...], arg: Any, sr: Semiring) -> tuple[Any, ...]:
    # op.value, not op: an Enum hashes in Python, a str in C (this is the hottest line)
    return (op.value, tuple([c.uid for c in children]), arg, sr.name)


class _Adopted(Builder):
    """A builder made from finished nodes (a cache entry, an isomorphic copy): its hash-cons
    table is built from its nodes only if something builds on it."""

    def __getattr__(self, name: str) -> Any:
        if name != "_table":
            raise AttributeError(name)
        self._table = {_key(n.op, n.children, n.arg, n.sr): n for n in self._nodes}
        return self._table


def adopted(nodes: list[Node], scope: dict[int, frozenset[Var]],
            interned: dict[frozenset[Var], frozenset[Var]],
            max_nodes: int | None = None) -> Builder:
    """The builder owning `nodes` (indexed by uid, children before parents) with their scopes."""
    b = _Adopted.__new__(_Adopted)
    b._nodes, b._scope, b._interned, b.max_nodes = nodes, scope, interned, max_nodes
    return b


def relabelled(src: Builder, order: Sequence[Node], value: Any, dst: Semiring,
               mapping: Any = None) -> tuple[Builder, dict[int, Node]]:
    """The nodes of `order` (a topological order of src's sum, product, leaf and constant
    nodes) copied into `dst` with every leaf weight and constant replaced by value(x): one
    node per node, the same scopes.  Sound without hash-consing only when `value` is
    injective (no two nodes of src become equal), as a semiring isomorphism is; far cheaper
    than rebuilding through `sum`/`prod`.  `mapping` (a MAP node's mapping -> its
    counterpart in dst) copies MAP nodes too.  Returns the builder and src uid -> copy."""
    nodes: list[Node] = []
    scope: dict[int, frozenset[Var]] = {}
    new: dict[int, Node] = {}
    for n in order:
        if n.op is Op.INPUT or n.op is Op.MARGIN:
            arg: Any = Leaf(n.arg.var, tuple(dst.element(value(w)) for w in n.arg.weights))
        elif n.op is Op.CONST:
            arg = dst.element(value(n.arg))
        elif n.op is Op.SUM or n.op is Op.PROD:
            arg = None
        elif n.op is Op.MAP and mapping is not None:
            arg = mapping(n.arg)
        else:
            raise BuilderError(f"relabelled copies no {n.op.value} node")
        m = Node(n.op, tuple([new[c.uid] for c in n.children]), arg, dst, len(nodes))
        nodes.append(m)
        scope[m.uid] = src._scope[n.uid]
        new[n.uid] = m
    return adopted(nodes, scope, dict(src._interned)), new


def _element(sr: Semiring, var: Var, w: Any) -> Any:
    try:
        return sr.element(w)
    except ValueError as e:
        raise WeightRangeError(f"a weight of {var.name} is not an element of {sr.name}: {e}") \
            from None
