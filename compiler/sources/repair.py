"""`recompile`: the repair hook.  A circuit made by a source keeps in `circuit.info` what it
needs (kind, model or clauses, options); `recompile(c, constrained=X)` compiles it again with
an X-constrained vtree, so X-determinism holds by construction.  BOOL circuits loaded from
files (SDD, d-DNNF) are recompiled from their Boolean function (apply, bottom-up)."""
from __future__ import annotations

from typing import Any, Iterable

from pysdd.sdd import SddNode

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.sources.formulas import Session, compile_cnf_clauses, compile_formula
from atlasc.compiler.sources.limits import Limits
from atlasc.compiler.sources.model import BayesNet, MarkovNet
from atlasc.compiler.sources.networks import compile_model


def recompile(handle: Circuit | BayesNet | MarkovNet, *, constrained: Iterable[Var] | None = None,
              vtree: Vtree | str | None = None, limits: Limits | None = None) -> Circuit:
    if isinstance(handle, (BayesNet, MarkovNet)):
        return compile_model(handle, vtree=vtree, constrained=constrained, limits=limits)
    info = handle.info
    kind = info.get("source")
    if kind in ("bayes", "markov"):
        return compile_model(info["model"], vtree=vtree, constrained=constrained,
                             limits=limits, info=_keep(info))
    if kind == "cnf":
        return compile_cnf_clauses(info["clauses"], info["variables"], weights=info["weights"],
                                   vtree=vtree, constrained=constrained, limits=limits,
                                   name=handle.name, info=_keep(info))
    if kind == "formula":
        return compile_formula(info["expr"], info["variables"], vtree,
                               constrained=constrained, limits=limits, name=handle.name)
    if handle.sr.name == "bool":
        return _recompile_bool(handle, constrained, vtree, limits)
    raise OperatorError(f"cannot recompile a circuit from source {kind!r}",)


def _keep(info: dict[str, Any]) -> dict[str, Any]:
    return {k: info[k] for k in ("path", "show") if k in info}


def _recompile_bool(c: Circuit, constrained: Iterable[Var] | None, vtree: Vtree | str | None,
                    limits: Limits | None) -> Circuit:
    X = frozenset(constrained or ())
    vs = sorted(c.vars)
    s = Session(vs, vtree, [], X, limits, c.name or "circuit")
    m = s.c.mgr
    val: dict[int, SddNode] = {}
    for n in c.nodes():
        if n.op is Op.INPUT:
            out = m.false()
            for i, w in enumerate(n.arg.weights):
                if w:
                    out = m.disjoin(out, s.lit(n.arg.var, i))
        elif n.op is Op.CONST:
            out = m.true() if n.arg else m.false()
        elif n.op in (Op.SUM, Op.PROD):
            out = m.false() if n.op is Op.SUM else m.true()
            for k in n.children:
                out = m.disjoin(out, val[k.uid]) if n.op is Op.SUM else \
                    m.conjoin(out, val[k.uid])
        else:
            raise OperatorError(f"cannot recompile a circuit with {n.op.value} nodes")
        out.ref()
        val[n.uid] = out
        s.budget.check(m.size())
    return s.finish(val[c.root.uid], None, c.name, {"source": "recompiled",
                                                    "from": c.info.get("source"),
                                                    "options": {"constrained": X}})
