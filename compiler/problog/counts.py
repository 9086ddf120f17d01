"""Weighted model counts of a compiled program's SDD, in libsdd (pysdd's WmcManager).

The SDD of a program (the joint encoding, or the queries as the branches of one SDD,
roots.py) is deterministic and decomposable; with each choice's literals weighted by its
probabilities its weighted model count is the probability of the evidence, and the
derivative by a literal l, times l's weight, is P(l, e): one upward and one downward pass,
the function the SDD's circuit computes (the circuit and the LLVM runtime answer the same
with --report; tests/problog/test_random.py).  libsdd counts a variable the SDD does not
mention by the sum of its literal weights: 1 for every variable of a program (a Boolean
choice's are 1 - p and p; an indicator of a categorical choice appears in the SDD, whose
exactly-one constraint every compiled root includes).
"""
from __future__ import annotations

from typing import Mapping, Sequence

from pysdd.sdd import SddNode, WmcManager

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.formulas import Session

Row = Mapping[Var, int]


def model_counts(s: Session, root: SddNode, weights: Mapping[Var, Sequence[float]],
                 rows: Sequence[Row], values: Sequence[tuple[Var, int]]
                 ) -> list[tuple[float, list[float]]]:
    """Per evidence row (variable -> observed value): P(e) and P(v = i, e) for each (v, i)
    of `values`; the observed values' other literals are weighted 0."""
    groups = s.lay.groups
    wmc = WmcManager(root, log_mode=False)
    base = literal_weights(groups, weights)
    for lit, w in base.items():
        wmc.set_literal_weight(lit, w)
    lits = [literal(groups[v], i) for v, i in values]
    out = []
    for row in rows:
        off = [lit for v, k in row.items() for lit in other_literals(groups[v], k)]
        for lit in off:
            wmc.set_literal_weight(lit, 0.0)
        pe = wmc.propagate()
        out.append((float(pe), [wmc.literal_derivative(l) * wmc.literal_weight(l)
                                for l in lits]))
        for lit in off:
            wmc.set_literal_weight(lit, base[lit])
    return out


def literal(group: tuple[int, ...], i: int) -> int:
    """The SDD literal of value i (a Boolean variable is one SDD variable, value 1 positive)."""
    if len(group) == 1:
        return group[0] if i == 1 else -group[0]
    return group[i]


def other_literals(group: tuple[int, ...], k: int) -> list[int]:
    """The literals that are false when the variable has value k."""
    if len(group) == 1:
        return [literal(group, 1 - k)]
    return [s for j, s in enumerate(group) if j != k]


def literal_weights(groups: Mapping[Var, tuple[int, ...]],
                    weights: Mapping[Var, Sequence[float]]) -> dict[int, float]:
    """Every literal's weight: a Boolean's (w(false), w(true)) on its negative and positive
    literal, a categorical value's on its indicator (the negative indicator 1); 1 without
    weights (the selector, the atoms)."""
    out: dict[int, float] = {}
    for v, g in groups.items():
        w = weights.get(v) or (1.0,) * v.size
        if len(g) == 1:
            out[g[0]], out[-g[0]] = float(w[1]), float(w[0])
            continue
        for i, s in enumerate(g):
            out[s], out[-s] = float(w[i]), 1.0
    return out


__all__ = ["literal", "literal_weights", "model_counts", "other_literals"]
