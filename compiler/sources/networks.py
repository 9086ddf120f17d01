"""Graphical models -> network-polynomial circuits through SDDs.

`compile_model(m, vtree=..., constrained=X)` returns a PROB circuit over the model's variables
computing p(x) (a product of factors, unnormalised for Markov networks) at each full
assignment; evidence is applied later through the leaves.  Smoothness, decomposability,
determinism, structured decomposability (for `circuit.vtree`) and, for a constrained compile,
X-determinism hold by construction and are recorded as such.
"""
from __future__ import annotations

import graphlib
from dataclasses import dataclass
import os
import tempfile
from typing import Any, Iterable, Sequence

from pysdd.sdd import SddManager, SddNode

from atlasc.compiler.errors import InternalCompilerError, OperatorError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, STRUCTURED, Fact, How, Prop, xdet
from atlasc.compiler.semirings import PROB
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.sources.convert import Converter, VarMap, project_vtree
from atlasc.compiler.sources.knowledge import (Layout, Minimizer, SddCompiler, compile_factors,
                                        make_layout, manager_for, param_classes, place_params,
                                        repaired_shape, sdd_shape)
from atlasc.compiler.sources.sddfiles import Shape
from atlasc.compiler.sources.elimination import compile_elimination, zero_fraction
from atlasc.compiler.sources.flat import flat_model
from atlasc.compiler.sources.limits import Budget, Limits
from atlasc.compiler.sources.orders import Order, elimination_order
from atlasc.compiler.sources.model import BayesNet, Factor, Model, validate
from atlasc.compiler.sources.sddfiles import SddRow, VtreeTable, parse_own_sdd, parse_vtree
from atlasc.compiler.ir.vtree import is_constrained
from atlasc.compiler.sources.vtrees import choose_vtree

HINT = ("try another vtree (vtree='balanced' or 'right'), a weaker constraint (fewer "
        "constrained variables), or raise the limits")


ROUTES = ("auto", "sdd", "elimination", "flat")
TREE_MIN_VARS = 20        # below this the SDD route is cheap and keeps its local structure
TREE_MAX_CELLS = 10**9    # beyond this many cluster cells (about 60 GB of the flat route's index
#                           arrays), strong local structure may favour SDD
TREE_MAX_ZEROS = 0.3      # ... where more than this share of the CPT cells is 0


@dataclass(frozen=True)
class Route:
    name: str                   # "sdd" | "elimination"
    reason: str
    order: Order | None = None  # the elimination order, when one was computed


def compile_model(m: Model, *, vtree: Vtree | str | None = None,
                  constrained: Iterable[Var] | None = None, limits: Limits | None = None,
                  minimize: bool | None = None, info: dict[str, Any] | None = None,
                  nested: Iterable[frozenset[Var]] = (), route: str = "auto") -> Circuit:
    """The network polynomial by the route `choose_route` picks (or the one asked for); the
    circuit's info records the route and why ("route", "route_reason")."""
    nested = tuple(nested)
    r = choose_route(m, vtree, nested, route, frozenset(constrained or ()))
    extra = {**(info or {}), "route_reason": r.reason}
    if r.name == "elimination" and route == "auto" or r.name == "flat":
        return flat_model(m, constrained=constrained, limits=limits, order=r.order, info=extra)
    if r.name == "elimination":
        return compile_elimination(m, constrained=constrained, limits=limits, order=r.order,
                                   info=extra)
    c = compile_model_sdd(m, vtree=vtree, constrained=constrained, limits=limits,
                          minimize=minimize, info=extra, nested=nested)[0]
    c.info["route"] = "sdd"
    return c


def choose_route(m: Model, vtree: Vtree | str | None, nested: tuple[frozenset[Var], ...],
                 route: str = "auto", X: frozenset[Var] = frozenset()) -> Route:
    """The route, and why: SDD for small networks and asked-for vtrees; elimination when the
    min-fill order's clusters are affordable; past that, SDD only if local structure (zero
    cells) may make its SDD small."""
    if route not in ROUTES:
        raise OperatorError(f"unknown compilation route {route!r}; choose one of "
                            f"{', '.join(ROUTES)}")
    if route != "auto":
        return Route(route, "asked for")
    if len(m.variables) < TREE_MIN_VARS:
        return Route("sdd", f"a small network (under {TREE_MIN_VARS} variables)")
    if vtree is not None or len(nested) > 1:
        return Route("sdd", "a vtree was asked for (only the SDD route compiles to a given "
                     "vtree)")
    od = elimination_order(m.variables, [f.vars for f in m.factors()], last=X)
    size = f"the order's clusters hold {od.total_cells} cells (width {od.width})"
    zeros = zero_fraction(m.factors())
    if od.total_cells > TREE_MAX_CELLS and zeros > TREE_MAX_ZEROS:
        return Route("sdd", f"{size}, but {100 * zeros:.0f}% of the CPT cells are 0: strong "
                     "local structure, which the SDD route exploits")
    return Route("elimination", f"{len(m.variables)} variables; {size}: the cost follows "
                 "the treewidth", od)


def compile_model_sdd(m: Model, *, vtree: Vtree | str | None = None,
                      constrained: Iterable[Var] | None = None, limits: Limits | None = None,
                      minimize: bool | None = None, info: dict[str, Any] | None = None,
                      nested: Iterable[frozenset[Var]] = ()
                      ) -> tuple[Circuit, Any, Any, Layout]:
    """`compile_model`, also returning the pysdd manager, the SDD root and the layout (which
    SDD variables are indicators and which are parameters) -- for benchmarks that run
    PySDD's own model counter on the same SDD.  Compile in two phases: (1) on a min-fill (elimination-tree) vtree with parameters
    next to their families' last member, conjoin the factors bottom-up along the vtree, then
    run one bounded vtree search (each side separately when constrained); (2) if the search
    split a variable's indicators, recompile without search on the search's vtree with the
    groups repaired.
    By default the search runs only for the default (min-fill) vtree: a vtree the caller
    asked for (a kind or an explicit `Vtree`) is kept.  `nested`: further constraint sets,
    each within the next, that an explicit vtree is constrained for; each holds by
    construction too (parameters are placed for all of them)."""
    X = frozenset(constrained or ())
    chain = sorted({frozenset(s) for s in nested} | ({X} if X else set()), key=len)
    if minimize is None:
        minimize = (vtree is None or vtree == "minfill") and len(chain) < 2
    facs = m.factors()
    vt = _vtree_for(m, facs, vtree, X, chain)
    budget = Budget(limits, m.name or f"the {m.kind} network", HINT)
    lay = make_layout(m.variables)
    classes = [param_classes(lay, f) for f in facs]
    for S in chain:
        if not is_constrained(vt, S):
            raise OperatorError(f"the vtree is not {fmt_vars(S)}-constrained")
    shape = sdd_shape(vt, lay, place_params(vt, [f.vars for f in facs], classes))
    seq = _sequence(vt, facs)
    split = bool(X) and not X >= frozenset(m.variables)
    mgr, root = _run(shape, lay, facs, classes, seq, budget, split, minimize)
    rows, top, svt = sdd_rows(mgr, root)
    out_vt = project_vtree(svt, lay.owner)
    if out_vt is None:
        budget.report("the vtree search split a variable's indicators; recompiling on the "
                      "repaired vtree")
        mgr, root = _run(repaired_shape(svt, lay), lay, facs, classes, seq, budget, False,
                         False)
        rows, top, svt = sdd_rows(mgr, root)
        out_vt = project_vtree(svt, lay.owner)
    if out_vt is None or any(not is_constrained(out_vt, S) for S in chain):
        raise InternalCompilerError("the compiled SDD's vtree lost its groups or constraint")
    vm = VarMap(dict(lay.owner), dict(lay.params))
    circ_root, b = convert_rows(rows, top, svt, vm, PROB, m.variables, budget)
    stats = {"sdd_size": root.size(), "sdd_nodes": root.count(), "circuit_nodes": len(b)}
    budget.report(f"circuit built: {stats['circuit_nodes']} nodes")
    meta = {"source": m.kind, "model": m, "path": m.file,
            "options": {"vtree": vtree, "constrained": X, "nested": tuple(chain),
                        "minimize": minimize},
            "compile_seconds": budget.elapsed, **stats, **(info or {})}
    facts = construction_facts(out_vt, X)
    for S in chain:
        facts.update(construction_facts(None, S))
    c = Circuit(circ_root, b, name=m.name, facts=facts, vtree=out_vt, info=meta)
    _audit_placement(c, svt, lay, facs, classes, chain)
    return c, mgr, root, lay


def _audit_placement(c: Circuit, svt: VtreeTable, lay: Layout, facs: list[Factor],
                     classes: list[dict[float, int]], chain: list[frozenset[Var]]) -> None:
    """Full determinism needs no condition on where parameters sit: every SDD node's function
    admits, for each assignment of its network variables, at most one assignment of its
    parameters (true of the root, where parameters are defined by equivalences, and kept by
    taking primes and subs), so disjoint primes stay disjoint once parameters become weights.
    X-determinism also needs the parameters above the V - X node to belong to families inside
    X.  The vtree search may move parameters; where the final vtree breaks that, the property
    is checked exactly instead of claimed."""
    fam = {i: frozenset(g for v in f.vars for g in lay.groups[v])
           for f, cls in zip(facs, classes) for i in cls.values()}
    for S in chain:
        if not placement_respects(svt, fam, lay, S):
            res = check_deterministic(c, S)
            c.facts[xdet(S)] = Fact(xdet(S), res.holds, How.VERIFIED, "checked: the vtree "
                                    f"search moved a parameter across the constraint "
                                    f"({res.route})", res.witness)


def placement_respects(svt: VtreeTable, fam: dict[int, frozenset[int]], lay: Layout,
                       S: frozenset[Var]) -> bool:
    """Parameters outside the SDD vtree node holding exactly V - S (network variables)
    belong to families inside S, so decisions above it stay functions of S."""
    inside = frozenset(g for v in S for g in lay.groups[v])
    network = frozenset(lay.owner)
    rest = network - inside
    node: int | None = svt.root
    while node is not None and (svt.below[node] & network) != rest:
        node = svt.kids[node][1] if node in svt.kids else None
    if node is None:
        return not rest
    below = svt.below[node]
    return all(vars_ <= inside for theta, vars_ in fam.items() if theta not in below)


def _run(shape: Shape | None, lay: Layout, facs: list[Factor], classes: list[dict[float, int]],
         seq: list[int], budget: Budget, split: bool, minimize: bool) -> tuple[Any, Any]:
    mgr = manager_for(shape, lay.count)
    c = SddCompiler(lay, mgr, budget)
    pos = {v: i for i, v in enumerate(sorted(lay.variables, key=lambda v: lay.groups[v][0]))}
    root = compile_factors(c, facs, classes, pos, seq, Minimizer(mgr, split, minimize, budget))
    return mgr, root


def _vtree_for(m: Model, facs: list[Factor], vtree: Vtree | str | None,
               X: frozenset[Var], chain: list[frozenset[Var]] | None = None) -> Vtree:
    unknown = X - set(m.variables)
    if unknown:
        raise OperatorError(f"cannot constrain on {fmt_vars(unknown)}: not variables of "
                            f"{m.name or 'the model'}")
    if isinstance(vtree, Vtree):
        if vtree.vars != frozenset(m.variables):
            raise OperatorError("the vtree's variables differ from the model's: "
                                f"{fmt_vars(vtree.vars ^ frozenset(m.variables))}")
        if X and not is_constrained(vtree, X):
            raise OperatorError(f"the given vtree is not {fmt_vars(X)}-constrained")
        return vtree
    return choose_vtree(list(m.variables), [f.vars for f in facs], vtree or "minfill", X,
                        chain or ())


def _sequence(vt: Vtree, facs: list[Factor]) -> list[int]:
    """The order the factors are conjoined in: topological (a factor after those of its
    first variables' ancestors; for a Bayesian network every prefix is then the product of
    a sub-network's CPTs, with its determinism, so the SDD grows steadily: water 3 s rather
    than 12 s bottom-up along the vtree).  Without such an order (Markov networks with
    cycles): bottom-up along the vtree, by the right-to-left position of the family member
    that comes last in the vtree's order."""
    ts: graphlib.TopologicalSorter[Var] = graphlib.TopologicalSorter()
    for f in facs:
        if f.vars:
            ts.add(f.vars[-1], *f.vars[:-1])
    try:
        topo = {v: i for i, v in enumerate(ts.static_order())}
        return sorted(range(len(facs)), key=lambda j: max((topo[v] for v in facs[j].vars),
                                                          default=-1))
    except graphlib.CycleError:
        rank = {v: i for i, v in enumerate(vt.order())}
        return sorted(range(len(facs)), key=lambda j: -max((rank[v] for v in facs[j].vars),
                                                           default=-1))


def construction_facts(vt: Vtree | None, X: frozenset[Var]) -> dict[Prop, Fact]:
    how = How.CONSTRUCTION
    facts = {SMOOTH: Fact(SMOOTH, True, how, "SDD conversion adds filler leaves"),
             DEC: Fact(DEC, True, how, "SDD elements split the vtree"),
             DET: Fact(DET, True, how, "SDD primes are disjoint; parameters are functional")}
    if vt is not None:
        facts[STRUCTURED] = Fact(STRUCTURED, True, how, f"respects vtree {vt!r}")
    if X:
        facts[xdet(X)] = Fact(xdet(X), True, how, f"compiled with an {fmt_vars(X)}-constrained "
                              "vtree")
    return facts


def sdd_rows(mgr: SddManager, node: SddNode) -> tuple[dict[int, SddRow], int, VtreeTable]:
    """The SDD and the manager's vtree in their parsed text form (via pysdd's writers)."""
    with tempfile.TemporaryDirectory() as d:
        sp, vp = os.path.join(d, "f.sdd"), os.path.join(d, "f.vtree")
        mgr.save(sp.encode(), node)
        mgr.vtree().save(vp.encode())
        with open(sp) as fs, open(vp) as fv:
            rows, root = parse_own_sdd(fs.read())
            vt = parse_vtree(fv.read(), vp)
    return rows, root, vt


def convert_rows(rows: dict[int, SddRow], top: int, svt: VtreeTable, vm: VarMap, sr: Semiring,
                 variables: Sequence[Var], budget: Budget) -> tuple[Any, Builder]:
    b = Builder(max_nodes=budget.limits.max_nodes)
    conv = Converter(rows, svt, vm, sr, b, check=lambda: budget.check(0))
    return conv.run(top, frozenset(variables)), b


def compile_bayesnet(bn: BayesNet, *, vtree: Vtree | str | None = None,
                     constrained: Iterable[Var] | None = None,
                     limits: Limits | None = None) -> Circuit:
    validate(bn)
    return compile_model(bn, vtree=vtree, constrained=constrained, limits=limits)


__all__ = ["ROUTES", "Route", "choose_route", "compile_model", "compile_bayesnet",
           "construction_facts",
           "convert_rows"]
