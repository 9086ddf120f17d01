"""Query-driven compilation: a model declared without a vtree is compiled as the views its
queries need, once per distinct requirement, shared by every query that needs it.

A declaration without a `with vtree` clause fixes nothing about the circuit's structure.  Where
a query needs a property that a vtree establishes by construction, the compiler compiles the
model again as a *view* with such a vtree, beside its own circuit:

* X-determinism (mmap, backdoor, frontdoor, meu, sdp, twoamc, normalize, and any mapping that
  needs it): an X-constrained vtree.  The sugar says up front which sets make its expansion
  tractable, or linear rather than quadratic (`TNote.wants`: backdoor wants Z and X u Z,
  frontdoor X and X u Z); the plan gathers them per model before anything is compiled, and
  queries whose sets nest (X1 within X2 within ...) share one view, whose vtree splits off X1,
  then X2 minus X1, and so on (the chains of `repair.py`).  A query whose lowering still fails
  on such a model gets the set it needs added to its chain and a view for that.
* Compatibility of a product: the second model compiled with a vtree that agrees with the
  first's on the shared variables (a shared vtree).

A view never certifies anything by itself: every operator checks its conditions on it as on
any circuit.  A model whose declaration fixes its vtree (`with vtree ...`), a circuit file, a
product of leaves and a PASP program are never recompiled this way: their queries are refused
with the witness and the fix, as `--repair` describes.  `strict=True` (`--strict`) compiles no
view: every query reads the model as declared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.facts import Kind
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.adapters import Options
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.program.repair import agreeing_vtree, chain, current_sets, model_of

Chain = tuple[frozenset[Var], ...]


@dataclass
class Use:
    """One view one query reads: the model, the options it is compiled with, and why."""
    model: str
    opts: Options
    why: str

    @property
    def key(self) -> str:
        return self.opts.describe()


@dataclass
class Views:
    """The plan: which view of which model each query reads (none when `strict`)."""
    models: dict[str, ModelInfo]
    strict: bool = False
    uses: dict[str, dict[str, Use]] = field(default_factory=dict)   # query -> model -> use

    def options(self, query: str) -> dict[str, Options]:
        return {m: u.opts for m, u in self.uses.get(query, {}).items()}

    # ---- the plan before lowering: what the sugar wants ---------------------------------------
    def plan(self, typed: dict[str, Ty.T]) -> None:
        if self.strict:
            return
        groups: dict[str, list[tuple[Chain, list[str]]]] = {}
        wants = {q: self._wants(t) for q, t in typed.items()}
        for q, per_model in wants.items():
            for m, ch in per_model.items():
                _join(groups.setdefault(m, []), ch, q)
        for m, gs in groups.items():
            for ch, qs in gs:
                for q in qs:
                    self._use(q, m, ch, _wish_text(typed[q], m))

    def _wants(self, t: Ty.T) -> dict[str, Chain]:
        sets: dict[str, set[frozenset[Var]]] = {}
        for n in Ty.walk(t):
            if isinstance(n, Ty.TNote):
                for m, X in n.wants:
                    if m in self.models and not self.models[m].fixed:
                        sets.setdefault(m, set()).add(X)
        return {m: _nested_part(s) for m, s in sets.items()}

    def _use(self, query: str, model: str, ch: Chain, why: str) -> None:
        top = tuple(sorted(ch[-1]))
        opts = Options(None, top, ch if len(ch) > 1 else ())
        self.uses.setdefault(query, {})[model] = Use(model, opts, why)

    # ---- during lowering: a property the query still lacks -------------------------------------
    def extend(self, query: str, e: StructuralPropertyError) -> str | None:
        """Give `query` a view for the failure `e`; None if it gets one, else the reason."""
        if self.strict:
            return "strict"
        needs = e.needs
        if needs is None or not e.circuits:
            return "the missing property is not one a vtree establishes"
        if needs.kind is Kind.XDET:
            return self._for_xdet(query, e, frozenset(needs.X or ()))
        if needs.kind is Kind.COMPAT and len(e.circuits) == 2:
            return self._for_compat(query, e)
        return f"no vtree establishes {needs}"

    def _for_xdet(self, query: str, e: StructuralPropertyError, X: frozenset[Var]) -> str | None:
        found = model_of(e.circuits[0], X, self.models)
        if found is None:
            return "the circuit lacking it does not come from one model"
        m, X = found
        if m.fixed:
            return f"the declaration of {m.name} fixes its vtree"
        use = self.uses.get(query, {}).get(m.name)
        have = current_sets(use.opts) if use is not None else set()
        if X in have:
            return f"the view of {m.name} already has {fmt_vars(X)}-determinism"
        why = f"{e.operator} needs {e.prop}"
        why = why if use is None else f"{use.why}; {why}"
        other = self._having(m.name, have | {X})
        if other is not None:            # a view planned for other queries has them all
            self.uses.setdefault(query, {})[m.name] = Use(m.name, other, why)
            return None
        ch = chain(have | {X}) or chain({X})
        assert ch is not None
        self._use(query, m.name, tuple(ch), why)
        return None

    def _having(self, model: str, sets: set[frozenset[Var]]) -> Options | None:
        for us in self.uses.values():
            u = us.get(model)
            if u is not None and sets <= current_sets(u.opts):
                return u.opts
        return None

    def _for_compat(self, query: str, e: StructuralPropertyError) -> str | None:
        c1, c2 = e.circuits
        f1 = model_of(c1, frozenset(), self.models)
        f2 = model_of(c2, frozenset(), self.models)
        if f1 is None or f2 is None:
            return "the operands do not each come from one model"
        (m1, _), (m2, _) = f1, f2
        (first, c), second = ((m1, c1), m2) if not m2.fixed else ((m2, c2), m1)
        if second.fixed:
            return f"the declarations of {m1.name} and {m2.name} fix their vtrees"
        if c.vtree is None:
            return f"model {first.name} has no vtree to agree with"
        shared = first.vars & second.vars
        vt = agreeing_vtree(c.vtree, shared, sorted(second.vars - shared))
        if vt is None:
            return "the models share no variable"
        why = (f"the product needs {second.name} compatible with {first.name} on "
               f"{fmt_vars(shared)} (the same vtree on the shared variables)")
        self.uses.setdefault(query, {})[second.name] = Use(second.name, Options(vt), why)
        return None

    def strict_hint(self, e: StructuralPropertyError) -> None:
        """Under strict, say that the refusal is one a view would lift."""
        X = frozenset((e.needs.X or ()) if e.needs is not None else ())
        found = model_of(e.circuits[0], X, self.models) if e.circuits else None
        if found is None or found[0].fixed:
            return
        e.fix += f"; or compile without --strict (strict=False): a view of {found[0].name} " \
                 "is then compiled for the query"
        if isinstance(getattr(e.step, "failure", None), dict):
            e.step.failure["fix"] = e.fix

    # ---- the report -----------------------------------------------------------------------------
    def lines(self, query: str) -> tuple[str, ...]:
        out = []
        for m, u in sorted(self.uses.get(query, {}).items()):
            v = self.models[m].views.get(u.key)
            if v is None:
                continue
            others = [q for q, us in self.uses.items() if q != query and m in us
                      and us[m].key == u.key]
            shared = f"; shared with {', '.join(others)}" if others else ""
            out.append(f"compiled view: {v.describe()}, because {u.why}{shared}")
        return tuple(out)

    def to_json(self, query: str) -> list[dict[str, Any]]:
        out = []
        for m, u in sorted(self.uses.get(query, {}).items()):
            v = self.models[m].views.get(u.key)
            if v is not None:
                out.append({"model": m, "vtree": u.key, "why": u.why, "edges": v.circuit.size,
                            "seconds": round(v.seconds, 3)})
        return out


def _nested_part(sets: set[frozenset[Var]]) -> Chain:
    """The sets as one chain, smallest first; where they do not nest, the largest chain of
    them that does (the others are left to the operators' checks)."""
    out: list[frozenset[Var]] = []
    for X in sorted(sets, key=lambda s: (len(s), sorted(s))):
        if all(a <= X for a in out):
            out.append(X)
    return tuple(out)


def _join(groups: list[tuple[Chain, list[str]]], ch: Chain, query: str) -> None:
    """Put `query` in the first group whose chain nests with its own, else in a new one."""
    for i, (have, qs) in enumerate(groups):
        merged = chain(set(have) | set(ch))
        if merged is not None:
            groups[i] = (tuple(merged), qs + [query])
            return
    groups.append((ch, [query]))


def _wish_text(t: Ty.T, model: str) -> str:
    for n in Ty.walk(t):
        if isinstance(n, Ty.TNote):
            sets = [X for m, X in n.wants if m == model]
            if sets:
                need = " and ".join(f"{fmt_vars(X)}-determinism" for X in sets)
                return f"{n.label} wants {need} of {model}"
    return f"a query needs it of {model}"
