"""DIMACS CNF, weighted as the model counting competition writes it.

    p cnf <vars> <clauses>          clauses: literals ending in 0 (may span lines)
    c p weight <lit> <w> [0]        literal weights (MCC 2021+); `w <lit> <w> [0]` (cachet)
    c p show <v> ... 0              projection variables (recorded; the vtree is constrained)

Variables are x1..xn.  A literal without a weight weighs 1 (so does its negation when neither
is given).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.variables import Var, bool_var
from atlasc.compiler.sources.limits import MAX_VARIABLES
from atlasc.compiler.sources.text import read_text


@dataclass
class Cnf:
    nvars: int
    clauses: list[tuple[int, ...]]
    weights: dict[int, float] = field(default_factory=dict)   # literal -> weight
    show: list[int] = field(default_factory=list)
    file: str = "<cnf>"

    @cached_property
    def variables(self) -> list[Var]:       # made once: a header may declare 10^6 variables
        return [bool_var(f"x{i}") for i in range(1, self.nvars + 1)]

    def var_weights(self) -> dict[Var, tuple[float, float]]:
        return dict(zip(self.variables, self.weight_pairs()))

    def weight_pairs(self) -> list[tuple[float, float]]:
        """(w(-x), w(x)) of x1..xn, in order (no Var made)."""
        w = self.weights
        return [(w.get(-i, 1.0), w.get(i, 1.0)) for i in range(1, self.nvars + 1)]


def load_dimacs(path: str | os.PathLike[str]) -> Cnf:
    file = os.fspath(path)
    return parse_dimacs(read_text(file), file)


def parse_dimacs(text: str, file: str = "<cnf>") -> Cnf:
    cnf: Cnf | None = None
    declared = 0
    current: list[int] = []
    for no, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts or parts[0] == "%":
            continue
        if parts[0] == "p" and cnf is None:
            cnf, declared = _header(parts, file, no)
            continue
        if parts[0] in ("c", "w"):
            if cnf is not None:
                _comment(cnf, parts, file, no)
            continue
        if cnf is None:
            raise SourceError("clauses before the 'p cnf' header", file=file, line=no)
        for lit in _ints(parts, file, no):
            if lit == 0:
                cnf.clauses.append(tuple(current))
                current = []
            elif abs(lit) > cnf.nvars:
                raise SourceError(f"literal {lit} names a variable above the declared "
                                  f"{cnf.nvars}", file=file, line=no)
            else:
                current.append(lit)
    return _finish(cnf, current, declared, file, text)


def _finish(cnf: Cnf | None, current: list[int], declared: int, file: str, text: str) -> Cnf:
    last = max(1, len(text.splitlines()))
    if cnf is None:
        raise SourceError("no 'p cnf <vars> <clauses>' header", file=file, line=1)
    if current:
        cnf.clauses.append(tuple(current))
    if len(cnf.clauses) != declared:
        raise SourceError(f"the header declares {declared} clauses, the file has "
                          f"{len(cnf.clauses)}", file=file, line=last)
    return cnf


def _header(parts: list[str], file: str, no: int) -> tuple[Cnf, int]:
    if len(parts) != 4 or parts[1] not in ("cnf", "wcnf"):
        raise SourceError(f"bad header {' '.join(parts)!r}; expected 'p cnf <vars> <clauses>'",
                          file=file, line=no)
    n, m = _ints(parts[2:], file, no)
    if n < 0 or m < 0:
        raise SourceError("negative counts in the header", file=file, line=no)
    if n == 0:                  # a model over no variables: no vtree, nothing to ask of it
        raise SourceError("the header declares no variables", file=file, line=no)
    if n > MAX_VARIABLES:
        raise SourceError(f"the header declares {n} variables, beyond the limit of "
                          f"{MAX_VARIABLES}", file=file, line=no)
    return Cnf(n, [], file=file), m


def _comment(cnf: Cnf, parts: list[str], file: str, no: int) -> None:
    if parts[0] == "w" and len(parts) >= 3:
        _weight(cnf, parts[1], parts[2], file, no)
    elif parts[:3] == ["c", "p", "weight"] and len(parts) >= 5:
        _weight(cnf, parts[3], parts[4], file, no)
    elif parts[:3] == ["c", "p", "show"]:
        shown = [abs(v) for v in _ints(parts[3:], file, no) if v != 0]
        if any(v > cnf.nvars for v in shown):
            raise SourceError(f"c p show names variable {max(shown)}, above the declared "
                              f"{cnf.nvars}", file=file, line=no)
        cnf.show += shown


def _weight(cnf: Cnf, lit_s: str, w_s: str, file: str, no: int) -> None:
    (lit,) = _ints([lit_s], file, no)
    try:
        w = float(w_s)
    except ValueError:
        raise SourceError(f"bad weight {w_s!r}", file=file, line=no) from None
    if lit == 0 or abs(lit) > cnf.nvars:
        raise SourceError(f"weight for a literal {lit} outside 1..{cnf.nvars}", file=file,
                          line=no)
    if not w >= 0 or w == float("inf"):
        raise SourceError(f"weight {w_s} is not a finite non-negative number", file=file,
                          line=no, hint="literal weights become PROB values")
    cnf.weights[lit] = w


def _ints(parts: list[str], file: str, no: int) -> list[int]:
    try:
        return [int(p) for p in parts]
    except ValueError:
        bad = next(p for p in parts if not _is_int(p))
        raise SourceError(f"expected an integer, found {bad[:40]!r}", file=file,
                          line=no) from None


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
