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
from typing import Sequence

from pysdd.sdd import SddNode

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.problog.encode import atom_vars, choice_vars, encode
from atlasc.compiler.problog.ground import Ground
from atlasc.compiler.problog.order import elimination_vtree
from atlasc.compiler.sources.formulas import Session
from atlasc.compiler.sources.limits import Limits

SELECT = "#query"          # the selector's name (no atom is written with '#')
EVIDENCE = "#evidence"     # its value whose branch is the evidence alone
NOTHING = "#nothing"       # with no queries, a second value (false) keeps S two-valued


@dataclass
class Roots:
    """The compiled queries: the circuit, the observed atoms' variables, the selector."""
    circuit: Circuit
    atoms: dict[str, Var]
    select: Var
    queries: list[str]


def compile_roots(g: Ground, observed: Sequence[str], queries: Sequence[str],
                  every_choice: bool = False, limits: Limits | None = None,
                  name: str = "problog") -> Roots:
    """The queries under indicator evidence on `observed`; the choices no query or observed
    atom reads are left out (they sum to 1) unless `every_choice` (MPE maximises them)."""
    xvar, weights = choice_vars(g)
    keys = dict(g.atoms)
    needed = reachable(g, [keys[a] for a in [*observed, *queries]])
    if not every_choice:
        xvar = {k: vi for k, vi in xvar.items() if k in needed}
    X = list(dict.fromkeys(v for v, _ in xvar.values()))
    atoms, O = atom_vars([(a, keys[a]) for a in observed], xvar, X)
    S = Var(SELECT, (*queries, EVIDENCE) if queries else (EVIDENCE, NOTHING))
    vt = _vtree(g, X + O)
    s = Session([S] + X + O, Vtree.node(Vtree.leaf(S), vt) if vt else Vtree.leaf(S), [],
                frozenset(), limits, name)
    node = _node_sdds(s, g, xvar, needed)
    E = _evidence(s, X, [(atoms[a], keys[a]) for a in observed], node)
    root = _select(s, S, [_key(s, node, keys[q]) for q in queries], E)
    c = s.finish(root, {**weights, S: (1.0,) * S.size}, name,
                 {"source": "problog", "choices": len(X), "atoms": len(O),
                  "queries": len(queries)})
    return Roots(c, atoms, S, list(queries))


def _vtree(g: Ground, keep: list[Var]) -> Vtree | None:
    """The joint encoding's vtree (order.py: the Tseitin graph with the kept atoms as
    vertices, and atoms that read the same annotated disjunctions contracted), restricted to
    the choices and the observed atoms.  The atoms shape the order even though they are not
    variables here: the elimination of the Tseitin graph without them was far wider on ALARM
    (SDD past 2e7 nodes)."""
    if not keep:
        return None
    e = encode(g)
    return elimination_vtree(e.graph, e.X + e.Y, e.clusters).restrict(frozenset(keep))


OVERLAP = 8.0


def overlapping(g: Ground, atoms: Sequence[str]) -> bool:
    """Whether the atoms' formulas share so much of the DAG (on average, each node read by
    OVERLAP of them or more: the values of a Bayesian network's variables, each reading all
    its ancestors) that keeping the atoms as variables with local definitions (the joint
    encoding, encode.py) beats compiling each formula over the choices alone.  Both are
    exact; this only chooses the cheaper."""
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


def _node_sdds(s: Session, g: Ground, xvar: dict[int, tuple[Var, int]], needed: set[int]
               ) -> dict[int, SddNode]:
    """Every needed node's SDD over X, children first (a LogicDAG lists them so)."""
    m = s.c.mgr
    out: dict[int, SddNode] = {}
    for key, node, kind in g.dag:
        if key not in needed:
            continue
        if kind == "atom":
            out[key] = m.true() if key not in xvar else \
                m.false() if xvar[key][1] < 0 else s.lit(*xvar[key])
            continue
        conj = kind == "conj"
        acc = m.true() if conj else m.false()
        for c in node.children:
            kid = _key(s, out, c)
            acc = m.conjoin(acc, kid) if conj else m.disjoin(acc, kid)
        out[key] = acc
        s.budget.check(m.size())
    return out


def _key(s: Session, out: dict[int, SddNode], key: int | None) -> SddNode:
    m = s.c.mgr
    if key is None:
        return m.false()
    if key == 0:
        return m.true()
    n = out[abs(key)]
    return n if key > 0 else m.negate(n)


def _evidence(s: Session, X: list[Var], observed: list[tuple[Var, int | None]],
              node: dict[int, SddNode]) -> SddNode:
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
        f, y = _key(s, node, key), s.lit(o, 1)
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
    """The value of each node in `keys` in the world (a value of every choice it reads)."""
    need = reachable(g, keys)
    val: dict[int, bool] = {}
    for key, node, kind in g.dag:
        if key not in need:
            continue
        if kind == "atom":
            val[key] = key not in xvar or (xvar[key][1] >= 0 and
                                           world[xvar[key][0]] == xvar[key][1])
        else:
            kids = [_value(val, c) for c in node.children]
            val[key] = all(kids) if kind == "conj" else any(kids)
    return [_value(val, k) for k in keys]


def _value(val: dict[int, bool], key: int | None) -> bool:
    if key is None:
        return False
    if key == 0:
        return True
    return val[abs(key)] == (key > 0)


__all__ = ["EVIDENCE", "Roots", "SELECT", "compile_roots", "overlapping", "reachable", "truth"]
