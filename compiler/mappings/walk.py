"""Evaluating a sympy expression tree in one symbol without executing anything: one iterative
walker with two number back ends (numpy arrays for the mapping's `fn`, mpmath at 30 digits
for the property checks).  Used by `atlasc.compiler.mappings.symbolic`."""
from __future__ import annotations

import functools
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair


# ==== evaluation: one iterative walker, two number backends ==================================
class Undefined(Exception):
    pass


_KINDS: dict[type, str] = {
    sp.Add: "add", sp.Mul: "mul", sp.Pow: "pow", sp.log: "log", sp.exp: "exp", sp.Abs: "abs",
    sp.Min: "min", sp.Max: "max", sp.floor: "floor", sp.ceiling: "ceil", sp.sign: "sign",
    sp.Piecewise: "piecewise", ExprCondPair: "pair", sp.StrictLessThan: "lt",
    sp.LessThan: "le", sp.StrictGreaterThan: "gt", sp.GreaterThan: "ge", sp.Equality: "eq",
    sp.Unequality: "ne", sp.And: "and_", sp.Or: "or_", sp.Not: "not_",
}
SUPPORTED = ("numbers, +, *, **, sqrt, log, exp, Abs, Min, Max, floor, ceiling, sign, "
             "Piecewise with comparisons and And/Or/Not")


def _kind(e: sp.Basic, x: sp.Symbol) -> str:
    if e == x:
        return "x"
    if e is sp.true or e is sp.false:
        return "bool"
    if not e.args and e.is_number:
        if e.is_extended_real:
            return "const"
        raise ValueError(f"the constant {e} is not a real number")
    k = _KINDS.get(type(e))
    if k is None:
        what = e.func.__name__ if e.args else sp.sstr(e)
        raise ValueError(f"unsupported in a mapping: {what} (supported: {SUPPORTED})")
    return k


def evaluate(expr: sp.Basic, x: sp.Symbol, value: Any, ops: Any) -> Any:
    """The value of `expr` at x = value, bottom-up without recursion; `ops` is a backend."""
    memo: dict[sp.Basic, Any] = {}
    stack: list[tuple[sp.Basic, bool]] = [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if e in memo:
            continue
        if ready or not e.args:
            memo[e] = _apply(e, _kind(e, x), [memo[a] for a in e.args], value, ops)
        else:
            stack.append((e, True))
            stack.extend((a, False) for a in e.args)
    return memo[expr]


def _apply(e: sp.Basic, kind: str, args: list[Any], value: Any, ops: Any) -> Any:
    if kind == "x":
        return value
    if kind == "bool":
        return e is sp.true
    if kind == "const":
        return ops.const(e)
    return getattr(ops, kind)(*args)


def check_supported(expr: sp.Basic, x: sp.Symbol) -> None:
    """Raises ValueError naming the first node the walkers cannot evaluate."""
    stack = [expr]
    while stack:
        e = stack.pop()
        _kind(e, x)
        stack.extend(e.args)


class NumpyOps:
    """float64 arrays; undefined values become nan."""
    const = staticmethod(lambda e: float(e))
    add = staticmethod(lambda *xs: functools.reduce(np.add, xs))
    mul = staticmethod(lambda *xs: functools.reduce(np.multiply, xs))
    pow = staticmethod(lambda b, e: np.power(np.asarray(b, dtype=np.float64), e))
    log = staticmethod(lambda a: np.log(a))
    exp = staticmethod(lambda a: np.exp(a))
    abs = staticmethod(lambda a: np.abs(a))
    min = staticmethod(lambda *xs: functools.reduce(np.minimum, xs))
    max = staticmethod(lambda *xs: functools.reduce(np.maximum, xs))
    floor = staticmethod(lambda a: np.floor(a))
    ceil = staticmethod(lambda a: np.ceil(a))
    sign = staticmethod(lambda a: np.sign(a))
    pair = staticmethod(lambda v, c: (v, c))
    lt = staticmethod(lambda a, b: np.less(a, b))
    le = staticmethod(lambda a, b: np.less_equal(a, b))
    gt = staticmethod(lambda a, b: np.greater(a, b))
    ge = staticmethod(lambda a, b: np.greater_equal(a, b))
    eq = staticmethod(lambda a, b: np.equal(a, b))
    ne = staticmethod(lambda a, b: np.not_equal(a, b))
    and_ = staticmethod(lambda *xs: functools.reduce(np.logical_and, xs))
    or_ = staticmethod(lambda *xs: functools.reduce(np.logical_or, xs))
    not_ = staticmethod(lambda a: np.logical_not(a))

    @staticmethod
    def piecewise(*pairs: tuple[Any, Any]) -> Any:
        shape = np.broadcast_shapes(*(np.shape(p) for pair in pairs for p in pair))
        conds = [np.broadcast_to(c, shape) for _, c in pairs]
        vals = [np.broadcast_to(np.asarray(v, dtype=np.float64), shape) for v, _ in pairs]
        return np.select(conds, vals, default=np.nan)


def _mp_real(v: Any) -> Any:
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise Undefined()
        v = v.real
    if mpmath.isnan(v):
        raise Undefined()
    return v


def _mp(f: Callable[..., Any]) -> Callable[..., Any]:
    def g(*xs: Any) -> Any:
        try:
            return _mp_real(f(*xs))
        except (ZeroDivisionError, ValueError, OverflowError):
            raise Undefined() from None
    return staticmethod(g)


class MpOps:
    """mpmath numbers at the current precision; undefined values raise Undefined."""
    const = staticmethod(lambda e: e._to_mpmath(mpmath.mp.prec + 10)
                         if not e.is_infinite else (mpmath.inf if e > 0 else -mpmath.inf))
    add = _mp(lambda *xs: mpmath.fsum(xs) if all(mpmath.isfinite(v) for v in xs) else sum(xs))
    mul = _mp(lambda *xs: functools.reduce(lambda a, b: a * b, xs))
    pow = _mp(lambda b, e: mpmath.power(b, e))
    log = _mp(lambda a: mpmath.log(a) if a != 0 else -mpmath.inf)
    exp = _mp(mpmath.exp)
    abs = _mp(abs)
    min = _mp(min)
    max = _mp(max)
    floor = _mp(mpmath.floor)
    ceil = _mp(mpmath.ceil)
    sign = _mp(mpmath.sign)
    pair = staticmethod(lambda v, c: (v, c))
    lt = staticmethod(lambda a, b: a < b)
    le = staticmethod(lambda a, b: a <= b)
    gt = staticmethod(lambda a, b: a > b)
    ge = staticmethod(lambda a, b: a >= b)
    eq = staticmethod(lambda a, b: a == b)
    ne = staticmethod(lambda a, b: a != b)
    and_ = staticmethod(lambda *xs: all(xs))
    or_ = staticmethod(lambda *xs: any(xs))
    not_ = staticmethod(lambda a: not a)

    @staticmethod
    def piecewise(*pairs: tuple[Any, Any]) -> Any:
        for v, c in pairs:
            if c:
                return v
        raise Undefined()
