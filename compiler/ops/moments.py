"""Moments of a circuit's value when its parameters are random (docs/moments.md).

The value is the total V = (+)_* C of a prob circuit under an evidence row.  Two kinds of
randomness:

* dropout: every input (edge) of every sum node is kept with probability q = 1 - p, all
  independently (the tractable dropout inference of Ventola et al. 2023);
* Dirichlet: every CPT row of a Bayesian network is an independent Dirichlet (the doubled
  network is built by compiler/language/moments.py; here its circuit is folded in).

E[V] is one circuit and E[V^2] another, both over the leaves of C, so an evidence row reads
both; the result is one circuit in `moments` (prob2's arithmetic) whose root maps (E[V], E[V^2]) to
(E[V], Var[V]).  Those circuits are for evaluation only: they square leaves (a product of two
leaves of one variable is the product of their values), so they keep no structural property
and no operator may take them as an operand.

Dropout conditions (checked here, witnesses on failure):
  * decomposable over the variables each node reads (aggregated leaves included), and every
    sum node reads a variable: the factors of a product then hold disjoint sets of dropout
    masks, so they are independent;
  * compatible with itself on the node pairs the second moment meets (structured
    decomposability): two products that share variables split them alike, so E[a b] factors
    over the pairs of children.
Smoothness and determinism are not needed."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from atlasc.compiler.errors import LimitExceeded, OperatorError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.facts import DEC, STRUCTURED, Fact, How, Violation
from atlasc.compiler.ir.nodes import LEAVES, Node, Op
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.transplant import transplant
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings.base import MapProps, Mapping
from atlasc.compiler.ops.common import fail
from atlasc.compiler.semirings import MOMENTS, PROB

MAX_PAIRS = 2_000_000
FIXED = LEAVES | {Op.CONST}   # nodes without masks (leaf values)
DROPOUT_CONDITION = ("decomposable over the variables each node reads, every sum node reading "
                     "one, and compatible with itself (docs/moments.md, docs/atlas.md §2.4, "
                     "3.2): E[V] by one pass with every sum input scaled by 1 - p, E[V^2] by "
                     "the product of the circuit with itself where a sum node meets itself "
                     "(its masks are shared); smoothness and determinism not needed")
FIX_DEC = ("compile the model through an SDD or by variable elimination (decomposable by "
           "construction), or restructure the product at the witness node")
FIX_CMP = ("compile the model with one vtree (a structured-decomposable circuit: SDD models "
           "are), so that products over the same variables split them alike")

Factor = Node | tuple[int, int]           # a node (a mean, a leaf) or the key of a node pair
Term = tuple[float, tuple[Factor, ...]]   # a coefficient and its factors


def variance_map() -> Mapping:
    """(E[V], E[V^2]) -> (E[V], Var[V]) with Var = max(E[V^2] - E[V]^2, 0), in moments
    (applied to the folded root only: P1)."""
    def fn(a: np.ndarray) -> np.ndarray:
        m, s = a[..., 0], a[..., 1]
        return np.stack([m, np.maximum(s - m * m, 0.0)], axis=-1)
    return Mapping("variance", MOMENTS, MOMENTS, MapProps(False, False, True, False),
                   fn, expr="(m, s) -> (m, max(s - m^2, 0))")


# ---- read scopes and the dropout conditions ------------------------------------------------
def read_scopes(root: Node) -> dict[int, frozenset[Var]]:
    """The variables each node reads: its leaves' (aggregated MARGIN leaves included)."""
    out: dict[int, frozenset[Var]] = {}
    for n in topo(root):
        if n.op in LEAVES:
            out[n.uid] = frozenset((n.arg.var,))
        else:
            out[n.uid] = frozenset().union(*(out[k.uid] for k in n.children))
    return out


def structure_violation(root: Node, rs: dict[int, frozenset[Var]]) -> Violation | None:
    """A product whose factors read one variable, a sum that reads none, or a MAP node."""
    for n in topo(root):
        if n.op is Op.MAP:
            return Violation("decomposable", n, "a mapped constant: its inputs are not sums "
                             "and products of the model's parameters")
        if n.op is Op.SUM and not rs[n.uid]:
            return Violation("decomposable", n, "a sum of constants: its masks could be "
                             "shared by two factors of a product")
        if n.op is Op.PROD:
            seen: set[Var] = set()
            for k in n.children:
                if seen & rs[k.uid]:
                    v = sorted(seen & rs[k.uid])[0]
                    return Violation("decomposable", n, f"two factors read {v.name}")
                seen |= rs[k.uid]
    return None


# ---- the moment circuits --------------------------------------------------------------------
class Moments:
    """E[n] and E[a b] as prob nodes of c's builder, for dropout with keep probability q."""

    def __init__(self, c: Circuit, q: float) -> None:
        self.b, self.q, self.root = c.builder, q, c.root
        self.rs = read_scopes(c.root)
        self.mean: dict[int, Node] = {}
        self.pairs: dict[tuple[int, int], Node] = {}
        self.nodes = {n.uid: n for n in topo(c.root)}
        for n in self.nodes.values():
            self.mean[n.uid] = self._mean(n)

    def _mean(self, n: Node) -> Node:
        kids = [self.mean[k.uid] for k in n.children]
        if n.op is Op.PROD:
            return self.b.prod(kids, PROB)
        if n.op is Op.SUM:
            return self.b.prod([self.b.const(self.q, PROB), self.b.sum(kids, PROB)], PROB)
        return n

    def second(self) -> Node:
        """E[root^2], built bottom-up over the node pairs it needs (no recursion)."""
        top = (self.root.uid, self.root.uid)
        plans: dict[tuple[int, int], list[Term]] = {}
        stack = [top]
        while stack:
            key = stack[-1]
            if key in self.pairs:
                stack.pop()
                continue
            if key not in plans:
                plans[key] = self._plan(*key)
                if len(plans) > MAX_PAIRS:
                    raise LimitExceeded(f"the second moment needs more than {MAX_PAIRS} node "
                                        "pairs")
            todo = [f for _, fs in plans[key] for f in fs
                    if isinstance(f, tuple) and f not in self.pairs]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            self.pairs[key] = self._build(plans.pop(key))
        return self.pairs[top]

    def _build(self, terms: list[Term]) -> Node:
        b, out = self.b, []
        for coef, fs in terms:
            kids = [self.pairs[f] if isinstance(f, tuple) else f for f in fs]
            if coef != 1.0:
                kids.insert(0, b.const(coef, PROB))
            out.append(b.prod(kids, PROB))
        return b.sum(out, PROB)

    def key(self, a: Node, c: Node) -> tuple[int, int]:
        return (a.uid, c.uid) if a.uid <= c.uid else (c.uid, a.uid)

    def _plan(self, ua: int, uc: int) -> list[Term]:
        """E[a c] as a sum of terms (docs/moments.md, *The second moment*)."""
        a, c = self.nodes[ua], self.nodes[uc]
        if a.op in FIXED and c.op in FIXED:
            return [(1.0, (a, c))]          # no masks: the product of the two values
        if not self.rs[ua] & self.rs[uc]:
            return [(1.0, (self.mean[ua], self.mean[uc]))]   # disjoint masks: independent
        if a is c:
            return self._diagonal(a)
        for x, y in ((a, c), (c, a)):
            if x.op is Op.PROD and self._sharing(x, y) == 1:
                return [self._push(x, y)]
        if a.op is Op.PROD and c.op is Op.PROD:
            return [self._match(a, c)]
        # a sum not below the other node (descendants have smaller uids): its masks are
        # independent of the other's value and of its own inputs
        s = max((x for x in (a, c) if x.op is Op.SUM), key=lambda n: n.uid)
        other = c if s is a else a
        return [(self.q, (self.key(k, other),)) for k in s.children]

    def _diagonal(self, a: Node) -> list[Term]:
        if a.op is Op.PROD:
            return [(1.0, tuple(self.key(k, k) for k in a.children))]
        kids, q = a.children, self.q
        terms: list[Term] = [(q, (self.key(k, k),)) for k in kids]
        terms += [(2 * q * q, (self.key(kids[i], kids[j]),))
                  for i in range(len(kids)) for j in range(i)]
        return terms

    def _sharing(self, x: Node, y: Node) -> int:
        return sum(1 for k in x.children if self.rs[k.uid] & self.rs[y.uid])

    def _push(self, x: Node, y: Node) -> Term:
        """A product with one factor that shares variables with y: the others are independent
        of y, and of that factor."""
        fs: list[Factor] = []
        for k in x.children:
            fs.append(self.key(k, y) if self.rs[k.uid] & self.rs[y.uid] else self.mean[k.uid])
        return (1.0, tuple(fs))

    def _match(self, a: Node, c: Node) -> Term:
        """Two products: pair their factors one to one by the variables they read."""
        fs: list[Factor] = [self.mean[k.uid] for k in a.children
                            if not self.rs[k.uid] & self.rs[c.uid]]
        fs += [self.mean[k.uid] for k in c.children if not self.rs[k.uid] & self.rs[a.uid]]
        for k in a.children:
            hit = [m for m in c.children if self.rs[m.uid] & self.rs[k.uid]]
            back = [j for j in a.children if hit and self.rs[j.uid] & self.rs[hit[0].uid]]
            if len(hit) > 1 or (hit and back != [k]):
                raise _Incompatible(a, c)
            if hit:
                fs.append(self.key(k, hit[0]))
        return (1.0, tuple(fs))


class _Incompatible(Exception):
    def __init__(self, a: Node, c: Node) -> None:
        super().__init__()
        self.a, self.c = a, c


# ---- the operators ---------------------------------------------------------------------------
def dropout(c: Circuit, p: float, label: str | None = None) -> Circuit:
    """(E[V], Var[V]) of the total V of c (empty scope: every variable aggregated) when every
    sum-node input is dropped with probability p, independently."""
    _need_total(c)
    if not 0.0 <= p <= 1.0:
        raise OperatorError(f"dropout probability {p} is not in [0, 1]")
    step = _step(c, label or f"moments[dropout {p:g}]", DROPOUT_CONDITION,
                 "O(|C|) for E, O(|C|^2) node pairs at most for E[V^2]")
    rs = read_scopes(c.root)
    w = structure_violation(c.root, rs)
    dec = Fact(DEC, w is None, How.VERIFIED, "over the variables each node reads; every sum "
               "node reads one", w)
    step.needs += (dec,)
    if w is not None:
        fail(step, f"decomposable over the variables each node reads, of {_name(c)}", dec,
             FIX_DEC, step.label, (c,))
    mm = Moments(c, 1.0 - p)
    try:
        second = mm.second()
    except _Incompatible as e:
        bad = Fact(STRUCTURED, False, How.VERIFIED, "", _incompatible(e))
        step.needs += (bad,)
        fail(step, f"compatible with itself (structured-decomposable), of {_name(c)}", bad,
             FIX_CMP, step.label, (c,))
    step.needs += (Fact(STRUCTURED, True, How.VERIFIED, f"compatible with itself on the "
                        f"{len(mm.pairs)} node pairs of the second moment"),)
    step.notes += (f"{_count_sums(c)} sum nodes with {_sum_edges(c)} inputs, each kept with "
                   f"probability {1 - p:g}",)
    return combine(c, mm.mean[c.root.uid], second, step)


def _incompatible(e: _Incompatible) -> Violation:
    return Violation("compatible", e.a, f"products #{e.a.uid} and #{e.c.uid} read the same "
                     "variables but split them differently")


def _name(c: Circuit) -> str:
    return c.name or "the operand"


def _count_sums(c: Circuit) -> int:
    return sum(1 for n in c.nodes() if n.op is Op.SUM)


def _sum_edges(c: Circuit) -> int:
    return sum(len(n.children) for n in c.nodes() if n.op is Op.SUM)


def _need_total(c: Circuit) -> None:
    if c.sr != PROB:
        raise OperatorError(f"moments need a prob circuit, not {c.sr.name}")
    if c.vars:
        raise OperatorError("moments are of a total: every variable must be aggregated")


def _step(c: Circuit, label: str, condition: str, cost: str,
          inputs: Iterable[Circuit] | None = None) -> Step:
    ins = tuple(x.step for x in (inputs if inputs is not None else (c,)) if x.step)
    return Step("moments", label, MOMENTS.name, (), inputs=ins, condition=condition, cost=cost)


def dirichlet(mean: Circuit, doubled: Circuit, copies: dict[Var, Var], label: str,
              notes: tuple[str, ...] = ()) -> Circuit:
    """(E[V], Var[V]) from the total of the network at its mean parameters (`mean`) and the
    total of the doubled network (`doubled`, over X and its copies X', every variable
    aggregated): each copy's leaves become leaves of its variable, so one evidence row is
    read by both copies, as in E[V^2] = sum over x, x' consistent with e."""
    _need_total(mean)
    _need_total(doubled)
    doubled = transplant(doubled, mean.builder)
    second = merge_copies(doubled, copies)
    step = _step(mean, label, DIRICHLET_CONDITION, "O(|C|) + O(|C'|), C' the doubled network's "
                 "circuit", (mean, doubled))
    step.notes += notes
    return combine(mean, mean.root, second, step)


DIRICHLET_CONDITION = ("every term of the network polynomial has one parameter of each CPT, "
                       "so at most one of each row (a Bayesian network: by construction); rows "
                       "independent: E[V] is V at the mean parameters and E[V^2] the total of "
                       "the doubled network, whose circuit's aggregation needs smooth and "
                       "decomposable (docs/moments.md, docs/atlas.md §3.1)")


def merge_copies(c: Circuit, copies: dict[Var, Var]) -> Node:
    """c's root with every aggregated leaf of a copy X' made a leaf of X (same weights)."""
    b, new = c.builder, {}
    for n in topo(c.root):
        if n.op is Op.MARGIN and n.arg.var in copies:
            new[n.uid] = b.margin(copies[n.arg.var], n.arg.weights, n.sr)
        elif n.op in (Op.SUM, Op.PROD):
            kids = tuple(new[k.uid] for k in n.children)
            new[n.uid] = b.sum(kids, n.sr) if n.op is Op.SUM else b.prod(kids, n.sr)
        else:
            new[n.uid] = n
    return new[c.root.uid]


def combine(c: Circuit, mean: Node, second: Node, step: Step) -> Circuit:
    """One circuit in moments: (E, E2) lifted into the two components, then mapped (one
    pair semiring throughout: the compiled kernels have one stage per semiring)."""
    b = c.builder
    root = b.sum([lift(b, mean, 0), lift(b, second, 1)], MOMENTS)
    out = Circuit(b.map(variance_map(), root), b, c.name, step=step,
                  info={**c.info, "moments": True})
    step.size_of(out)
    step.keeps = ("nothing: an evaluation circuit (E[V], Var[V]), not an operand",)
    return out


def lift(b: Builder, root: Node, side: int) -> Node:
    """A prob circuit as the component `side` of a moments circuit (the other 0)."""
    def pair(x: float) -> tuple[float, float]:
        return (float(x), 0.0) if side == 0 else (0.0, float(x))
    new: dict[int, Node] = {}
    for n in topo(root):
        if n.op in LEAVES:
            w = [pair(x) for x in n.arg.weights]
            new[n.uid] = b.margin(n.arg.var, w, MOMENTS) if n.op is Op.MARGIN else \
                b.input(n.arg.var, w, MOMENTS)
        elif n.op is Op.CONST:
            new[n.uid] = b.const(pair(n.arg), MOMENTS)
        elif n.op in (Op.SUM, Op.PROD):
            kids = [new[k.uid] for k in n.children]
            new[n.uid] = b.sum(kids, MOMENTS) if n.op is Op.SUM else b.prod(kids, MOMENTS)
        else:
            raise OperatorError(f"moments cannot lift a {n.op.value} node")
    return new[root.uid]


# ---- the doubled network's factors ------------------------------------------------------------
def second_moment_table(alpha: np.ndarray) -> np.ndarray:
    """E[theta(v) theta(v')] over a CPT's family v (child on the last axis) and its copy v',
    every row an independent Dirichlet(alpha): theta(v) theta(v') (the means) for different
    rows, alpha_i (alpha_j + [i = j]) / (alpha0 (alpha0 + 1)) within one row.  A zero
    alpha_i is the limit: theta_i = 0 almost surely."""
    shape = alpha.shape
    a = alpha.reshape(-1, shape[-1]).astype(np.float64)
    a0 = a.sum(axis=1, keepdims=True)
    mean = a / a0
    out = np.einsum("ri,sj->risj", mean, mean)
    inrow = a[:, :, None] * (a[:, None, :] + np.eye(a.shape[1])) / (a0 * (a0 + 1))[:, :, None]
    for r in range(a.shape[0]):
        out[r, :, r, :] = inrow[r]
    return out.reshape(shape + shape)
