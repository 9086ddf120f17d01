"""The acyclic ground program (ground.py) as variables, weights and one Boolean formula.

* X, the choices: an independent probabilistic fact (or an annotated disjunction with one
  choice left after grounding) is a Boolean variable with weights (1 - p, p); an annotated
  disjunction with several choices is one categorical variable whose values are its ground
  heads plus `none` for the implicit remainder 1 - sum(p) (when it is not zero);
* Y, the atoms kept (queries, evidence, and every ground atom for a model in a .query file):
  a Boolean variable named as ProbLog writes the atom (`edge(1,2)`), constrained by
  y <-> f_y(X), f_y the atom's node of the DAG as a formula over X.  An atom whose node is its
  own probabilistic fact is that fact's variable.
The formula is the conjunction of the constraints; with the weights it is the distribution of
the program over X and Y (every total choice has exactly one model, the least model).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from atlasc.compiler.errors import SourceError
from atlasc.compiler.sources.expr import FALSE, TRUE, Formula
from atlasc.compiler.sources.expr import conj as _and, disj as _or, neg as _not
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.names import canonical
from atlasc.compiler.problog.ground import Ground

NONE = "none"          # the value of an annotated disjunction where no head is chosen
TOL = 1e-9


@dataclass
class Encoding:
    X: list[Var]
    Y: list[Var]
    weights: dict[Var, tuple[float, ...]]
    formula: Formula
    atoms: dict[str, Var]      # atom as ProbLog writes it -> its variable (named without blanks)
    constant: dict[str, bool] = field(default_factory=dict)   # atoms fixed by grounding
    parts: list[tuple[Var, Formula]] = field(default_factory=list)  # y <-> f_y, by atom
    graph: dict[Any, set[Any]] = field(default_factory=dict)  # Tseitin graph (order.py)
    clusters: dict[Var, Any] = field(default_factory=dict)    # atom -> the choices it reads


def encode(g: Ground) -> Encoding:
    return _assemble(g, *choice_vars(g))


def choice_vars(g: Ground) -> tuple[dict[int, tuple[Var, int]], dict[Var, tuple[float, ...]]]:
    """The choices X: DAG atom key -> (its variable, the value it stands for; -1: false), and
    each variable's weights."""
    choice = _choices(g)
    taken = {n for n, _ in g.atoms}
    xvar: dict[int, tuple[Var, int]] = {}
    weights: dict[Var, tuple[float, ...]] = {}
    first: dict[int | None, str] = {}
    for n, k in g.atoms:
        first.setdefault(k, n)
    for key, (names, probs, group) in choice.items():
        if group is None:
            v = Var(canonical(_fact_name(g, key, first, taken)))
            weights[v] = (1.0 - probs[0], probs[0])
            xvar[key] = (v, 1)
    _groups(g, choice, taken, xvar, weights)
    return xvar, weights


# ---- the choices --------------------------------------------------------------------------
def _probability(g: Ground, key: int, node: Any) -> float:
    p = node.probability
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise SourceError(f"the probability of {node.name} is {p}, not a number (learning "
                          "parameters t(_) are not supported)", g.file) from None
    if not -TOL <= value <= 1.0 + TOL:
        raise SourceError(f"the probability of {node.name} is {value}, not in [0, 1]", g.file)
    return min(1.0, max(0.0, value))


def _choices(g: Ground) -> dict[int, tuple[list[str], list[float], Any]]:
    """Probabilistic atom nodes: key -> (name, probability, AD group or None)."""
    ads = {c.group: c for c in g.dag.constraints() if hasattr(c, "extra_node")}
    out: dict[int, tuple[list[str], list[float], Any]] = {}
    for key, node, kind in g.dag:
        if kind != "atom" or node.probability is True or node.is_extra:
            continue
        ad = ads.get(node.group)
        single = ad is None or (len(ad.nodes) == 1 and not ad.extra_node)
        out[key] = ([_head(node.name)], [_probability(g, key, node)],
                    None if single else node.group)
    return out


def _head(name: Any) -> str:
    """The ground head of a choice node: choice(Clause, Index, Head, ...) -> Head."""
    if getattr(name, "functor", None) == "choice" and name.arity >= 3:
        return str(name.args[2])
    return str(name)


def _fact_name(g: Ground, key: int, first: dict[int | None, str], taken: set[str]) -> str:
    """An atom whose node is this fact names it; otherwise the fact's own name, made unique."""
    if key in first:
        return first[key]
    base = _head(g.dag.get_node(key).name)
    name = base if base not in taken else f"{base}#{key}"
    return _unique(name, taken)


def _groups(g: Ground, choice: dict[int, tuple[list[str], list[float], Any]],
            taken: set[str], xvar: dict[int, tuple[Var, int]],
            weights: dict[Var, tuple[float, ...]]) -> None:
    by_group: dict[Any, list[int]] = {}
    for key, (_, _, group) in choice.items():
        if group is not None:
            by_group.setdefault(group, []).append(key)
    extras = {c.group: c.extra_node for c in g.dag.constraints() if hasattr(c, "extra_node")}
    for group, keys in by_group.items():
        values = _unique_values([choice[k][0][0] for k in keys])
        ps = [choice[k][1][0] for k in keys]
        rest = 1.0 - sum(ps)
        if rest < -1e-6:
            raise SourceError("InvalidValue: Sum of annotated disjunction weigths exceeds "
                              f"acceptable value ({'; '.join(values)}: {sum(ps):.9g})", g.file)
        none = rest > TOL
        name = _unique(";".join(values), taken)
        v = Var(canonical(name), tuple(values) + ((NONE,) if none else ()))
        weights[v] = tuple(ps) + ((max(rest, 0.0),) if none else ())
        for i, k in enumerate(keys):
            xvar[k] = (v, i)
        if extras.get(group) is not None:          # the extra node: none (false if p = 0)
            xvar[extras[group]] = (v, len(keys) if none else -1)


def _unique_values(values: list[str]) -> list[str]:
    out: list[str] = []
    for x in values:
        out.append(x if x not in out and x != NONE else f"{x}#{len(out)}")
    return out


def _unique(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "'"
    taken.add(name)
    return name


# ---- the formula --------------------------------------------------------------------------
def _assemble(g: Ground, xvar: dict[int, tuple[Var, int]],
              weights: dict[Var, tuple[float, ...]]) -> Encoding:
    X = list(dict.fromkeys(v for v, _ in xvar.values()))
    atoms, Y, named = kept_atoms(g, xvar, X)
    node_f = _node_formulas(g, xvar, named)
    constant: dict[str, bool] = {}
    parts: list[tuple[Var, Formula]] = []
    ys = set(Y)
    for name, key in sorted(g.atoms, key=lambda a: abs(a[1] or 0)):   # parents first
        y = atoms[name]
        if y not in ys:
            continue
        f = _key_formula(node_f, key)
        if f is TRUE or f is FALSE:
            constant[name] = f is TRUE
        parts.append((y, _iff(("lit", y, 1), f)))
        ys.discard(y)
    return Encoding(X, Y, weights, _and([f for _, f in parts]), atoms, constant,
                    parts=parts, graph=tseitin_graph(g, xvar, named, X, Y, atoms),
                    clusters=_clusters(parts))


def _clusters(parts: list[tuple[Var, Formula]]) -> dict[Var, Any]:
    """Atom -> the set of annotated disjunctions (categorical choices) its definition reads."""
    out: dict[Var, Any] = {}
    for y, f in parts:
        seen: set[int] = set()
        cats: set[str] = set()
        stack = [f]
        while stack:
            e = stack.pop()
            if id(e) in seen:
                continue
            seen.add(id(e))
            if e[0] == "lit":
                if not e[1].is_bool:
                    cats.add(e[1].name)
            else:
                stack.extend(e[1:])
        if cats:
            out[y] = frozenset(cats)
    return out


def kept_atoms(g: Ground, xvar: dict[int, tuple[Var, int]], X: list[Var]
               ) -> tuple[dict[str, Var], list[Var], dict[int, Var]]:
    """The kept atoms' variables (atom_vars) and the DAG node each atom of Y names."""
    atoms, Y = atom_vars(g.atoms, xvar, X)
    named: dict[int, Var] = {}
    for name, key in g.atoms:
        if key is not None and key > 0 and key not in xvar and atoms[name] in Y:
            named.setdefault(key, atoms[name])
    return atoms, Y, named


def atom_vars(kept: list[tuple[str, int | None]], xvar: dict[int, tuple[Var, int]],
              X: list[Var]) -> tuple[dict[str, Var], list[Var]]:
    """Each kept atom's variable: its fact's, when its node is that fact, or its own (Y)."""
    owned = {v.name: v for v in X}
    atoms: dict[str, Var] = {}
    Y: list[Var] = []
    for name, key in kept:
        own = owned.get(canonical(name))
        if own is not None and key is not None and key > 0 and xvar.get(key, (None,))[0] is own:
            atoms[name] = own
        else:
            atoms[name] = Var(canonical(name))
            Y.append(atoms[name])
    return atoms, Y


def tseitin_graph(g: Ground, xvar: dict[int, tuple[Var, int]], named: dict[int, Var],
                  X: list[Var], Y: list[Var], atoms: dict[str, Var],
                  keep: set[int] | None = None) -> dict[Any, set[Any]]:
    """The formula's Tseitin graph for order.py (`keep`: only these gates)."""
    graph: dict[Any, set[Any]] = {v: set() for v in X + Y}

    def rep(key: int) -> Any:
        return xvar[key][0] if key in xvar else named.get(key, ("gate", key))

    def link(a: Any, b: Any) -> None:
        if a != b:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set()).add(a)
    for key, node, kind in g.dag:
        if kind != "atom" and (keep is None or key in keep):
            graph.setdefault(("gate", key), set())
            for c in node.children:
                if c is not None and c != 0:
                    link(("gate", key), rep(abs(c)))
    ys = set(Y)
    for name, key in g.atoms:
        if name in atoms and atoms[name] in ys and key:
            k = abs(key)
            link(atoms[name], ("gate", k) if k not in xvar else xvar[k][0])
    return graph


def _node_formulas(g: Ground, xvar: dict[int, tuple[Var, int]], named: dict[int, Var]
                   ) -> dict[int, Formula]:
    """Every DAG node as a formula (children come first in a LogicDAG): over X, with a child
    that is the node of an atom of Y read as that atom's variable (y <-> its node holds, so
    this is the same function), which keeps each atom's definition local."""
    out: dict[int, Formula] = {}
    short: dict[int, Formula] = {}
    for key, node, kind in g.dag:
        if kind == "atom":
            out[key] = TRUE if key not in xvar else FALSE if xvar[key][1] < 0 else \
                ("lit", *xvar[key])
        else:
            kids = [_key_formula(short, c) for c in node.children]
            out[key] = _and(kids) if kind == "conj" else _or(kids)
        short[key] = ("lit", named[key], 1) if key in named else out[key]
    return out


def _key_formula(out: dict[int, Formula], key: int | None) -> Formula:
    if key is None:
        return FALSE
    if key == 0:
        return TRUE
    f = out[abs(key)]
    return f if key > 0 else _not(f)


def _iff(a: Formula, b: Formula) -> Formula:
    if b is TRUE:
        return a
    if b is FALSE:
        return _not(a)
    return ("or", ("and", a, b), ("and", ("not", a), _not(b)))
