"""Positivity of an adjustment formula (docs/atlas.md P11), read off the table p(X, Z) as an array
(rows, cells of X, cells of Z): where it fails at a treatment value x, the formula's value at x
is not identified (compiler/program/undefined.py makes those entries undefined).

* backdoor, sum_z p(z) p(y | x, z): fails at x if p(x, z) = 0 for a stratum z with p(z) > 0;
* frontdoor, sum_z p(z | x) sum_x' p(x') p(y | x', z): fails at x if p(x) = 0, or if
  p(x', z) = 0 for some z with p(x, z) > 0 and some x' with p(x') > 0.
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.names import value_text

KINDS = ("backdoor", "frontdoor")


def failing(kind: str, t: np.ndarray) -> np.ndarray:
    """(B, Kx) True where positivity fails, for t = p(X, Z) of shape (B, Kx, Kz); in a row
    whose evidence has probability 0 (t is 0 everywhere) nothing is defined."""
    zero = t == 0
    if kind == "backdoor":
        pz = t.sum(axis=1)                                           # (B, Kz)
        empty = ~(pz > 0).any(axis=1)                                # p(e) = 0
        return (zero & (pz[:, None, :] > 0)).any(axis=2) | empty[:, None]
    px = t.sum(axis=2)                                               # (B, Kx)
    bad_z = ((px[:, :, None] > 0) & zero).any(axis=1)                # (B, Kz)
    return (px == 0) | ((t > 0) & bad_z[:, None, :]).any(axis=2)


def first_stratum(kind: str, t: np.ndarray, i: int) -> int:
    """For one row's table t (Kx, Kz) failing at treatment cell i: the stratum that breaks
    it (frontdoor: -1 when p(x) = 0 itself)."""
    px, pz = t.sum(axis=1), t.sum(axis=0)
    if kind == "backdoor":
        return int(np.flatnonzero((t[i] == 0) & (pz > 0))[0])
    if px[i] == 0:
        return -1
    bad_z = ((px[:, None] > 0) & (t == 0)).any(axis=0)
    return int(np.flatnonzero((t[i] > 0) & bad_z)[0])


def cells(vs: Sequence[Var]) -> np.ndarray:
    """Every assignment of vs as value indices, (K, len(vs)), the last variable fastest."""
    K = int(np.prod([v.size for v in vs], dtype=np.int64))
    return np.asarray(list(itertools.product(*(range(v.size) for v in vs))),
                      np.int32).reshape(K, len(vs))


def shown(a: dict[Var, int]) -> str:
    """`X = x, ...` as a query writes it (values that are not names quoted)."""
    return ", ".join(f"{v.name} = {value_text(v.domain[x])}" for v, x in sorted(a.items()))


def stratum(kind: str, t: np.ndarray, i: int, on: Sequence[Var], rest: Sequence[Var],
            given: str = "") -> str:
    """What breaks positivity at treatment cell i of one row's table t = p(X, Z) (Kx, Kz):
    the zero cell, and the stratum with its probability."""
    at = dict(zip(on, (int(x) for x in cells(on)[i])))
    if not t.any():
        return f"p({', '.join(v.name for v in (*on, *rest))}{given}) = 0 everywhere"
    k = first_stratum(kind, t, i)
    if k < 0:
        return f"p({shown(at)}{given}) = 0"
    px, total = t.sum(axis=1), float(t.sum())
    z = dict(zip(rest, (int(x) for x in cells(rest)[k])))
    if kind == "backdoor":
        return (f"p({shown({**at, **z})}{given}) = 0 while the stratum "
                f"p({shown(z)}{given}) = {float(t[:, k].sum()) / total:.6g}")
    j = int(np.flatnonzero((px > 0) & (t[:, k] == 0))[0])
    other = dict(zip(on, (int(x) for x in cells(on)[j])))
    return (f"p({shown({**other, **z})}{given}) = 0 while "
            f"p({shown(z)} | {shown(at)}{given}) = {float(t[i, k]) / float(px[i]):.6g} and "
            f"p({shown(other)}{given}) = {float(px[j]) / total:.6g}")
