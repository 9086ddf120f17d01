"""Undefined entries: the conditions a formula's value rests on, checked under every evidence
row when a query runs, vectorised over the rows (docs/language.md, *Undefined entries*).

A query's guards (lower.Guard, from the typed.TCheck of its sugar) are tables over a few
variables, evaluated at every cell for every row:

* "nonzero": a normaliser or a conditional's row sum; where it is 0 (p(e) = 0, or
  sum_Y e = 0 at the entry's values) the entry is undefined;
* "backdoor": p(X, Z); the adjustment sum_z p(z) p(y | x, z) needs p(x, z) > 0 for every
  stratum z with p(z) > 0 (positivity, docs/atlas.md P11); where it fails at x, every entry with
  X = x is undefined;
* "frontdoor": p(X, Z); sum_z p(z | x) sum_x' p(x') p(y | x', z) needs p(x) > 0 and
  p(x', z) > 0 wherever p(x, z) > 0 and p(x') > 0.

A failure is reported on the guard's variables `on` (the treatment X, or the table's own):
an entry is undefined if its values of `on` fail, or, when the query no longer has all of
`on` free (a later query summed them away), if any value fails.  The reason names the cell,
the stratum and its probability, never the number the formula gives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.semirings.wide import Wide
from atlasc.compiler.language.guards import Guard
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.language.guards import EVIDENCE_ZERO
from atlasc.compiler.language.positivity import cells, failing, shown, stratum

Columns = dict[Var, np.ndarray]       # Var -> (B,) value indices, -1 where unobserved


def overflow(value: Any, sr: Semiring) -> str | None:
    """Why a float value cannot be printed: a component that is NaN or infinite although
    infinity is not the semiring's zero there (a count beyond 1.8e308 in prob2 or
    expectation, which have no log-space form; runtime/logspace.py rescues prob and
    maxprod).  None for a value that is fine, and for a Wide (it carries its log)."""
    vs = value if isinstance(value, tuple) else (value,)
    zs = sr.zero if isinstance(sr.zero, tuple) else (sr.zero,) * len(vs)
    if any(isinstance(x, (float, np.floating)) and not isinstance(x, Wide)
           and not math.isfinite(x) and x != z for x, z in zip(vs, zs)):
        return f"the value is beyond the double range of {sr.name} (overflow)"
    return None


def cell_index(vs: Sequence[Var], values: np.ndarray) -> np.ndarray:
    """The index in cells(vs) of each row of `values` (.., len(vs)) value indices."""
    out = np.zeros(values.shape[:-1], np.int64)
    for j, v in enumerate(vs):
        out = out * v.size + values[..., j]
    return out


def columns(rows: Sequence[dict[Var, int | None]]) -> Columns:
    """Rows of evidence (Var -> value index or None) as columns (-1: unobserved)."""
    out: Columns = {}
    for b, r in enumerate(rows):
        for v, x in r.items():
            if x is not None:
                out.setdefault(v, np.full(len(rows), -1, np.int32))[b] = x
    return out


# ---- one guard --------------------------------------------------------------------------------
@dataclass
class Failed:
    """Where one guard fails: `fail[b, i]` for row b and cell i of `on`."""
    guard: Guard
    on: tuple[Var, ...]
    fail: np.ndarray
    table: np.ndarray            # (B, K) the guard's values at cells(order)
    order: tuple[Var, ...]       # on first, then the strata
    given: "_LazyGiven"          # per row: the evidence that conditions the table

    def reason(self, b: int, i: int) -> str:
        g = self.guard
        at = dict(zip(self.on, (int(x) for x in cells(self.on)[i])))
        given = f" given {{{shown(self.given[b])}}}" if self.given[b] else ""
        if g.kind == "nonzero":
            if not self.on:
                return g.message + (f": {{{shown(self.given[b])}}}" if self.given[b] else "")
            return f"{g.message} at {shown(at)}{given}"
        return _positivity_reason(self, b, i, at, given)


def _positivity_reason(f: Failed, b: int, i: int, at: dict[Var, int], given: str) -> str:
    """The first stratum that breaks positivity at cell i of the treatment, with its
    probability, and the query that is defined there (the guard's message)."""
    t = np.asarray(f.table[b], float).reshape(len(cells(f.on)), -1)
    if not t.any():
        return EVIDENCE_ZERO + (f": {{{shown(f.given[b])}}}" if f.given[b] else "")
    why = stratum(f.guard.kind, t, i, f.on, f.order[len(f.on):], given)
    return (f"positivity fails: {why}: the {f.guard.kind} adjustment does not identify the "
            f"effect at {shown(at)}; {f.guard.message} computes p(Y | do(X)) by graph surgery")


def failures(g: Guard, summed: frozenset[Var], ev: Columns, B: int) -> Failed:
    """Evaluate guard g at every cell of its variables under each row's evidence (the
    evidence on `summed` conditions it; cells other evidence contradicts are not checked)."""
    on = tuple(sorted(g.on))
    order = on + tuple(sorted(g.circuit.vars - g.on))
    combos = cells(order)
    K = len(combos)
    sev = {v: x for v, x in ev.items() if v in summed}
    table = _evaluate_cells(g, sev, order, combos, B)
    allowed = np.ones((B, K), bool)
    for j, v in enumerate(order):
        if v in ev:
            x = ev[v][:, None]
            allowed &= (x < 0) | (x == combos[None, :, j])
    fail = _fail(g, table, allowed, len(cells(on)))
    return Failed(g, on, fail, table, order, _LazyGiven(sev, B))


def _evaluate_cells(g: Guard, sev: Columns, order: tuple[Var, ...], combos: np.ndarray,
                    B: int) -> np.ndarray:
    """The guard's values (B, K) at every cell, evaluated once per distinct evidence row."""
    vs = [v for v in sorted(sev) if (sev[v] >= 0).any()]
    uniq, back = distinct_rows(np.stack([sev[v] for v in vs], axis=1) if vs else
                               np.zeros((B, 0), np.int32), [v.size + 1 for v in vs])
    U, K = len(uniq), len(combos)
    res = evaluator().evaluate_columns(
        g.circuit, {v: np.repeat(uniq[:, j], K) for j, v in enumerate(vs)},
        {v: np.tile(combos[:, j], U) for j, v in enumerate(order)}, U * K)
    raw = _unlost(res.raw, getattr(res, "log", None))
    return raw.reshape((U, K) + raw.shape[1:])[back]


TINY = float(np.nextafter(0.0, 1.0))


def _unlost(raw: np.ndarray, log: np.ndarray | None) -> np.ndarray:
    """A value that underflowed to 0.0 but has a finite log (runtime/logspace.py) is not 0:
    the guards test only zero / non-zero (nonzero, positivity), so it becomes the smallest
    positive double for them."""
    if log is None or raw.dtype.kind != "f" or raw.ndim != 1:
        return raw
    lost = (raw == 0.0) & np.isfinite(log)
    return np.where(lost, TINY, raw) if lost.any() else raw


def distinct_rows(a: np.ndarray, radix: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a (B, n) array of value indices (-1 allowed) and, per row, its
    index among them.  One 64-bit key per row (the mixed radix, wrapping), checked: rows that
    share a key but differ fall back to the exact row-wise comparison."""
    if not a.shape[1]:
        return a[:min(len(a), 1)], np.zeros(len(a), np.int64)
    keys = np.zeros(len(a), np.uint64)
    with np.errstate(over="ignore"):
        for j, r in enumerate(radix):
            keys = keys * np.uint64(r) + (a[:, j] + 1).astype(np.uint64)
    _, first, back = np.unique(keys, return_index=True, return_inverse=True)
    back = back.reshape(-1)
    if (a[first][back] == a).all():
        return a[first], back
    uniq, back = np.unique(a, axis=0, return_inverse=True)
    return uniq, back.reshape(-1)


class _LazyGiven:
    """Per-row evidence dicts, made only for the rows whose reasons are asked for."""

    def __init__(self, sev: Columns, B: int) -> None:
        self.sev, self.B = sev, B

    def __getitem__(self, b: int) -> dict[Var, int]:
        return {v: int(x[b]) for v, x in self.sev.items() if x[b] >= 0}

    def __len__(self) -> int:
        return self.B


def _fail(g: Guard, table: np.ndarray, allowed: np.ndarray, kx: int) -> np.ndarray:
    if g.kind == "nonzero":
        return g.circuit.sr.is_zero(table) & allowed
    t = np.where(allowed, np.asarray(table, float), 0.0)
    return failing(g.kind, t.reshape(table.shape[0], kx, -1))


# ---- a query's entries --------------------------------------------------------------------------
@dataclass
class Undefined:
    """The undefined entries of a batch: `mask[b, k]` for row b and cell k of the query's
    free variables (cells(free) order); `why(b, k)` the reason."""
    failed: list[Failed]
    mask: np.ndarray              # (B, K) bool
    which: np.ndarray             # (B, K) the first failing guard, -1 where defined
    cell: list[np.ndarray | None]  # per guard: (K,) its cell of `on`, None if on is not free

    def why(self, b: int, k: int) -> str | None:
        i = int(self.which[b, k])
        if i < 0:
            return None
        f, at = self.failed[i], self.cell[i]
        c = int(at[k]) if at is not None else int(np.flatnonzero(f.fail[b])[0])
        return f.reason(b, c)

    def rows(self) -> np.ndarray:
        """The rows with an undefined entry."""
        return np.flatnonzero(self.mask.any(axis=1))


def overflow_mask(values: np.ndarray, sr: Semiring) -> np.ndarray:
    """(B, K) True where an entry of a float batch (B, K, *elem) overflowed (see overflow)."""
    if values.dtype.kind != "f":
        return np.zeros(values.shape[:2], bool)
    zero = np.broadcast_to(np.asarray(sr.zero, float), values.shape)
    bad = ~np.isfinite(values) & (values != zero)
    return bad.reshape(values.shape[:2] + (-1,)).any(axis=2)


@dataclass
class WithOverflow:
    """A batch's undefined entries: the guards' (`base`) and those that overflowed."""
    base: Undefined | None
    over: np.ndarray              # (B, K) bool
    reason: str

    @property
    def mask(self) -> np.ndarray:
        return self.over | (self.base.mask if self.base is not None else False)

    def why(self, b: int, k: int) -> str | None:
        why = self.base.why(b, k) if self.base is not None else None
        return why if why is not None or not self.over[b, k] else self.reason

    def rows(self) -> np.ndarray:
        return np.flatnonzero(self.mask.any(axis=1))


def undefined(guards: Sequence[Guard], summed: frozenset[Var], ev: Columns, B: int,
              free: tuple[Var, ...]) -> Undefined | None:
    """The entries of a batch (B rows of evidence `ev`) that the guards leave undefined;
    None when every entry is defined."""
    failed = [f for f in (failures(g, summed, ev, B) for g in guards) if f.fail.any()]
    if not failed:
        return None
    combos = cells(free)
    mask = np.zeros((B, len(combos)), bool)
    which = np.full((B, len(combos)), -1, np.int32)
    at: list[np.ndarray | None] = []
    for i, f in enumerate(failed):
        if set(f.on) <= set(free):
            idx = cell_index(f.on, combos[:, [free.index(v) for v in f.on]])
            hit: np.ndarray = f.fail[:, idx]
            at.append(idx)
        else:
            hit = np.repeat(np.asarray(f.fail.any(axis=1))[:, None], len(combos), axis=1)
            at.append(None)
        which = np.where((which < 0) & hit, i, which)
        mask |= hit
    return Undefined(failed, mask, which, at)
