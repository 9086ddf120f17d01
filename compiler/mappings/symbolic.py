"""User-defined mappings tau: S -> S' given by a sympy expression in one symbol (docs/atlas.md §2.2).

`from_expr` derives the mapping's properties per semiring pair, reading each semiring's (+),
(x) and carrier from `ALGEBRAS`:

* a property is True only when sympy proves it (symbolic identity, monotonicity, assumptions);
* it is False only when a concrete counterexample is found on a grid of carrier values
  (evaluated at 30 digits with mpmath, and reported in the notes);
* otherwise it is None (undecided, so absent) and the notes say so.  Never a guess.

Every sympy call runs under a short time guard (SIGPROF, main thread only; elsewhere the
expensive tactics are skipped), so a derivation cannot hang.  The guards count the process's
CPU time, not the wall clock: what a derivation proves does not depend on how loaded the
machine is (a wall-clock guard of 0.25 s timed out at load 25 and left a property undecided).

tau is total: on the carrier minus 0_S it is the expression, and tau(0_S) is `at_zero` if given
(like the builtin recip's 0 -> 0), else the expression at 0_S, else its one-sided limit from
inside the carrier.  The numeric `fn` is our own iterative walker over the sympy tree with numpy
(no lambdify, nothing is parsed or executed); it raises ValueError on values outside S'.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import mpmath
import numpy as np
import sympy as sp
from sympy.calculus.singularities import is_decreasing, is_increasing
from sympy.calculus.util import continuous_domain

from atlasc.compiler.mappings.base import MapProps, Mapping
from atlasc.compiler.mappings.walk import MpOps, NumpyOps, Undefined, check_supported, evaluate
from atlasc.compiler.semirings.base import Semiring

GUARD_SECONDS = 0.25   # per sympy call
REL_TOL = 1e-7         # a counterexample must differ by more than this (relative, 30 digits)
DPS = 30


# ==== the semirings, symbolically ============================================================
@dataclass(frozen=True)
class Algebra:
    """A scalar numeric semiring as sympy sees it."""
    add: str           # "+", "lse", "max", "min"
    mul: str           # "*", "+"
    zero: sp.Expr
    one: sp.Expr
    carrier: str       # "nonneg", "nat", "logreal" (R u {-inf}), "tropical" (R u {+inf})

    @property
    def idempotent(self) -> bool:
        return self.add in ("max", "min")


ALGEBRAS: dict[str, Algebra] = {
    "prob": Algebra("+", "*", sp.S.Zero, sp.S.One, "nonneg"),
    "count": Algebra("+", "*", sp.S.Zero, sp.S.One, "nat"),
    "maxprod": Algebra("max", "*", sp.S.Zero, sp.S.One, "nonneg"),
    "log": Algebra("lse", "+", sp.S.NegativeInfinity, sp.S.Zero, "logreal"),
    "maxlog": Algebra("max", "+", sp.S.NegativeInfinity, sp.S.Zero, "logreal"),
    "minsum": Algebra("min", "+", sp.S.Infinity, sp.S.Zero, "tropical"),
}

_R = sp.Rational
_SAMPLES = {
    "nonneg": [_R(1, 10), _R(1, 4), _R(1, 3), _R(1, 2), _R(3, 5), _R(9, 10), sp.S.One,
               _R(3, 2), sp.Integer(2), sp.Integer(3), sp.Integer(7), sp.Integer(10)],
    "nat": [sp.Integer(k) for k in (1, 2, 3, 4, 5, 7, 10)],
    "logreal": [sp.Integer(k) for k in (-100, -10, -5, -2, -1)] + [_R(-1, 2), sp.S.Zero, _R(1, 3)]
    + [sp.Integer(k) for k in (1, 2, 5, 10, 100)],
}
_SAMPLES["tropical"] = _SAMPLES["logreal"]


def sample_points(carrier: str) -> list[sp.Expr]:
    """The interior grid (carrier minus 0) on which counterexamples are sought."""
    return list(_SAMPLES[carrier])


def _interior_symbol(carrier: str, name: str) -> sp.Symbol:
    if carrier == "nonneg":
        return sp.Symbol(name, positive=True)
    if carrier == "nat":
        return sp.Symbol(name, positive=True, integer=True)
    return sp.Symbol(name, real=True)


def _interior_set(carrier: str) -> sp.Set:
    return {"nonneg": sp.Interval.open(0, sp.oo), "nat": sp.Interval(1, sp.oo)}.get(
        carrier, sp.S.Reals)


def algebra(sr: Semiring) -> Algebra:
    if sr.name not in ALGEBRAS:
        raise ValueError(f"user mappings are defined on the scalar numeric semirings "
                         f"{', '.join(sorted(ALGEBRAS))}, not on {sr.name}")
    return ALGEBRAS[sr.name]


# ==== a time guard for sympy =================================================================
class _Timeout(Exception):
    pass


def _can_guard() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _Timeout in this (main) thread after `seconds` of CPU time; an outer timer is
    kept."""
    def handler(signum: int, frame: Any) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0.02)   # again, if this one is swallowed
        raise _Timeout()
    outer_left = signal.getitimer(signal.ITIMER_PROF)[0]
    start = _now()
    old = signal.signal(signal.SIGPROF, handler)
    old_hook = sys.unraisablehook
    sys.unraisablehook = _drop_timeouts(old_hook)
    signal.setitimer(signal.ITIMER_PROF, min(seconds, outer_left) if outer_left else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
        sys.unraisablehook = old_hook
        if outer_left:
            rest = outer_left - (_now() - start)
            signal.setitimer(signal.ITIMER_PROF, max(rest, 1e-3))


def _drop_timeouts(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An unraisable-exception hook that ignores _Timeout: the alarm can fire inside a
    destructor or a weakref callback, where an exception cannot propagate; the handler re-arms
    itself, so the timeout is raised again a moment later where it can (the hook does nothing
    else, so the alarm has nowhere to fire inside it that matters)."""
    def drop(u: Any) -> None:
        if not isinstance(u.exc_value, _Timeout):
            hook(u)
    return drop


def guarded(f: Callable[..., Any], *args: Any, heavy: bool = True, **kw: Any) -> Any:
    """f(*args) or None if it fails or passes GUARD_SECONDS.  Without a guard (not in the main
    thread) heavy calls are skipped."""
    if not _can_guard():
        return None if heavy else _quiet(f, *args, **kw)
    seconds = min(GUARD_SECONDS, _remaining())
    if seconds <= 0:
        return None
    try:
        with _time_limit(seconds):
            return f(*args, **kw)
    except (_Timeout, Exception, RecursionError):
        return None


def _quiet(f: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    try:
        return f(*args, **kw)
    except Exception:
        return None


# ==== numbers ================================================================================
def to_exact(v: Any) -> sp.Expr:
    """A Python or sympy number as an exact sympy number (floats by their exact binary value)."""
    if isinstance(v, sp.Basic):
        return rationalize(v)
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"expected a number, got {v!r}")
    if isinstance(v, (int, np.integer)):
        return sp.Integer(int(v))
    f = float(v)
    if np.isnan(f):
        raise ValueError("at_zero cannot be nan")
    if np.isinf(f):
        return sp.oo if f > 0 else -sp.oo
    return sp.Rational(f)


def rationalize(expr: sp.Basic) -> sp.Basic:
    floats = expr.atoms(sp.Float)
    return expr.xreplace({f: to_exact(float(f)) for f in floats}) if floats else expr


def _mpf(v: sp.Expr) -> Any:
    return MpOps.const(v)


def _fmt(v: Any) -> str:
    return mpmath.nstr(v, 6) if isinstance(v, (mpmath.mpf, mpmath.mpc)) else str(v)


def _same(u: sp.Expr, v: sp.Expr) -> bool | None:
    """u == v for exact sympy numbers (None if sympy cannot tell)."""
    if u.is_infinite or v.is_infinite:
        return bool(u == v)
    d = guarded(lambda: (u - v).is_zero, heavy=False)
    return d if d is not None else None


def _differs(u: Any, v: Any) -> bool:
    if not (mpmath.isfinite(u) and mpmath.isfinite(v)):
        return bool(u != v)
    try:
        return bool(abs(u - v) > REL_TOL * max(1, abs(u), abs(v)))
    except OverflowError:     # a float times an int beyond 1e308 (fuzz 1:69535): in mpmath
        mu, mv = mpmath.mpf(u), mpmath.mpf(v)
        return bool(abs(mu - mv) > REL_TOL * max(mpmath.mpf(1), abs(mu), abs(mv)))


def _in_carrier(v: Any, carrier: str) -> bool:
    if carrier == "logreal":
        return bool(v < mpmath.inf)
    if carrier == "tropical":
        return bool(v > -mpmath.inf)
    ok = mpmath.isfinite(v) and v >= -mpmath.mpf(10) ** (-DPS + 5)
    if carrier == "nat":   # integers that float64 (the numeric fn) holds exactly
        ok = ok and v < 2**53 and abs(v - mpmath.nint(v)) <= mpmath.mpf(10) ** (-DPS + 12)
    return bool(ok)


_CARRIER_TEXT = {"nonneg": "the non-negative reals", "nat": "the natural numbers",
                 "logreal": "the reals and -inf", "tropical": "the reals and +inf"}


# ==== a deadline for one whole derivation ====================================================
_STATE = threading.local()
DERIVATION_SECONDS = 3.0


def _remaining() -> float:
    deadline = getattr(_STATE, "deadline", None)
    return GUARD_SECONDS if deadline is None else deadline - _now()


def _now() -> float:
    """The clock of the guards and the derivation's deadline: this process's CPU time."""
    return time.process_time()


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    _STATE.deadline = _now() + seconds
    try:
        yield
    finally:
        _STATE.deadline = None


# ==== tau, symbolically and numerically ======================================================
class Tau:
    """tau: S -> S' on the whole carrier: the expression inside, `z` at 0_S."""

    def __init__(self, expr: sp.Expr, x: sp.Symbol, src: Algebra, dst: Algebra,
                 z: sp.Expr) -> None:
        self.expr, self.x, self.src, self.dst, self.z = expr, x, src, dst, z
        self._memo: dict[Any, Any] = {}
        self.zero_num = _mpf(src.zero)

    def at(self, t: sp.Expr) -> sp.Expr:
        """tau at an interior symbol or number (never at 0_S)."""
        return self.expr.xreplace({self.x: t})

    def num(self, v: Any) -> Any:
        """tau at an mpmath number of the carrier (0_S included); raises Undefined."""
        if v == self.zero_num:
            return _mpf(self.z)
        if v not in self._memo:
            try:
                self._memo[v] = evaluate(self.expr, self.x, v, MpOps)
            except Undefined:
                self._memo[v] = None
        if self._memo[v] is None:
            raise Undefined()
        return self._memo[v]

    def grid(self) -> list[Any]:
        return [self.zero_num] + [_mpf(p) for p in sample_points(self.src.carrier)]


def num_op(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "max":
        return max(a, b)
    if op == "min":
        return min(a, b)
    if a == -mpmath.inf or b == -mpmath.inf:
        return b if a == -mpmath.inf else a
    m = max(a, b)
    return m + mpmath.log(mpmath.exp(a - m) + mpmath.exp(b - m))


def sym_op(op: str, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    table: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
        "+": lambda u, v: u + v, "*": lambda u, v: u * v, "max": sp.Max, "min": sp.Min,
        "lse": lambda u, v: sp.log(sp.exp(u) + sp.exp(v))}
    return table[op](a, b)


_OP_TEXT = {"+": "+", "*": "*", "max": "max", "min": "min", "lse": "logsumexp"}


def counterexample(tau: Tau, src_op: str, dst_op: str) -> str | None:
    """A grid pair (a, b) with tau(a src_op b) != tau(a) dst_op tau(b), described; or None."""
    pts = tau.grid()
    for i, a in enumerate(pts):
        for b in pts[i:]:
            try:
                lhs = tau.num(num_op(src_op, a, b))
                rhs = num_op(dst_op, tau.num(a), tau.num(b))
            except (Undefined, OverflowError, MemoryError):  # exp(exp(x)) past mpmath's
                continue        # digits, or its memory: no refutation from this pair, no proof
            if _differs(lhs, rhs):
                return (f"a={_fmt(a)}, b={_fmt(b)}: tau(a {_OP_TEXT[src_op]} b) = {_fmt(lhs)} "
                        f"but tau(a) {_OP_TEXT[dst_op]} tau(b) = {_fmt(rhs)}")
    return None


# ==== proofs =================================================================================
_TACTICS: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    sp.expand,
    lambda e: sp.expand(sp.expand_log(e)),
    lambda e: sp.expand(sp.powsimp(sp.expand_power_base(e))),
    lambda e: sp.cancel(sp.together(e)),
    sp.simplify,
)


def prove_zero(d: sp.Expr) -> bool:
    """True when sympy shows d == 0 for all values of its (assumption-laden) symbols."""
    if d == 0 or guarded(lambda: d.is_zero, heavy=False) is True:
        return True
    for tactic in _TACTICS:
        r = guarded(tactic, d)
        if r is not None and (r == 0 or guarded(lambda: r.is_zero, heavy=False) is True):
            return True
    return False


def prove_nonneg(d: sp.Expr) -> bool:
    if guarded(lambda: d.is_nonnegative, heavy=False) is True:
        return True
    r = guarded(sp.simplify, d)
    return r is not None and guarded(lambda: r.is_nonnegative, heavy=False) is True


def _mono_symbol(carrier: str) -> sp.Symbol:
    return sp.Symbol("t", positive=True) if carrier in ("nonneg", "nat") else \
        sp.Symbol("t", real=True)


def prove_monotone(tau: Tau, direction: int) -> bool:
    """tau is non-decreasing (direction 1) or non-increasing (-1) on the carrier minus 0_S:
    continuity and the sign of the derivative, piece by piece for a Piecewise."""
    t = _mono_symbol(tau.src.carrier)
    f = tau.at(t)
    interval = _interior_set(tau.src.carrier)
    if isinstance(f, sp.Piecewise):
        return _piecewise_monotone(f, t, interval, direction)
    return _monotone_on(f, t, interval, direction)


def _monotone_on(f: sp.Expr, t: sp.Symbol, interval: sp.Set, direction: int) -> bool:
    if not f.has(t):
        return True
    cd = guarded(continuous_domain, f, t, interval)
    if cd is None or guarded(lambda: interval.is_subset(cd)) is not True:
        return False
    d = guarded(sp.diff, f, t)
    if d is not None and prove_nonneg_quick(direction * d):
        return True
    test = is_increasing if direction > 0 else is_decreasing
    return guarded(test, f, interval, t) is True


def _pieces(f: sp.Piecewise, t: sp.Symbol, interval: sp.Set) -> list[tuple[sp.Expr, Any]] | None:
    """The pieces of f with the interval where each one applies, left to right."""
    out, rest = [], interval
    for e, cond in f.args:
        region = guarded(lambda: cond.as_set().intersect(rest))
        rest = guarded(lambda: rest - region) if region is not None else None
        if region is None or rest is None or not isinstance(region, (sp.Interval,
                                                                     type(sp.S.EmptySet))):
            return None
        if region is not sp.S.EmptySet:
            out.append((e, region))
    return sorted(out, key=lambda p: p[1].start) if rest is sp.S.EmptySet else None


def _piecewise_monotone(f: sp.Piecewise, t: sp.Symbol, interval: sp.Set,
                        direction: int) -> bool:
    pieces = _pieces(f, t, interval)
    if pieces is None or not all(_monotone_on(e, t, r, direction) for e, r in pieces):
        return False
    for (e1, r1), (e2, r2) in zip(pieces, pieces[1:]):
        if r1.end != r2.start:
            return False
        left = _side_value(e1, t, r1.end, r1.right_open, "-")
        right = _side_value(e2, t, r2.start, r2.left_open, "+")
        if left is None or right is None or not prove_nonneg_quick(direction * (right - left)):
            return False
    return True


def _side_value(e: sp.Expr, t: sp.Symbol, at: sp.Expr, open_: bool, side: str) -> Any:
    value = guarded(sp.limit, e, t, at, side) if open_ else guarded(e.subs, t, at)
    return value if _is_value(value) else None


def prove_nonneg_quick(d: sp.Expr) -> bool:
    return guarded(lambda: d.is_nonnegative, heavy=False) is True


def limit_at_zero(f: sp.Expr, t: sp.Symbol, zero: sp.Expr) -> Any:
    if zero == 0:
        return sp.limit(f, t, 0, "+")
    return sp.limit(f, t, zero)


# ==== the four properties and the scale ======================================================
Verdict = tuple[bool | None, str | None]   # (holds, note)

_UNDECIDED = "undecided: sympy found no proof and the sample grid no counterexample"


def _decide(prop: str, refuted: str | None, proved: Callable[[], bool]) -> Verdict:
    if refuted is not None:
        return False, f"{prop}: fails at {refuted}"
    if proved():
        return True, None
    return None, f"{prop}: {_UNDECIDED}"


def zero_preserving(tau: Tau) -> Verdict:
    same = _same(tau.z, tau.dst.zero)
    if same is None:
        return None, f"zero_preserving: sympy cannot compare tau(0) = {tau.z} with 0'"
    return same, None if same else f"zero_preserving: tau(0) = {sp.sstr(tau.z)}, " \
                                   f"not {sp.sstr(tau.dst.zero)}"


def additive(tau: Tau) -> Verdict:
    refuted = counterexample(tau, tau.src.add, tau.dst.add)
    return _decide("additive", refuted, lambda: _zero_absorbed(tau) and _additive_inside(tau))


def _zero_absorbed(tau: Tau) -> bool:
    """tau(0) (+)' tau(b) = tau(b) for every interior b."""
    dst = tau.dst
    if tau.z == dst.zero:
        return True
    if not dst.idempotent:
        return False
    sign = 1 if dst.add == "max" else -1
    t = _mono_symbol(tau.src.carrier)
    if prove_nonneg(sign * (tau.at(t) - tau.z)):
        return True
    direction = 1 if tau.src.add == dst.add else -1
    if not (tau.src.idempotent and prove_monotone(tau, direction)):
        return False
    lim = guarded(limit_at_zero, tau.at(t), t, tau.src.zero)
    return lim is not None and (lim == tau.z or prove_nonneg_quick(sign * (lim - tau.z)))


def _additive_inside(tau: Tau) -> bool:
    src, dst = tau.src, tau.dst
    if src.idempotent and dst.idempotent:
        return prove_monotone(tau, 1 if src.add == dst.add else -1)
    a, b = (_interior_symbol(src.carrier, n) for n in ("a", "b"))
    lhs, ta, tb = tau.at(sym_op(src.add, a, b)), tau.at(a), tau.at(b)
    if dst.add == "lse":
        return prove_zero(sp.exp(lhs) - sp.exp(ta) - sp.exp(tb))
    return prove_zero(lhs - sym_op(dst.add, ta, tb))


def multiplicative(tau: Tau) -> Verdict:
    refuted = counterexample(tau, tau.src.mul, tau.dst.mul)
    return _decide("multiplicative", refuted,
                   lambda: _zero_annihilates(tau) and _multiplicative_inside(tau))


def _zero_annihilates(tau: Tau) -> bool:
    """tau(0 (x) b) = tau(0) (x)' tau(b): tau(0) = 0', or tau(0) = 1' and tau = 1' inside."""
    if tau.z == tau.dst.zero:
        return True
    t = _interior_symbol(tau.src.carrier, "t")
    return _same(tau.z, tau.dst.one) is True and prove_zero(tau.at(t) - tau.dst.one)


def _multiplicative_inside(tau: Tau) -> bool:
    a, b = (_interior_symbol(tau.src.carrier, n) for n in ("a", "b"))
    lhs = tau.at(sym_op(tau.src.mul, a, b))
    return prove_zero(lhs - sym_op(tau.dst.mul, tau.at(a), tau.at(b)))


def support_preserving(tau: Tau, zp: bool | None) -> Verdict:
    """tau(a) = 0' iff a = 0_S: tau(0) = 0' and no interior value maps to 0'."""
    if zp is False:
        return False, "support_preserving: tau(0) is not 0'"
    hit = _interior_zero(tau)
    if hit is not None:
        return False, f"support_preserving: tau({hit}) = 0'"
    if zp and _no_interior_zero(tau):
        return True, None
    return None, f"support_preserving: {_UNDECIDED}"


def _interior_zero(tau: Tau) -> sp.Expr | None:
    for p in sample_points(tau.src.carrier):
        v = guarded(tau.at, p, heavy=False)
        if v is not None and _same(v, tau.dst.zero) is True:
            return p
    return None


def _no_interior_zero(tau: Tau) -> bool:
    t = _interior_symbol(tau.src.carrier, "t")
    f = tau.at(t)
    if tau.dst.zero.is_infinite:
        return guarded(lambda: f.is_finite, heavy=False) is True
    if guarded(lambda: f.is_zero, heavy=False) is False:
        return True
    sol = guarded(sp.solveset, f, t, _interior_set(tau.src.carrier))
    return sol is sp.S.EmptySet


def scale(tau: Tau, src: Semiring) -> Any:
    """c with tau(x) = x (x) c on all of S = S' (then tau is S-linear), else None."""
    if tau.src is not tau.dst or tau.z != tau.src.zero:
        return None
    t = _interior_symbol(tau.src.carrier, "t")
    ratio = tau.at(t) / t if tau.src.mul == "*" else tau.at(t) - t
    c = _constant(ratio, t)
    if c is None or c.is_extended_real is not True or c.is_finite is not True:
        return None
    if tau.src.mul == "*" and c.is_nonnegative is not True:
        return None
    if src.dtype is object:
        return int(c) if c.is_integer else None
    return float(c)


def _constant(e: sp.Expr, t: sp.Symbol) -> sp.Expr | None:
    if not e.has(t):
        return e
    for tactic in (sp.cancel, lambda u: sp.expand(sp.expand_log(u)), sp.simplify):
        r = guarded(tactic, e)
        if r is not None and not r.has(t):
            return r
    return None


# ==== the value at 0_S and the range =========================================================
def value_at_zero(expr: sp.Expr, x: sp.Symbol, src: Algebra, at_zero: Any) -> tuple[sp.Expr,
                                                                                        str]:
    """tau(0_S) and how it was found."""
    if at_zero is not None:
        z = to_exact(at_zero)
        if not _is_value(z):
            raise ValueError(f"at_zero must be a real number (or +-oo), not {sp.sstr(z)}")
        return z, "given by at_zero"
    v = guarded(lambda: expr.subs(x, src.zero), heavy=False)
    if _is_value(v):
        return v, "by substitution"
    t = _mono_symbol(src.carrier)
    lim = guarded(limit_at_zero, expr.xreplace({x: t}), t, src.zero, heavy=False)
    if _is_value(lim):
        return lim, "as the limit from inside the carrier"
    raise ValueError(f"tau({sp.sstr(src.zero)}) is undefined and sympy found no limit; "
                     f"give at_zero")


def _is_value(v: Any) -> bool:
    return isinstance(v, sp.Expr) and not v.free_symbols and not v.has(sp.zoo, sp.nan) \
        and v.is_extended_real is True


def check_range(tau: Tau, name: str, dst: Semiring) -> list[str]:
    """Rejects (ValueError) a tau that leaves S' at 0_S or on the grid; notes what sympy could
    not show for the rest of the carrier."""
    where = _CARRIER_TEXT[tau.dst.carrier]
    for p in [tau.src.zero] + sample_points(tau.src.carrier):
        try:
            v = tau.num(_mpf(p))
        except Undefined:
            raise ValueError(f"mapping {name}: tau({sp.sstr(p)}) is undefined") from None
        if not _in_carrier(v, tau.dst.carrier):
            raise ValueError(f"mapping {name}: tau({sp.sstr(p)}) = {_fmt(v)} is outside "
                             f"{dst.name} ({where})")
    return _range_notes(tau, where)


def _range_notes(tau: Tau, where: str) -> list[str]:
    if tau.dst.carrier not in ("nonneg", "nat"):
        return []
    f = tau.at(_interior_symbol(tau.src.carrier, "t"))
    ok = guarded(lambda: f.is_nonnegative, heavy=False) is True
    if ok and tau.dst.carrier == "nat":
        ok = guarded(lambda: f.is_integer, heavy=False) is True
    return [] if ok else [f"range: sympy could not show that tau maps into {where}; "
                          f"fn checks its values"]


# ==== numeric evaluation =====================================================================
def numeric_fn(tau: Tau, name: str, src: Semiring, dst: Semiring) -> Callable[[np.ndarray],
                                                                              np.ndarray]:
    """fn(a): tau elementwise with numpy, tau(0_S) at 0_S; ValueError on values outside S'."""
    zero_f, z_f = float(tau.src.zero), float(tau.z)
    expr, x, carrier = tau.expr, tau.x, tau.dst.carrier

    def fn(a: np.ndarray) -> np.ndarray:
        vals = np.asarray(a).astype(np.float64)
        with np.errstate(all="ignore"):
            out = np.array(np.broadcast_to(evaluate(expr, x, vals, NumpyOps), vals.shape),
                           dtype=np.float64)
        out[vals == zero_f] = z_f
        return _to_dst(_checked(out, vals, carrier, name, dst), dst)
    return fn


def _checked(out: np.ndarray, vals: np.ndarray, carrier: str, name: str,
             dst: Semiring) -> np.ndarray:
    ok = _ok_values(out, carrier)
    if not ok.all():
        i = int(np.flatnonzero(~ok.ravel())[0])
        raise ValueError(f"mapping {name}: tau({vals.ravel()[i]!r}) = {out.ravel()[i]!r} is "
                         f"outside {dst.name} ({_CARRIER_TEXT[carrier]})")
    if carrier in ("nonneg", "nat"):
        out = np.maximum(out, 0.0)
    return np.rint(out) if carrier == "nat" else out


def _ok_values(out: np.ndarray, carrier: str) -> np.ndarray:
    """nan is undefined; +-inf can be float overflow and the registry accepts it, so only the
    lower bound of the non-negative carriers and integrality of counts are checked here (the
    exact carrier was checked on the grid by from_expr)."""
    if carrier in ("logreal", "tropical"):
        return ~np.isnan(out)
    ok = ~np.isnan(out) & (out >= -1e-12)
    if carrier == "nonneg":
        return ok
    near_int = np.abs(out - np.rint(out)) <= 1e-9 * np.maximum(1.0, np.abs(out))
    return ok & np.isfinite(out) & near_int


def _to_dst(out: np.ndarray, dst: Semiring) -> np.ndarray:
    if dst.dtype is not object:
        return out.astype(dst.dtype)
    res = np.empty(out.shape, dtype=object)
    res.ravel()[:] = [int(v) for v in out.ravel()]
    return res


# ==== the entry point ========================================================================
def canonical_text(expr: sp.Expr, symbol: sp.Symbol, z: sp.Expr | None) -> str:
    """The printable definition: the expression in x (and tau(0) when given explicitly)."""
    text = sp.sstr(expr.xreplace({symbol: sp.Symbol("x")}))
    return text if z is None else f"{text}; at_zero={sp.sstr(z)}"


def from_expr(name: str, expr: sp.Expr, symbol: sp.Symbol, src: Semiring, dst: Semiring,
              at_zero: Any = None) -> Mapping:
    """The mapping x -> expr from `src` to `dst`, with its properties derived by sympy.

    `at_zero` defines tau(0_src) explicitly (e.g. 0 for 1/x); otherwise it is the expression's
    value, or its limit, at 0_src.  Raises ValueError for unsupported semirings or expression
    nodes, other free symbols, or a tau whose values leave `dst`."""
    s_alg, d_alg = algebra(src), algebra(dst)
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        expr = to_exact(expr)
    if not isinstance(expr, sp.Expr):
        raise ValueError(f"mapping {name}: expected a sympy expression, got {type(expr).__name__}")
    if expr.free_symbols - {symbol}:
        others = ", ".join(sorted(str(s) for s in expr.free_symbols - {symbol}))
        raise ValueError(f"mapping {name}: the expression may only use {symbol}, not {others}")
    check_supported(expr, symbol)
    x = sp.Symbol("x")
    exact = rationalize(expr).xreplace({symbol: x})
    with mpmath.workdps(DPS), _deadline(DERIVATION_SECONDS):
        z, z_how = value_at_zero(exact, x, s_alg, at_zero)
        tau = Tau(exact, x, s_alg, d_alg, z)
        notes = [f"tau({sp.sstr(s_alg.zero)}) = {sp.sstr(z)}, {z_how}"]
        notes += check_range(tau, name, dst)
        props = derive(tau, src, notes)
    return Mapping(name, src, dst, props, numeric_fn(tau, name, src, dst),
                   expr=canonical_text(expr, symbol, z if at_zero is not None else None))


def derive(tau: Tau, src: Semiring, notes: list[str]) -> MapProps:
    zp, n_zp = zero_preserving(tau)
    add, n_add = additive(tau)
    mul, n_mul = multiplicative(tau)
    sup, n_sup = support_preserving(tau, zp)
    notes += [n for n in (n_zp, n_add, n_mul, n_sup) if n]
    return MapProps(additive=add, multiplicative=mul, zero_preserving=zp,
                    support_preserving=sup, scale=scale(tau, src), how="derived with sympy",
                    notes=tuple(notes))
