"""User mappings: `mapping name : S -> S' = x -> expr [, 0 -> value]`.

The body was parsed by our grammar; here it becomes a sympy expression built node by node
(Integer, Rational, Add, Mul, Pow, log, exp, sqrt, Abs, Min, Max), never by parsing text, and
`atlasc.compiler.mappings.symbolic.from_expr` derives the mapping's properties.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable

import sympy as sp

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.modelinfo import number, semiring
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.mappings.symbolic import from_expr

MAX_EXPONENT = 1000   # numeric powers are evaluated by sympy at once; keep them small

_FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int]] = {
    "log": (sp.log, 1, 1), "ln": (sp.log, 1, 1), "exp": (sp.exp, 1, 1),
    "sqrt": (sp.sqrt, 1, 1), "abs": (sp.Abs, 1, 1), "min": (sp.Min, 2, 99),
    "max": (sp.Max, 2, 99),
}


def build_mapping(decl: A.MappingDecl) -> Mapping:
    src, dst = semiring(decl.src), semiring(decl.dst)
    x = sp.Symbol(decl.param.text)
    expr = to_sympy(decl.body, decl.param.text, x)
    at_zero = None
    if decl.at_zero is not None and decl.zero_key is not None:
        if number(decl.zero_key) != 0:
            raise QueryTypeError("only the value at 0 can be given explicitly",
                                 decl.zero_key.span, "write `, 0 -> value`")
        at_zero = to_sympy(decl.at_zero, None, x)
    try:
        return from_expr(decl.name.text, expr, x, src, dst, at_zero=at_zero)
    except ValueError as e:
        raise QueryTypeError(f"mapping {decl.name.text} is not usable: {e}", decl.span
                             ) from None


def to_sympy(e: A.MExpr, param: str | None, x: sp.Symbol) -> sp.Expr:
    """The sympy form of a mapping body; `param` is the only name allowed (None: none)."""
    if isinstance(e, A.MNum):
        return _number(e.number)
    if isinstance(e, A.MName):
        if e.name.text != param:
            allowed = f"its argument is {param}" if param else "it must be a constant"
            raise QueryNameError(f"unknown name '{e.name.text}' in this mapping", e.span,
                                 allowed)
        return x
    if isinstance(e, A.MUnary):
        return -to_sympy(e.arg, param, x)
    if isinstance(e, A.MCall):
        return _call(e, param, x)
    return _binary(e, param, x)


def _number(n: A.Number) -> sp.Expr:
    v = number(n)
    if isinstance(v, float):
        return sp.oo if v > 0 else -sp.oo
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    return sp.Integer(v)


def _binary(e: A.MBinary, param: str | None, x: sp.Symbol) -> sp.Expr:
    a, b = to_sympy(e.left, param, x), to_sympy(e.right, param, x)
    if e.op == "+":
        return a + b
    if e.op == "-":
        return a - b
    if e.op == "*":
        return a * b
    if e.op == "/":
        return a / b
    if b.is_number and a.is_number and abs(b) > MAX_EXPONENT:
        raise QueryTypeError(f"the exponent is too large (at most {MAX_EXPONENT})",
                             e.right.span if hasattr(e.right, "span") else e.span)
    return sp.Pow(a, b)


def _call(e: A.MCall, param: str | None, x: sp.Symbol) -> sp.Expr:
    name = e.fn.text
    if name not in _FUNCTIONS:
        raise QueryNameError(f"unknown function '{name}'", e.fn.span,
                             f"expected one of {', '.join(sorted(_FUNCTIONS))}")
    fn, lo, hi = _FUNCTIONS[name]
    if not lo <= len(e.args) <= hi:
        want = str(lo) if lo == hi else f"at least {lo}"
        raise QueryTypeError(f"{name} takes {want} argument(s), not {len(e.args)}", e.span)
    return fn(*(to_sympy(a, param, x) for a in e.args))
