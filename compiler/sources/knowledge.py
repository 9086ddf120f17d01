"""Knowledge compilation of factor models and formulas into SDDs with pysdd.

Encoding (after Chavira and Darwiche's ENC1 with local structure):
  * indicators: a Boolean variable is one SDD variable (the positive literal is `true`); a
    variable with k > 2 values has one SDD variable per value, exactly one of them true;
  * parameters: per factor, one SDD variable per *distinct* entry value other than 0 and 1,
    equivalent to "the family's assignment is one of the rows holding that value"; rows with
    0 are excluded (no variable), rows with 1 need none.
Every model of the compiled SDD is thus an indicator assignment plus the parameter values it
forces, so the SDD is "parameter-functional": conversion with weights (theta -> value,
not theta -> 1) keeps determinism over the network variables (see docs/sources.md).

The SDD vtree is our `Vtree` with each variable's leaf replaced by the subtree of its
indicators (kept together) and each factor's parameter variables attached right after the leaf
of the family member that comes last in the vtree's order: after X for an X-constrained vtree
whenever the family leaves X, so the constraint still gives X-determinism.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from pysdd.sdd import SddManager, SddNode, Vtree as SddVtree

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.sources.limits import Budget
from atlasc.compiler.sources.model import Factor
from atlasc.compiler.sources.sddfiles import Shape, VtreeTable, write_vtree


@dataclass
class Layout:
    """How network variables and parameters map to SDD variables (1-based ids)."""
    variables: tuple[Var, ...]
    groups: dict[Var, tuple[int, ...]] = field(default_factory=dict)
    owner: dict[int, tuple[Var, int]] = field(default_factory=dict)   # -1: Boolean literal
    params: dict[int, float] = field(default_factory=dict)
    count: int = 0

    def new_var(self) -> int:
        self.count += 1
        return self.count


def make_layout(variables: Sequence[Var]) -> Layout:
    lay = Layout(tuple(variables))
    for v in variables:
        if v.size == 2:
            i = lay.new_var()
            lay.groups[v] = (i,)
            lay.owner[i] = (v, -1)
        else:
            ids = tuple(lay.new_var() for _ in range(v.size))
            lay.groups[v] = ids
            for k, i in enumerate(ids):
                lay.owner[i] = (v, k)
    return lay


def param_classes(lay: Layout, f: Factor) -> dict[float, int]:
    """A parameter variable per distinct entry of `f` other than 0 and 1."""
    out: dict[float, int] = {}
    for w in np.unique(f.table):
        if w != 0.0 and w != 1.0:
            out[float(w)] = i = lay.new_var()
            lay.params[i] = float(w)
    return out


# ---- the SDD vtree ------------------------------------------------------------------------
@dataclass
class Placement:
    """Parameter variables attached above vtree nodes (keyed by id of our Vtree node): the
    node w becomes (w, params), or (params, w) for nodes in `before`."""
    at: dict[int, list[int]] = field(default_factory=dict)
    before: set[int] = field(default_factory=set)


def place_params(vt: Vtree, families: list[tuple[Var, ...]],
                 classes: list[dict[float, int]]) -> Placement:
    """Each factor's parameters go right after the leaf of its family member that comes last
    in the vtree's left-to-right order: the leaf l becomes (l, params).  Every other family
    member is then inside the same node or left of it (in a prime above it), so below any
    decision the parameters are functions of the node's variables and the context fixed
    above: the SDD stays parameter-functional node by node.  For an X-constrained vtree (spine
    node s, vars(s) = V - X) a parameter left of s has its whole family in X, since all that
    precedes s in the order is X; hence every decision above s is over X and parameters that
    are functions of X (X-determinism), and likewise for each set of a nested chain.  `X` and
    `chain` need no special case and are accepted for the callers' sake."""
    leaves = {t.var: t for t in vt._postorder() if t.is_leaf}
    rank = {v: i for i, v in enumerate(vt.order())}
    pl = Placement()
    for fam, cls in zip(families, classes):
        if not cls or not fam:
            continue
        last = max(fam, key=rank.__getitem__)
        pl.at.setdefault(id(leaves[last]), []).extend(cls.values())
    return pl


def sdd_shape(vt: Vtree, lay: Layout, pl: Placement) -> Shape:
    """Nested pairs of SDD variable ids: `vt` with groups and parameters expanded."""
    memo: dict[int, Shape] = {}
    for t in vt._postorder():
        if t.var is not None:
            base = _balanced(list(lay.groups[t.var]))
        else:
            base = (memo[id(t.children[0])], memo[id(t.children[1])])
        ps = pl.at.get(id(t))
        if ps:
            base = (_balanced(ps), base) if id(t) in pl.before else (base, _balanced(ps))
        memo[id(t)] = base
    return memo[id(vt)]


def _balanced(ids: list[int]) -> Shape:
    level: list[Shape] = list(ids)
    while len(level) > 1:
        nxt: list[Shape] = [(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = nxt + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def manager_for(shape: Shape | None, var_count: int) -> SddManager:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v.vtree")
        with open(path, "w") as fh:
            fh.write(write_vtree(shape) if var_count and shape is not None else
                     "vtree 1\nL 0 1\n")
        return SddManager.from_vtree(SddVtree(filename=path.encode()))


# ---- compiling ----------------------------------------------------------------------------
class SddCompiler:
    """One pysdd manager and the cached SDDs of "v = i"."""

    def __init__(self, lay: Layout, mgr: SddManager, budget: Budget) -> None:
        self.lay, self.mgr, self.budget = lay, mgr, budget
        self._eq: dict[tuple[Var, int], SddNode] = {}
        self.pos = {v: min(lay.groups[v]) for v in lay.variables}

    def eq(self, v: Var, i: int) -> SddNode:
        key = (v, i)
        if key not in self._eq:
            g, m = self.lay.groups[v], self.mgr
            if len(g) == 1:
                n = m.literal(g[0] if i == 1 else -g[0])
            else:
                n = m.true()
                for k, s in enumerate(g):
                    n = m.conjoin(n, m.literal(s if k == i else -s))
            n.ref()
            self._eq[key] = n
        return self._eq[key]

    def exactly_one(self, v: Var) -> SddNode:
        out = self.mgr.false()
        for i in range(v.size):
            out = self.mgr.disjoin(out, self.eq(v, i))   # eq nodes are referenced
        return out

    def factor(self, f: Factor, cls: dict[float, int], pos: dict[Var, int]) -> SddNode:
        """The factor's constraint: a decision tree over its family in `order`, each row
        leading to its parameter configuration; identical sub-tables are shared."""
        perm = sorted(range(len(f.vars)), key=lambda j: pos[f.vars[j]])
        vs = [f.vars[j] for j in perm]
        table = np.transpose(f.table, perm) if perm else f.table
        leaves = _ThetaLeaves(self.mgr, cls)
        memo: dict[tuple[int, bytes], SddNode] = {}
        out = self._tree(vs, 0, table, leaves, memo)
        out.ref()
        for n in list(memo.values()) + list(leaves.memo.values()):
            n.deref()
        out.deref()
        return out

    def _tree(self, vs: list[Var], d: int, sub: np.ndarray, leaves: "_ThetaLeaves",
              memo: dict[tuple[int, bytes], SddNode]) -> SddNode:
        if d == len(vs):
            return leaves.get(float(sub))
        key = (d, sub.tobytes())
        if key not in memo:
            m, acc = self.mgr, self.mgr.false()
            acc.ref()
            for i in range(vs[d].size):
                s = self._tree(vs, d + 1, sub[i], leaves, memo)
                if not s.is_false():
                    new = m.disjoin(acc, m.conjoin(self.eq(vs[d], i), s))
                    new.ref()
                    acc.deref()
                    acc = new
            memo[key] = acc
        return memo[key]

    def conjoin_into(self, acc: SddNode, f: SddNode) -> SddNode:
        new = self.mgr.conjoin(acc, f)
        new.ref()
        acc.deref()
        if self.mgr.dead_count() > 2 * self.mgr.live_count() + 100_000:
            self.mgr.garbage_collect()
        self.budget.check(self.mgr.live_size())
        return new


class _ThetaLeaves:
    def __init__(self, mgr: SddManager, cls: dict[float, int]) -> None:
        self.mgr, self.cls = mgr, cls
        self.memo: dict[float, SddNode] = {}

    def get(self, w: float) -> SddNode:  # noqa: D401
        if w not in self.memo:
            m = self.mgr
            if w == 0.0:
                out = m.false()
            else:
                out = m.true()
                for val, p in self.cls.items():
                    out = m.conjoin(out, m.literal(p if val == w else -p))
            out.ref()
            self.memo[w] = out
        return self.memo[w]


SEARCH_SECONDS = 5.0      # CPU seconds for libsdd's (limited) search of the whole vtree
SEARCH_MAX_SIZE = 60_000  # largest live SDD size under a sub-vtree searched without a limit


class Minimizer:
    """A bounded vtree search, once, on the compiled SDD (the factors are conjoined on the
    static vtree first: with parameters next to their families, that is fast and of moderate
    size; the search then shrinks it).  Unconstrained: libsdd's limited search of the whole
    vtree, within `seconds` of CPU time.  Constrained: each side of the root separately, so the
    root's split (X left) is never undone; libsdd has no time limit for a sub-vtree's search,
    so a side larger than `max_size` is searched in its largest sub-vtrees under `max_size`
    (a search's time grows with the size it works on).  No search once half of the time
    limit is spent."""

    def __init__(self, mgr: SddManager, split: bool, enabled: bool = True,
                 budget: Budget | None = None, seconds: float = SEARCH_SECONDS,
                 max_size: int = SEARCH_MAX_SIZE) -> None:
        self.mgr, self.split, self.enabled, self.budget = mgr, split, enabled, budget
        self.seconds, self.max_size = seconds, max_size

    def _allowed(self) -> float:
        """Seconds the search may still take (0: none)."""
        if self.budget is None or (lim := self.budget.limits.max_seconds) is None:
            return self.seconds
        return max(0.0, min(self.seconds, lim / 2 - self.budget.elapsed))

    def __call__(self, final: bool = False) -> None:
        m = self.mgr
        if not self.enabled or not final or m.vtree().is_leaf() or self._allowed() < 0.5:
            return
        m.garbage_collect()
        if self.split:
            for side in ("left", "right"):
                self._bounded(getattr(m.vtree(), side)())
        else:
            m.set_vtree_search_time_limit(max(1, int(self._allowed())))
            m.minimize_limited()

    def _bounded(self, t: SddVtree) -> None:
        todo, pick = [t], []
        while todo:
            u = todo.pop()
            if u.is_leaf():
                continue
            if u.live_size() <= self.max_size:
                pick.append(u)
            else:
                todo += [u.left(), u.right()]
        for u in pick:   # disjoint sub-vtrees: searching one leaves the others in place
            if self._allowed() < 0.5:
                return
            if u.live_size() > 0:
                # pysdd wraps the result as an owner and would free the manager's vtree
                self.mgr.vtree_minimize(u).is_ref = True


def compile_factors(c: SddCompiler, factors: Sequence[Factor], classes: list[dict[float, int]],
                    pos: dict[Var, int], sequence: Iterable[int],
                    minimize: Minimizer | None = None) -> SddNode:
    acc = c.mgr.true()
    acc.ref()
    for v in c.lay.variables:
        if v.size > 2:
            acc = c.conjoin_into(acc, c.exactly_one(v))
    todo = list(sequence)
    for k, j in enumerate(todo, 1):
        acc = c.conjoin_into(acc, c.factor(factors[j], classes[j], pos))
        c.budget.report(f"factor {k}/{len(todo)} compiled, SDD size {acc.size()}")
    if minimize:
        minimize(final=True)
    return acc


def repaired_shape(vt: "VtreeTable", lay: Layout) -> Shape | None:
    """The SDD vtree with every indicator group made contiguous again (at the position of its
    leftmost indicator); parameter leaves stay where the search put them."""
    memo: dict[int, Shape | None] = {}        # None: a group already placed further left
    placed: set[Var] = set()
    for i in vt._postorder():
        if i in vt.var:
            s = vt.var[i]
            v = lay.owner[s][0] if s in lay.owner else None
            if v is None:
                memo[i] = s
            elif v in placed:
                memo[i] = None
            else:
                placed.add(v)
                memo[i] = _balanced(list(lay.groups[v]))
        else:
            l, r = (memo[k] for k in vt.kids[i])
            memo[i] = (l, r) if l is not None and r is not None else (l if l is not None else r)
    return memo[vt.root]
