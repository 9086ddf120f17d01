"""Exact determinism and X-determinism checks (docs/atlas.md §2.4).

A sum node is X-deterministic when its children's X-supports are pairwise disjoint (sum nodes
whose scope misses X are exempt; full determinism exempts nothing).  Two routes:

* a structural fast path: every child carries a leaf over one variable of X (itself, or as a
  direct factor of a product) and those leaves' non-zero value sets are pairwise disjoint;
* otherwise the children's X-supports are built as SDDs with pysdd (one SDD variable per Boolean
  variable, one-hot for larger domains) and their pairwise conjunctions are tested.

Supports are over-approximated bottom-up (sum -> or, product -> and, leaves outside X -> true),
so disjoint results prove disjointness: "yes" is never wrong.  An overlap is a real violation
when the circuit is decomposable and the semiring is zero-sum-free without zero divisors (the
approximation is then exact); otherwise the answer is "unknown".  Past `limit` SDD nodes the
answer is "unknown", never a guess.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pysdd.sdd import SddManager, SddNode, Vtree as SddVtree

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ir.facts import Violation
from atlasc.compiler.ir.traverse import topo_many
from atlasc.compiler.properties.structural import check_decomposable

DEFAULT_LIMIT = 2_000_000


@dataclass
class DetResult:
    holds: bool | None
    witness: Violation | None
    route: str          # "structural", "SDD" or "size limit"


class _Limit(Exception):
    pass


def check_deterministic(c: Circuit, X: frozenset[Var] | None = None,
                        limit: int = DEFAULT_LIMIT) -> DetResult:
    """X=None: full determinism.  Otherwise X-determinism (X is intersected with vars(c))."""
    full = X is None
    Xs = frozenset(c.vars) if X is None else frozenset(X) & c.vars
    if not full and not Xs:
        return DetResult(True, None, "structural")
    todo = [n for n in c.nodes() if n.op is Op.SUM and (full or c.scope(n) & Xs)]
    hard = [n for n in todo if not _fast_disjoint(c, n, Xs)]
    if not hard:
        return DetResult(True, None, "structural")
    try:
        return _sdd_check(c, hard, Xs, full, limit)
    except _Limit:
        return DetResult(None, Violation(_name(full, Xs), hard[0], f"undecided: the support "
                                         f"SDDs passed {limit} nodes"), "size limit")


def _name(full: bool, Xs: frozenset[Var]) -> str:
    return "deterministic" if full else f"{fmt_vars(Xs)}-deterministic"


# ---- structural fast path ---------------------------------------------------------------------
def _decisions(c: Circuit, n: Node, Xs: frozenset[Var]) -> dict[Var, frozenset[int]]:
    leaves = [n] if n.op is Op.INPUT else [ch for ch in n.children if ch.op is Op.INPUT] \
        if n.op is Op.PROD else []
    out: dict[Var, frozenset[int]] = {}
    for lf in leaves:
        v = lf.arg.var
        if v in Xs:
            nz = frozenset(i for i, w in enumerate(lf.arg.weights) if not _is_zero(lf, w))
            out[v] = out[v] & nz if v in out else nz
    return out


def _is_zero(n: Node, w: Any) -> bool:
    return bool(n.sr.is_zero(n.sr.array([w]))[0])


def _fast_disjoint(c: Circuit, n: Node, Xs: frozenset[Var]) -> bool:
    decs = [_decisions(c, ch, Xs) for ch in n.children]
    common = set(decs[0]).intersection(*decs[1:]) if decs else set()
    for v in common:
        seen: set[int] = set()
        ok = True
        for d in decs:
            if seen & d[v]:
                ok = False
                break
            seen |= d[v]
        if ok:
            return True
    return False


# ---- SDD route --------------------------------------------------------------------------------
class _Encoding:
    def __init__(self, Xs: frozenset[Var], limit: int) -> None:
        self.order = sorted(Xs)
        self.base: dict[Var, int] = {}
        k = 1
        for v in self.order:
            self.base[v] = k
            k += 1 if v.size == 2 else v.size
        self.mgr = SddManager.from_vtree(SddVtree(var_count=max(1, k - 1),
                                                  vtree_type="balanced"))
        self.limit = limit

    def value(self, v: Var, i: int) -> SddNode:
        m, b = self.mgr, self.base[v]
        if v.size == 2:
            return m.literal(b if i == 1 else -b)
        out = m.true()
        for j in range(v.size):
            out = m.conjoin(out, m.literal(b + j if j == i else -(b + j)))
        return out

    def check(self) -> None:
        if self.mgr.size() > self.limit:
            raise _Limit()

    def decode(self, model: dict[int, int]) -> dict[str, str]:
        out: dict[str, str] = {}
        for v in self.order:
            b = self.base[v]
            if v.size == 2:
                if b in model:
                    out[v.name] = v.domain[model[b]]
            else:
                on = [j for j in range(v.size) if model.get(b + j) == 1]
                if len(on) == 1:
                    out[v.name] = v.domain[on[0]]
        return out


def _parts(sr: Any) -> int:
    """Pair semirings are tracked per component: a pair is non-zero iff a component is, and the
    components (count, prob) have no zero divisors, so supports stay exact."""
    return len(sr.components) if sr.components else 1


def _is_zero_part(n: Node, w: Any, k: int) -> bool:
    if not n.sr.components:
        return _is_zero(n, w)
    comp = n.sr.components[k]
    return bool(comp.is_zero(comp.array([w[k]]))[0])


def _supports(c: Circuit, roots: list[Node], enc: _Encoding) -> dict[int, SddNode]:
    """Each node's support, as one SDD per semiring component; `support()` joins them."""
    supp: dict[int, tuple[SddNode, ...]] = {}
    for n in topo(roots[0]) if len(roots) == 1 else _topo_many(roots):
        supp[n.uid] = _support_of(c, n, enc, supp)
        enc.check()
    m = enc.mgr
    out: dict[int, SddNode] = {}
    for uid, parts in supp.items():
        acc = parts[0]
        for p in parts[1:]:
            acc = m.disjoin(acc, p)
        out[uid] = acc
    return out


def _topo_many(roots: list[Node]) -> list[Node]:
    return topo_many(roots)


def _join(m: SddManager, parts: tuple[SddNode, ...]) -> SddNode:
    acc = parts[0]
    for p in parts[1:]:
        acc = m.disjoin(acc, p)
    return acc


def _support_of(c: Circuit, n: Node, enc: _Encoding,
                supp: dict[int, tuple[SddNode, ...]]) -> tuple[SddNode, ...]:
    m, k = enc.mgr, _parts(n.sr)
    if n.op in (Op.INPUT, Op.MARGIN):
        return tuple(_leaf_support(n, enc, j) for j in range(k))
    if n.op is Op.CONST:
        return tuple(m.false() if _is_zero_part(n, n.arg, j) else m.true() for j in range(k))
    if n.op is Op.MAP:
        child = _join(m, supp[n.children[0].uid])
        zero_ok = n.arg.props.zero_preserving
        return (m.false() if (child.is_false() and zero_ok) else m.true(),) * k
    out = []
    for j in range(k):
        acc = m.false() if n.op is Op.SUM else m.true()
        for ch in n.children:
            s = supp[ch.uid][j]
            acc = m.disjoin(acc, s) if n.op is Op.SUM else m.conjoin(acc, s)
        out.append(acc)
    return tuple(out)


def _leaf_support(n: Node, enc: _Encoding, j: int) -> SddNode:
    m = enc.mgr
    nz = [i for i, w in enumerate(n.arg.weights) if not _is_zero_part(n, w, j)]
    if n.op is Op.MARGIN or n.arg.var not in enc.base:
        return m.true() if nz else m.false()
    out = m.false()
    for i in nz:
        out = m.disjoin(out, enc.value(n.arg.var, i))
    return out


def _exact(c: Circuit) -> bool:
    srs = {n.sr for n in c.nodes() if n.op in (Op.SUM, Op.PROD)}
    comps = [x for s in srs for x in (s.components or (s,))]
    return all(s.zero_sum_free and s.no_zero_divisors for s in comps) and \
        check_decomposable(c) is None


def _sdd_check(c: Circuit, hard: list[Node], Xs: frozenset[Var], full: bool,
               limit: int) -> DetResult:
    enc = _Encoding(Xs, limit)
    supp = _supports(c, hard, enc)
    for n in hard:
        clash = _first_overlap(n, supp, enc)
        if clash is not None:
            i, j, model = clash
            exact = _exact(c)
            reason = (f"children #{n.children[i].uid} and #{n.children[j].uid} are both "
                      f"non-zero at {_fmt_assign(enc.decode(model))}"
                      + ("" if exact else " (supports over-approximated: undecided)"))
            w = Violation(_name(full, Xs), n, reason,
                          (("children", (n.children[i].uid, n.children[j].uid)),))
            return DetResult(False if exact else None, w, "SDD")
    return DetResult(True, None, "SDD")


def _first_overlap(n: Node, supp: dict[int, SddNode],
                   enc: _Encoding) -> tuple[int, int, dict[int, int]] | None:
    m = enc.mgr
    union = m.false()
    for j, ch in enumerate(n.children):
        s = supp[ch.uid]
        both = m.conjoin(union, s)
        if not both.is_false():
            for i in range(j):
                pair = m.conjoin(supp[n.children[i].uid], s)
                if not pair.is_false():
                    return i, j, _one_model(pair, enc)
        union = m.disjoin(union, s)
        enc.check()
    return None


def _one_model(f: SddNode, enc: _Encoding) -> dict[int, int]:
    for model in f.models():
        return dict(model)
    return {}


def _fmt_assign(a: dict[str, str]) -> str:
    if not a:
        return "every input"
    return ", ".join(f"{k}={v}" for k, v in sorted(a.items()))
