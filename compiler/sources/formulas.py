"""Boolean formulas and CNFs -> BOOL (or weighted PROB) circuits through SDDs.

`compile_formula(expr, variables)` takes a nested tuple:
    ("and", a, b, ...)   ("or", a, b, ...)   ("not", a)
    ("lit", var, value_index)   ("true",)   ("false",)
`compile_cnf_clauses(clauses, variables)` takes DIMACS-style clauses (non-zero ints, variable
k is variables[k-1], Boolean).  With `weights` (var -> (w(false), w(true))) the result is a
PROB circuit computing the weight of each model (0 elsewhere): its sum is the WMC.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable, Mapping, Sequence

from pysdd.sdd import SddNode

from atlasc.compiler.errors import OperatorError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.semirings import BOOL, PROB
from atlasc.compiler.sources.convert import VarMap, project_vtree
from atlasc.compiler.sources.cnfflat import flat_cnf, flat_order, used_count
from atlasc.compiler.sources.knowledge import (Minimizer, SddCompiler, make_layout, manager_for,
                                        repaired_shape, sdd_shape, Placement)
from atlasc.compiler.sources.limits import Budget, Limits
from atlasc.compiler.sources.networks import construction_facts, convert_rows, sdd_rows
from atlasc.compiler.ir.vtree import is_constrained
from atlasc.compiler.ir.facts import STRUCTURED, Fact, How
from atlasc.compiler.ir.sparse import SparseView, groups_of
from atlasc.compiler.sources.vtrees import choose_vtree

HINT = "try another vtree (balanced / right-linear), or a weaker constraint"


class Session:
    """A manager over the variables' indicator groups, with limits."""

    def __init__(self, variables: Sequence[Var], vtree: Vtree | str | None,
                 families: Sequence[Sequence[Var]], X: frozenset[Var], limits: Limits | None,
                 what: str) -> None:
        if len(set(variables)) != len(variables):
            raise OperatorError("the variable list has duplicates")
        self.variables, self.X = tuple(variables), X
        self.vt = vtree if isinstance(vtree, Vtree) else choose_vtree(
            list(variables), families or [[v] for v in variables], vtree or "minfill", X)
        if self.vt.vars != frozenset(variables):
            raise OperatorError("the vtree's variables differ from the formula's: "
                                f"{fmt_vars(self.vt.vars ^ frozenset(variables))}")
        if X and not is_constrained(self.vt, X):
            raise OperatorError(f"the given vtree is not {fmt_vars(X)}-constrained")
        self.lay = make_layout(variables)
        self.budget = Budget(limits, what, HINT)
        self.c = SddCompiler(self.lay, manager_for(sdd_shape(self.vt, self.lay, Placement()),
                                                   self.lay.count), self.budget)

    def lit(self, v: Var, i: int) -> SddNode:
        if v not in self.lay.groups:
            raise OperatorError(f"{v.name} is not among the formula's variables")
        return self.c.eq(v, i)

    def finish(self, root: SddNode, weights: Mapping[Var, Sequence[float]] | None,
               name: str, info: dict[str, Any]) -> Circuit:
        m = self.c.mgr
        for v in self.variables:
            if v.size > 2:
                root = m.conjoin(root, self.c.exactly_one(v))
        rows, top, svt = sdd_rows(m, root)
        out_vt = project_vtree(svt, self.lay.owner)
        sr = PROB if weights is not None else BOOL
        vm = VarMap(dict(self.lay.owner), {}, {v: tuple(w) for v, w in (weights or {}).items()})
        croot, b = convert_rows(rows, top, svt, vm, sr, self.variables, self.budget)
        meta = {"sdd_size": root.size(), "sdd_nodes": root.count(), "circuit_nodes": len(b),
                "compile_seconds": self.budget.elapsed, **info}
        return Circuit(croot, b, name=name, facts=construction_facts(out_vt, self.X),
                       vtree=out_vt, info=meta)


def compile_formula(expr: tuple[Any, ...], variables: Sequence[Var], vtree: Vtree | str | None
                    = None, *, constrained: Iterable[Var] | None = None,
                    limits: Limits | None = None, name: str = "formula",
                    weights: dict[Var, tuple[float, ...]] | None = None,
                    families: Sequence[Sequence[Var]] | None = None,
                    one_hot_first: bool = False) -> Circuit:
    """A BOOL circuit that is true exactly on the formula's models (over `variables`); with
    `weights` (var -> one weight per value) a PROB circuit of each model's weight.  `families`
    (sets of variables that interact) guide the default vtree; `one_hot_first` conjoins the
    exactly-one constraints of all multi-valued variables in one step (see _one_hot)."""
    X = frozenset(constrained or ())
    s, root = formula_sdd(expr, variables, vtree, constrained=X, limits=limits, name=name,
                          families=families, one_hot_first=one_hot_first)
    return s.finish(root, weights, name, {"source": "formula", "expr": expr,
                                       "variables": tuple(variables),
                                       "options": {"vtree": vtree, "constrained": X}})


def formula_sdd(expr: tuple[Any, ...], variables: Sequence[Var], vtree: Vtree | str | None
                = None, *, constrained: Iterable[Var] | None = None,
                limits: Limits | None = None, name: str = "formula",
                families: Sequence[Sequence[Var]] | None = None,
                one_hot_first: bool = False) -> tuple[Session, SddNode]:
    """compile_formula's SDD and its session, before the circuit (`Session.finish`)."""
    s = Session(variables, vtree, list(families or []), frozenset(constrained or ()), limits,
                name)
    root = _formula_sdd(s, expr)
    if one_hot_first:
        root = s.c.mgr.conjoin(_one_hot(s), root)
    return s, root


def _one_hot(s: Session) -> SddNode:
    """Exactly one value of each multi-valued variable, as one SDD to conjoin once (finish then
    conjoins each again at no cost): conjoining them one by one onto a large SDD was the
    slowest step on programs with many categorical variables (ALARM in ProbLog: 19 s)."""
    m = s.c.mgr
    acc = m.true()
    for v in s.variables:
        if v.size > 2:
            acc = m.conjoin(acc, s.c.exactly_one(v))
    return acc


def _formula_sdd(s: Session, expr: tuple[Any, ...]) -> SddNode:
    """Post-order over the expression tree with an explicit stack (deep formulas are fine)."""
    m = s.c.mgr
    done: dict[int, SddNode] = {}
    stack: list[tuple[tuple[Any, ...], bool]] = [(expr, False)]
    while stack:
        e, expanded = stack.pop()
        if id(e) in done:
            continue                  # a shared sub-formula (the expression is a DAG)
        op = _op(e)
        if op in ("lit", "true", "false"):
            done[id(e)] = _atom(s, e)
        elif not expanded:
            stack.append((e, True))
            stack.extend((a, False) for a in e[1:])
        else:
            done[id(e)] = _apply(m, op, [done[id(a)] for a in e[1:]], s)
    return done[id(expr)]


def _op(e: Any) -> str:
    if not isinstance(e, tuple) or not e or e[0] not in ("and", "or", "not", "lit", "true",
                                                         "false"):
        raise OperatorError(f"not a formula node: {e!r} (expected ('and', ...), ('or', ...), "
                            "('not', a), ('lit', var, value), ('true',) or ('false',))")
    if e[0] == "not" and len(e) != 2:
        raise OperatorError(f"'not' takes one argument: {e!r}")
    return e[0]


def _atom(s: Session, e: tuple[Any, ...]) -> SddNode:
    m = s.c.mgr
    if e[0] == "true":
        return m.true()
    if e[0] == "false":
        return m.false()
    if len(e) != 3 or not isinstance(e[1], Var):
        raise OperatorError(f"a literal is ('lit', Var, value_index), got {e!r}")
    try:
        return s.lit(e[1], e[1].index(e[2]))
    except ValueError as err:
        raise OperatorError(str(err)) from None


def _apply(m: Any, op: str, args: list[SddNode], s: Session) -> SddNode:
    if op == "not":
        return m.negate(args[0])
    acc = m.true() if op == "and" else m.false()
    for a in args:
        acc = m.conjoin(acc, a) if op == "and" else m.disjoin(acc, a)
        s.budget.check(m.size())
    return acc


def compile_cnf_clauses(clauses: Iterable[Sequence[int]], variables: Sequence[Var], *,
                        weights: dict[Var, tuple[float, float]] | None = None,
                        vtree: Vtree | str | None = None,
                        constrained: Iterable[Var] | None = None,
                        limits: Limits | None = None, name: str = "cnf",
                        info: dict[str, Any] | None = None, route: str = "auto") -> Circuit:
    """A BOOL circuit of the CNF (PROB with literal weights when `weights` is given).  Route
    "auto": a large CNF of low treewidth goes by elimination into flat arrays
    (compiler/sources/cnfflat.py; "flat" asks for that), others through an SDD ("sdd")."""
    cls = [tuple(c) for c in clauses]
    for v in variables:
        if v.size != 2:
            raise OperatorError(f"CNF variables are Boolean; {v.name} has {v.size} values")
    X = frozenset(constrained or ())
    od = flat_order(cls, variables, used_count(cls, X), X, route) if vtree is None else None
    if od is not None:
        sdd = partial(compile_cnf_clauses, cls, variables, weights=weights, constrained=X,
                      limits=limits, name=name, info=info, route="sdd")
        return flat_cnf(cls, variables, weights, X, limits, name, od, info or {}, sdd, route)
    fams = [[variables[abs(l) - 1] for l in c] for c in cls if c]
    used = ({v for f in fams for v in f} | X) or set(variables[:1])
    if len(variables) - SPARSE > len(used) and not isinstance(vtree, Vtree):
        return _sparse(cls, variables, used, weights, vtree, X, limits,
                       name, info)
    s = Session(variables, vtree, fams, X, limits, name)
    root = _cnf_sdd(s, cls, variables)
    meta = {"source": "cnf", "clauses": cls, "variables": tuple(variables),
            "weights": weights, "options": {"vtree": vtree, "constrained": X}, **(info or {})}
    return s.finish(root, weights, name, meta)


SPARSE = 64     # more unused variables than this are left out of the SDD (see _sparse)


def _sparse(cls: list[tuple[int, ...]], variables: Sequence[Var], used: set[Var],
            weights: dict[Var, tuple[float, float]] | None, vtree: str | None,
            X: frozenset[Var], limits: Limits | None, name: str,
            info: dict[str, Any] | None) -> Circuit:
    """A CNF whose header declares many variables no clause mentions (`p cnf 100000 2`):
    the SDD is compiled over the mentioned variables (and the constrained ones, X) only, and
    the others, independent of everything, are held apart as weight groups (a SparseView,
    compiler/ir/sparse.py): as nodes they would be one leaf each (their literal weights) under
    the root product, on a balanced vtree beside the SDD's.  The leaves hold no sum node, so
    the SDD's X-determinism is the circuit's.  The cost follows the clauses, not the
    header."""
    keep = [v for v in variables if v in used]
    free = [v for v in variables if v not in used]
    num = {v: i for i, v in enumerate(keep, 1)}
    inner = compile_cnf_clauses(
        [tuple(num[variables[abs(l) - 1]] * (1 if l > 0 else -1) for l in c) for c in cls],
        keep, weights={v: w for v, w in weights.items() if v in used} if weights else None,
        vtree=vtree, constrained=X, limits=limits, name=name, route="sdd")
    facts = dict(inner.facts)
    if STRUCTURED in facts:
        facts[STRUCTURED] = Fact(STRUCTURED, True, How.CONSTRUCTION, "respects the vtree "
                                 f"(the SDD's, a balanced vtree of the {len(free)} free "
                                 "variables)")
    meta = {**inner.info, "source": "cnf", "clauses": cls, "variables": tuple(variables),
            "weights": weights, "options": {"vtree": vtree, "constrained": X},
            "unused_variables": len(free), **(info or {})}
    sr = inner.sr
    return SparseView(inner, groups_of(free, weights or {}, (sr.one, sr.one)), name=name,
                      facts=facts, info=meta)


def _cnf_sdd(s: Session, clauses: list[tuple[int, ...]], variables: Sequence[Var]) -> SddNode:
    m = s.c.mgr
    pos = {v: i for i, v in enumerate(s.vt.order())}
    order = sorted(range(len(clauses)), key=lambda j: max(
        (pos[variables[abs(l) - 1]] for l in clauses[j]), default=-1))
    acc = m.true()
    acc.ref()
    for k, j in enumerate(order, 1):
        cl = m.false()
        for l in clauses[j]:
            cl = m.disjoin(cl, s.lit(variables[abs(l) - 1], 1 if l > 0 else 0))
        acc = s.c.conjoin_into(acc, cl)
        if k % 500 == 0:
            s.budget.report(f"{k}/{len(clauses)} clauses, SDD size {acc.size()}")
    return acc


__all__ = ["compile_formula", "compile_cnf_clauses", "formula_sdd", "Minimizer", "repaired_shape"]
