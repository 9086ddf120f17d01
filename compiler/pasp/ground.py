"""Grounding with clingo: the rewritten text (text.py) is grounded by `clingo.Control` and
the ground program is read through clingo's observer interface.  We never ground ourselves.

The result is a `Ground`: the atoms by clingo's numbering with their symbols, the
probabilistic atoms X with their probabilities, and the ground rules (normal, choice,
disjunctive, integrity constraints).  Constructs whose answer sets we do not encode raise a
SourceError naming the construct (aggregates and weight rules, weak constraints, theory atoms).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from atlasc.compiler.errors import SourceError
from atlasc.compiler.pasp.text import MARKER, ProbFact, Rewritten, line_col, rewrite

_MESSAGE = re.compile(r"<[a-z]+>:(\d+):(\d+)(?:-\d+(?::\d+)?)?: (error|warning|info): "
                      r"(.*?)(?=\n<[a-z]+>:\d|\Z)", re.S)


@dataclass(frozen=True)
class Rule:
    head: tuple[int, ...]       # atoms; empty: an integrity constraint
    body: tuple[int, ...]       # literals: +atom or -atom (default negation)
    choice: bool = False


@dataclass
class Ground:
    symbols: dict[int, str]                 # every atom of the ground program -> its symbol
    prob: dict[int, float]                  # the probabilistic atoms X
    rules: list[Rule]
    origin: dict[int, int] = field(default_factory=dict)   # X atom -> probabilistic fact index
    facts: list[ProbFact] = field(default_factory=list)    # the probabilistic facts as written

    @property
    def atoms(self) -> list[int]:
        return sorted(self.symbols)


class _Observer:
    """Collects the ground program; rejects what we cannot encode."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.unsupported: list[str] = []

    def rule(self, choice: bool, head: Any, body: Any) -> None:
        self.rules.append(Rule(tuple(head), tuple(body), bool(choice)))

    def weight_rule(self, choice: bool, head: Any, lower_bound: int, body: Any) -> None:
        self.unsupported.append("aggregates (#count, #sum, cardinality bounds)")

    def minimize(self, priority: int, literals: Any) -> None:
        self.unsupported.append("weak constraints and #minimize/#maximize")

    def theory_atom(self, *args: Any) -> None:
        self.unsupported.append("theory atoms")

    def acyc_edge(self, *args: Any) -> None:
        self.unsupported.append("#edge directives")

    def heuristic(self, *args: Any) -> None:
        pass


def ground(text: str, file: str = "<program>", learnable: bool = False) -> Ground:
    """Ground an ASP program with probabilistic facts (p::atom.); probabilities to learn
    (t(_)::atom.) only if `learnable` (atlasc fit), else they are an error at their place."""
    rw = rewrite(text, file)
    if not learnable:
        _no_learnable(rw, file)
    messages: list[tuple[str, str]] = []
    import clingo
    ctl = clingo.Control(["--warn=none"], logger=_logger(messages))
    obs = _Observer()
    # clingo types the observer as its Observer class; its docs ask only for the methods used
    ctl.register_observer(obs)  # type: ignore[arg-type]
    try:
        ctl.add("base", [], rw.text)
        ctl.ground([("base", [])])
    except RuntimeError as e:
        raise _clingo_error(messages, rw, file, str(e)) from None
    if obs.unsupported:
        raise SourceError(f"{obs.unsupported[0]} are not supported in PASP programs", file,
                          hint="docs/pasp.md lists what is supported")
    return _collect(ctl, obs, rw, file)


def _no_learnable(rw: Rewritten, file: str) -> None:
    for f in rw.facts:
        if f.learn:
            line, col = line_col(rw.source, f.span[0])
            raise SourceError(f"{rw.source[f.span[0]:f.span[1]]} marks a probability to "
                              "learn: this program has no number for it yet", file, line, col,
                              "fit it first: atlasc fit prog.lp --data rows.csv -o fitted.lp "
                              "(docs/learning.md), and use the fitted program")


def _logger(messages: list[tuple[str, str]]) -> Any:
    """clingo's logger callback: it must never raise (clingo aborts on an exception there)."""
    def log(code: Any, msg: Any) -> None:
        try:
            messages.append((str(code), msg if isinstance(msg, str) else repr(msg)))
        except BaseException:       # noqa: BLE001 - nothing may escape into clingo
            pass
    return log


def _clingo_error(messages: list[tuple[str, str]], rw: Rewritten, file: str,
                  fallback: str) -> SourceError:
    """clingo's first error, at its place in the user's text, in the user's words."""
    for msg in [m for _, m in messages] + [fallback]:
        for m in _MESSAGE.finditer(msg.strip()):
            if m.group(3) == "error":
                line, col = rw.original(int(m.group(1)), int(m.group(2)))
                text = (m.group(4).strip().splitlines() or ["error"])[0]
                return SourceError(f"clingo: {_scrub(text)}", file, line, col)
    first = (fallback.strip().splitlines() or ["error"])[0]
    return SourceError(f"clingo: {_scrub(first)}", file, 1, 1)


def _scrub(text: str) -> str:
    """No name or directive the rewriting introduced reaches the user: the `#external`
    declarations appended after the program are, to the user, its end."""
    text = re.sub(r"unexpected #external\b(, expecting .*)?",
                  "unexpected end of the program (is a '.' missing?)", text)
    return re.sub(re.escape(MARKER) + r"\(\d+\)", "(a probabilistic fact)", text)


def _collect(ctl: Any, obs: _Observer, rw: Rewritten, file: str) -> Ground:
    symbols: dict[int, str] = {}
    markers: dict[int, int] = {}
    for sa in ctl.symbolic_atoms:
        sym = sa.symbol
        if sym.type.name == "Function" and sym.name == MARKER:
            markers[sa.literal] = sym.arguments[0].number
        else:
            symbols[sa.literal] = str(sym)
    rules: list[Rule] = []
    prob: dict[int, float] = {}
    origin: dict[int, int] = {}
    for r in obs.rules:
        marks = [markers[l] for l in r.body if l in markers]
        if not marks:
            rules.append(r)
            continue
        _prob_rule(r, marks[0], markers, rw, file, symbols, prob, origin)
    for r in rules:
        for a in r.head + tuple(abs(l) for l in r.body):
            symbols.setdefault(a, f"_aux{a}")
    _no_rules_for_facts(rules, prob, origin, symbols, rw, file)
    _all_ground_facts_kept(ctl, prob, rw, file)
    return Ground(symbols, prob, rules, origin, list(rw.facts))


def _all_ground_facts_kept(ctl: Any, prob: dict[int, float], rw: Rewritten, file: str) -> None:
    """A ground probabilistic atom that clingo derived as a fact lost its choice rule."""
    import clingo
    for f in rw.facts:
        if re.search(r"(^|[(,\s])_*[A-Z]", f.text):
            continue                            # a schema: its instances come from the body
        try:
            term = clingo.parse_term(f.text)
        except RuntimeError:                    # a pool or an interval (p(1..3)): not one
            continue                            # term, its instances are checked by clingo
        sa = ctl.symbolic_atoms[term]
        if sa is not None and sa.literal not in prob:
            raise SourceError(f"{f.text} is a probabilistic fact and also the head of a rule "
                              "(or a fact)", file, f.line, f.col,
                              f"use a fresh atom: p::{f.text}_0. and {f.text} :- {f.text}_0.")


def _prob_rule(r: Rule, k: int, markers: dict[int, int], rw: Rewritten, file: str,
               symbols: dict[int, str], prob: dict[int, float], origin: dict[int, int]) -> None:
    fact = rw.facts[k]
    rest = [l for l in r.body if l not in markers]
    if rest:
        raise SourceError(f"the body of the probabilistic fact {fact.text} is not fixed by "
                          "grounding (it depends on derived atoms)", file, fact.line, fact.col,
                          "bodies of probabilistic facts may only use facts; write "
                          "p::c. and a normal rule a :- c, body.")
    for a in r.head:
        if a in origin:
            first = rw.facts[origin[a]]
            raise SourceError(f"{symbols.get(a, a)} is a probabilistic fact twice (also at "
                              f"line {first.line})", file, fact.line, fact.col)
        prob[a], origin[a] = fact.prob, k


def _no_rules_for_facts(rules: list[Rule], prob: dict[int, float], origin: dict[int, int],
                        symbols: dict[int, str], rw: Rewritten, file: str) -> None:
    for r in rules:
        for a in r.head:
            if a in prob:
                fact = rw.facts[origin[a]]
                raise SourceError(f"{symbols[a]} is a probabilistic fact and also the head "
                                  "of a rule", file, fact.line, fact.col,
                                  f"use a fresh atom: p::{symbols[a]}_0. and "
                                  f"{symbols[a]} :- {symbols[a]}_0.")
