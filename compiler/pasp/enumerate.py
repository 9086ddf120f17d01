"""The answer sets of every total choice, enumerated by clingo (the test oracle and the
benchmark baseline), and the PASP semantics computed from them by their definitions
(docs/atlas.md §4.2): MaxEnt, credal lower and upper, the mass of inconsistent choices.

Independent of the encoding: clingo solves the program once per total choice, with the
probabilistic atoms fixed by assumptions.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Iterator

from atlasc.compiler.pasp.ground import ground
from atlasc.compiler.pasp.text import MARKER, rewrite

Literals = tuple[tuple[str, bool], ...]     # (atom symbol, value): a conjunction


@dataclass
class Choice:
    x: dict[str, bool]
    weight: float
    answer_sets: list[frozenset[str]]


class TimeUp(Exception):
    pass


def choices(text: str, deadline: float | None = None) -> Iterator[Choice]:
    """Every total choice with its probability and its answer sets (all atoms shown)."""
    import clingo
    g = ground(text)
    xs = sorted(g.prob, key=lambda a: g.symbols[a])
    names = [g.symbols[a] for a in xs]
    ctl = clingo.Control(["0", "--warn=none"])
    ctl.add("base", [], rewrite(text).text)
    ctl.ground([("base", [])])
    for k in {g.origin[a] for a in xs}:
        ctl.assign_external(clingo.Function(MARKER, [clingo.Number(k)]), True)
    atoms = [ctl.symbolic_atoms[clingo.parse_term(n)] for n in names]
    lits = [a.literal for a in atoms if a is not None]
    if len(lits) != len(names):
        raise ValueError("a probabilistic fact is not in the ground program")
    for bits in itertools.product((False, True), repeat=len(xs)):
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeUp()
        w = 1.0
        for a, b in zip(xs, bits):
            w *= g.prob[a] if b else 1.0 - g.prob[a]
        found: list[frozenset[str]] = []
        ctl.solve(assumptions=[l if b else -l for l, b in zip(lits, bits)],
                  on_model=lambda m: found.append(frozenset(
                      str(s) for s in m.symbols(atoms=True) if s.name != MARKER)))
        yield Choice(dict(zip(names, bits)), w, found)


def holds(A: frozenset[str], q: Literals) -> bool:
    return all((s in A) == v for s, v in q)


@dataclass
class Semantics:
    maxent: float               # P(q | e, consistent choices)
    lower: float                # credal: inconsistent choices count for neither bound
    upper: float
    inconsistent: float         # P(no answer set | e on probabilistic atoms)


def semantics(cs: list[Choice], q: Literals, e: Literals = ()) -> Semantics:
    """By the definitions.  MaxEnt: P(q, e) / P(e) over the consistent choices.  Credal (e on
    probabilistic atoms only): the bounds over the choices that satisfy e, divided by their
    mass; an inconsistent choice adds to neither bound.  The inconsistent mass is conditioned on
    the evidence on probabilistic atoms."""
    num = den = lo = hi = bad = mass = 0.0
    for c in cs:
        AS = c.answer_sets
        n = len(AS)
        num += c.weight * sum(holds(A, q) and holds(A, e) for A in AS) / n if n else 0.0
        den += c.weight * sum(holds(A, e) for A in AS) / n if n else 0.0
        if all(c.x[s] == v for s, v in e if s in c.x):
            mass += c.weight
            bad += c.weight if not n else 0.0
            lo += c.weight * (n > 0 and all(holds(A, q) for A in AS))
            hi += c.weight * any(holds(A, q) for A in AS)
    return Semantics(num / den if den else 0.0, lo / mass if mass else 0.0,
                     hi / mass if mass else 0.0, bad / mass if mass else 0.0)
