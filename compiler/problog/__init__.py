"""ProbLog programs (docs/problog.md): parsed and grounded by the `problog` package, cycles
broken by ProbLog's own cycle breaking into an acyclic formula, that formula compiled here to
an SDD (pysdd) and from it a smooth, decomposable, deterministic PROB circuit over the choices X
and the atoms Y: the program's distribution, evaluated by the LLVM runtime like any model.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.problog.encode import NONE, Encoding, encode
from atlasc.compiler.problog.ground import Ground, ground
from atlasc.compiler.problog.order import elimination_vtree
from atlasc.compiler.sources.formulas import compile_formula
from atlasc.compiler.sources.limits import Limits


@dataclass
class Problog:
    """A grounded program and its encoding: the queries and evidence of the file by atom."""
    ground: Ground
    encoding: Encoding

    @property
    def file(self) -> str:
        return self.ground.file

    @property
    def variables(self) -> list[Var]:
        return self.encoding.X + self.encoding.Y

    def atom(self, name: str) -> Var:
        return self.encoding.atoms[name]

    @property
    def queries(self) -> list[str]:
        return [n for n, _ in self.ground.queries]

    @property
    def evidence(self) -> dict[str, bool]:
        return {n: v for n, _, v in self.ground.evidence}


def load(path: str | os.PathLike[str] | None = None, *, text: str | None = None,
         all_atoms: bool = False, file: str | None = None) -> Problog:
    """Parse, ground and encode a ProbLog program; raises SourceError as ProbLog words it."""
    g = ground(path, text, all_atoms, file)
    return Problog(g, encode(g))


def compile_problog(p: Problog, vtree: Vtree | str | None = None,
                    constrained: Iterable[Var] | None = None, limits: Limits | None = None,
                    name: str = "problog") -> Circuit:
    """The program's distribution over X and Y as a PROB circuit (through one SDD)."""
    e = p.encoding
    Q = frozenset(constrained or ())
    if vtree is None:
        vtree = elimination_vtree(e.graph, p.variables, e.clusters)
        inner, outer = vtree.restrict(Q), vtree.restrict(vtree.vars - Q)
        if Q and inner and outer:        # Q on the left: the vtree is Q-constrained
            vtree = Vtree.node(inner, outer)
    c = compile_formula(e.formula, p.variables, vtree, constrained=Q or None, limits=limits,
                        name=name, weights=e.weights, one_hot_first=True)
    c.info.update({"source": "problog", "choices": len(e.X), "atoms": len(e.Y)})
    return c


__all__ = ["NONE", "Problog", "compile_problog", "load"]
