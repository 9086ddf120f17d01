"""The answer sets of a ground program under each total choice, as one Boolean function
phi(X, Y): phi(x, y) is true iff y is an answer set of the program with the facts x.

The encoding (docs/pasp.md):
* disjunctive rules are shifted to normal rules (b ; c :- a  gives  b :- a, not c  and
  c :- a, not b), which keeps the answer sets of head-cycle-free programs; a program that is not
  head-cycle-free is rejected, naming the rule's atoms;
* every rule holds (body -> head; an integrity constraint is  not body);
* Clark's completion: an atom is true only if the body of one of its rules is;
* for atoms on positive cycles (non-tight programs), unfoundedness is ruled out by the unfolded
  least fixpoint: a^0 = some rule for a has a body without positive atoms of a's component,
  a^i = some rule's body holds with the component's positive atoms read at level i-1; then
  a -> a^(n-1) for a component of n atoms (the fixpoint of the reduct inside a component is
  reached in n steps).  The levels are sub-formulas shared as a DAG, not new variables, so
  phi's models are exactly the answer sets and counting them is right.
Choice rules {a} :- B support a without forcing it; a choice atom's level also needs a itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from atlasc.compiler.errors import SourceError
from atlasc.compiler.graphs import strongly_connected
from atlasc.compiler.sources.expr import FALSE, Formula, conj as _and, disj as _or
from atlasc.compiler.pasp.ground import Ground, Rule



@dataclass(frozen=True)
class Normal:
    head: int
    body: tuple[int, ...]
    choice: bool


@dataclass
class Encoding:
    formula: Formula
    tight: bool
    components: int          # non-trivial positive cycles (strongly connected components)
    shifted: int             # disjunctive rules shifted


def normalise(g: Ground, file: str = "<program>") -> tuple[list[Normal], list[Rule], int]:
    """Normal and choice rules with one head atom, the integrity constraints, and how many
    disjunctive rules were shifted (after checking that the program is head-cycle-free)."""
    disj = [r for r in g.rules if not r.choice and len(r.head) > 1]
    if disj:
        comp = components(_edges(g.rules))
        for r in disj:
            _head_cycle_free(r, comp, g, file)
    normal: list[Normal] = []
    for r in g.rules:
        if r.choice or len(r.head) == 1:
            normal += [Normal(h, r.body, r.choice) for h in r.head]
        elif len(r.head) > 1:
            normal += [Normal(h, r.body + tuple(-o for o in r.head if o != h), False)
                       for h in r.head]
    return normal, [r for r in g.rules if not r.head and not r.choice], len(disj)


def _edges(rules: list[Rule]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for r in rules:
        for h in r.head:
            out.setdefault(h, set()).update(l for l in r.body if l > 0)
    return out


class HeadCycle(SourceError):
    """A disjunctive head on a positive cycle; `atoms` lets load() find the rule's line."""

    def __init__(self, message: str, file: str, *, hint: str, atoms: tuple[str, ...]) -> None:
        super().__init__(message, file, hint=hint)
        self.atoms = atoms


def _head_cycle_free(r: Rule, comp: dict[int, int], g: Ground, file: str) -> None:
    seen: dict[int, int] = {}
    for h in r.head:
        c = comp.get(h)
        if c is not None and c in seen:
            names = f"{g.symbols[seen[c]]} and {g.symbols[h]}"
            raise HeadCycle(f"the program is not head-cycle-free: {names} are in one "
                            "disjunctive head and on one positive cycle", file,
                            hint="only head-cycle-free disjunction is supported "
                                 "(docs/pasp.md)", atoms=(g.symbols[seen[c]], g.symbols[h]))
        if c is not None:
            seen[c] = h


def components(edges: dict[int, set[int]]) -> dict[int, int]:
    """Atom -> the id of its strongly connected component, for components on a cycle (two or
    more atoms, or a self-loop).  Iterative Tarjan (compiler/graphs.py)."""
    out: dict[int, int] = {}
    for comp in strongly_connected(sorted(edges), lambda v: sorted(edges.get(v, ()))):
        v = comp[-1]
        if len(comp) > 1 or v in edges.get(v, ()):
            for w in comp:
                out[w] = v
    return out


# ---- the formula ------------------------------------------------------------------------------
def encode(g: Ground, lit: Callable[[int, bool], Formula], file: str = "<program>"
           ) -> Encoding:
    """phi over the atoms; `lit(atom, value)` makes a literal of the caller's variables."""
    normal, constraints, shifted = normalise(g, file)
    by_head: dict[int, list[Normal]] = {}
    for r in normal:
        by_head.setdefault(r.head, []).append(r)
    body = _bodies(lit)
    parts: list[Formula] = [("not", body(c.body)) for c in constraints]
    parts += [("or", ("not", body(r.body)), lit(r.head, True)) for r in normal if not r.choice]
    for a in g.atoms:
        if a not in g.prob:
            parts.append(("or", lit(a, False), _or([body(r.body) for r in by_head.get(a, [])])))
    comp = components({h: {l for r in rs for l in r.body if l > 0} for h, rs in by_head.items()})
    parts += _unfounded_free(comp, by_head, body, lit)
    return Encoding(_and(parts), not comp, len(set(comp.values())), shifted)


def _bodies(lit: Callable[[int, bool], Formula]) -> Callable[[tuple[int, ...]], Formula]:
    memo: dict[tuple[int, ...], Formula] = {}

    def body(b: tuple[int, ...]) -> Formula:
        if b not in memo:
            memo[b] = _and([lit(abs(l), l > 0) for l in b])
        return memo[b]
    return body


def _unfounded_free(comp: dict[int, int], by_head: dict[int, list[Normal]],
                    body: Callable[[tuple[int, ...]], Formula],
                    lit: Callable[[int, bool], Formula]) -> list[Formula]:
    groups: dict[int, list[int]] = {}
    for a, c in comp.items():
        groups.setdefault(c, []).append(a)
    out: list[Formula] = []
    for atoms in groups.values():
        inside = set(atoms)
        level = {a: FALSE for a in atoms}
        for _ in range(len(atoms)):
            level = {a: _level(a, by_head[a], inside, level, body, lit) for a in atoms}
        out += [("or", lit(a, False), level[a]) for a in sorted(atoms)]
    return out


def _level(a: int, rules: list[Normal], inside: set[int], prev: dict[int, Formula],
           body: Callable[[tuple[int, ...]], Formula],
           lit: Callable[[int, bool], Formula]) -> Formula:
    """a derived by one more application of the component's rules, its positive atoms of the
    component read at the previous level."""
    alts = []
    for r in rules:
        rest = body(tuple(l for l in r.body if not (l > 0 and l in inside)))
        ins = [prev[l] for l in r.body if l > 0 and l in inside]
        if any(f is FALSE for f in ins):
            continue
        alt = _and([rest] + ins + ([lit(a, True)] if r.choice else []))
        alts.append(alt)
    return _or(alts)


def rule_line(text: str, atoms: tuple[str, ...]) -> tuple[int | None, int | None]:
    """The first line (1-based) and column of a disjunctive head (`|` or `;`) that names the
    predicates of all `atoms` (ground atoms have no place of their own); None if none does."""
    preds = [re.escape(a.split("(")[0].lstrip("-")) for a in atoms]
    for i, line in enumerate(text.splitlines(), 1):
        code = line.split("%")[0]
        hits = [re.search(rf"\b{p}\b", code) for p in preds]
        if ("|" in code or ";" in code) and all(hits):
            return i, min(m.start() for m in hits if m) + 1
    return None, None
