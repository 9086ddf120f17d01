"""Probabilistic answer set programs (docs/pasp.md): grounded by clingo, encoded as one
Boolean function phi(X, Y) of the probabilistic atoms X and the other atoms Y whose models are
the answer sets under each total choice, compiled to an SDD with an X-constrained vtree (so the
circuit is X-deterministic by construction).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.pasp.encode import Encoding, HeadCycle, encode, normalise, rule_line
from atlasc.compiler.pasp.ground import Ground, ground
from atlasc.compiler.sources.formulas import compile_formula
from atlasc.compiler.sources.limits import Limits

@dataclass
class Pasp:
    """A grounded program: its atoms as variables (X: probabilistic, Y: the others)."""
    ground: Ground
    vars: dict[int, Var]             # atom -> variable
    file: str

    @property
    def X(self) -> list[Var]:
        return [self.vars[a] for a in sorted(self.ground.prob, key=self._key)]

    @property
    def Y(self) -> list[Var]:
        return [self.vars[a] for a in sorted(self.ground.symbols, key=self._key)
                if a not in self.ground.prob]

    @property
    def probabilities(self) -> dict[Var, float]:
        return {self.vars[a]: p for a, p in self.ground.prob.items()}

    def _key(self, a: int) -> str:
        return self.vars[a].name

    def encoding(self) -> Encoding:
        def lit(a: int, value: bool) -> tuple[Any, ...]:
            return ("lit", self.vars[a], 1 if value else 0)
        return encode(self.ground, lit, self.file)


def load(text: str, file: str = "<program>", learnable: bool = False) -> Pasp:
    """Ground the program with clingo; each atom is the variable named as clingo writes it
    (`r(1,2)`, `-a`); raises SourceError.  `learnable`: t(_) probabilities allowed (fit)."""
    g = ground(text, file, learnable)
    try:
        normalise(g, file)                      # rejects non-head-cycle-free programs now
    except HeadCycle as e:
        if e.line is None:
            e.line, e.col = rule_line(text, e.atoms)
        raise
    return Pasp(g, {a: Var(g.symbols[a]) for a in sorted(g.symbols)}, file)


def compile_pasp(p: Pasp, vtree: Vtree | str | None = None, limits: Limits | None = None,
                 name: str = "pasp") -> tuple[Circuit, Encoding]:
    """phi(X, Y) as a BOOL circuit, X-constrained (X-deterministic by construction)."""
    enc = p.encoding()
    X = p.X
    c = compile_formula(enc.formula, X + p.Y, vtree, constrained=X or None, limits=limits,
                        name=name)
    c.info.update({"source": "pasp", "tight": enc.tight, "components": enc.components,
                   "shifted": enc.shifted})
    return c, enc


__all__ = ["Pasp", "compile_pasp", "load"]
