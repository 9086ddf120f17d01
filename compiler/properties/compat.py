"""Compatibility checkers that return witnesses.

* `check_compatible(c1, c2)`: are two smooth, decomposable circuits compatible on their shared
  variables?  Decided by running the scope-directed pairing of the compatible product on copies
  in a scratch builder: the circuits are compatible exactly when every paired product nodes
  split the shared variables into blocks that one side does not subdivide (docs/atlas.md §2.4, P13).
* `check_support_compatible(views)`: may views be multiplied node by node?  They must be views of
  one source (provenance, P9) that is Y-deterministic for every set Y two of them share."""
from __future__ import annotations

from itertools import combinations
from typing import Sequence

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.pairing import Incompatible, Pairing
from atlasc.compiler.ir.transplant import copy_nodes
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.facts import Fact, Violation, xdet
from atlasc.compiler.properties.establish import establish


def check_compatible(c1: Circuit, c2: Circuit) -> Violation | None:
    scratch = Builder()
    m1, m2 = copy_nodes(c1, scratch), copy_nodes(c2, scratch)
    back = {n.uid: old for old, n in m1.items()}
    back2 = {n.uid: old for old, n in m2.items()}
    try:
        Pairing(scratch).run(m1[c1.root.uid], m2[c2.root.uid])
    except Incompatible as e:
        orig = {n.uid: n for n in c1.nodes()}.get(back.get(e.a.uid, -1))
        other = back2.get(e.b.uid)
        return Violation("compatible", orig, f"{e.why} (paired with node "
                         f"#{other if other is not None else '?'} of {c2.name or 'the other'})")
    return None


def shared_sets(views: Sequence[Circuit]) -> list[frozenset[Var]]:
    sets = {c1.vars & c2.vars for c1, c2 in combinations(views, 2)}
    return sorted((s for s in sets if s), key=lambda s: sorted(v.name for v in s))


def support_compatible_facts(views: Sequence[Circuit]) -> list[Fact]:
    """The Y-determinism facts of the common source that the diagonal product needs."""
    src = views[0].source
    return [establish(src, xdet(Y)) for Y in shared_sets(views)]


def check_support_compatible(views: Sequence[Circuit]) -> Violation | None:
    if len({id(v.source) for v in views}) != 1:
        names = ", ".join(sorted({v.source.name or "?" for v in views}))
        return Violation("support-compatible", None, f"the operands are views of different "
                         f"circuits ({names})")
    for f in support_compatible_facts(views):
        if not f.holds:
            why = f.witness.describe() if f.witness else "undecided"
            return Violation("support-compatible", f.witness.node if f.witness else None,
                             f"the source is not {f.prop}: {why}")
    return None

