"""Graphical models as data: `BayesNet` (CPTs) and `MarkovNet` (factors), validated.

Tables are numpy arrays with one axis per variable of the family, in the family's order; a CPT
for X with parents U has shape (*sizes(U), size(X)) and ``table[u][x] = p(x | u)``.  Every
object may carry the file and line it came from, so validation errors point into the file.
"""
from __future__ import annotations

import dataclasses
import graphlib
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from atlasc.compiler.errors import SourceError, SourceWarning
from atlasc.compiler.ir.variables import Var

ROW_TOL = 1e-6          # rows this close to 1 are taken as they are
NORMALISE_TOL = 1e-3    # rows this close to 1 are normalised, with a warning (files written
                        # with a few digits: pyAgrum's XMLBIF rows sum to 1 within 1e-4)


@dataclass(frozen=True, eq=False)
class Factor:
    """A non-negative table over `vars` (one axis each, in order)."""
    vars: tuple[Var, ...]
    table: np.ndarray
    line: int | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(v.size for v in self.vars)


@dataclass(frozen=True, eq=False)
class CPT:
    child: Var
    parents: tuple[Var, ...]
    table: np.ndarray
    line: int | None = None
    # the Dirichlet posterior of each row (same shape as `table`), when the model carries one:
    # written by `atlasc fit` (prior pseudo-counts + (expected) counts), docs/moments.md
    alpha: np.ndarray | None = None

    @property
    def family(self) -> tuple[Var, ...]:
        return self.parents + (self.child,)

    def factor(self) -> Factor:
        return Factor(self.family, self.table, self.line)


@dataclass(frozen=True, eq=False)
class BayesNet:
    variables: tuple[Var, ...]
    cpts: tuple[CPT, ...]
    name: str = ""
    file: str | None = None
    decl_lines: dict[str, int] = field(default_factory=dict)

    kind = "bayes"

    def factors(self) -> list[Factor]:
        return [c.factor() for c in self.cpts]

    def cpt(self, name: str) -> CPT:
        return next(c for c in self.cpts if c.child.name == name)

    def var(self, name: str) -> Var:
        return next(v for v in self.variables if v.name == name)

    def parents(self) -> dict[Var, tuple[Var, ...]]:
        return {c.child: c.parents for c in self.cpts}


@dataclass(frozen=True, eq=False)
class MarkovNet:
    variables: tuple[Var, ...]
    fs: tuple[Factor, ...]
    name: str = ""
    file: str | None = None
    decl_lines: dict[str, int] = field(default_factory=dict)

    kind = "markov"

    def factors(self) -> list[Factor]:
        return list(self.fs)


Model = BayesNet | MarkovNet


def renamed(m: Model, names: Mapping[str, str]) -> Model:
    """The same model with its variables renamed (`names`: old -> new; the rest kept)."""
    vm = {v: Var(names.get(v.name, v.name), v.domain) for v in m.variables}
    lines = {names.get(k, k): n for k, n in m.decl_lines.items()}
    vs = tuple(vm[v] for v in m.variables)
    if isinstance(m, BayesNet):
        cpts = tuple(CPT(vm[c.child], tuple(vm[p] for p in c.parents), c.table, c.line,
                         c.alpha) for c in m.cpts)
        return dataclasses.replace(m, variables=vs, cpts=cpts, decl_lines=lines)
    fs = tuple(Factor(tuple(vm[v] for v in f.vars), f.table, f.line) for f in m.fs)
    return dataclasses.replace(m, variables=vs, fs=fs, decl_lines=lines)


def cpt(child: Var, parents: Sequence[Var], table: Iterable[object]) -> CPT:
    """A CPT from nested rows (or a flat list): rows over parent configurations, last parent
    fastest, each row a distribution over the child."""
    shape = tuple(p.size for p in parents) + (child.size,)
    arr = np.asarray(table, dtype=float)
    if arr.size != int(np.prod(shape)):
        raise SourceError(f"the CPT of {child.name} needs {int(np.prod(shape))} numbers, "
                          f"got {arr.size}")
    return CPT(child, tuple(parents), arr.reshape(shape))


def bayesnet(cpts: Sequence[CPT], name: str = "") -> BayesNet:
    """A validated network whose variables are the CPTs' children, in the CPTs' order."""
    bn = BayesNet(tuple(c.child for c in cpts), tuple(cpts), name)
    validate(bn)
    return bn


# ---- validation --------------------------------------------------------------------------
def validate(m: Model) -> None:
    _check_duplicates(m)
    if isinstance(m, BayesNet):
        _check_cpts(m)
        topological(m)
    else:
        for f in m.fs:
            _check_factor(m, f)


def _err(m: Model, msg: str, line: int | None, hint: str | None = None) -> SourceError:
    return SourceError(msg, file=m.file, line=line, hint=hint)


def _check_duplicates(m: Model) -> None:
    seen: set[str] = set()
    for v in m.variables:
        if v.name in seen:
            raise _err(m, f"variable {v.name!r} is declared twice", m.decl_lines.get(v.name))
        seen.add(v.name)


def _check_cpts(bn: BayesNet) -> None:
    known = {v.name: v for v in bn.variables}
    have: dict[str, CPT] = {}
    for c in bn.cpts:
        if c.child.name in have:
            raise _err(bn, f"variable {c.child.name!r} has two CPTs", c.line)
        have[c.child.name] = c
        for v in c.family:
            if known.get(v.name) != v:
                raise _err(bn, f"the CPT of {c.child.name} mentions unknown variable "
                           f"{v.name!r}", c.line)
        _check_table(bn, c.factor(), f"the CPT of {c.child.name}")
        _check_rows(bn, c)
        if c.alpha is not None:
            _check_table(bn, Factor(c.family, c.alpha, c.line),
                         f"the Dirichlet posterior (dirichlet_alpha) of {c.child.name}")
    for v in bn.variables:
        if v.name not in have:
            raise _err(bn, f"variable {v.name!r} has no CPT", bn.decl_lines.get(v.name))


def _check_factor(m: Model, f: Factor) -> None:
    known = {v.name: v for v in m.variables}
    for v in f.vars:
        if known.get(v.name) != v:
            raise _err(m, f"a factor mentions unknown variable {v.name!r}", f.line)
    if len(set(f.vars)) != len(f.vars):
        raise _err(m, "a factor mentions a variable twice", f.line)
    _check_table(m, f, "a factor")


def _check_table(m: Model, f: Factor, what: str) -> None:
    if f.table.shape != f.shape:
        raise _err(m, f"{what} has shape {f.table.shape}, expected {f.shape} "
                   f"({int(np.prod(f.shape))} numbers)", f.line)
    bad = ~np.isfinite(f.table) | (f.table < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise _err(m, f"{what} has an invalid entry {f.table[idx]!r} at {idx} "
                   "(entries must be finite and non-negative)", f.line)


def _check_rows(bn: BayesNet, c: CPT) -> None:
    sums = c.table.sum(axis=-1)
    off = np.abs(sums - 1.0)
    bad = off > NORMALISE_TOL
    if not bad.any() and (off > ROW_TOL).any():
        _normalise(bn, c, sums, off > ROW_TOL)
    elif bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if c.parents else ()
        cfg = ", ".join(f"{p.name}={p.domain[i]}" for p, i in zip(c.parents, idx))
        raise _err(bn, f"the CPT of {c.child.name} has a row that sums to "
                   f"{float(sums[idx]):.9g}, not 1" + (f" (at {cfg})" if cfg else ""), c.line,
                   hint=f"each row p(. | parents) must sum to 1 (rows within {NORMALISE_TOL:g} "
                   "of 1 are normalised, with a warning)")


def _normalise(bn: BayesNet, c: CPT, sums: np.ndarray, rows: np.ndarray) -> None:
    """Divide each row by its sum, and say so once per CPT (the worst row)."""
    object.__setattr__(c, "table", c.table / sums[..., None])
    worst = np.unravel_index(np.argmax(np.abs(sums - 1.0)), sums.shape) if c.parents else ()
    cfg = ", ".join(f"{p.name}={p.domain[i]}" for p, i in zip(c.parents, worst))
    where = f"{bn.file or '<input>'}" + (f":{c.line}" if c.line else "")
    warnings.warn(SourceWarning(
        f"{where}: warning: the CPT of {c.child.name} has {int(rows.sum())} row(s) that sum "
        f"to within {NORMALISE_TOL:g} of 1 but not 1 (the furthest {float(sums[worst]):.9g}"
        + (f", at {cfg}" if cfg else "") + "): normalised"), stacklevel=2)


def topological(bn: BayesNet) -> list[Var]:
    """The variables, parents first; a cycle is a `SourceError` at the first CPT on it."""
    order = graphlib.TopologicalSorter({c.child: c.parents for c in bn.cpts})
    try:
        return list(order.static_order())
    except graphlib.CycleError as e:
        cycle = set(e.args[1])
        stuck = next(c for c in bn.cpts if c.child in cycle)
        raise _err(bn, f"the network has a directed cycle through {stuck.child.name}",
                   stuck.line, hint="a Bayesian network's parent relation must be acyclic") \
            from None


def forward_sample(bn: BayesNet, rows: int, rng: np.random.Generator) -> dict[Var, np.ndarray]:
    """`rows` forward samples of the network (parents first): value indices per variable."""
    cols: dict[Var, np.ndarray] = {}
    for v in topological(bn):
        c = bn.cpt(v.name)
        p = c.table[tuple(cols[u] for u in c.parents)] if c.parents else \
            np.broadcast_to(c.table, (rows, v.size))
        u = rng.random(rows)[:, None]
        cols[v] = np.minimum((u > np.cumsum(p, axis=1)).sum(axis=1), v.size - 1).astype(np.int32)
    return cols
