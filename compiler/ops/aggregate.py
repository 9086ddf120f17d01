"""Aggregation (+)_W C (docs/atlas.md §3.1): replace each input leaf over a variable of W by its
aggregated leaf.  O(|C|) on a decomposable circuit; smoothness is needed (and established by
smoothing first) only when (+) is not idempotent (P2).

Keeps smoothness and decomposability; keeps X-determinism when W and X are disjoint; the result
is a view of the input's source (support-compatible with it, P9)."""
from __future__ import annotations

from functools import partial
from typing import Iterable

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.sparse import SparseView, power, total
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var, fmt_vars, sorted_vars
from atlasc.compiler.ops import smooth
from atlasc.compiler.ops.common import carry_view, rebuild, require, same_op
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.facts import DEC, SMOOTH, Fact, Kind, Prop, carry
from atlasc.compiler.properties.establish import establish

FIX_DEC = ("the operand is not decomposable; compile the model through an SDD (logic, cnf and "
           "bif models are) or restructure the product at the witness node")


def aggregate(c: Circuit, W: Iterable[Var], label: str | None = None) -> Circuit:
    W = frozenset(W)
    if W - c.vars:
        raise OperatorError(f"cannot aggregate {fmt_vars(W - c.vars)}: not in the scope "
                            f"{fmt_vars(c.vars)} of {c.name or 'the operand'}")
    sr = c.sr
    step = Step("aggregate", label or f"{sr.add_word}[{fmt_vars(W)}]", sr.name,
                tuple(v.name for v in sorted_vars(c.vars - W)),
                inputs=(c.step,) if c.step else (), cost="O(|C|)")
    step.needs += (require(c, DEC, step, FIX_DEC),)
    c = _smooth_if_needed(c, step)
    if isinstance(c, FlatView) and (view := _flat(c, W, label, step)) is not None:
        return view
    if isinstance(c, SparseView):
        return _sparse(c, W, label, step)
    b = c.builder

    def visit(n: Node, kids: tuple[Node, ...]) -> Node:
        if n.op is Op.INPUT and n.arg.var in W:
            return b.margin(n.arg.var, n.arg.weights, n.sr)
        return same_op(b, n, kids)

    m = rebuild(c, visit)
    out = Circuit(m[c.root.uid], b, c.name, facts=_kept(c, W), provenance=carry_view(c, m),
                  vtree=c.vtree, step=step)
    step.size_of(out)
    step.keeps = tuple(str(p) for p, f in out.facts.items() if f.holds) + \
        (f"view of {out.source.name or 'the source'}",)
    return out


def _flat(c: FlatView, W: frozenset[Var], label: str | None, step: Step) -> FlatView | None:
    """The same view on the flat arrays (sums, or maxima for an idempotent sum), when the
    maximised variables are still eliminated after the summed ones; None: build nodes."""
    summed, maxed = (frozenset(), W) if c.sr.idempotent else (W, frozenset())
    out = c.derive(partial(_nodes, c, W, label), facts=_kept(c, W), step=step, summed=summed,
                   maxed=maxed)
    if not out.nested:
        return None
    step.size_of(out)
    step.keeps = tuple(str(p) for p, f in out.facts.items() if f.holds) + \
        (f"view of {out.source.name or 'the source'}",)
    return out


def _sparse(c: SparseView, W: frozenset[Var], label: str | None, step: Step) -> Circuit:
    """Free variables of W become the constant ((+) of their weights)^k per weight group
    (compiler/ir/sparse.py); the others stay free.  inner is aggregated over the rest of W."""
    inner = aggregate(c.inner, W & c.inner.vars, label) if W & c.inner.vars else c.inner
    b, sr = inner.builder, c.sr
    consts, rest = [], []
    for w, vs in c.groups:
        left = _outside(vs, W)
        k = len(vs) - len(left)
        consts += power(b, total(sr, w), k, sr)
        rest.append((w, left))
    root = b.prod([inner.root] + consts, sr) if consts else inner.root
    if consts:
        step.notes += (f"{len(W - c.inner.vars)} variables that no clause mentions summed in "
                       f"closed form: per weight group, the constant ((+) of its weights)^k "
                       f"({len(consts)} constant factors)",)
    m = {n.uid: n for n in topo(inner.root)}
    folded = frozenset(c.info.get("folded", ())) | (W - c.inner.vars)
    fixed = dict(c.info.get("argmax_fixed", {}))    # max / min: a maximiser of each leaf
    if sr.add_word in ("max", "min"):
        for w, vs in c.groups:
            i = int(sr.select(sr.array(list(w))))
            fixed.update((v, i) for v in vs if v in W)
    out: Circuit = Circuit(root, b, c.name, facts=_kept(c, W), vtree=inner.vtree, step=step,
                           provenance=carry_view(inner, m, tuple(consts)),
                           info={"folded": folded, "argmax_fixed": fixed})  # program/folded.py
    if any(vs for _, vs in rest):
        out = SparseView(out, tuple(rest), name=c.name, facts=_kept(c, W), step=step,
                         info={**c.info, "folded": folded, "argmax_fixed": fixed})
    step.size_of(out)
    step.keeps = tuple(str(p) for p, f in out.facts.items() if f.holds)
    return out


def _outside(vs: tuple[Var, ...], W: frozenset[Var]) -> tuple[Var, ...]:
    """The variables of vs not in W (one set test for the common cases: all, or none)."""
    if W.issuperset(vs):
        return ()
    if W.isdisjoint(vs):
        return vs
    return tuple(v for v in vs if v not in W)


def _nodes(c: FlatView, W: frozenset[Var], label: str | None) -> Circuit:
    return aggregate(c.as_nodes(), W, label)


def _smooth_if_needed(c: Circuit, step: Step) -> Circuit:
    if c.sr.idempotent:
        step.condition = f"decomposable; smoothness not needed since {c.sr.add_word} is " \
                         "idempotent (3.1)"
        return c
    step.condition = "smooth and decomposable (3.1)"
    sm = establish(c, SMOOTH)
    if sm.holds:
        step.needs += (sm,)
        return c
    out = smooth.run(c)
    step.needs += (out.facts[SMOOTH],)
    step.notes += (f"{c.name or 'the operand'} was not smooth ({sm.witness.describe() if sm.witness else ''}); "
                   "smoothed first (P2)",)
    return out


def _kept(c: Circuit, W: frozenset[Var]) -> dict[Prop, Fact]:
    out = {}
    for p, f in c.facts.items():
        if not f.holds:
            continue
        if p.kind in (Kind.SMOOTH, Kind.DEC, Kind.STRUCTURED):
            out[p] = carry(f, "kept by aggregation")
        elif p.kind is Kind.XDET and not (p.X or frozenset()) & W:
            out[p] = carry(f, "kept by aggregation: W misses X")
    return out
