"""ProbLog programs (docs/problog.md): parsed and grounded by the `problog` package, cycles
broken by ProbLog's own cycle breaking into an acyclic formula, that formula compiled here to
an SDD (pysdd) and from it a smooth, decomposable, deterministic PROB circuit over the choices X
and the atoms Y: the program's distribution, evaluated by the LLVM runtime like any model.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

from pysdd.sdd import SddNode

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.problog.counts import model_counts
from atlasc.compiler.problog.encode import NONE, Encoding, choice_vars, encode
from atlasc.compiler.problog.ground import Ground, ground
from atlasc.compiler.names import canonical
from atlasc.compiler.problog.order import elimination_vtree
from atlasc.compiler.problog.roots import Roots, compile_roots, overlapping, truth
from atlasc.compiler.sources.formulas import Session, formula_sdd
from atlasc.compiler.sources.limits import Limits


@dataclass
class Problog:
    """A grounded program and its joint encoding (made on first use): the queries and
    evidence of the file by atom."""
    ground: Ground

    @cached_property
    def encoding(self) -> Encoding:
        return encode(self.ground.acyclic())

    def restricted(self, atoms: Iterable[str]) -> "Problog":
        """The same program with only these atoms (and the evidence) kept as variables."""
        keep = set(atoms) | set(self.evidence)
        g = self.ground
        return Problog(replace(g, atoms=[(n, k) for n, k in g.atoms if n in keep]))

    def resolve(self, atom: str) -> str:
        """The atom as ProbLog writes it (`edge(1, 2)` is `edge(1,2)`), or the error."""
        names = dict(self.ground.atoms)
        if atom in names:
            return atom
        want = canonical(atom)
        hit = next((n for n in names if canonical(n) == want), None)
        if hit is None:
            raise SourceError(f"'{atom}' is not a ground atom of the program", self.file,
                              hint="name a query or evidence atom, or an atom the program "
                                   "derives, as ProbLog writes it (edge(1,2))")
        return hit

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
         all_atoms: bool = False, file: str | None = None,
         allow_python: bool = False) -> Problog:
    """Parse and ground a ProbLog program; raises SourceError as ProbLog words it.  A Python
    module the program loads is refused unless `allow_python` (ground.py)."""
    return Problog(ground(path, text, all_atoms, file, allow_python))


def compile_problog(p: Problog, vtree: Vtree | str | None = None,
                    constrained: Iterable[Var] | None = None, limits: Limits | None = None,
                    name: str = "problog") -> Circuit:
    """The program's distribution over X and Y as a PROB circuit (through one SDD)."""
    return joint_sdd(p, vtree, constrained, limits, name).circuit


@dataclass
class Joint:
    """The joint encoding's SDD (the distribution over X and Y) and its session; the circuit
    is made from it on first use."""
    session: Session
    root: SddNode
    weights: dict[Var, tuple[float, ...]]
    info: dict[str, Any]

    @cached_property
    def circuit(self) -> Circuit:
        info = {k: v for k, v in self.info.items() if k != "name"}
        return self.session.finish(self.root, self.weights, self.info["name"], info)

    def counts(self, rows: Sequence[Mapping[Var, int]], targets: Sequence[Var]
               ) -> list[tuple[float, list[float]]]:
        """Per evidence row, P(e) and P(t = 1, e) for each target (counts.py)."""
        return model_counts(self.session, self.root, self.weights, rows,
                            [(t, 1) for t in targets])


def joint_sdd(p: Problog, vtree: Vtree | str | None = None,
              constrained: Iterable[Var] | None = None, limits: Limits | None = None,
              name: str = "problog") -> Joint:
    """The program's distribution over X and Y as one SDD."""
    e = p.encoding
    Q = frozenset(constrained or ())
    if vtree is None:
        vtree = elimination_vtree(e.graph, p.variables, e.clusters)
        inner, outer = vtree.restrict(Q), vtree.restrict(vtree.vars - Q)
        if Q and inner and outer:        # Q on the left: the vtree is Q-constrained
            vtree = Vtree.node(inner, outer)
    s, root = formula_sdd(e.formula, p.variables, vtree, constrained=Q or None,
                          limits=limits, name=name, one_hot_first=True)
    info = {"source": "formula", "expr": e.formula, "variables": tuple(p.variables),
            "options": {"vtree": vtree, "constrained": Q}, "name": name}
    return Joint(s, root, e.weights, {**info, "source": "problog", "choices": len(e.X),
                                      "atoms": len(e.Y), "sdd_size": root.size()})


__all__ = ["NONE", "Joint", "Problog", "Roots", "choice_vars", "compile_problog", "compile_roots",
           "joint_sdd", "load", "overlapping", "truth"]
