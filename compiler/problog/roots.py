"""Each query a root of one SDD: knowledge compilation whose cost follows ProbLog's own.

The joint encoding (encode.py) keeps every query atom as a variable y <-> f_y and compiles the
conjunction: the joint distribution of all the queries, which on cyclic programs (smokers:
one cycle-broken copy of the formula per query) is far larger than the queries' formulas one
by one.  Marginals need only P(q, e) for each query and P(e).  Here the DAG's nodes are
compiled bottom-up by apply over the choices X alone (no auxiliary variable per node or per
atom), each observed atom o is a variable constrained by o <-> f_o (so evidence and evidence
rows are indicator evidence), and the queries are the values of one selector variable S:

    root = OR_s ([S = s] AND f_s AND E)  OR  ([S = EVIDENCE] AND E)
    E    = one-hot(X) AND  AND_o (o <-> f_o)

S is decided first (the vtree's root is (S, rest)) and its values' terms are disjoint, so the
root is a deterministic sum over S of one branch per query, and one marginals pass over S gives
P(S = s, e) = P(q_s, e) and P(S = EVIDENCE, e) = P(e).  This is what ProbLog evaluates (each
query conjoined with the evidence, weighted model counts) as branches of one circuit.

With no queries (MPE) the root is [S = EVIDENCE] AND E: the program's
distribution over X and the observed atoms; every other atom is a function of X, read off the
maximising x (truth()).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping, Sequence

from pysdd.sdd import SddNode

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree, right_linear
from atlasc.compiler.problog.counts import model_counts
from atlasc.compiler.problog.encode import atom_vars, choice_vars, kept_atoms, tseitin_graph
from atlasc.compiler.problog.fixpoint import Least, NegatedLoop, Truth, cyclic
from atlasc.compiler.problog.ground import Ground
from atlasc.compiler.problog.order import elimination_vtree
from atlasc.compiler.sources.formulas import Session
from atlasc.compiler.sources.limits import Limits

SELECT = "#query"          # the selector's name (no atom is written with '#')
EVIDENCE = "#evidence"     # its value whose branch is the evidence alone
NOTHING = "#nothing"       # with no queries, a second value (false) keeps S two-valued


@dataclass
class Roots:
    """The compiled queries: the SDD and its manager (session), the observed atoms'
    variables, the selector.  The circuit is made from the SDD on first use (the report,
    MPE); the queries' answers are the SDD's weighted model counts (`counts`)."""
    session: Session
    root: SddNode
    weights: dict[Var, tuple[float, ...]]
    info: dict[str, Any]
    atoms: dict[str, Var]
    select: Var
    queries: list[str]

    @cached_property
    def circuit(self) -> Circuit:
        S = self.select
        return self.session.finish(self.root, {**self.weights, S: (1.0,) * S.size},
                                   self.info["name"], self.info)

    def counts(self, rows: Sequence[Mapping[Var, int]]) -> list[list[float]]:
        """Per evidence row, P(S = s, e) for each value s of the selector: the SDD's
        weighted model counts (counts.py)."""
        S = self.select
        return [r for _, r in model_counts(self.session, self.root, self.weights, rows,
                                           [(S, i) for i in range(S.size)])]


def compile_roots(g: Ground, observed: Sequence[str], queries: Sequence[str],
                  every_choice: bool = False, limits: Limits | None = None,
                  name: str = "problog") -> Roots:
    """The queries under indicator evidence on `observed`; the choices no query or observed
    atom reads are left out (they sum to 1) unless `every_choice` (MPE maximises them).
    Cycles are resolved by the least fixpoint (fixpoint.py); a cycle through negation, which
    ProbLog's grounder refuses, would fall back to ProbLog's cycle breaking."""
    try:
        return _compile(g, observed, queries, every_choice, limits, name)
    except NegatedLoop:
        return _compile(g.acyclic(), observed, queries, every_choice, limits, name)


def _compile(g: Ground, observed: Sequence[str], queries: Sequence[str], every_choice: bool,
             limits: Limits | None, name: str) -> Roots:
    xvar, weights = choice_vars(g)
    keys = dict(g.atoms)
    needed = reachable(g, [keys[a] for a in [*observed, *queries]])
    vt = _vtree(g, xvar, needed, observed, every_choice)
    if not every_choice:
        xvar = {k: vi for k, vi in xvar.items() if k in needed}
    X = list(dict.fromkeys(v for v, _ in xvar.values()))
    atoms, O = atom_vars([(a, keys[a]) for a in observed], xvar, X)
    S = Var(SELECT, (*queries, EVIDENCE) if queries else (EVIDENCE, NOTHING))
    s = Session([S] + X + O, Vtree.node(Vtree.leaf(S), vt) if vt else Vtree.leaf(S), [],
                frozenset(), limits, name)
    node = _node_sdds(s, g, xvar, needed)
    E = _evidence(s, X, [(atoms[a], keys[a]) for a in observed], node)
    root = _select(s, S, [node.value(keys[q]) for q in queries], E)
    info = {"source": "problog", "choices": len(X), "atoms": len(O), "queries": len(queries),
            "name": name, "sdd_size": root.size()}
    return Roots(s, root, {v: weights[v] for v in X}, info, atoms, S, list(queries))


def _vtree(g: Ground, xvar: dict[int, tuple[Var, int]], needed: set[int],
           observed: Sequence[str], every_choice: bool) -> Vtree | None:
    """From a min-degree elimination of the formula's Tseitin graph (order.py) with the kept
    atoms as vertices, and atoms that read the same annotated disjunctions contracted;
    restricted to the choices compiled and the observed atoms.  The atoms shape the order
    even though they are not variables here: the elimination of the Tseitin graph without
    them was far wider on ALARM (SDD past 2e7 nodes).  The graph is that of the formula as
    ProbLog grounds it, cycles included."""
    X = list(dict.fromkeys(v for v, _ in xvar.values()))
    atoms, Y, named = kept_atoms(g, xvar, X)
    keep = {v for k, (v, _) in xvar.items() if every_choice or k in needed}
    keep |= {atoms[a] for a in observed}
    if not keep:
        return None
    if g.cyclic and cyclic(g.dag):
        return _ground_order(g, xvar, keep)
    graph = tseitin_graph(g, xvar, named, X, Y, atoms)
    clusters = _clusters(g, xvar, named)
    return elimination_vtree(graph, X + Y, clusters).restrict(frozenset(keep))


def _ground_order(g: Ground, xvar: dict[int, tuple[Var, int]], keep: set[Var]) -> Vtree:
    """Right-linear over the choices in the order ProbLog's grounder made them (it follows
    the proofs, depth first), the observed atoms last.  For a program with cycles this is far
    better than the elimination vtree: the fixpoint re-applies every node of a cycle, and
    the min-degree elimination of a cyclic Tseitin graph is wide (grid 5x5: 18x slower,
    6x6: 0.5 s against more than 120 s)."""
    order = [v for k, (v, _) in sorted(xvar.items()) if v in keep]
    order = list(dict.fromkeys(order + sorted(keep - set(order))))
    return right_linear(order)


def _clusters(g: Ground, xvar: dict[int, tuple[Var, int]], named: dict[int, Var]
              ) -> dict[Var, Any]:
    """Atom -> the annotated disjunctions (categorical choices) its own definition reads,
    the nodes of other kept atoms read as those atoms (encode.py's local definitions)."""
    out: dict[Var, Any] = {}
    for key, y in named.items():
        cats: set[str] = set()
        seen, stack = {key}, [key]
        while stack:
            k = stack.pop()
            if k in xvar:
                if not xvar[k][0].is_bool:
                    cats.add(xvar[k][0].name)
                continue
            for c in getattr(g.dag.get_node(k), "children", ()):
                if c and abs(c) not in seen and abs(c) not in named:
                    seen.add(abs(c))
                    stack.append(abs(c))
        if cats:
            out[y] = frozenset(cats)
    return out


OVERLAP = 8.0


def overlapping(g: Ground, atoms: Sequence[str]) -> bool:
    """Whether the atoms' formulas share so much of the DAG (on average, each node read by
    OVERLAP of them or more: the values of a Bayesian network's variables, each reading all
    its ancestors) that keeping the atoms as variables with local definitions (the joint
    encoding, encode.py) beats compiling each formula over the choices alone.  Both are
    exact; this only chooses the cheaper.  A program with cycles is compiled as roots: its
    queries read the same cycles, which the fixpoint computes once, where the joint encoding
    needs ProbLog's cycle breaking (a copy of the cycle per entry point).  OVERLAP 0 chooses
    the joint encoding always (the tests use it to check both)."""
    if OVERLAP and g.cyclic and cyclic(g.dag):
        return False
    keys = dict(g.atoms)
    sets = [reachable(g, [keys[a]]) for a in dict.fromkeys(atoms)]
    union = set().union(*sets) if sets else set()
    return bool(union) and sum(map(len, sets)) >= OVERLAP * len(union)


def reachable(g: Ground, roots: Sequence[int | None]) -> set[int]:
    """The DAG nodes the given nodes read (keys, positive)."""
    out: set[int] = set()
    stack = [abs(k) for k in roots if k]
    while stack:
        k = stack.pop()
        if k in out:
            continue
        out.add(k)
        stack.extend(abs(c) for c in getattr(g.dag.get_node(k), "children", ()) if c)
    return out


class _Sdds:
    """The algebra of fixpoint.Least: SDDs over the choices in the session's manager."""

    def __init__(self, s: Session, xvar: dict[int, tuple[Var, int]]) -> None:
        self.s, self.m, self.xvar = s, s.c.mgr, xvar
        self.conj, self.disj, self.neg = self.m.conjoin, self.m.disjoin, self.m.negate
        self.true, self.false = self.m.true, self.m.false

    def atom(self, key: int) -> SddNode:
        if key not in self.xvar:
            return self.m.true()           # a fact without a probability
        v, i = self.xvar[key]
        return self.m.false() if i < 0 else self.s.lit(v, i)

    @staticmethod
    def same(a: SddNode, b: SddNode) -> bool:
        return a.id == b.id                # canonical SDDs of one manager

    @staticmethod
    def keep(a: SddNode) -> None:
        a.ref()

    @staticmethod
    def drop(a: SddNode) -> None:
        a.deref()

    def check(self) -> None:
        """Between two nodes (no unreferenced SDD is held then): the garbage of the fixpoint
        iterations collected once it outweighs the live nodes, then the size budget."""
        m = self.m
        if m.dead_size() > GARBAGE + m.live_size():
            m.garbage_collect()
        self.s.budget.check(m.size())


GARBAGE = 1 << 20        # dead SDD size collected past this (plus the live size)


def _node_sdds(s: Session, g: Ground, xvar: dict[int, tuple[Var, int]], needed: set[int]
               ) -> Least[SddNode]:
    """Every needed node's SDD over X: the least fixpoint of the formula, cycles included."""
    alg = _Sdds(s, xvar)
    return Least(g.dag, needed, alg, alg.check)


def _evidence(s: Session, X: list[Var], observed: list[tuple[Var, int | None]],
              node: Least[SddNode]) -> SddNode:
    """One-hot of the categorical choices, and o <-> f_o for each observed atom."""
    m = s.c.mgr
    acc = m.true()
    for v in X:
        if v.size > 2:
            acc = m.conjoin(acc, s.c.exactly_one(v))
    xs = set(X)
    for o, key in observed:
        if o in xs:                                    # the atom is its own fact
            continue
        f, y = node.value(key), s.lit(o, 1)
        iff = m.disjoin(m.conjoin(y, f), m.conjoin(m.negate(y), m.negate(f)))
        acc = m.conjoin(acc, iff)
        s.budget.check(m.size())
    return acc


def _select(s: Session, S: Var, fs: list[SddNode], E: SddNode) -> SddNode:
    m = s.c.mgr
    root = m.conjoin(s.lit(S, len(fs)), E)
    for i, f in enumerate(fs):
        root = m.disjoin(root, m.conjoin(s.lit(S, i), m.conjoin(f, E)))
        s.budget.check(m.size())
    return root


def truth(g: Ground, xvar: dict[int, tuple[Var, int]], world: dict[Var, int],
          keys: Sequence[int | None]) -> list[bool]:
    """The value of each node in `keys` in the world (a value of every choice it reads): the
    least model under those choices."""
    def holds(key: int) -> bool:
        return key not in xvar or (xvar[key][1] >= 0 and world[xvar[key][0]] == xvar[key][1])
    try:
        val = Least(g.dag, reachable(g, keys), Truth(holds))
    except NegatedLoop:
        a, names = g.acyclic(), {k: n for n, k in g.atoms}
        return truth(a, choice_vars(a)[0], world, [dict(a.atoms)[names[k]] for k in keys])
    return [val.value(k) for k in keys]


__all__ = ["EVIDENCE", "Roots", "SELECT", "compile_roots", "overlapping", "reachable", "truth"]
