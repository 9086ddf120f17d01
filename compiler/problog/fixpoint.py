"""The least model of a ground program with cycles, computed on its formula directly.

ProbLog's grounder gives a `LogicFormula` whose nodes are atoms (the choices), conjunctions
(rule bodies) and disjunctions (an atom's rules), and which may be cyclic (`path` through
`path`).  Its meaning is the least fixpoint: for each total choice x, the atoms true in the
least model of the program under x.  ProbLog turns it into an acyclic formula first
(`LogicDAG`: proof-based loop breaking, one copy of the loop per entry point); on grids that
copying is exponential (6x6: 843 s).  Here the nodes are evaluated in an algebra (SDDs over the
choices, or the truth values of one world) component by component:

* the strongly connected components of the node graph, children first (compiler/graphs.py);
* a node outside any cycle is evaluated once from its children;
* the nodes of a cycle start at false and are re-evaluated until none changes (a worklist;
  a node is revisited when a child in its component changed).  Inside a component every edge
  is positive (a negated edge on a cycle is ProbLog's NegativeCycle, raised by its grounder;
  should one reach us it is `NegatedLoop` and the caller falls back to ProbLog's cycle
  breaking), so each step is monotone and the iteration reaches the least fixpoint of the
  component given the fixed values below it.  With canonical SDDs "none changes" is node
  identity, and the fixpoint of the functions is, world by world, the least model: each
  world's values follow T_P from the empty set.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Generic, Iterable, Protocol, TypeVar

from atlasc.compiler.graphs import strongly_connected

T = TypeVar("T")


class NegatedLoop(Exception):
    """A cycle through a negated edge (not a least-fixpoint program)."""


class Algebra(Protocol[T]):
    def true(self) -> T: ...
    def false(self) -> T: ...
    def atom(self, key: int) -> T: ...
    def conj(self, a: T, b: T) -> T: ...
    def disj(self, a: T, b: T) -> T: ...
    def neg(self, a: T) -> T: ...
    def same(self, a: T, b: T) -> bool: ...
    def keep(self, a: T) -> None: ...          # a value is held (SDDs: referenced)
    def drop(self, a: T) -> None: ...          # ... and no longer held


class Least(Generic[T]):
    """The values of the `needed` nodes of `formula` (a LogicFormula or LogicDAG) in `alg`;
    `check` runs after each node (budgets)."""

    def __init__(self, formula: Any, needed: set[int], alg: Algebra[T],
                 check: Callable[[], None] = lambda: None) -> None:
        self.f, self.alg, self.check = formula, alg, check
        self.val: dict[int, T] = {}
        for comp in components(formula, needed):
            self._component(comp)

    def value(self, key: int | None) -> T:
        """A child reference: None is false, 0 true, a negative key the negation."""
        if key is None:
            return self.alg.false()
        if key == 0:
            return self.alg.true()
        v = self.val[abs(key)]
        return v if key > 0 else self.alg.neg(v)

    def _eval(self, key: int) -> T:
        node = self.f.get_node(key)
        kind, alg = _kind(node), self.alg
        if kind == "atom":
            return alg.atom(key)
        conj = kind == "conj"
        acc = alg.true() if conj else alg.false()
        for c in node.children:
            acc = alg.conj(acc, self.value(c)) if conj else alg.disj(acc, self.value(c))
        return acc

    def _component(self, comp: list[int]) -> None:
        if len(comp) == 1 and not _loops(self.f, comp[0]):
            self.val[comp[0]] = self._eval(comp[0])
            self.alg.keep(self.val[comp[0]])
            self.check()
            return
        users = _users(self.f, comp)
        for k in comp:
            self.val[k] = self.alg.false()
            self.alg.keep(self.val[k])
        todo, queued = deque(sorted(comp)), set(comp)
        while todo:
            k = todo.popleft()
            queued.discard(k)
            new = self._eval(k)
            self.check()
            if self.alg.same(new, self.val[k]):
                continue
            self.alg.keep(new)
            self.alg.drop(self.val[k])
            self.val[k] = new
            for u in users.get(k, ()):
                if u not in queued:
                    queued.add(u)
                    todo.append(u)


def cyclic(formula: Any) -> bool:
    """Whether the formula has a cycle (a component of several nodes, or a self-loop)."""
    keys = {k for k, _, _ in formula}
    return any(len(c) > 1 or _loops(formula, c[0]) for c in components(formula, keys))


def _kind(node: Any) -> str:
    return type(node).__name__          # ProbLog's node tuples: atom, conj, disj


def _children(formula: Any, key: int) -> Iterable[int | None]:
    return getattr(formula.get_node(key), "children", ())


def _loops(formula: Any, key: int) -> bool:
    return any(c is not None and abs(c) == key for c in _children(formula, key))


def _users(formula: Any, comp: list[int]) -> dict[int, list[int]]:
    """Inside the component: child -> the nodes that read it (a negated edge is refused)."""
    inside = set(comp)
    out: dict[int, list[int]] = {}
    for k in comp:
        for c in _children(formula, k):
            if c is not None and abs(c) in inside:
                if c < 0:
                    raise NegatedLoop(k)
                out.setdefault(c, []).append(k)
    return out


def components(formula: Any, needed: set[int]) -> list[list[int]]:
    """The strongly connected components of the needed nodes, children first."""
    return strongly_connected(sorted(needed), lambda k: _kids(formula, k))


def _kids(formula: Any, key: int) -> list[int]:
    return [abs(c) for c in _children(formula, key) if c]


class Truth:
    """The algebra of one world: `holds(key)` says whether a choice node is true."""

    def __init__(self, holds: Callable[[int], bool]) -> None:
        self.atom = holds

    def true(self) -> bool:
        return True

    def false(self) -> bool:
        return False

    def conj(self, a: bool, b: bool) -> bool:
        return a and b

    def disj(self, a: bool, b: bool) -> bool:
        return a or b

    def neg(self, a: bool) -> bool:
        return not a

    def same(self, a: bool, b: bool) -> bool:
        return a == b

    def keep(self, a: bool) -> None:
        pass

    drop = keep


__all__ = ["Algebra", "Least", "NegatedLoop", "Truth", "components", "cyclic"]
