"""Builtin mappings with their properties declared from docs/atlas.md §2.2 (and checked against
brute force in tests/test_mappings.py)."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from atlasc.compiler.mappings.base import MapProps, Mapping
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring

# Carrier families for `id`: the identity is a well-typed map S -> S' when both carriers hold
# the same numbers.  It is additive iff (+) is the same operation, multiplicative iff (x) is.
_FAMILY = {"prob": "nonneg", "maxprod": "nonneg", "count": "nat", "log": "logreal",
           "maxlog": "logreal", "minsum": "tropical", "bool": "bool"}
_ADD_OP = {"prob": "+", "count": "+", "maxprod": "max", "log": "lse", "maxlog": "max",
           "minsum": "min", "bool": "or"}
_MUL_OP = {"prob": "*", "count": "*", "maxprod": "*", "log": "+", "maxlog": "+",
           "minsum": "+", "bool": "and"}


class UnknownMapping(KeyError):
    pass


def _mk(name: str, src: Semiring, dst: Semiring, fn: Callable[[np.ndarray], np.ndarray],
        additive: bool, mult: bool, zero: bool, support: bool, params: tuple[Any, ...] = (),
        scale: Any = None, notes: tuple[str, ...] = ()) -> Mapping:
    return Mapping(name, src, dst, MapProps(additive, mult, zero, support, scale, "declared",
                                            notes), fn, params)


def identity(src: Semiring, dst: Semiring) -> Mapping:
    fs, fd = _FAMILY.get(src.name), _FAMILY.get(dst.name)
    ok = fs is not None and (fs == fd or (fs == "nat" and fd == "nonneg"))
    if not ok:
        raise UnknownMapping(f"id: {src.name} -> {dst.name} (the carriers differ)")
    add = _ADD_OP[src.name] == _ADD_OP[dst.name]
    if dst.dtype is object:
        fn: Callable[[np.ndarray], np.ndarray] = lambda a: a.astype(object)
    else:
        fn = lambda a: np.asarray(a, dtype=dst.dtype).copy()
    return _mk("id", src, dst, fn, add, _MUL_OP[src.name] == _MUL_OP[dst.name], True, True,
               scale=(dst.one if src == dst else None))


def support(src: Semiring) -> Mapping:
    """a -> [a != 0], S -> bool: additive iff S is zero-sum-free (P10), multiplicative iff S
    has no zero divisors."""
    return _mk("support", src, R.BOOL, lambda a: ~src.is_zero(a), src.zero_sum_free,
               src.no_zero_divisors, True, True)


def indicator(dst: Semiring) -> Mapping:
    """true -> 1, false -> 0, bool -> S: additive iff S is (+)-idempotent (P6)."""
    def fn(a: np.ndarray) -> np.ndarray:
        return dst.where(a.astype(bool), dst.ones(a.shape), dst.zeros(a.shape))
    return _mk("indicator", R.BOOL, dst, fn, dst.idempotent, True, True, True)


def _safe_recip(a: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a, dtype=np.float64)
    nz = a != 0
    out[nz] = 1.0 / a[nz]
    return out


def recip(sr: Semiring = R.PROB) -> Mapping:
    _need(sr, ("prob", "maxprod", R.PROB2.name), "recip")
    return _mk("recip", sr, sr, _safe_recip, False, True, True, True,
               notes=("1/a, with 0 -> 0 (P11)",))


def power(k: float, sr: Semiring = R.PROB) -> Mapping:
    _need(sr, ("prob", "maxprod"), "pow")
    k = float(k)

    def fn(a: np.ndarray) -> np.ndarray:
        out = np.zeros_like(a, dtype=np.float64)
        nz = a != 0
        out[nz] = np.power(a[nz], k)
        return out
    return _mk("pow", sr, sr, fn, k == 1.0 or (k > 0 and sr.idempotent), True, True, True,
               params=(_num(k),), scale=(sr.one if k == 1.0 else None),
               notes=("a^k, with 0 -> 0",))


def log(src: Semiring = R.PROB) -> Mapping:
    _need(src, ("prob", "maxprod"), "log")
    dst = R.LOG if src == R.PROB else R.MAXLOG
    return _mk("log", src, dst, _safe_log, True, True, True, True)


def _safe_log(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(a, dtype=np.float64))


def neglog(src: Semiring = R.PROB) -> Mapping:
    """-log: P -> T is multiplicative only; M -> T is a homomorphism."""
    _need(src, ("prob", "maxprod"), "neglog")
    return _mk("neglog", src, R.MINSUM, lambda a: -_safe_log(a), src == R.MAXPROD, True, True,
               True)


def maxent() -> Mapping:
    """(a, b) -> a/b with b = 0 -> 0, count2 -> prob (PASP MaxEnt, docs/atlas.md §4.2)."""
    def fn(a: np.ndarray) -> np.ndarray:
        num = a[..., 0].astype(np.float64)
        den = a[..., 1].astype(np.float64)
        out = np.zeros(num.shape)
        nz = den != 0
        out[nz] = num[nz] / den[nz]
        return out
    return _mk("maxent", R.COUNT2, R.PROB, fn, False, True, True, False,
               notes=("support only shrinks: (0, b) -> 0",))


def credal_lower() -> Mapping:
    """(a, b) -> [a = b > 0]: multiplicative on the reachable values a <= b."""
    def fn(a: np.ndarray) -> np.ndarray:
        return ((a[..., 0] == a[..., 1]) & (a[..., 1] > 0)).astype(np.float64)
    return dataclasses.replace(
        _mk("credal_lower", R.COUNT2, R.PROB, fn, False, True, True, False,
            notes=("multiplicative on the reachable domain a <= b",)), domain=_below)


def _below(w: Any) -> bool:
    """a <= b: the pairs (models of q and e, models of e) a PASP count reaches; closed under
    (+) and (x) of naturals.  Outside it [a = b > 0] is not multiplicative: (3, 1) x (1, 3)
    = (3, 3) maps to 1, its factors to 0 (fuzz: tests/reliability/differential.py)."""
    return bool(w[0] <= w[1])


def credal_upper() -> Mapping:
    """(a, b) -> [a > 0]."""
    def fn(a: np.ndarray) -> np.ndarray:
        return (a[..., 0] > 0).astype(np.float64)
    return _mk("credal_upper", R.COUNT2, R.PROB, fn, False, True, True, False)


def lift() -> Mapping:
    """p -> (p, 0), prob -> expectation: a probability carrying no utility; a homomorphism."""
    return _mk("lift", R.PROB, R.EXPECTATION,
               lambda a: np.stack([a, np.zeros_like(a)], axis=-1), True, True, True, True)


def dup() -> Mapping:
    """p -> (p, p), prob -> prob2: a homomorphism (the second copy is the normaliser)."""
    return _mk("dup", R.PROB, R.PROB2, lambda a: np.stack([a, a], axis=-1), True, True, True,
               True)


def eu() -> Mapping:
    """(p, s) -> s/p, expectation -> maxlog, (0, s) -> -inf: the expected utility given what
    fixed p.  (p1 p2, p1 s2 + p2 s1) -> s1/p1 + s2/p2, so it is multiplicative into maxlog's
    (x) = + (docs/atlas.md §4.3, MEU); not additive."""
    def fn(a: np.ndarray) -> np.ndarray:
        p, s = a[..., 0], a[..., 1]
        out = np.full(p.shape, -np.inf)
        nz = p != 0
        out[nz] = s[nz] / p[nz]
        return out
    return _mk("eu", R.EXPECTATION, R.MAXLOG, fn, False, True, True, False,
               notes=("s/p, with p = 0 -> -inf",))


def threshold(t: float) -> Mapping:
    """(a, b) -> b [a >= t b], prob2 -> prob: the mass b of a case whose conditional a/b reaches
    t (same-decision probability, docs/atlas.md §4.3).  Not multiplicative; it passes the diagonal
    values (c, c) when t <= 1, so it is exact where every product has at most one other
    factor (ops/mapping.py)."""
    if not 0.0 <= t <= 1.0:
        raise UnknownMapping(f"threshold({t:g}): the threshold is a probability in [0, 1]")

    def fn(a: np.ndarray) -> np.ndarray:
        num, den = a[..., 0], a[..., 1]
        return np.where((num >= t * den) & (den > 0), den, 0.0)
    m = _mk("threshold", R.PROB2, R.PROB, fn, False, False, True, False, params=(_num(t),),
            notes=("b if a >= t b, else 0",))
    return dataclasses.replace(m, passes=lambda w: w[0] == w[1])


def credal() -> Mapping:
    """(a, b) -> ([a = b > 0], [a > 0]), count2 -> prob2: both credal bounds in one pass;
    each component is multiplicative on the reachable values a <= b."""
    def fn(a: np.ndarray) -> np.ndarray:
        lo = (a[..., 0] == a[..., 1]) & (a[..., 1] > 0)
        return np.stack([lo, a[..., 0] > 0], axis=-1).astype(np.float64)
    return dataclasses.replace(
        _mk("credal", R.COUNT2, R.PROB2, fn, False, True, True, False,
            notes=("multiplicative on the reachable domain a <= b",)), domain=_below)


def _need(sr: Semiring, ok: tuple[str, ...], name: str) -> None:
    if sr.name not in ok:
        raise UnknownMapping(f"{name} is defined on {', '.join(ok)}, not on {sr.name}")


def _num(k: float) -> float | int:
    return int(k) if float(k).is_integer() else k


BUILTIN_NAMES = ("id", "support", "indicator", "recip", "pow", "log", "neglog", "lift", "dup",
                 "eu", "threshold", "maxent",
                 "credal_lower", "credal_upper", "credal")


def lookup(name: str, src: Semiring | None = None, dst: Semiring | None = None,
           params: tuple[Any, ...] = ()) -> Mapping:
    """A builtin mapping by name; `src`/`dst` select the instance where several exist."""
    if name == "id":
        if src is None or dst is None:
            raise UnknownMapping("id needs its semirings: id: S -> S'")
        return identity(src, dst)
    m = _build(name, src, dst, params)
    if (src is not None and m.src != src) or (dst is not None and m.dst != dst):
        raise UnknownMapping(f"{name} is {m.src.name} -> {m.dst.name}, not "
                             f"{(src or m.src).name} -> {(dst or m.dst).name}")
    return m


def _build(name: str, src: Semiring | None, dst: Semiring | None,
           params: tuple[Any, ...]) -> Mapping:
    if name == "support":
        return support(src or R.PROB)
    if name == "indicator":
        return indicator(dst or R.PROB)
    if name == "recip":
        return recip(src or R.PROB)
    if name == "pow":
        if len(params) != 1:
            raise UnknownMapping("pow needs one exponent: pow(k)")
        return power(params[0], src or R.PROB)
    if name == "log":
        return log(src or R.PROB)
    if name == "neglog":
        return neglog(src or R.PROB)
    if name == "threshold":
        if len(params) != 1:
            raise UnknownMapping("threshold needs one number: threshold(t)")
        return threshold(params[0])
    simple = {"maxent": maxent, "credal_lower": credal_lower, "credal_upper": credal_upper,
              "lift": lift, "dup": dup, "eu": eu, "credal": credal}
    if name in simple:
        return simple[name]()
    raise UnknownMapping(name)
