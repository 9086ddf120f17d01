"""Values beyond the double range: a probability (or weight) that underflowed to 0 or
overflowed to inf in its float carrier, kept by its natural logarithm.

`Wide` is a float (so arithmetic downstream sees the carrier's 0.0 or inf, as before) that
also carries `log`, the exact value's natural log, and prints in scientific notation with
the true exponent: `Wide.of_log(-1099.84)` prints `2.2e-478`, never `0`.
"""
from __future__ import annotations

import decimal
import math

LOG10 = math.log(10.0)
SMALLEST_NORMAL = 2.2250738585072014e-308


class Wide(float):
    log: float

    @staticmethod
    def of_log(log: float) -> "Wide":
        carrier = math.exp(log) if log < 709.78 else math.inf
        w = Wide(carrier)
        w.log = log
        return w

    def scientific(self, digits: int = 4) -> str:
        """`m.mmme-EEE` from the log: exact in the exponent, `digits` significant digits."""
        e10 = self.log / LOG10
        exp = math.floor(e10)
        mant = 10.0 ** (e10 - exp)
        text = f"{mant:.{digits - 1}f}".rstrip("0").rstrip(".")
        if text.startswith("10"):
            text, exp = "1", exp + 1
        return f"{text}e{exp:+d}" if exp >= 0 else f"{text}e{exp}"

    def __repr__(self) -> str:
        return self.scientific()

    __str__ = __repr__


def needs_wide(x: float) -> bool:
    """A float result that may have lost its value: 0, subnormal or infinite."""
    return x == 0.0 or abs(x) < SMALLEST_NORMAL or math.isinf(x)


INT_DIGITS = 4000       # below Python's int-to-str limit (4300 digits)


def int_text(n: int) -> str:
    """The decimal digits of an exact count, however long (through decimal, which has no
    digit limit and converts in quasi-linear time)."""
    if n.bit_length() < INT_DIGITS * 3:
        return str(n)
    with decimal.localcontext() as ctx:
        ctx.prec = decimal.MAX_PREC
        return format(decimal.Decimal(n), "f")
