"""How each semiring's elements are computed in LLVM IR.

A `Spec` says what one element is in compiled code (`ncomp` components of one LLVM type) and
emits its (+), its (x) and, for a selecting (+), the comparison that argmax records.  Pair
semirings are componentwise over their components' specs; the dual-number semirings
(expectation, grad) have their own product.  Counts are int64 with overflow flags: the caller
falls back to exact arithmetic when a flag is raised, so a wrapped number is never returned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from llvmlite import ir

from atlasc.compiler.semirings.base import Semiring

F64, I64, I32, I8, I1 = ir.DoubleType(), ir.IntType(64), ir.IntType(32), ir.IntType(8), \
    ir.IntType(1)

Vals = list[ir.Value]
Emit = Callable[["Ctx", Vals, Vals], Vals]


class UnsupportedSemiring(TypeError):
    pass


@dataclass
class Ctx:
    """What an element operation may use: the builder, the module, and the overflow flag."""
    b: ir.IRBuilder
    mod: ir.Module
    flag: ir.Value | None = None     # an i32 alloca, or-ed with overflow bits

    def intrinsic(self, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
        g = self.mod.globals.get(name)
        if g is None:
            g = ir.Function(self.mod, ir.FunctionType(ret, args), name=name)
        return g

    def overflow(self, bit: ir.Value) -> None:
        assert self.flag is not None
        b = self.b
        b.store(b.or_(b.load(self.flag), b.zext(bit, I32)), self.flag)


@dataclass(frozen=True)
class Spec:
    """How a semiring's elements are laid out and generated in LLVM code."""
    key: str                  # identifies the generated code (cache key part)
    ty: ir.Type
    np_dtype: Any
    ncomp: int
    zero: tuple[Any, ...]
    one: tuple[Any, ...]
    add: Emit | None          # None: the n-ary logsumexp below
    mul: Emit
    better: Callable[[Ctx, ir.Value, ir.Value], ir.Value] | None = None   # new beats current
    logsumexp: bool = False   # n-ary (+) by max, then sum of exp

    @property
    def itemsize(self) -> int:
        return np.dtype(self.np_dtype).itemsize


def _f(op: str) -> Emit:
    return lambda cx, x, y: [getattr(cx.b, op)(x[0], y[0])]


def _fsel(cmp: str) -> Emit:
    def emit(cx: Ctx, x: Vals, y: Vals) -> Vals:
        return [cx.b.select(cx.b.fcmp_ordered(cmp, x[0], y[0]), x[0], y[0])]
    return emit


def _checked(kind: str) -> Emit:
    def emit(cx: Ctx, x: Vals, y: Vals) -> Vals:
        fn = cx.intrinsic(f"llvm.{kind}.with.overflow.i64",
                          ir.LiteralStructType([I64, I1]), [I64, I64])
        r = cx.b.call(fn, [x[0], y[0]])
        cx.overflow(cx.b.extract_value(r, 1))
        return [cx.b.extract_value(r, 0)]
    return emit


def _i(op: str) -> Emit:
    return lambda cx, x, y: [getattr(cx.b, op)(x[0], y[0])]


def _gt(cx: Ctx, new: ir.Value, cur: ir.Value) -> ir.Value:
    return cx.b.fcmp_ordered(">", new, cur)


def _lt(cx: Ctx, new: ir.Value, cur: ir.Value) -> ir.Value:
    return cx.b.fcmp_ordered("<", new, cur)


def _bgt(cx: Ctx, new: ir.Value, cur: ir.Value) -> ir.Value:
    return cx.b.icmp_unsigned(">", new, cur)


def _dual_mul(cx: Ctx, x: Vals, y: Vals) -> Vals:
    b = cx.b
    return [b.fmul(x[0], y[0]), b.fadd(b.fmul(x[0], y[1]), b.fmul(y[0], x[1]))]


INF = float("inf")
_SCALAR: dict[str, Spec] = {
    "prob": Spec("prob", F64, np.float64, 1, (0.0,), (1.0,), _f("fadd"), _f("fmul")),
    "log": Spec("log", F64, np.float64, 1, (-INF,), (0.0,), None, _f("fadd"), logsumexp=True),
    "maxprod": Spec("maxprod", F64, np.float64, 1, (0.0,), (1.0,), _fsel(">"), _f("fmul"), _gt),
    "maxlog": Spec("maxlog", F64, np.float64, 1, (-INF,), (0.0,), _fsel(">"), _f("fadd"), _gt),
    "minsum": Spec("minsum", F64, np.float64, 1, (INF,), (0.0,), _fsel("<"), _f("fadd"), _lt),
    "bool": Spec("bool", I8, np.int8, 1, (0,), (1,), _i("or_"), _i("and_"), _bgt),
    "count": Spec("count", I64, np.int64, 1, (0,), (1,), _checked("sadd"), _checked("smul")),
}
_DUAL = {"expectation", "grad"}


def _componentwise(parts: list[Spec], which: str) -> Emit:
    def emit(cx: Ctx, x: Vals, y: Vals) -> Vals:
        out: Vals = []
        for i, p in enumerate(parts):
            out += getattr(p, which)(cx, [x[i]], [y[i]])
        return out
    return emit


def spec(sr: Semiring) -> Spec:
    if sr.name in _SCALAR:
        return _SCALAR[sr.name]
    if sr.name in _DUAL:
        return Spec(sr.name, F64, np.float64, 2, (0.0, 0.0), (1.0, 0.0),
                    _componentwise([_SCALAR["prob"]] * 2, "add"), _dual_mul)
    if len(sr.components) == 2:
        parts = [spec(c) for c in sr.components]
        if any(p.ncomp != 1 or p.logsumexp for p in parts) or parts[0].ty != parts[1].ty:
            raise UnsupportedSemiring(f"no compiled code for the pair semiring {sr.name}")
        return Spec(f"pair({parts[0].key},{parts[1].key})", parts[0].ty, parts[0].np_dtype, 2,
                    parts[0].zero + parts[1].zero, parts[0].one + parts[1].one,
                    _componentwise(parts, "add"), _componentwise(parts, "mul"))
    raise UnsupportedSemiring(f"no compiled code for the semiring {sr.name}")
