"""Helpers shared by the operators: precondition checks that raise with a witness, rebuilding a
circuit through a node map, and carrying provenance (views) across a rebuild."""
from __future__ import annotations

from typing import Callable, Iterable

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit, Provenance
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.facts import Fact, Prop
from atlasc.compiler.properties.establish import establish

Visit = Callable[[Node, tuple[Node, ...]], Node]


def scope_of(c: Circuit) -> frozenset[Var]:
    """A step's scope: the variables, named and sorted only if a report is read (Step.names)."""
    return c.vars


def steps_of(cs: Iterable[Circuit]) -> tuple[Step, ...]:
    return tuple(c.step for c in cs if c.step is not None)


def fail(step: Step, prop: str, fact: Fact | None, fix: str, operator: str,
         circuits: tuple[Circuit, ...] = ()) -> None:
    """Mark `step` failed and raise the typed error that carries it.  `fact.prop` and
    `circuits` (whose property is missing) let a caller repair the models (--repair)."""
    w = fact.witness if fact is not None else None
    step.ok = False
    step.failure = {"operator": operator, "property": prop,
                    "witness": w.describe() if w else None, "fix": fix}
    raise StructuralPropertyError(operator, prop, w, fix, step,
                                  needs=fact.prop if fact is not None else None,
                                  circuits=circuits)


def require(c: Circuit, prop: Prop, step: Step, fix: str) -> Fact:
    f = establish(c, prop)
    if not f.holds:
        step.needs += (f,)
        why = "" if f.holds is False else " (undecided)"
        fail(step, f"{prop} of {c.name or 'the input'}{why}", f, fix, step.label, (c,))
    return f


def rebuild(c: Circuit, visit: Visit, stop: Callable[[Node], bool] | None = None) -> dict[int, Node]:
    """Map every node reachable from the root (not below nodes where `stop` holds) through
    `visit(node, new_children)`, children first.  Returns old uid -> new node."""
    order = topo(c.root, stop)
    m: dict[int, Node] = {}
    for n in order:
        kids = () if (stop and stop(n)) else tuple(m[ch.uid] for ch in n.children)
        m[n.uid] = visit(n, kids)
    return m


def same_op(b: Builder, n: Node, kids: tuple[Node, ...]) -> Node:
    """Rebuild n with new children (same operation); n itself where they are its own."""
    if kids == n.children:
        return n
    if n.op is Op.SUM:
        return b.sum(kids, kids[0].sr if kids else n.sr)
    if n.op is Op.PROD:
        return b.prod(kids, kids[0].sr if kids else n.sr)
    if n.op is Op.MAP:
        return b.map(n.arg, kids[0])
    return n


def carry_view(c: Circuit, m: dict[int, Node],
               extra_root_factors: tuple[Node, ...] = ()) -> Provenance:
    """The provenance of a circuit rebuilt from `c` through the node map `m`."""
    p = c.provenance
    if p.iso is None:
        # c's nodes are its source's (c is the source, or a new record of the same nodes,
        # as the sugar's report step makes): the map of the rebuild is the iso.
        iso = dict(m)
    else:
        iso = {uid: m[img.uid] for uid, img in p.iso.items() if img.uid in m}
    rf = tuple(m[f.uid] for f in p.root_factors if f.uid in m) + extra_root_factors
    return Provenance(p.source if not c.is_source else c, iso, root_factors=rf)

