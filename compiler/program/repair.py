"""--repair: when a query needs X-determinism or compatibility that a model lacks, recompile
that model with a vtree that establishes it by construction, and say so in the report.

* X-determinism of a model (or of a view, a renamed copy, or a support-compatible product of
  it): recompile with an X-constrained vtree.  Several needed sets must nest (X1 within X2
  within ...); the vtree then splits off X1, then X2 minus X1, and so on, which establishes
  each of them.  Sets that do not nest cannot be had from one vtree: no repair.
* Compatibility of two models: recompile the second with a vtree that agrees with the first's
  on the shared variables.
A repair never certifies anything by itself: the query is lowered again and every operator
checks its conditions as before (the inner sets of a nested constraint are verified, not
assumed)."""
from __future__ import annotations

from dataclasses import dataclass
from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.language.adapters import Options
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ir.vtree import Vtree, balanced, is_constrained
from atlasc.compiler.ir.facts import Kind


@dataclass(frozen=True)
class Repair:
    model: str
    opts: Options
    why: str

    def describe(self) -> str:
        return f"recompiled model {self.model} with {self.opts.describe()}: {self.why}"


def plan(e: StructuralPropertyError, models: dict[str, ModelInfo],
         earlier: tuple[frozenset[Var], ...] = ()) -> Repair | str:
    """A repair for the failure `e`, or the reason there is none.  `earlier` holds the sets
    that previous repairs for the same query established (they must be kept)."""
    needs = e.needs
    if needs is None or not e.circuits:
        return "the missing property is not one a vtree can establish"
    if needs.kind is Kind.XDET:
        return _for_xdet(e.circuits[0], frozenset(needs.X or ()), models, earlier)
    if needs.kind is Kind.COMPAT and len(e.circuits) == 2:
        return _for_compat(e.circuits[0], e.circuits[1], models)
    return f"no repair establishes {needs}"


def model_of(c: Circuit, X: frozenset[Var], models: dict[str, ModelInfo]
             ) -> tuple[ModelInfo, frozenset[Var]] | None:
    """The model a circuit derives from (through views, renamings, diagonal products and
    smoothing), with X renamed back into the model's variables."""
    cur: Circuit | None = c
    for _ in range(64):
        if cur is None:
            return None
        src = cur.source
        for m in models.values():
            if m._circuit is src or any(v.circuit is src for v in m.views.values()):
                return m, X
        if "renamed_from" in src.info:
            inverse = {z: a for a, z in src.info.get("renaming", {}).items()}
            X = frozenset(inverse.get(v, v) for v in X)
            cur = src.info["renamed_from"]
        elif "diagonal_of" in src.info:
            cur = src.info["diagonal_of"][0]
        elif "smoothed_from" in src.info:
            cur = src.info["smoothed_from"]
        elif "copied_from" in src.info:
            cur = src.info["copied_from"]
        else:
            return None
    return None


def _for_xdet(c: Circuit, X: frozenset[Var], models: dict[str, ModelInfo],
              earlier: tuple[frozenset[Var], ...]) -> Repair | str:
    found = model_of(c, X, models)
    if found is None:
        return "the circuit lacking it does not come from one model"
    m, X = found
    if m.kind == "weights":
        return f"model {m.name} is a product of leaves; nothing to recompile"
    sets = chain(set(earlier) | {X} | current_sets(m.opts))
    why = f"the query needs {fmt_vars(X)}-determinism of {m.name}"
    if sets is None:       # the model's own constraints do not nest with what the query needs
        sets = chain(set(earlier) | {X})
        if sets is None:
            return (f"the query needs {m.name} to be deterministic on sets that do not nest "
                    f"({', '.join(fmt_vars(s) for s in sorted(set(earlier) | {X}, key=len))}); "
                    "no single vtree gives them all")
        why += f" (replacing its {m.opts.describe()})"
    kind = m.opts.vtree if isinstance(m.opts.vtree, str) else None
    return Repair(m.name, Options(kind, tuple(sorted(sets[-1])), tuple(sets)), why)


def current_sets(opts: Options) -> set[frozenset[Var]]:
    sets = {frozenset(s) for s in opts.nested}
    if opts.constrained:
        sets.add(frozenset(opts.constrained))
    return sets


def chain(sets: set[frozenset[Var]]) -> list[frozenset[Var]] | None:
    chain = sorted(sets, key=len)
    ok = all(a <= b for a, b in zip(chain, chain[1:]))
    return chain if ok else None


def _for_compat(c1: Circuit, c2: Circuit, models: dict[str, ModelInfo]) -> Repair | str:
    f1, f2 = model_of(c1, frozenset(), models), model_of(c2, frozenset(), models)
    if f1 is None or f2 is None:
        return "the operands do not each come from one model"
    (m1, _), (m2, _) = f1, f2
    vt1 = m1.circuit().vtree
    if vt1 is None:
        return f"model {m1.name} has no vtree to agree with"
    shared = m1.vars & m2.vars
    vt = agreeing_vtree(vt1, shared, sorted(m2.vars - shared))
    if vt is None:
        return "the models share no variable"
    why = (f"the product needs {m2.name} compatible with {m1.name} on {fmt_vars(shared)} "
           "(same vtree on the shared variables)")
    lost = [s for s in current_sets(m2.opts) if not is_constrained(vt, s)]
    if lost:
        why += f" (replacing its {m2.opts.describe()})"
    return Repair(m2.name, Options(vt), why)


def agreeing_vtree(vt1: Vtree, shared: frozenset[Var], others: list[Var]) -> Vtree | None:
    common = vt1.restrict(shared)
    if common is None:
        return None
    return Vtree.node(common, balanced(others)) if others else common
