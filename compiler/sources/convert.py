"""SDD -> circuit: smooth, decomposable, deterministic, structured by the projected vtree.

Works on the parsed libsdd text form (`sddfiles`), so pysdd output and SDD files share it.
Bottom-up over the rows (children come first), memoised by node id, no recursion:

* a node whose vtree node lies inside one variable's indicator group becomes one leaf over
  that variable, its weight for value i = the node's truth at the one-hot assignment e_i;
* a Boolean indicator literal becomes a leaf with the filler weight on its value, 0 elsewhere;
* a parameter literal becomes the constant theta (positive) or 1 (negative);
* a decision node at vtree node w becomes a sum of products
  prime x sub x fillers(vars(w.left) - vars(prime)) x fillers(vars(w.right) - vars(sub)),
  elements with a false sub dropped.  Fillers are leaves over the missing variables (all
  ones for a network polynomial, the literal weights for weighted CNF), so the result is
  smooth, and it stays decomposable (fillers are over missing variables only) and
  deterministic (a filler is a don't-care of the SDD node).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.sources.sddfiles import SddRow, VtreeTable


@dataclass
class VarMap:
    """SDD variables -> network variables (value index, -1 for a Boolean literal) or
    parameters; `filler[v]` is the weight vector of an unconstrained v."""
    owner: dict[int, tuple[Var, int]]
    params: dict[int, Any] = field(default_factory=dict)
    filler: dict[Var, tuple[Any, ...]] = field(default_factory=dict)


class Converter:
    def __init__(self, rows: dict[int, SddRow], vt: VtreeTable, vm: VarMap, sr: Semiring,
                 b: Builder, check: Callable[[], None] | None = None) -> None:
        self.rows, self.vt, self.vm, self.sr, self.b = rows, vt, vm, sr, b
        self.check = check or (lambda: None)
        self.net = {i: frozenset(vm.owner[s][0] for s in below if s in vm.owner)
                    for i, below in vt.below.items()}
        self.group = {i: group_of(below, vm.owner) for i, below in vt.below.items()}
        self.members: dict[Var, list[int]] = {}
        for s, (v, _) in vm.owner.items():
            self.members.setdefault(v, []).append(s)
        self.out: dict[int, Node | None] = {}     # None: false
        self._fill: dict[frozenset[Var], list[Node]] = {}

    # ---- driver ---------------------------------------------------------------------------
    def run(self, root: int, all_vars: frozenset[Var]) -> Node:
        for k, (i, row) in enumerate(self.rows.items()):
            self.out[i] = self._node(row)
            if k % 4096 == 0:
                self.check()
        top = self.out[root]
        if top is None:       # the false function still ranges over every variable
            zeros = [self.b.input(v, [self.sr.zero] * v.size, self.sr) for v in sorted(all_vars)]
            return self._prod(zeros) if zeros else self.b.zero(self.sr)
        return self._prod([top] + self.fillers(all_vars - self.b.scope(top)))

    def _node(self, row: SddRow) -> Node | None:
        if row.kind == "F":
            return None
        if row.kind == "T":
            return self._psdd_true(row) if row.thetas else self.b.one(self.sr)
        if row.kind == "L":
            return self._literal(row.lit)
        g = self.group[row.vtree]
        if g is not None:
            return self._group_leaf(row, g)
        return self._decision(row)

    # ---- leaves ---------------------------------------------------------------------------
    def _psdd_true(self, row: SddRow) -> Node:
        """A PSDD true node over one variable: theta on true, 1 - theta on false."""
        v, _ = self.vm.owner[row.lit]
        th = row.thetas[0]
        return self.b.input(v, [1.0 - th, th], self.sr)

    def _literal(self, lit: int) -> Node | None:
        s = abs(lit)
        if s in self.vm.params:
            return self.b.const(self.vm.params[s], self.sr) if lit > 0 else self.b.one(self.sr)
        if s not in self.vm.owner:     # an SDD variable outside the model: a don't-care
            return self.b.one(self.sr)
        v, k = self.vm.owner[s]
        if k < 0:
            return self._masked(v, {1 if lit > 0 else 0})
        return self._masked(v, {k} if lit > 0 else set(range(v.size)) - {k})

    def _masked(self, v: Var, keep: set[int]) -> Node | None:
        if not keep:
            return None
        f = self.filler(v)
        return self.b.input(v, [f[i] if i in keep else self.sr.zero for i in range(v.size)],
                            self.sr)

    def filler(self, v: Var) -> tuple[Any, ...]:
        return self.vm.filler.get(v) or tuple(self.sr.one for _ in range(v.size))

    def _group_leaf(self, row: SddRow, v: Var) -> Node | None:
        group = self.members[v]
        idx = {s: self.vm.owner[s][1] for s in group}
        keep = {i for i in range(v.size) if self._truth(row, {s for s in group if idx[s] == i})}
        return self._masked(v, keep)

    def _truth(self, row: SddRow, true_vars: set[int]) -> bool:
        while row.kind == "D":
            row = next(self.rows[s] for p, s in row.elements
                       if self._truth(self.rows[p], true_vars))
        if row.kind == "L":
            return (abs(row.lit) in true_vars) == (row.lit > 0)
        return row.kind == "T"

    # ---- decisions --------------------------------------------------------------------------
    def _decision(self, row: SddRow) -> Node | None:
        left, right = self.vt.kids[row.vtree]
        kids: list[Node] = []
        for k, (p, s) in enumerate(row.elements):
            cp, cs = self.out[p], self.out[s]
            if cp is None or cs is None:
                continue
            th = [self.b.const(row.thetas[k], self.sr)] if row.thetas else []
            kids.append(self._prod(th + [cp, cs]
                                   + self.fillers(self.net[left] - self.b.scope(cp))
                                   + self.fillers(self.net[right] - self.b.scope(cs))))
        kids = [k for k in kids if not _is_const(k, self.sr.zero)]
        return self.b.sum(kids) if kids else None

    def fillers(self, missing: frozenset[Var]) -> list[Node]:
        if missing not in self._fill:
            self._fill[missing] = [self.b.input(v, self.filler(v), self.sr)
                                   for v in sorted(missing)]
        return self._fill[missing]

    def _prod(self, kids: list[Node]) -> Node:
        """A product with constants folded (ones dropped, the rest multiplied)."""
        consts = [k for k in kids if k.op is Op.CONST]
        rest = [k for k in kids if k.op is not Op.CONST]
        c = consts[0].arg if len(consts) == 1 else self.sr.one    # one (x) a = a
        for k in consts if len(consts) > 1 else ():
            c = self.sr.to_py(self.sr.mul(self.sr.array([c]), self.sr.array([k.arg]))[0])
        if _eq(c, self.sr.zero):
            return self.b.zero(self.sr)
        if not _eq(c, self.sr.one) or not rest:
            rest.insert(0, self.b.const(c, self.sr))
        return self.b.prod(rest, self.sr)


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _is_const(n: Node, value: Any) -> bool:
    return n.op is Op.CONST and _eq(n.arg, value)


def group_of(below: frozenset[int], owner: dict[int, tuple[Var, int]]) -> Var | None:
    """The variable whose indicators are all of `below`, if there is one."""
    owners = {owner[s][0] if s in owner else None for s in below}
    return owners.pop() if len(owners) == 1 and None not in owners else None


def project_vtree(vt: VtreeTable, owner: dict[int, tuple[Var, int]]) -> Vtree | None:
    """Our vtree over network variables: the SDD vtree with parameter leaves dropped and each
    indicator group collapsed to its variable; None if some group is split."""
    memo: dict[int, Vtree | None] = {}
    for i in vt._postorder():
        g = group_of(vt.below[i], owner)
        if g is not None:
            memo[i] = Vtree.leaf(g)
        elif i in vt.var:
            memo[i] = None
        else:
            l, r = memo[vt.kids[i][0]], memo[vt.kids[i][1]]
            if l and r and l.vars & r.vars:
                return None
            memo[i] = Vtree.node(l, r) if l and r else (l or r)
    return memo[vt.root]
