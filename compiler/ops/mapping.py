"""Elementwise mapping tau(C) (docs/atlas.md §3.3).

Sufficient conditions, tried in this order:
  * tau is S-linear (tau(x) = x (x) c with S = S'): multiply the root by c; any circuit;
  * tau is a homomorphism: map every leaf, read (+) and (x) in S';
  * tau is multiplicative with tau(0) = 0' and C is deterministic once its constant
    (empty-scope) sub-circuits are folded, i.e. vars(C)-deterministic.
Maximal empty-scope sub-circuits are never mapped node by node: they become MAP nodes that
evaluate the sub-circuit in S and map its single value (P1).  Constant sub-circuits that read no
evidence are folded to a constant right away.

Keeps smoothness, decomposability, X-determinism and compatibility (same structure, supports
only shrink since tau(0) = 0'); the result is a view of the input's source."""
from __future__ import annotations

from functools import partial

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.sparse import SparseView
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.ops.common import carry_view, fail, rebuild, same_op, scope_of
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.facts import Fact, How, Kind, Prop, carry, xdet
from atlasc.compiler.properties.establish import establish
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.properties.factors import (Passes, domain_violation,
                                               single_factor_violation)


def apply_mapping(c: Circuit, tau: Mapping, label: str | None = None) -> Circuit:
    if c.sr != tau.src:
        raise OperatorError(f"mapping {tau.label} reads {tau.src.name}, but "
                            f"{c.name or 'the operand'} is in {c.sr.name}")
    step = Step("map", label or f"map[{tau.label}]", tau.dst.name, scope_of(c),
                inputs=(c.step,) if c.step else (), cost="O(|C|)")
    step.notes += _prop_notes(tau)
    if tau.props.scale is not None and tau.src == tau.dst:
        return _scale(c, tau, step)
    _check(c, tau, step)
    if isinstance(c, FlatView) and _flat_answers(c, tau):
        view = c.derive(partial(_nodes, c, tau, label), sr=tau.dst, facts=_kept(c, tau),
                        step=step)
        _finish(step, view)
        return view
    if isinstance(c, SparseView) and (tau.props.homomorphism or tau.props.multiplicative):
        return _sparse(c, tau, label, step)
    b = c.builder
    m = rebuild(c, lambda n, kids: _visit(b, tau, n, kids), stop=lambda n: not b.scope(n))
    out = Circuit(m[c.root.uid], b, c.name, facts=_kept(c, tau), provenance=carry_view(c, m),
                  vtree=c.vtree, step=step)
    _finish(step, out)
    return out


FLAT_MAPS = {("prob", "maxprod")}    # id between carriers the flat runtime evaluates alike


FLAT_INDICATOR = ("count", "prob")   # indicator: bool -> S on a Boolean view's arrays


def _flat_answers(c: FlatView, tau: Mapping) -> bool:
    """id: prob -> maxprod on a view whose free variables are all eliminated last: every
    remaining sum of the arrays is over them, so it becomes the maximum (runtime/flat.py).
    indicator: bool -> count / prob on a Boolean view with nothing aggregated (a CNF,
    compiler/sources/cnfflat.py): its arrays hold 1 for true and 0 for false with + and x,
    which is the mapped circuit itself (the mapping theorem, C deterministic)."""
    if tau.name == "indicator" and tau.src.name == "bool":
        return tau.dst.name in FLAT_INDICATOR and not tau.params and not c.maxed \
            and not c.summed
    last = frozenset(c.flat.info["order"][len(c.flat.info["order"]) - len(c.vars):])
    return tau.name == "id" and (tau.src.name, tau.dst.name) in FLAT_MAPS and \
        not tau.params and last == c.vars and not c.maxed


def _sparse(c: SparseView, tau: Mapping, label: str | None, step: Step) -> SparseView:
    """inner mapped, and each free leaf's weights: what the node route does to every leaf
    (no free leaf is under a sum, so C's determinism is inner's)."""
    groups = tuple((tuple(tau.apply_py(x) for x in w), vs) for w, vs in c.groups)
    out = SparseView(apply_mapping(c.inner, tau, label), groups, name=c.name,
                     facts=_kept(c, tau), step=step, info=c.info, like=c)
    _finish(step, out)
    return out


def _nodes(c: FlatView, tau: Mapping, label: str | None) -> Circuit:
    return apply_mapping(c.as_nodes(), tau, label)


def _prop_notes(tau: Mapping) -> tuple[str, ...]:
    p = tau.props
    def s(x: bool | None) -> str:
        return {True: "yes", False: "no", None: "undecided"}[x]
    return (f"{tau.label}: additive {s(p.additive)}, multiplicative {s(p.multiplicative)}, "
            f"tau(0)=0 {s(p.zero_preserving)}, support-preserving {s(p.support_preserving)} "
            f"({p.how})",)


def _check(c: Circuit, tau: Mapping, step: Step) -> None:
    p = tau.props
    if tau.domain is not None:
        _check_domain(c, tau, step)
    if p.homomorphism:
        step.condition = "tau is a homomorphism: no condition on C (3.3)"
        return
    if not p.multiplicative and tau.passes is not None and p.zero_preserving:
        return _check_single_factor(c, tau.passes, step)
    if not p.multiplicative:
        why = "not multiplicative" if p.multiplicative is False else "multiplicativity undecided"
        fail(step, f"a homomorphism or a multiplicative mapping ({tau.label} is {why})", None,
             "use a multiplicative mapping, or restate the query; non-multiplicative tau is "
             "outside the mapping theorem (3.3, P3)", step.label)
    if not p.zero_preserving:
        fail(step, f"tau(0) = 0 ({tau.label} does not map 0 to 0)", None,
             "define the mapping with its value at zero (e.g. `, 0 -> 0`) so that "
             "tau(0) = 0 (P3)", step.label)
    X = c.vars
    f = establish(c, xdet(X))
    step.needs += (f,)
    step.condition = ("tau is multiplicative with tau(0) = 0 and C is deterministic once its "
                      "constant sub-circuits are folded (3.3, P1)")
    if not f.holds:
        fail(step, f"{f.prop} of {c.name or 'the operand'}"
             + (" (undecided)" if f.holds is None else ""), f, _fix_det(c), step.label, (c,))


def _check_domain(c: Circuit, tau: Mapping, step: Step) -> None:
    """tau's properties are declared on part of its source only (tau.domain)."""
    w = domain_violation(c, tau.domain) if tau.domain is not None else None
    if w is not None:
        fail(step, f"every value of {c.name or 'the operand'} in the domain of {tau.label} "
             f"({'; '.join(tau.props.notes)})", Fact(xdet(c.vars), False, How.VERIFIED, "", w),
             f"{tau.label} is meant for the counts a PASP query makes (credal); give pairs "
             "(a, b) with a <= b", step.label)


def _check_single_factor(c: Circuit, passes: Passes, step: Step) -> None:
    """tau is not multiplicative but passes some values (e.g. the SDP threshold passes the
    diagonal pairs): exact when C is deterministic on its variables and every product has at
    most one factor tau does not pass (compiler/properties/factors.py, docs/atlas.md §3.3)."""
    f = establish(c, xdet(c.vars))
    step.needs += (f,)
    step.condition = ("tau is not multiplicative, but it passes every factor of a product "
                      "except at most one, C is deterministic once its constant sub-circuits "
                      "are folded, and tau(0) = 0 (3.3: a single inner sub-circuit per "
                      "assignment)")
    if not f.holds:
        fail(step, f"{f.prop} of {c.name or 'the operand'}", f, _fix_det(c), step.label, (c,))
    w = single_factor_violation(c, passes)
    if w is not None:
        fail(step, "at most one factor per product that the mapping does not pass",
             Fact(xdet(c.vars), False, How.VERIFIED, "", w),
             "compile the model with `with vtree constrained {...}` on the outer variables "
             "(the result's), so each of their assignments reaches one inner sub-circuit",
             step.label, (c,))


def _fix_det(c: Circuit) -> str:
    names = ", ".join(v.name for v in sorted(c.vars))
    src = c.source.name or "the model"
    return (f"compile {src} with `with vtree constrained {{{names}}}` so it is "
            f"{{{names}}}-deterministic, or run with --repair")


def _visit(b: Builder, tau: Mapping, n: Node, kids: tuple[Node, ...]) -> Node:
    if not b.scope(n):
        return _fold(b, tau, n)
    if n.op is Op.INPUT:
        return b.input(n.arg.var, [tau.apply_py(w) for w in n.arg.weights], tau.dst)
    return same_op(b, n, kids) if n.op is not Op.MAP else n


def _fold(b: Builder, tau: Mapping, n: Node) -> Node:
    """A constant sub-circuit: evaluate it now if it reads no evidence, else a MAP node."""
    if any(x.op is Op.MARGIN for x in topo(n)):
        return b.map(tau, n)
    return b.const(tau.apply_py(evaluator().evaluate(n).values[0]), tau.dst)


def _scale(c: Circuit, tau: Mapping, step: Step) -> Circuit:
    b = c.builder
    k = b.const(tau.props.scale, tau.dst)
    step.condition = f"tau is S-linear (tau(x) = x * {tau.props.scale}): a product with a constant"
    m = {n.uid: n for n in topo(c.root)}
    out = Circuit(b.prod([k, c.root], tau.dst), b, c.name, facts=_kept(c),
                  provenance=carry_view(c, m, (k,)), vtree=c.vtree, step=step)
    _finish(step, out)
    return out


def _kept(c: Circuit, tau: Mapping | None = None) -> dict[Prop, Fact]:
    """Structure is kept; supports only shrink when tau(0) = 0', so X-determinism is kept too."""
    keep_det = tau is None or bool(tau.props.zero_preserving)
    kinds = {Kind.SMOOTH, Kind.DEC, Kind.STRUCTURED} | ({Kind.XDET} if keep_det else set())
    return {p: carry(f, "kept by the mapping") for p, f in c.facts.items()
            if f.holds and p.kind in kinds}


def _finish(step: Step, out: Circuit) -> None:
    step.size_of(out)
    step.keeps = tuple(str(p) for p, f in out.facts.items() if f.holds) + \
        (f"view of {out.source.name or 'the source'}",)
