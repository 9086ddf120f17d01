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
"""
from __future__ import annotations

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
from atlasc.compiler.sources.model import BayesNet, Factor, MarkovNet

DOC = ("expectation and variance of P(e) under random parameters: dropout = p on the "
       "circuit's sum inputs, or dirichlet = s (equivalent sample size) on a network's CPT rows")
KINDS = ("dropout", "dirichlet")
HINT = "write moments(bn, dropout = 0.1) or moments(bn, dirichlet = 10 | W = true)"


@register("moments", (), DOC, extras=KINDS)
def moments(call: Call) -> Ty.T:
    _need_prob(call)
    given = [k for k in KINDS if k in call.extras]
    if len(given) != 1:
        raise call.fail("takes one of dropout = p and dirichlet = s", hint=HINT)
    total = call.sum(call.operand.vars, call.operand)
    value = number_arg(call, given[0])
    if given[0] == "dropout":
        return _dropout(call, total, value)
    return _dirichlet(call, total, value)


def _dropout(call: Call, total: Ty.T, p: float) -> Ty.T:
    if not 0.0 <= p <= 1.0:
        raise QueryTypeError(f"dropout {p:g} is not a probability", call.extra("dropout").span,
                             "write dropout = 0.1 (each sum input dropped with probability 0.1)")
    note = (f"V = P(e), the total of the operand; every sum-node input of its circuit kept with "
            f"probability {1 - p:g}, independently (Ventola et al. 2023)")
    return Ty.TMoments(call.span, MOMENTS, frozenset(), total.summed, "dropout", p, total,
                       label=f"moments(dropout = {p:g})", notes=(note,))


def _dirichlet(call: Call, total: Ty.T, s: float) -> Ty.T:
    if not s > 0 or s == float("inf"):
        raise QueryTypeError(f"dirichlet {s:g} is not a positive equivalent sample size",
                             call.extra("dirichlet").span, "write dirichlet = 10")
    name, evidence = network_operand(
        call, "dirichlet posteriors are on the CPT rows of a Bayesian network (inline "
        "bayesnet, BIF, XMLBIF, UAI BAYES): {what}, whose parameters are not CPT rows",
        "use dropout = p for any circuit")
    net = call.checker.models[name].network
    assert net is not None
    copies = {v: Var(v.name + "'", v.domain) for v in net.variables}
    doubled = _doubled_model(call, name, net, s, copies)
    ev = evidence + tuple((copies[v], i) for v, i in evidence)
    t: Ty.T = doubled
    if ev:
        t = Ty.TGiven(call.operand.span, PROB, doubled.vars, doubled.summed, ev, doubled)
    second = call.sum(t.vars, t)
    note = (f"every CPT row theta of {name} an independent Dirichlet({s:g} theta): "
            f"E[theta] = theta, Var[theta_i] = theta_i (1 - theta_i) / {s + 1:g}; E[V^2] is "
            f"the total of {name} doubled (X and a copy X', one factor E[theta(v) theta(v')] "
            "per family), both copies reading the evidence")
    return Ty.TMoments(call.span, MOMENTS, frozenset(), total.summed, "dirichlet", s, total,
                       second, tuple((c, v) for v, c in copies.items()),
                       label=f"moments(dirichlet = {s:g})", notes=(note,))


def _doubled_model(call: Call, name: str, net: BayesNet, s: float,
                   copies: dict[Var, Var]) -> Ty.TModel:
    key = f"{name} doubled (dirichlet {s:g})"
    info = call.checker.models[name]
    vars2 = frozenset(net.variables) | frozenset(copies.values())
    if key not in call.checker.models:
        decl = A.ModelDecl(call.span, A.Name(call.span, key), info.decl.body)
        call.checker.models[key] = ModelInfo(
            key, decl, "bayesnet doubled", PROB, vars2,
            lambda o: compile_doubled(net, s, copies, o, key), Options(None, ()))
    return Ty.TModel(call.span, PROB, vars2, frozenset(), key)


def doubled(net: BayesNet, s: float, copies: dict[Var, Var]) -> MarkovNet:
    """The network over X and X' whose factor for the family v of each CPT is
    E[theta(v) theta(v')] under Dirichlet(s theta) rows."""
    fs = [Factor(c.family + tuple(copies[v] for v in c.family),
                 second_moment_table(s * c.table), c.line) for c in net.cpts]
    vs = net.variables + tuple(copies[v] for v in net.variables)
    return MarkovNet(vs, tuple(fs), net.name, net.file)


def compile_doubled(net: BayesNet, s: float, copies: dict[Var, Var], opts: Options,
                    name: str) -> Circuit:
    c = sources.compile_model(doubled(net, s, copies), vtree=opts.vtree,
                              constrained=opts.constrained, nested=opts.nested)
    return as_model(c, name, f"{net.name or 'the network'} doubled for its second moment, "
                             f"{c.info.get('route', 'sdd')}")
