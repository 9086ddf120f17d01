"""Interventions by graph surgery: `effect(bn, do = {X}, outcome = {Y})` is p(Y | do(X)) on a
Bayesian network by the truncated factorisation (Pearl 2009, 3.2): the network with the CPTs of
X removed and X left as a free input,

    p_do(X)(v) = prod over the variables v_i outside X of p(v_i | pa(v_i)),

compiled as a circuit (a product of factors through an SDD, X-constrained so that the
normaliser's reciprocal is certified), then `m = sum[* \\ X u Y]` of it and
`m * map[recip] (sum[Y] m)`.  With evidence, `effect(bn, do = {X}, outcome = {Y} | e)` (or
evidence given when the query runs) is p(Y | do(X), e): e conditions the intervened network,
and an entry at x where p(e | do(X = x)) = 0 is undefined.  It needs no adjustment set and no
positivity: it is defined where backdoor and frontdoor adjustment are not, and is the oracle
they are tested against (tests/queries/test_undefined.py).
"""
from __future__ import annotations

import numpy as np

from atlasc.compiler import sources
from atlasc.compiler.language import ast as A
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.adapters import Options
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.language.sugar import (Call, _disjoint, _need_prob, network_operand,
                                            nonzero, noted, register)
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ops import model as as_model
from atlasc.compiler.sources.model import BayesNet, Factor, MarkovNet

DOC = ("p(Y | do(X)) by graph surgery: the network without the CPTs of X (the truncated "
       "factorisation), compiled as a circuit; `| e` conditions the intervened network")


@register("effect", ("X", "Y"), DOC, keywords=("do", "outcome"))
def effect(call: Call) -> Ty.T:
    _need_prob(call)
    _disjoint(call, (0, 1))
    X, Y = call.groups
    name, evidence = _network_operand(call)
    cut = _mutilated(call, name, X)
    t: Ty.T = cut
    if evidence:
        t = Ty.TGiven(call.operand.span, cut.sr, cut.vars, cut.summed, evidence, cut)
    m = call.sum(t.vars - (X | Y), t)
    den = call.sum(Y, m)
    result = call.product(m, call.map("recip", den))
    given = ", e" if evidence else ""
    notes = (f"graph surgery: the CPTs of {fmt_vars(X)} removed from {name}, "
             f"{fmt_vars(X)} a free input (the truncated factorisation); no adjustment set "
             "and no positivity needed",
             f"p({_names(Y)} | do({_names(X)}){given}) = m / sum over {fmt_vars(Y)} of m, m the "
             f"intervened network summed to {fmt_vars(X | Y)}; the reciprocal needs "
             f"{fmt_vars(X)}-determinism, which the {fmt_vars(X)}-constrained compile gives",
             "evidence (in the query or at run time) conditions the intervened network; an "
             "entry where it has probability 0 under do(X = x) is undefined (null)")
    check = nonzero(den, "the evidence has probability 0 under the intervention")
    label = f"effect(do {fmt_vars(X)}, outcome {fmt_vars(Y)}{' | ' + _ev(evidence) if evidence else ''})"
    return noted(call, label, notes, result, checks=(check,))


def _names(vs: frozenset[Var]) -> str:
    return ", ".join(v.name for v in sorted(vs))


def _ev(evidence: tuple[tuple[Var, int], ...]) -> str:
    return ", ".join(f"{v.name} = {v.domain[i]}" for v, i in evidence)


def _network_operand(call: Call) -> tuple[str, tuple[tuple[Var, int], ...]]:
    """The Bayesian network the call names, and the evidence written after `|` (none on the
    treatment)."""
    name, evidence = network_operand(
        call, "graph surgery needs a Bayesian network (inline bayesnet, BIF, XMLBIF, UAI "
        "BAYES): {what}", "write effect(bn, do = {X}, outcome = {Y}) with bn a network")
    X = call.groups[0]
    on_x = [v for v, _ in evidence if v in X]
    if on_x:
        raise call.fail(f"evidence on the treatment {on_x[0].name}: do({fmt_vars(X)}) sets it",
                        hint="observe other variables, or choose the treatment's rows of the "
                             "table")
    return name, evidence


def _mutilated(call: Call, name: str, X: frozenset[Var]) -> Ty.TModel:
    """The intervened network as a model of its own (one per network and treatment set)."""
    info = call.checker.models[name]
    key = f"{name} under do({_names(X)})"
    if key not in call.checker.models:
        net = info.network
        assert net is not None
        decl = A.ModelDecl(call.span, A.Name(call.span, key), info.decl.body)
        opts = Options(None, tuple(sorted(X)))
        call.checker.models[key] = ModelInfo(
            key, decl, "bayesnet under do", info.sr, info.vars,
            lambda o: compile_mutilated(net, X, o, key), opts)
    return Ty.TModel(call.span, info.sr, info.vars, frozenset(), key)


def mutilated(net: BayesNet, X: frozenset[Var]) -> MarkovNet:
    """The CPTs outside X, and a factor of ones for each variable of X (a free input)."""
    fs = [c.factor() for c in net.cpts if c.child not in X]
    fs += [Factor((x,), np.ones(x.size)) for x in sorted(X)]
    return MarkovNet(net.variables, tuple(fs), net.name, net.file)


def compile_mutilated(net: BayesNet, X: frozenset[Var], opts: Options, name: str) -> Circuit:
    c = sources.compile_model(mutilated(net, X), vtree=opts.vtree,
                              constrained=opts.constrained, nested=opts.nested)
    return as_model(c, name, f"the network without the CPTs of {fmt_vars(X)}, SDD, "
                             f"{opts.describe()}")
