"""Product C (x) C' (docs/atlas.md §3.2), two algorithms.

* Support-compatible ("diagonal") product of views of one source S, O(k|S|): pair each source
  node's images.  Valid when S is Y-deterministic for every set Y of variables that two of the
  views keep in common.  At each node, views whose image is a constant are multiplied in and
  dropped below (P7); views whose images share no variable there are multiplied as separate
  factors (their cross terms do not vanish, so they must not be paired).
* Compatible product, O(|C||C'|): memoised, scope-directed pairing (P8): no shared variable ->
  a product node; a product with a single child sharing variables -> push into that child; a
  sum -> distribute; two products -> pair children by the blocks of shared variables; two leaves
  -> pointwise.  Needs smooth, decomposable and compatible inputs; an incompatible pair of
  product nodes is reported (with both nodes) before any result is returned.
"""
from __future__ import annotations

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit, Provenance
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.pairing import Incompatible, Pairing, pointwise
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ops import smooth
from atlasc.compiler.ops.common import fail, require, steps_of
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.transplant import transplant
from atlasc.compiler.properties.compat import support_compatible_facts
from atlasc.compiler.ir.facts import (COMPAT, DEC, DET, SMOOTH, Fact, How, Kind, Prop,
                                       Violation, carry)
from atlasc.compiler.properties.establish import establish

FIX_COMPAT = ("compile both models with the same vtree (or from one model, so they are views "
              "of one circuit), or make the shared variables deterministic for a linear product")


def multiply(*cs: Circuit, label: str | None = None) -> Circuit:
    if not cs:
        raise OperatorError("a product needs at least one operand")
    if len({c.sr for c in cs}) != 1:
        raise OperatorError("a product's operands must share a semiring, got "
                            + ", ".join(c.sr.name for c in cs))
    b = cs[0].builder
    cs = tuple(transplant(c, b) for c in cs)
    step = Step("product", label or "product", cs[0].sr.name,
                tuple(sorted({v.name for c in cs for v in c.vars})), inputs=steps_of(cs))
    if len(cs) == 1:
        return cs[0]
    if _pairwise_disjoint(cs):
        return _disjoint(cs, step)
    views = _flatten(cs)
    if _same_source(views):
        tried = _try_diagonal(views, step)
        if tried is not None:
            return tried
    return _compatible_chain(cs, step)


# ---- operands without shared variables --------------------------------------------------------
def _pairwise_disjoint(cs: tuple[Circuit, ...]) -> bool:
    seen: set[Var] = set()
    for c in cs:
        if seen & c.vars:
            return False
        seen |= c.vars
    return True


def _disjoint(cs: tuple[Circuit, ...], step: Step) -> Circuit:
    """No two operands share a variable: one product node is decomposable, O(1)."""
    b = cs[0].builder
    step.condition = "the operands share no variable: a decomposable product node (3.2)"
    step.cost = "O(1)"
    facts: dict[Prop, Fact] = {}
    for p in (SMOOTH, DEC, DET):
        known = [f for c in cs if (f := c.facts.get(p)) is not None and f.holds]
        if len(known) == len(cs):
            facts[p] = carry(known[0], "kept: every operand has it, and no sum node is new")
    out = Circuit(b.prod([c.root for c in cs], cs[0].sr), b,
                  " * ".join(c.name for c in cs if c.name), facts=facts, step=step)
    step.size_of(out)
    step.keeps = tuple(str(p) for p in facts)
    return out


# ---- support-compatible product ----------------------------------------------------------------
def _flatten(cs: tuple[Circuit, ...]) -> tuple[Circuit, ...]:
    out: list[Circuit] = []
    for c in cs:
        out += list(c.info.get("diagonal_of", (c,)))
    return tuple(out)


def _same_source(cs: tuple[Circuit, ...]) -> bool:
    return len({id(c.source) for c in cs}) == 1


def _try_diagonal(views: tuple[Circuit, ...], step: Step) -> Circuit | None:
    src = views[0].source
    facts = support_compatible_facts(views)
    if not all(f.holds for f in facts):
        bad = next(f for f in facts if not f.holds)
        step.notes += (f"support-compatible product not applicable: the source "
                       f"{src.name or ''} is not {bad.prop}"
                       + (f" ({bad.witness.describe()})" if bad.witness else ""),)
        return None
    step.condition = ("support-compatible: all operands are views of "
                      f"{src.name or 'one circuit'}, which is Y-deterministic for every pair's "
                      "shared variables Y (3.2)")
    step.cost = f"O({len(views)}|C|)"
    step.needs += tuple(facts)
    root = _diagonal(views, src)
    out = Circuit(root, src.builder, src.name, facts=_diag_facts(src), vtree=src.vtree,
                  step=step, info={"diagonal_of": views})
    step.size_of(out)
    step.keeps = tuple(str(p) for p, f in out.facts.items() if f.holds)
    return out


def _diag_facts(src: Circuit) -> dict[Prop, Fact]:
    keep = {Kind.SMOOTH, Kind.DEC, Kind.XDET, Kind.STRUCTURED}
    return {p: carry(f, "kept by the support-compatible product") for p, f in src.facts.items()
            if f.holds and p.kind in keep}


def _diagonal(views: tuple[Circuit, ...], src: Circuit) -> Node:
    b = src.builder
    provs = [v.provenance for v in views]
    todo = _plan(src, views, provs)
    done: dict[tuple[int, frozenset[int]], Node] = {}
    for n, E in todo:
        done[(n.uid, E)] = _diag_node(b, n, E, provs, done)
    core = done[(src.root.uid, frozenset(range(len(views))))]
    rf = [f for p in provs for f in p.root_factors]
    return b.prod(rf + [core], core.sr) if rf else core


def _active_groups(b: Builder, n: Node, E: frozenset[int], provs: list[Provenance]) -> tuple[list[Node], list[frozenset[int]]]:
    """Constant images (to multiply in) and groups of active views linked by shared variables."""
    consts: list[Node] = []
    active: list[int] = []
    for k in sorted(E):
        img = provs[k].image_of(n)
        if b.scope(img):
            active.append(k)
        else:
            consts.append(img)
    groups: list[set[int]] = []
    for k in active:
        sk = b.scope(provs[k].image_of(n))
        linked = [g for g in groups if any(sk & b.scope(provs[j].image_of(n)) for j in g)]
        merged = {k}.union(*linked)
        groups = [g for g in groups if g not in linked] + [merged]
    return consts, [frozenset(g) for g in groups]


def _plan(src: Circuit, views: tuple[Circuit, ...], provs: list[Provenance]) -> list[tuple[Node, frozenset[int]]]:
    """Every (source node, entering views) pair the diagonal needs, children first."""
    b = src.builder
    start = (src.root, frozenset(range(len(views))))
    seen = {(start[0].uid, start[1]): start}
    stack = [start]
    while stack:
        n, E = stack.pop()
        _, groups = _active_groups(b, n, E, provs)
        for g in groups:
            if len(g) < 2 or n.op not in (Op.SUM, Op.PROD):
                continue
            for ch in n.children:
                key = (ch.uid, g)
                if key not in seen:
                    seen[key] = (ch, g)
                    stack.append((ch, g))
    return [seen[k] for k in sorted(seen, key=lambda k: k[0])]


def _diag_node(b: Builder, n: Node, E: frozenset[int], provs: list[Provenance],
               done: dict[tuple[int, frozenset[int]], Node]) -> Node:
    consts, groups = _active_groups(b, n, E, provs)
    factors = list(consts)
    for g in groups:
        if len(g) == 1:
            factors.append(provs[next(iter(g))].image_of(n))
        elif n.op is Op.INPUT:
            factors.append(pointwise(b, [provs[k].image_of(n) for k in sorted(g)]))
        else:
            kids = [done[(ch.uid, g)] for ch in n.children]
            sr = provs[next(iter(g))].image_of(n).sr
            factors.append(b.sum(kids, sr) if n.op is Op.SUM else b.prod(kids, sr))
    return b.prod(factors, factors[0].sr) if len(factors) != 1 else factors[0]


# ---- compatible product ------------------------------------------------------------------------
def _compatible_chain(cs: tuple[Circuit, ...], step: Step) -> Circuit:
    step.condition = "compatible: smooth, decomposable, and compatible on the shared variables (3.2)"
    step.cost = "O(|C||C'|)"
    ready = [_prepare(c, step) for c in cs]
    acc = ready[0]
    for c in ready[1:]:
        acc = _compatible(acc, c, step)
    step.size_of(acc)
    step.keeps = tuple(str(p) for p, f in acc.facts.items() if f.holds)
    return acc


def _prepare(c: Circuit, step: Step) -> Circuit:
    step.needs += (require(c, DEC, step, "compile the model through an SDD"),)
    sm = establish(c, SMOOTH)
    if not sm.holds:
        c = smooth.run(c)
        step.notes += (f"{c.name or 'an operand'} smoothed first",)
        sm = c.facts[SMOOTH]
    step.needs += (sm,)
    return c


def _compatible(c1: Circuit, c2: Circuit, step: Step) -> Circuit:
    b = c1.builder
    shared = c1.vars & c2.vars
    try:
        root = Pairing(b).run(c1.root, c2.root)
    except Incompatible as e:
        v = Violation("compatible", e.a, f"{e.why} (paired with node #{e.b.uid} of "
                      f"{c2.name or 'the other operand'})")
        f = Fact(COMPAT, False, How.VERIFIED, f"on {fmt_vars(shared)}", v)
        step.needs += (f,)
        fail(step, f"compatibility of {c1.name or 'the operands'} and {c2.name or ''} on "
             f"{fmt_vars(shared)}", f, FIX_COMPAT, step.label, (c1, c2))
    step.needs += (Fact(COMPAT, True, How.VERIFIED,
                        f"on {fmt_vars(shared)}: every paired product node splits the shared "
                        "variables the same way"),)
    facts = _compat_facts(c1, c2, shared)
    vt = c1.vtree if (c1.vtree is not None and c1.vtree == c2.vtree) else None
    name = " * ".join(x for x in (c1.name, c2.name) if x)
    return Circuit(root, b, name, facts=facts, vtree=vt, step=step)


def _compat_facts(c1: Circuit, c2: Circuit, shared: frozenset[Var]) -> dict[Prop, Fact]:
    out = {p: Fact(p, True, How.PROPAGATED, "kept by the compatible product")
           for p in (SMOOTH, DEC)}
    d1, d2 = c1.facts.get(DET), c2.facts.get(DET)
    if d1 and d1.holds and d2 and d2.holds:
        out[DET] = Fact(DET, True, How.PROPAGATED, "both operands are deterministic; "
                        "distributing sums keeps children's supports disjoint")
    for p, f in c1.facts.items():
        if p.kind is Kind.XDET and f.holds and (p.X or frozenset()) <= shared:
            g = establish(c2, p)
            if g.holds:
                out[p] = carry(f, "both operands are X-deterministic and X is shared: kept by "
                               "the scope-directed product (P8)")
    return out
