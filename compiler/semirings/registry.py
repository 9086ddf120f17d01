"""The registered semirings (docs/atlas.md §2.1) and the registry that names them."""
from __future__ import annotations

import dataclasses

import math
from typing import Any

import numpy as np

from atlasc.compiler.semirings import base
from atlasc.compiler.semirings.base import Semiring

_REGISTRY: dict[str, Semiring] = {}


class UnknownSemiring(KeyError):
    pass


def register(sr: Semiring, *aliases: str) -> Semiring:
    for n in (sr.name,) + aliases:
        if n in _REGISTRY:
            raise ValueError(f"semiring {n!r} is registered twice")
        _REGISTRY[n] = sr
    return sr


def get(name: str) -> Semiring:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownSemiring(name) from None


def names() -> list[str]:
    return sorted({sr.name for sr in _REGISTRY.values()})


def all_semirings() -> list[Semiring]:
    return [get(n) for n in names()]


# ---- element checks ------------------------------------------------------------------------
def _real(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> Any:
    def check(x: Any) -> float:
        if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
            raise ValueError(f"expected a number, got {x!r}")
        try:
            v = float(x)
        except OverflowError:
            raise ValueError("the number is beyond the range of a double") from None
        if math.isnan(v) or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
            raise ValueError(f"{v} is outside the carrier {'(' if lo_open else '['}{lo}, "
                             f"{hi}{')' if hi_open else ']'}")
        return v
    return check


def _natural(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 0:
        if isinstance(x, float) and x.is_integer() and x >= 0:
            return int(x)
        raise ValueError(f"expected a natural number, got {x!r}")
    return int(x)


def _boolean(x: Any) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if x in (0, 1):
        return bool(x)
    raise ValueError(f"expected true or false, got {x!r}")


def _argmax(a: np.ndarray) -> np.ndarray:
    return np.argmax(a, axis=0)


def _argmin(a: np.ndarray) -> np.ndarray:
    return np.argmin(a, axis=0)


def _scalar(name: str, word: str, zero: Any, one: Any, idem: bool, add: Any, mul: Any,
            check: Any, dtype: Any = np.float64, select: Any = None, zsf: bool = True,
            nzd: bool = True, doc: str = "") -> Semiring:
    return Semiring(name=name, add_word=word, zero=zero, one=one, idempotent=idem,
                    zero_sum_free=zsf, no_zero_divisors=nzd, dtype=dtype, elem_shape=(),
                    _add=add, _mul=mul, _check=check, doc=doc, _select=select)


PROB = register(_scalar("prob", "sum", 0.0, 1.0, False, np.add, np.multiply,
                        _real(0.0, math.inf, hi_open=True), doc="(R>=0, +, x, 0, 1)"))
LOG = register(_scalar("log", "sum", -math.inf, 0.0, False, np.logaddexp, np.add,
                       _real(-math.inf, math.inf), doc="(R u {-inf}, logsumexp, +, -inf, 0)"))
MAXPROD = register(_scalar("maxprod", "max", 0.0, 1.0, True, np.maximum, np.multiply,
                           _real(0.0, math.inf, hi_open=True), select=_argmax, doc="(R>=0, max, x, 0, 1)"))
MAXLOG = register(_scalar("maxlog", "max", -math.inf, 0.0, True, np.maximum, np.add,
                          _real(-math.inf, math.inf), select=_argmax,
                          doc="(R u {-inf}, max, +, -inf, 0)"))
MINSUM = register(_scalar("minsum", "min", math.inf, 0.0, True, np.minimum, np.add,
                          _real(-math.inf, math.inf), select=_argmin,
                          doc="tropical (R u {inf}, min, +, inf, 0)"), "tropical")
BOOL = register(_scalar("bool", "or", False, True, True, np.logical_or, np.logical_and,
                        _boolean, dtype=bool, select=_argmax, doc="({false, true}, or, and)"))
COUNT = register(_scalar("count", "sum", 0, 1, False, np.add, np.multiply, _natural,
                         dtype=object, doc="exact naturals (N, +, x, 0, 1); Python ints"))
base._REAL_COMPONENT = PROB


# ---- pair semirings ------------------------------------------------------------------------
def _pair_ops(s1: Semiring, s2: Semiring) -> tuple[Any, Any]:
    def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.stack([s1.add(a[..., 0], b[..., 0]), s2.add(a[..., 1], b[..., 1])], axis=-1)

    def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.stack([s1.mul(a[..., 0], b[..., 0]), s2.mul(a[..., 1], b[..., 1])], axis=-1)
    return add, mul


def pair(s1: Semiring, s2: Semiring) -> Semiring:
    """The product semiring S1 x S2 (componentwise), registered as ``pair(S1,S2)``."""
    name = f"pair({s1.name},{s2.name})"
    if name in _REGISTRY:
        return _REGISTRY[name]
    if not (s1.is_scalar and s2.is_scalar) or s1.dtype is not s2.dtype:
        raise ValueError(f"pair semirings need two scalar semirings of one number type, "
                         f"not {s1.name} and {s2.name}")
    add, mul = _pair_ops(s1, s2)

    def check(x: Any) -> tuple[Any, Any]:
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise ValueError(f"expected a pair, got {x!r}")
        return (s1.element(x[0]), s2.element(x[1]))
    sr = Semiring(name=name, add_word=s1.add_word if s1.add_word == s2.add_word else "agg",
                  zero=(s1.zero, s2.zero), one=(s1.one, s2.one),
                  idempotent=s1.idempotent and s2.idempotent,
                  zero_sum_free=s1.zero_sum_free and s2.zero_sum_free,
                  no_zero_divisors=False, dtype=s1.dtype, elem_shape=(2,), _add=add, _mul=mul,
                  _check=check, components=(s1, s2), doc=f"{s1.name} x {s2.name}, componentwise")
    return register(sr)


COUNT2 = pair(COUNT, COUNT)
_REGISTRY["count2"] = COUNT2
PROB2 = pair(PROB, PROB)
_REGISTRY["prob2"] = PROB2
# (expectation, variance) of a prob answer under random parameters: prob2's arithmetic, its own
# name so that results label the two components (docs/moments.md)
MOMENTS = register(dataclasses.replace(PROB2, name="moments", doc="(expectation, variance) of "
                                       "a probability: prob x prob, componentwise"))


# ---- dual-number semirings: expectation (p, u) and grad (value, derivative) -----------------
def _dual_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def _dual_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    p = a[..., 0] * b[..., 0]
    u = a[..., 0] * b[..., 1] + b[..., 0] * a[..., 1]
    return np.stack([p, u], axis=-1)


def _dual(name: str, p_lo: float, doc: str, zsf: bool) -> Semiring:
    def check(x: Any) -> tuple[float, float]:
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise ValueError(f"expected a pair (value, derivative), got {x!r}")
        return (_real(p_lo, math.inf)(x[0]), _real(-math.inf, math.inf)(x[1]))
    return register(Semiring(name=name, add_word="sum", zero=(0.0, 0.0), one=(1.0, 0.0),
                             idempotent=False, zero_sum_free=zsf, no_zero_divisors=False,
                             dtype=np.float64, elem_shape=(2,), _add=_dual_add, _mul=_dual_mul,
                             _check=check, doc=doc))


EXPECTATION = _dual("expectation", 0.0, "(p, u): (+) componentwise, "
                    "(p1,u1)(x)(p2,u2) = (p1 p2, p1 u2 + p2 u1)", zsf=False)
GRAD = _dual("grad", -math.inf, "dual numbers (v, dv): value and derivative", zsf=False)
