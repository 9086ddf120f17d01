"""Query-level sugar: `name(vars; vars; ...; expr)` expands into the three operators.

An expansion is registered with `@register(name, groups=..., doc=...)`; it receives the typed
operand and the resolved variable groups and builds the typed tree through the checker (so the
usual type errors apply, pointing at the sugar call).  Expanded subtrees that are used several
times are one object, so they lower to one circuit and their uses are views of it.

Registered here: mmap (docs/atlas.md §4.1), backdoor (4.4), frontdoor (4.5), marginals (every
single-variable marginal at once, `ops.marginals`); maxent and credal (4.2) register
themselves from compiler/language/pasp.py, the further queries from queries.py; forms.py
imports all three, so the registry is complete wherever the type checker runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from atlasc.compiler.language.guards import EVIDENCE_ZERO
from atlasc.compiler.errors import QueryError, QueryNameError, QueryTypeError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.ir.variables import Var, fmt_vars, sorted_vars
from atlasc.compiler.language.causal import CRITERIA, backdoor_violation
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.language.resolve import Env
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.source import Span



class Checker(Protocol):
    """What an expansion needs of the type checker (compiler/language/typecheck.py implements
    it): typed-tree builders that apply the usual checks at a span, and the module's names."""
    env: Env
    models: dict[str, ModelInfo]

    def expr(self, e: A.Expr) -> Ty.T: ...
    def make_aggregate(self, span: Span, word: str, over: frozenset[Var], t: Ty.T) -> Ty.T: ...
    def make_map(self, span: Span, m: Mapping, t: Ty.T, spec_span: Span | None = None
                 ) -> Ty.T: ...
    def make_rename(self, span: Span, pairs: dict[Var, Var], t: Ty.T) -> Ty.T: ...
    def product(self, span: Span, ts: list[Ty.T], exprs: Any = None) -> Ty.T: ...
    def mapping(self, name: str) -> Mapping: ...
    def find_mapping(self, spec: A.MapSpec, operand: Semiring) -> Mapping: ...


@dataclass
class Call:
    """One sugar call being expanded."""
    checker: Checker
    span: Span
    name: str
    groups: list[frozenset[Var]]
    group_spans: list[Span]
    operand: Ty.T
    extras: dict[str, A.Keyword] = field(default_factory=dict)   # keyword arguments
    keyword_form: bool = False
    shared: dict[Any, Ty.T] = field(default_factory=dict)   # subtrees built once per call
    written: list[tuple[Var, ...]] = field(default_factory=list)   # groups in written order

    def extra(self, key: str) -> A.Keyword:
        if key not in self.extras:
            raise self.fail(f"needs {key} = ...", hint=usage(REGISTRY[self.name]))
        return self.extras[key]

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
    keywords: tuple[str, ...] = ()  # the groups' keywords: name(model, kw = {..}, ...)
    extras: tuple[str, ...] = ()    # further keywords (models, numbers, mapping names)
    goal: bool = False              # also written name(model, q1 & q2 | e): one group, the goal


REGISTRY: dict[str, Sugar] = {}


def register(name: str, groups: tuple[str, ...], doc: str, optional: bool = False,
             keywords: tuple[str, ...] = (), extras: tuple[str, ...] = (), goal: bool = False
             ) -> Callable[[Expansion], Expansion]:
    def deco(fn: Expansion) -> Expansion:
        REGISTRY[name] = Sugar(name, groups, doc, fn, optional, keywords, extras, goal)
        return fn
    return deco


def usage(s: Sugar) -> str:
    if s.goal:
        return "write " + _goal_form(s)
    return "write " + (_keyword_form(s) if s.keywords or s.extras else _positional_form(s))


def signature(s: Sugar) -> str:
    """How a form is written; keyword-only forms (with further arguments) by keyword, goal
    forms model first."""
    return _goal_form(s) if s.goal else _keyword_form(s) if s.extras else _positional_form(s)


def _goal_form(s: Sugar) -> str:
    return f"{s.name}(model, {s.groups[0]} | evidence)"


def _keyword_form(s: Sugar) -> str:
    args = [f"{k} = {{...}}" for k in s.keywords] + [f"{k} = ..." for k in s.extras]
    return f"{s.name}(model, {', '.join(args)})"


def _positional_form(s: Sugar) -> str:
    return f"{s.name}({'; '.join(s.groups)}; model)"


def expand(checker: Checker, e: A.Sugar) -> Ty.T:
    sugar = REGISTRY.get(e.name.text)
    if sugar is None:
        raise QueryNameError(f"unknown query form '{e.name.text}'", e.name.span,
                             "known forms: " + ", ".join(signature(REGISTRY[n])
                                                         for n in sorted(REGISTRY)))
    if e.keywords:
        return _expand_keywords(checker, e, sugar)
    if e.goal_form and not sugar.goal:
        raise QueryTypeError(f"{sugar.name} does not take the form {sugar.name}(model, "
                             "atoms | evidence)", e.span, usage(sugar))
    if sugar.extras or (len(e.var_groups) != len(sugar.groups)
                        and not (sugar.optional and not e.var_groups)):
        raise QueryTypeError(f"{sugar.name} takes {len(sugar.groups)} variable group(s) before "
                             f"the model, not {len(e.var_groups)}", e.span, usage(sugar))
    operand = checker.expr(e.operand)
    groups, spans, written = [], [], []
    for names in e.var_groups:
        written.append(tuple(_group_var(checker, n, operand) for n in names))
        groups.append(frozenset(written[-1]))
        spans.append(_group_span(names, e.span))
    return sugar.expand(Call(checker, e.span, sugar.name, groups, spans, operand,
                             written=written))


def _expand_keywords(checker: Checker, e: A.Sugar, sugar: Sugar) -> Ty.T:
    """`name(model, key = value, ...)`: groups by keyword (a missing one is empty)."""
    operand = checker.expr(e.operand)
    given: dict[str, A.Keyword] = {}
    for k in e.keywords:
        key = k.key.text
        if key not in sugar.keywords + sugar.extras:
            known = ", ".join(sugar.keywords + sugar.extras) or "none"
            raise QueryNameError(f"{sugar.name} has no argument '{key}'", k.key.span,
                                 f"its keyword arguments: {known}")
        if key in given:
            raise QueryNameError(f"a second '{key}' argument", k.key.span,
                                 notes=((given[key].span, "first given here"),))
        given[key] = k
    groups, spans, written = [], [], []
    for key in sugar.keywords:
        arg = given.get(key)
        if arg is not None and arg.number is not None:
            raise QueryTypeError(f"{key} is a set of variables, not a number", arg.span)
        names = arg.names if arg is not None else ()
        written.append(tuple(_group_var(checker, n, operand) for n in names))
        groups.append(frozenset(written[-1]))
        spans.append(_group_span(names, arg.span if arg is not None else e.span))
    if sugar.optional and not any(k in given for k in sugar.keywords):
        groups, spans, written = [], [], []
    extras = {k: v for k, v in given.items() if k in sugar.extras}
    return sugar.expand(Call(checker, e.span, sugar.name, groups, spans, operand, extras,
                             True, written=written))


def _group_var(checker: Checker, n: A.Name, t: Ty.T) -> Var:
    v = checker.env.var(n)
    if v not in t.vars:
        raise QueryTypeError(f"{v.name} is not a free variable of the model expression", n.span,
                             f"its free variables are {fmt_vars(t.vars)}")
    return v


def _group_span(names: tuple[A.Name, ...], default: Span) -> Span:
    return names[0].span.to(names[-1].span) if names else default


def _disjoint(call: Call, nonempty: tuple[int, ...]) -> None:
    for i in nonempty:
        if not call.groups[i]:
            sugar = REGISTRY[call.name]
            what = f"{sugar.keywords[i]} = {{...}}" if call.keyword_form \
                else f"the group {sugar.groups[i]}"
            raise call.fail(f"{what} is empty", i, usage(sugar))
    for i, g in enumerate(call.groups):
        for j in range(i):
            if g & call.groups[j]:
                raise call.fail(f"{fmt_vars(g & call.groups[j])} appears in two groups", i)


def _need_prob(call: Call) -> None:
    if call.operand.sr != R.PROB:
        raise call.fail(f"needs a prob model, not {call.operand.sr.name}")


# ---- the atlas's queries ----------------------------------------------------------------------
@register("mmap", ("Q",), "marginal MAP: max over Q of the sum over the other variables "
                          "(docs/atlas.md §4.1)")
def mmap(call: Call) -> Ty.T:
    (Q,) = call.groups
    t = call.operand
    target = {"prob": "maxprod", "log": "maxlog"}.get(t.sr.name)
    if target is None:
        raise call.fail(f"needs a prob or log model, not {t.sr.name}")
    _disjoint(call, (0,))
    inner = call.map("id", call.sum(t.vars - Q, t), target)
    need = (f"marginal MAP needs Q-determinism: the model must be {fmt_vars(Q)}-deterministic "
            f"(docs/atlas.md §4.1, P4); map[id: prob -> {target}] below checks it and says how it "
            "holds (by construction with a Q-constrained vtree, verified, or after --repair)")
    return noted(call, f"mmap({fmt_vars(Q)})", (need,), call.sum(Q, inner), wants=(Q,))


def _marginal(call: Call, keep: frozenset[Var]) -> Ty.T:
    """The model with the variables outside `keep` summed out."""
    t = call.operand
    return call.sum(t.vars - keep, t)


def _normalised(call: Call, p: Ty.T, result: Ty.T) -> Ty.T:
    """result / (sum of p): causal formulas scale with p (docs/atlas.md P12)."""
    return call.product(result, call.map("recip", total(call, p)))


def total(call: Call, p: Ty.T) -> Ty.T:
    """The total mass of p (one object per p, so its guard and its use are one circuit)."""
    key = ("total", id(p))
    if key not in call.shared:
        call.shared[key] = call.sum(p.vars, p)
    return call.shared[key]


def noted(call: Call, label: str, notes: tuple[str, ...], result: Ty.T,
          normaliser: Ty.T | None = None, checks: tuple[Ty.TCheck, ...] = (),
          wants: tuple[frozenset[Var], ...] = ()) -> Ty.T:
    """The expansion under a report step `label` with `notes`; where a normaliser is zero
    under a run's evidence, or one of `checks` fails, the entries are undefined then
    (compiler/program/undefined.py), never a number.  `wants`: the sets X for which an
    X-deterministic operand makes the expansion tractable (or linear rather than quadratic);
    a model declared without a vtree is compiled as such a view (compiler/program/views.py)."""
    if normaliser is not None:
        checks = (nonzero(normaliser, EVIDENCE_ZERO),) + checks
    return Ty.TNote(call.span, result.sr, result.vars, result.summed, label, notes, checks,
                    result, wanted(call.operand, wants))


def wanted(operand: Ty.T, sets: tuple[frozenset[Var], ...]
           ) -> tuple[tuple[str, frozenset[Var]], ...]:
    """`sets` (of the operand's variables) as sets of the model the operand reads."""
    found = Ty.model_below(operand)
    if found is None:
        return ()
    name, back = found
    return tuple((name, frozenset(back.get(v, v) for v in X)) for X in sets if X)




def nonzero(t: Ty.T, message: str) -> Ty.TCheck:
    """Entries are undefined where the table t is 0 (at the entry's values of t's variables)."""
    return Ty.TCheck(t, "nonzero", t.vars, message)


def _groups_label(call: Call) -> str:
    sugar = REGISTRY[call.name]
    return f"{call.name}(" + ", ".join(f"{k} {fmt_vars(g)}" for k, g in
                                       zip(sugar.keywords, call.groups)) + ")"


def _causal(call: Call, which: str, cost: str, result: Ty.T, p: Ty.T,
            wants: tuple[frozenset[Var], ...]) -> Ty.T:
    """Check the graphical criterion where the operand is a Bayesian network (a violation is
    an error naming the open path), and say in the report what was checked."""
    X, Y, Z = call.groups
    graph, name = network_graph(call)
    if graph is None:
        note = f"the {which} criterion was not checked: {name} (graph unknown)"
    else:
        bad = CRITERIA[which](graph, X, Y, Z)
        if bad is not None:
            raise call.fail(f"{fmt_vars(Z)} does not satisfy the {which} criterion in the "
                            f"graph of {name}: {bad}", 2, _criterion_hint(which, graph, X, Y))
        note = f"the {which} criterion holds in the graph of {name}"
    pxz = call.sum(Y, p)
    check = Ty.TCheck(pxz, which, X, _effect_hint(call))
    # the positivity check also finds the rows whose evidence has probability 0 (p(X, Z) = 0)
    return noted(call, _groups_label(call), (note, cost), result, checks=(check,),
                 wants=wants)


def _effect_hint(call: Call) -> str:
    """The query that is defined where the adjustment is not: graph surgery (effect.py)."""
    X, Y = call.groups[0], call.groups[1]
    t = call.operand
    name = t.name if isinstance(t, Ty.TModel) else "bn"
    return f"effect({name}, do = {fmt_vars(X)}, outcome = {fmt_vars(Y)})"


def network_graph(call: Call) -> tuple[dict[Var, tuple[Var, ...]] | None, str]:
    """The operand's graph (child -> parents) and the network's name; None and why not, where
    the operand is not a Bayesian network."""
    t = call.operand
    if not isinstance(t, Ty.TModel):
        return None, "the operand is an expression, not a Bayesian network model"
    info = call.checker.models[t.name]
    if info.parents is None:
        return None, f"{t.name} is a {info.kind} model, not a Bayesian network"
    return info.parents, t.name


def _criterion_hint(which: str, graph: dict[Var, tuple[Var, ...]], X: frozenset[Var],
                    Y: frozenset[Var]) -> str:
    pa = frozenset(p for x in X for p in graph[x]) - X
    if which == "backdoor" and not pa & Y and backdoor_violation(graph, X, Y, pa) is None:
        return f"the parents of the treatment satisfy it: adjust = {fmt_vars(pa)}"
    return f"choose a set that satisfies the {which} criterion (docs/language.md)"


BACKDOOR_COST = ("docs/atlas.md §4.4: (X u Z)-det and Z-det of the model give O(|C|) (every product "
                 "support-compatible); (X u Z)-det and structured decomposability O(|C|^2)")
FRONTDOOR_COST = ("docs/atlas.md §4.5: X-det and (X u Z)-det for the reciprocals, structured "
                  "decomposability for the final product over Z: O(|C|^2)")


@register("backdoor", ("X", "Y", "Z"), "p_do(X)(Y) adjusting for Z: sum_Z p(X,Y,Z) p(Z) / "
                                       "p(X,Z) (docs/atlas.md §4.4)",
          keywords=("treatment", "outcome", "adjust"))
def backdoor(call: Call) -> Ty.T:
    _need_prob(call)
    _disjoint(call, (0, 1))
    X, Y, Z = call.groups
    p = _marginal(call, X | Y | Z)
    inner = call.product(p, call.sum(X | Y, p), call.map("recip", call.sum(Y, p)))
    return _causal(call, "backdoor", BACKDOOR_COST, _normalised(call, p, call.sum(Z, inner)), p,
                   (Z, X | Z))


@register("frontdoor", ("X", "Y", "Z"), "p_do(X)(Y) through the mediators Z: sum_Z p(Z|X) "
                                        "sum_X' p(X') p(Y|X',Z) (docs/atlas.md §4.5)",
          keywords=("treatment", "outcome", "mediator"))
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
    result = _normalised(call, p, call.sum(Z, call.product(g, f)))
    return _causal(call, "frontdoor", FRONTDOOR_COST, result, p, (X, X | Z))


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
    order = tuple(dict.fromkeys(call.written[0])) if call.written else sorted_vars(X)
    return Ty.TMarginals(call.span, t.sr, X, t.summed | (t.vars - X), order, t)


def network_operand(call: Call, needs: str, hint: str
                    ) -> tuple[str, tuple[tuple[Var, int], ...]]:
    """The Bayesian network a call's operand names, and the evidence written after `|`; an
    error saying what the call `needs` (and `hint`) when the operand is no network."""
    t = call.operand
    evidence: tuple[tuple[Var, int], ...] = ()
    if isinstance(t, Ty.TGiven) and isinstance(t.operand, Ty.TModel):
        evidence, t = t.evidence, t.operand
    info = call.checker.models.get(t.name) if isinstance(t, Ty.TModel) else None
    if not isinstance(t, Ty.TModel) or info is None or info.network is None:
        what = f"{t.name} is a {info.kind} model" if isinstance(t, Ty.TModel) and info else \
            "the operand is an expression"
        raise call.fail(needs.format(what=what), hint=hint)
    return t.name, evidence
