"""`moments(model, dropout = p | e)` and `moments(bn, dirichlet = s | e)`: the expectation
and variance of the answer V = P(e) (the model's total under the evidence, inline and at run
time) when the parameters are random (docs/moments.md).

* dropout = p: every input of every sum node of the compiled circuit is kept with
  probability 1 - p, independently (Ventola et al. 2023, tractable dropout inference);
  compiler/ops/moments.py builds E[V] and E[V^2] from the circuit and checks its conditions.
* dirichlet = s: every CPT row theta of a Bayesian network is an independent
  Dirichlet(s theta): its mean is the declared row, and s is the equivalent sample size
  (Var[theta_i] = theta_i (1 - theta_i) / (s + 1)).  E[V] is V itself; E[V^2] is the total
  of the *doubled network* over X and a copy X', whose factor for a family is
  E[theta(v) theta(v')] (ops.moments.second_moment_table): the product of the network
  polynomial with itself, the correlation of one row's parameters in its table.
* dirichlet = posterior: every row an independent Dirichlet(alpha_row), alpha the rows'
  parameters the model carries (`atlasc fit` writes them: pseudo-counts + counts); the mean
  network (alpha / alpha0) replaces V when it differs from the declared numbers (EM).
* of = {Q}: the moments of a conditional P(q | e) are refused (a ratio of two polynomials in
  the parameters has no exact tractable moments; docs/moments.md says which queries to ask).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from atlasc.compiler import sources
from atlasc.compiler.errors import QueryTypeError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.language import ast as A
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.adapters import Options
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.language.queries import number_arg
from atlasc.compiler.language.sugar import Call, _need_prob, network_operand, register
from atlasc.compiler.ops import model as as_model
from atlasc.compiler.ops.moments import second_moment_table
from atlasc.compiler.semirings import MOMENTS, PROB
from atlasc.compiler.sources.model import CPT, BayesNet, Factor, MarkovNet

DOC = ("expectation and variance of P(e) under random parameters: dropout = p on the "
       "circuit's sum inputs, dirichlet = s (equivalent sample size) or dirichlet = posterior "
       "(the rows' alpha of a fitted network) on a network's CPT rows")
KINDS = ("dropout", "dirichlet")
POSTERIOR = "posterior"
HINT = ("write moments(bn, dropout = 0.1), moments(bn, dirichlet = 10 | W = true) or "
        "moments(bn, dirichlet = posterior | W = true)")
NO_POSTERIOR = ("fit it first (atlasc fit MODEL --data ROWS -o fitted.bif writes each row's "
                "alpha, read back from the .bif), or give dirichlet = s")


@register("moments", (), DOC, extras=KINDS + ("of",))
def moments(call: Call) -> Ty.T:
    _need_prob(call)
    given = [k for k in KINDS if k in call.extras]
    if len(given) != 1:
        raise call.fail("takes one of dropout = p and dirichlet = s", hint=HINT)
    if "of" in call.extras:
        _refuse_conditional(call)
    total = call.sum(call.operand.vars, call.operand)
    if given[0] == "dropout":
        return _dropout(call, total, number_arg(call, "dropout"))
    k = call.extra("dirichlet")
    if k.number is None and [n.text for n in k.names] == [POSTERIOR]:
        return _posterior(call, total)
    if k.number is None:
        raise QueryTypeError("dirichlet is a number (an equivalent sample size) or "
                             f"'{POSTERIOR}'", k.span, "write dirichlet = 10 or dirichlet = "
                             "posterior")
    return _dirichlet(call, total, number_arg(call, "dirichlet"))


def _refuse_conditional(call: Call) -> None:
    """The moments of P(q | e) = P(q, e) / P(e) are not answered (docs/moments.md)."""
    k = call.extra("of")
    kind = next(x for x in KINDS if x in call.extras)
    raise QueryTypeError(
        "moments of a conditional P(q | e) are not computed: it is the ratio P(q, e) / P(e) "
        "of two polynomials in the random parameters, and the expectation of a ratio is not "
        "the ratio of expectations, nor has it an exact tractable form (only approximations, "
        "which atlasc does not present as answers)", k.span,
        f"ask for the numerator and the denominator separately: moments(bn, {kind} = ... | "
        f"q, e) and moments(bn, {kind} = ... | e) (docs/moments.md, 'Conditionals')")


def _dropout(call: Call, total: Ty.T, p: float) -> Ty.T:
    if not 0.0 <= p <= 1.0:
        raise QueryTypeError(f"dropout {p:g} is not a probability", call.extra("dropout").span,
                             "write dropout = 0.1 (each sum input dropped with probability 0.1)")
    note = (f"V = P(e), the total of the operand; every sum-node input of its circuit kept with "
            f"probability {1 - p:g}, independently (Ventola et al. 2023)")
    return Ty.TMoments(call.span, MOMENTS, frozenset(), total.summed, "dropout", p, total,
                       label=f"moments(dropout = {p:g})", notes=(note,))


def _network(call: Call) -> tuple[str, tuple[tuple[Var, int], ...], BayesNet]:
    name, evidence = network_operand(
        call, "dirichlet posteriors are on the CPT rows of a Bayesian network (inline "
        "bayesnet, BIF, XMLBIF, UAI BAYES): {what}, whose parameters are not CPT rows",
        "use dropout = p for any circuit")
    net = call.checker.models[name].network
    assert net is not None
    return name, evidence, net


def _dirichlet(call: Call, total: Ty.T, s: float) -> Ty.T:
    if not s > 0 or s == float("inf"):
        raise QueryTypeError(f"dirichlet {s:g} is not a positive equivalent sample size",
                             call.extra("dirichlet").span, "write dirichlet = 10")
    name, evidence, net = _network(call)
    note = (f"every CPT row theta of {name} an independent Dirichlet({s:g} theta): "
            f"E[theta] = theta, Var[theta_i] = theta_i (1 - theta_i) / {s + 1:g}; E[V^2] is "
            f"the total of {name} doubled (X and a copy X', one factor E[theta(v) theta(v')] "
            "per family), both copies reading the evidence")
    alphas = [s * c.table for c in net.cpts]
    return _moments(call, total, name, evidence, net, alphas, f"{s:g}", note)


def _posterior(call: Call, total: Ty.T) -> Ty.T:
    """Every row an independent Dirichlet(alpha_row), alpha as the network carries it."""
    name, evidence, net = _network(call)
    alphas = [_alpha(call, name, net, c) for c in net.cpts]
    means = [a / a.sum(axis=-1, keepdims=True) for a in alphas]
    off = max(float(np.abs(m - c.table).max()) for m, c in zip(means, net.cpts))
    note = (f"every CPT row of {name} an independent Dirichlet(alpha_row), alpha as its "
            f"file gives it (dirichlet_alpha; atlasc fit: pseudo-counts + counts, the exact "
            f"posterior for complete rows; under EM pseudo-counts + the expected counts of the "
            f"last E-step, the usual approximation of the posterior): "
            f"E[theta] = alpha / alpha0 (at most {off:.3g} from the declared numbers), "
            f"E[V^2] the total of {name} doubled, both copies reading the evidence")
    if off > 0:
        total = _mean_total(call, name, evidence, net, means)
    return _moments(call, total, name, evidence, net, alphas, POSTERIOR, note)


def _alpha(call: Call, name: str, net: BayesNet, c: CPT) -> np.ndarray:
    span = call.extra("dirichlet").span
    if c.alpha is None:
        raise QueryTypeError(f"{name} carries no Dirichlet posterior: the CPT of "
                             f"{c.child.name} has no dirichlet_alpha", span, NO_POSTERIOR)
    empty = c.alpha.sum(axis=-1) <= 0
    if empty.any():
        idx = tuple(int(i) for i in np.argwhere(np.atleast_1d(empty))[0]) if c.parents else ()
        cfg = ", ".join(f"{p.name}={p.domain[i]}" for p, i in zip(c.parents, idx))
        raise QueryTypeError(
            f"{name}: the row {c.child.name}" + (f" | {cfg}" if cfg else "") + " has alpha 0 "
            "(no data and no pseudo-count): its posterior is improper, with no moments",
            span, "refit with a pseudo-count (atlasc fit ... --pseudo-count 1)")
    return c.alpha


def _moments(call: Call, total: Ty.T, name: str, evidence: tuple[tuple[Var, int], ...],
             net: BayesNet, alphas: list[np.ndarray], what: str, note: str) -> Ty.T:
    """TMoments of V = `total` and E[V^2] = the doubled network's total under the evidence."""
    copies = {v: Var(v.name + "'", v.domain) for v in net.variables}
    key = f"{name} doubled (dirichlet {what})"
    vars2 = frozenset(net.variables) | frozenset(copies.values())
    t: Ty.T = _synthetic(call, name, key, vars2, lambda o: compile_doubled(
        doubled(net, alphas, copies), o, key,
        f"{net.name or 'the network'} doubled for its second moment"))
    ev = evidence + tuple((copies[v], i) for v, i in evidence)
    if ev:
        t = Ty.TGiven(call.operand.span, PROB, t.vars, t.summed, ev, t)
    second = call.sum(t.vars, t)
    return Ty.TMoments(call.span, MOMENTS, frozenset(), total.summed, "dirichlet", 0.0, total,
                       second, tuple((c, v) for v, c in copies.items()),
                       label=f"moments(dirichlet = {what})", notes=(note,))


def _mean_total(call: Call, name: str, evidence: tuple[tuple[Var, int], ...], net: BayesNet,
                means: list[np.ndarray]) -> Ty.T:
    """P(e) of the network at the posterior mean (when it is not the declared network)."""
    key = f"{name} at its posterior mean"
    mean = BayesNet(net.variables, tuple(CPT(c.child, c.parents, m, c.line)
                                         for c, m in zip(net.cpts, means)), net.name, net.file)
    t: Ty.T = _synthetic(call, name, key, frozenset(net.variables), lambda o: compile_doubled(
        mean, o, key, f"{net.name or 'the network'} at its posterior mean alpha / alpha0"))
    if evidence:
        t = Ty.TGiven(call.operand.span, PROB, t.vars, t.summed, evidence, t)
    return call.sum(t.vars, t)


def _synthetic(call: Call, name: str, key: str, vars_: frozenset[Var],
               build: Callable[[Options], Circuit]) -> Ty.TModel:
    """A model the expansion makes (once per key), declared at the operand's declaration."""
    info = call.checker.models[name]
    if key not in call.checker.models:
        decl = A.ModelDecl(call.span, A.Name(call.span, key), info.decl.body)
        call.checker.models[key] = ModelInfo(key, decl, "bayesnet doubled", PROB, vars_, build,
                                             Options(None, ()))
    return Ty.TModel(call.span, PROB, vars_, frozenset(), key)


def doubled(net: BayesNet, alphas: list[np.ndarray], copies: dict[Var, Var]) -> MarkovNet:
    """The network over X and X' whose factor for the family v of each CPT is
    E[theta(v) theta(v')] under independent Dirichlet(alpha) rows (alphas: one per CPT)."""
    fs = [Factor(c.family + tuple(copies[v] for v in c.family), second_moment_table(a), c.line)
          for c, a in zip(net.cpts, alphas)]
    vs = net.variables + tuple(copies[v] for v in net.variables)
    return MarkovNet(vs, tuple(fs), net.name, net.file)


def compile_doubled(model: BayesNet | MarkovNet, opts: Options, name: str, what: str
                    ) -> Circuit:
    c = sources.compile_model(model, vtree=opts.vtree, constrained=opts.constrained,
                              nested=opts.nested)
    return as_model(c, name, f"{what}, {c.info.get('route', 'sdd')}")
