"""Positivity of an adjustment formula (ATLAS.md P11), read off the table p(X, Z) as an array
(rows, cells of X, cells of Z): where it fails at a treatment value x, the formula's value at x
is not identified (compiler/program/undefined.py makes those entries undefined).

* backdoor, sum_z p(z) p(y | x, z): fails at x if p(x, z) = 0 for a stratum z with p(z) > 0;
* frontdoor, sum_z p(z | x) sum_x' p(x') p(y | x', z): fails at x if p(x) = 0, or if
  p(x', z) = 0 for some z with p(x, z) > 0 and some x' with p(x') > 0.
"""
from __future__ import annotations

import numpy as np

KINDS = ("backdoor", "frontdoor")


def failing(kind: str, t: np.ndarray) -> np.ndarray:
    """(B, Kx) True where positivity fails, for t = p(X, Z) of shape (B, Kx, Kz)."""
    zero = t == 0
    if kind == "backdoor":
        pz = t.sum(axis=1)                                           # (B, Kz)
        return (zero & (pz[:, None, :] > 0)).any(axis=2)
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
