"""Query sugar for the atlas's further queries (docs/atlas.md §4.0, 4.3), registered in `sugar.py`'s
registry:

* normalize(e, over = {Y}): e / sum_Y e, a conditional table (all free variables by default);
* meu(model, decide = {D}, utility = u): maximum expected utility in the expectation semiring;
* sdp(model, decide = D, hidden = {H}, threshold = t): same-decision probability;
* twoamc(phi, outer = {X}, inner_weights = wy, outer_weights = wx, tau = m): 2AMC (4.0).

Every expansion is built from the three operators, so each step checks its own conditions;
the report step on top says what the composition is and which conditions it rests on.
"""
from __future__ import annotations

from typing import Any

from atlasc.compiler.errors import QueryTypeError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.adapters import compile_weights
from atlasc.compiler.language.modelinfo import ModelInfo, real
from atlasc.compiler.language.sugar import (REGISTRY, Call, _disjoint, _need_prob, _normalised,
                                            network_graph, nonzero, noted, register, total)
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.mappings import builtin
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring


# ---- keyword arguments ------------------------------------------------------------------------
def model_arg(call: Call, key: str, sr: Semiring | None = None) -> Ty.T:
    """A keyword argument naming a model or an earlier query (in `sr`, if given)."""
    k = call.extra(key)
    if len(k.names) != 1 or k.number is not None:
        raise QueryTypeError(f"{key} names a model", k.span, f"write {key} = NAME")
    t = call.checker.expr(A.Ref(k.names[0].span, k.names[0]))
    if sr is not None and t.sr != sr:
        raise QueryTypeError(f"{key} must be a model in {sr.name}, not {t.sr.name}", k.span,
                             _semiring_hint(key, sr))
    return t


def _semiring_hint(key: str, sr: Semiring) -> str:
    if sr == R.EXPECTATION:
        return "utilities are weights[expectation] {L: (1, u), ...}: (1, u) for a literal " \
               "with utility u"
    return f"declare it as a model in {sr.name}"


def number_arg(call: Call, key: str) -> float:
    k = call.extra(key)
    if k.number is None:
        raise QueryTypeError(f"{key} is a number", k.span, f"write {key} = 0.5")
    return real(k.number)


def synthesized(call: Call, name: str, rows: dict[Var, list[Any]], sr: Semiring) -> Ty.T:
    """A fully factorised model the expansion needs (e.g. an indicator in prob2)."""
    models = call.checker.models
    if name not in models:
        decl = A.ModelDecl(call.span, A.Name(call.span, name), A.WeightsModel(call.span, None, ()))
        values = {v: [sr.element(w) for w in ws] for v, ws in rows.items()}
        models[name] = ModelInfo(name, decl, "weights", sr, frozenset(rows),
                                 lambda o: compile_weights(values, sr, name))
    return Ty.TModel(call.span, sr, frozenset(rows), frozenset(), name)


def _label(call: Call, extra: str = "") -> str:
    sugar = REGISTRY[call.name]
    args = [f"{k} {fmt_vars(g)}" for k, g in zip(sugar.keywords, call.groups)] or \
        [f"{sugar.keywords[0]} every free variable"]
    return f"{call.name}(" + ", ".join(args + ([extra] if extra else [])) + ")"


# ---- normalize --------------------------------------------------------------------------------
@register("normalize", ("Y",), "e / sum_Y e: p(Y | the other free variables, evidence), all "
                               "free variables by default", optional=True, keywords=("over",))
def normalize(call: Call) -> Ty.T:
    t = call.operand
    _need_prob(call)
    if call.groups:
        _disjoint(call, (0,))
    Y = call.groups[0] if call.groups else t.vars
    if not Y:
        raise call.fail("the expression has no free variable to normalise over",
                        hint="normalize a table: e.g. normalize(sum[* \\ {A}] (bn | E))")
    rest = t.vars - Y
    den = total(call, t) if not rest else call.sum(Y, t)
    result = call.product(t, call.map("recip", den))
    notes = [f"p({_names(Y)} | {_names(rest) + ', ' if rest else ''}evidence) = e / sum over "
             f"{fmt_vars(Y)} of e, per evidence row"]
    checks: tuple[Ty.TCheck, ...] = ()
    if rest:
        notes.append(f"an entry whose sum over {fmt_vars(Y)} is 0 is undefined (null), "
                     "checked per evidence row; the reciprocal needs "
                     f"{fmt_vars(rest)}-determinism (3.3)")
        checks = (nonzero(den, f"the conditional p({_names(Y)} | {_names(rest)}) is "
                               f"undefined: the sum over {fmt_vars(Y)} is 0"),)
    else:
        notes.append("under zero-probability evidence every entry is undefined (null), not a "
                     "number")
    return noted(call, _label(call), tuple(notes), result, None if rest else den,
                 checks=checks, wants=(rest,))


def _names(vs: frozenset[Var]) -> str:
    return ", ".join(v.name for v in sorted(vs))


# ---- maximum expected utility -----------------------------------------------------------------
@register("meu", ("D",), "max over D of E[U | D]: the expectation semiring, eu: (p, s) -> s/p "
                         "into maxlog, then max (docs/atlas.md §4.3)", keywords=("decide",),
          extras=("utility",))
def meu(call: Call) -> Ty.T:
    _need_prob(call)
    _disjoint(call, (0,))
    (D,) = call.groups
    t = call.operand
    u = model_arg(call, "utility", R.EXPECTATION)
    if not u.vars <= t.vars:
        raise call.fail(f"the utility reads {fmt_vars(u.vars - t.vars)}, which the model does "
                        "not have", hint=f"the model's variables are {fmt_vars(t.vars)}")
    notes = (_decision_roots(call, D),
             "E[U | d] = s/p of (p, s) = sum over the chance variables of (p, p U) in the "
             "expectation semiring; eu is multiplicative into maxlog (+ is its product), so "
             f"it needs {fmt_vars(D)}-determinism of the sum, i.e. a {fmt_vars(D)}-"
             "deterministic model (compile it with vtree constrained {D})",
             "utilities are additive: the product of (1, u_i) is (1, sum u_i)")
    pe = call.product(call.map("lift", t), u)
    eu = call.map("eu", call.sum(t.vars - D, pe))
    return noted(call, _label(call, "utility " + call.extra("utility").names[0].text), notes,
                 call.sum(D, eu), total(call, t),     # p(e) = 0: E[U | e] is undefined
                 wants=(D,))


def _decision_roots(call: Call, D: frozenset[Var]) -> str:
    """Decisions are chosen, not caused: in a network they must have no parents."""
    graph, why = network_graph(call)
    if graph is None:
        return f"decisions taken as unconditioned: {why} (graph unknown)"
    caused = [d for d in sorted(D) if graph[d]]
    if caused:
        d = caused[0]
        raise call.fail(f"the decision {d.name} has parents {fmt_vars(frozenset(graph[d]))} "
                        "in the network", 0, "a decision is chosen, not caused: give it a "
                        "prior with no parents (its value does not matter, E[U | d] divides "
                        "it out)")
    return f"the decisions {fmt_vars(D)} have no parents in the network: p(c | d) is the " \
           "effect of choosing d"


# ---- same-decision probability ----------------------------------------------------------------
@register("sdp", ("D", "H"), "sum over H of p(H | e) [p(D = true | H, e) >= t] (docs/atlas.md §4.3)",
          keywords=("decide", "hidden"), extras=("threshold",))
def sdp(call: Call) -> Ty.T:
    _need_prob(call)
    _disjoint(call, (0, 1))
    D, H = call.groups
    d = next(iter(D))
    if len(D) != 1 or not d.is_bool:
        raise call.fail("decide is one Boolean variable (the decision is D = true)", 0)
    thr = number_arg(call, "threshold")
    if not 0.0 <= thr <= 1.0:
        raise QueryTypeError(f"threshold {thr:g} is not a probability", call.extra(
            "threshold").span)
    t = call.operand
    lam = synthesized(call, f"[{d.name}]", {d: [(0.0, 1.0), (1.0, 1.0)]}, R.PROB2)
    inner = call.sum(t.vars - H, call.product(call.map("dup", t), lam))
    mapped = call.checker.make_map(call.span, builtin.threshold(thr), inner)
    notes = (f"inner: (p({d.name} = true, H, e), p(H, e)) in prob2, then threshold({thr:g}): "
             "(a, b) -> b [a >= t b]; not multiplicative, so the circuit must reach one "
             f"inner sub-circuit for every value of {fmt_vars(H)} (compile the model with "
             f"vtree constrained {fmt_vars(H)}; 3.3, 4.3)",
             f"the probability that the decision {d.name} = true (p >= {thr:g}) is made "
             f"once {fmt_vars(H)} is observed; when it is the decision under e alone, this "
             "is the same-decision probability")
    result = _normalised(call, t, call.sum(H, mapped))
    return noted(call, _label(call, f"threshold {thr:g}"), notes, result, total(call, t),
                 wants=(H,))


# ---- 2AMC -------------------------------------------------------------------------------------
@register("twoamc", ("X",), "sum_X w_X tau(sum_Y w_Y [phi]) (docs/atlas.md §4.0)",
          keywords=("outer",), extras=("inner_weights", "outer_weights", "tau"))
def twoamc(call: Call) -> Ty.T:
    phi = call.operand
    if phi.sr != R.BOOL:
        raise call.fail(f"phi is a Boolean model, not {phi.sr.name}")
    _disjoint(call, (0,))
    (X,) = call.groups
    wy, wx = model_arg(call, "inner_weights"), model_arg(call, "outer_weights")
    if wy.vars & X:
        raise QueryTypeError(f"inner_weights weighs the outer {fmt_vars(wy.vars & X)}",
                             call.extra("inner_weights").span)
    _within(call, "outer_weights", wx, X)
    tau = _mapping_arg(call, wy.sr, wx.sr)
    inner = call.sum((phi.vars | wy.vars) - X,
                     call.product(call.map("indicator", phi, wy.sr.name), wy))
    mapped = call.checker.make_map(call.span, tau, inner)
    notes = (f"2AMC: outer {wx.sr.name} over {fmt_vars(X)}, inner {wy.sr.name}, tau "
             f"{tau.label}; conditions (4.0): the indicator needs phi deterministic unless "
             f"{wy.sr.name} is idempotent, tau needs {fmt_vars(X)}-determinism of phi",)
    return noted(call, _label(call, f"tau {tau.label}"), notes,
                 call.sum(X, call.product(wx, mapped)), wants=(X,))


def _within(call: Call, key: str, w: Ty.T, allowed: frozenset[Var]) -> None:
    if not w.vars <= allowed:
        raise QueryTypeError(f"{key} weighs {fmt_vars(w.vars - allowed)}, outside "
                             f"{fmt_vars(allowed)}", call.extra(key).span)


def _mapping_arg(call: Call, src: Semiring, dst: Semiring) -> Any:
    k = call.extra("tau")
    if len(k.names) != 1:
        raise QueryTypeError("tau names a mapping", k.span, "write tau = id")
    name = k.names[0]
    if name.text in call.checker.env.mappings:
        m = call.checker.mapping(name.text)
    else:
        spec = A.MapSpec(k.span, name, (), A.Name(k.span, src.name), A.Name(k.span, dst.name))
        m = call.checker.find_mapping(spec, src)
    if m.src != src or m.dst != dst:
        raise QueryTypeError(f"tau must map {src.name} -> {dst.name}; {m.label} does not",
                             k.span)
    return m
