"""Query-level sugar: `name(vars; vars; ...; expr)` expands into the three operators.

An expansion is registered with `@register(name, groups=..., doc=...)`; it receives the typed
operand and the resolved variable groups and builds the typed tree through the checker (so the
usual type errors apply, pointing at the sugar call).  Expanded subtrees that are used several
times are one object, so they lower to one circuit and their uses are views of it.

Registered here: mmap (ATLAS.md 4.1), backdoor (4.4), frontdoor (4.5), marginals (every
single-variable marginal at once, `ops.marginals`); maxent and credal
(4.2) are reserved for the PASP issue and report that they are not available yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from compiler.errors import QueryError, QueryNameError, QueryTypeError
from compiler.frontend import ast as A
from compiler.frontend import typed as Ty
from compiler.ir.variables import Var, fmt_vars
from compiler.mappings import builtin
from compiler.semirings import registry as R
from compiler.source import Span

if TYPE_CHECKING:
    from compiler.frontend.typecheck import Checker


@dataclass
class Call:
    """One sugar call being expanded."""
    checker: "Checker"
    span: Span
    name: str
    groups: list[frozenset[Var]]
    group_spans: list[Span]
    operand: Ty.T

    # typed-tree builders (the checker's, at the call's span)
    def sum(self, over: frozenset[Var], t: Ty.T, word: str | None = None) -> Ty.T:
        if not over:
            return t
        return self.checker.make_aggregate(self.span, word or t.sr.add_word, over, t)

    def map(self, name: str, t: Ty.T, dst: str | None = None) -> Ty.T:
        m = builtin.lookup(name, t.sr, R.get(dst) if dst else None)
        return self.checker.make_map(self.span, m, t)

    def product(self, *ts: Ty.T) -> Ty.T:
        return self.checker.product(self.span, list(ts))

    def rename(self, pairs: dict[Var, Var], t: Ty.T) -> Ty.T:
        return self.checker.make_rename(self.span, pairs, t)

    def fail(self, message: str, i: int | None = None, hint: str | None = None) -> QueryError:
        span = self.group_spans[i] if i is not None else self.span
        return QueryTypeError(f"{self.name}: {message}", span, hint)


Expansion = Callable[[Call], Ty.T]


@dataclass(frozen=True)
class Sugar:
    name: str
    groups: tuple[str, ...]       # the names of the variable groups, in order
    doc: str
    expand: Expansion
    optional: bool = False        # the groups may be left out together


REGISTRY: dict[str, Sugar] = {}


def register(name: str, groups: tuple[str, ...], doc: str, optional: bool = False
             ) -> Callable[[Expansion], Expansion]:
    def deco(fn: Expansion) -> Expansion:
        REGISTRY[name] = Sugar(name, groups, doc, fn, optional)
        return fn
    return deco


def expand(checker: "Checker", e: A.Sugar) -> Ty.T:
    sugar = REGISTRY.get(e.name.text)
    if sugar is None:
        raise QueryNameError(f"unknown query form '{e.name.text}'", e.name.span,
                             "known forms: " + ", ".join(f"{s.name}({'; '.join(s.groups)}; "
                                                          "model)" for s in REGISTRY.values()))
    if len(e.var_groups) != len(sugar.groups) and not (sugar.optional and not e.var_groups):
        raise QueryTypeError(f"{sugar.name} takes {len(sugar.groups)} variable group(s) before "
                             f"the model, not {len(e.var_groups)}", e.span,
                             f"write {sugar.name}({'; '.join(sugar.groups)}; model)")
    operand = checker.expr(e.operand)
    groups, spans = [], []
    for names in e.var_groups:
        groups.append(frozenset(_group_var(checker, n, operand) for n in names))
        spans.append(_group_span(names, e.span))
    return sugar.expand(Call(checker, e.span, sugar.name, groups, spans, operand))


def _group_var(checker: "Checker", n: A.Name, t: Ty.T) -> Var:
    v = checker.env.var(n)
    if v not in t.vars:
        raise QueryTypeError(f"{v.name} is not a free variable of the model expression", n.span,
                             f"its free variables are {fmt_vars(t.vars)}")
    return v


def _group_span(names: tuple[A.Name, ...], default: Span) -> Span:
    if not names:
        return default
    a, z = names[0].span, names[-1].span
    return Span(a.file, a.line, a.col, z.end_line, z.end_col, a.text, a.start, z.end)


def _disjoint(call: Call, nonempty: tuple[int, ...]) -> None:
    for i in nonempty:
        if not call.groups[i]:
            raise call.fail(f"the group {REGISTRY[call.name].groups[i]} is empty", i)
    for i, g in enumerate(call.groups):
        for j in range(i):
            if g & call.groups[j]:
                raise call.fail(f"{fmt_vars(g & call.groups[j])} appears in two groups", i)


def _need_prob(call: Call) -> None:
    if call.operand.sr != R.PROB:
        raise call.fail(f"needs a prob model, not {call.operand.sr.name}")


# ---- the atlas's queries ----------------------------------------------------------------------
@register("mmap", ("Q",), "marginal MAP: max over Q of the sum over the other variables "
                          "(ATLAS.md 4.1)")
def mmap(call: Call) -> Ty.T:
    (Q,) = call.groups
    t = call.operand
    target = {"prob": "maxprod", "log": "maxlog"}.get(t.sr.name)
    if target is None:
        raise call.fail(f"needs a prob or log model, not {t.sr.name}")
    _disjoint(call, (0,))
    inner = call.map("id", call.sum(t.vars - Q, t), target)
    return call.sum(Q, inner)


def _marginal(call: Call, keep: frozenset[Var]) -> Ty.T:
    """The model with the variables outside `keep` summed out."""
    t = call.operand
    return call.sum(t.vars - keep, t)


def _normalised(call: Call, p: Ty.T, result: Ty.T) -> Ty.T:
    """result / (sum of p): causal formulas scale with p (ATLAS.md P12)."""
    return call.product(result, call.map("recip", call.sum(p.vars, p)))


@register("backdoor", ("X", "Y", "Z"), "p_do(X)(Y) adjusting for Z: sum_Z p(X,Y,Z) p(Z) / "
                                       "p(X,Z) (ATLAS.md 4.4)")
def backdoor(call: Call) -> Ty.T:
    _need_prob(call)
    _disjoint(call, (0, 1))
    X, Y, Z = call.groups
    p = _marginal(call, X | Y | Z)
    inner = call.product(p, call.sum(X | Y, p), call.map("recip", call.sum(Y, p)))
    return _normalised(call, p, call.sum(Z, inner))


@register("frontdoor", ("X", "Y", "Z"), "p_do(X)(Y) through the mediators Z: sum_Z p(Z|X) "
                                        "sum_X' p(X') p(Y|X',Z) (ATLAS.md 4.5)")
def frontdoor(call: Call) -> Ty.T:
    _need_prob(call)
    _disjoint(call, (0, 1, 2))
    X, Y, Z = call.groups
    p = _marginal(call, X | Y | Z)
    g = call.product(call.sum(Y, p), call.map("recip", call.sum(Y | Z, p)))
    primed = {x: Var(x.name + "'", x.domain) for x in sorted(X)}
    q = call.rename(primed, p)
    Xq = frozenset(primed.values())
    f = call.sum(Xq, call.product(call.sum(Y | Z, q), q, call.map("recip", call.sum(Y, q))))
    return _normalised(call, p, call.sum(Z, call.product(g, f)))


@register("marginals", ("X",), "every single-variable marginal sum[* \\ {X}] e for X in the "
                               "list (default: every free variable), from one upward and one "
                               "downward pass", optional=True)
def marginals(call: Call) -> Ty.T:
    _need_prob(call)
    t = call.operand
    if call.groups:
        _disjoint(call, (0,))
    X = call.groups[0] if call.groups else t.vars
    if not X:
        raise call.fail("the model has no free variable")
    return Ty.TMarginals(call.span, t.sr, X, t.summed | (t.vars - X), tuple(sorted(X)), t)


def _not_yet(issue: str) -> Expansion:
    def expand_later(call: Call) -> Ty.T:
        raise QueryError(f"{call.name}(...) is not available yet", call.span,
                         f"its expansion comes with {issue}; meanwhile write the composition "
                         "with sum/map/* directly (docs/language.md)")
    return expand_later


register("maxent", ("X",), "PASP MaxEnt semantics (ATLAS.md 4.2)")(
    _not_yet("the issue on PASP queries"))
register("credal", ("X",), "PASP credal semantics (ATLAS.md 4.2)")(
    _not_yet("the issue on PASP queries"))

