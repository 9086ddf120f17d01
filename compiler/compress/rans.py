"""rANS (range asymmetric numeral systems) over integer frequencies: a 64-bit state renormalised
by 32-bit words (Duda 2013; the layout of Giesen's rans64).  Symbols are given as (start, freq)
pairs of a table summing to 2**PREC; encoding runs backwards, so the decoder reads forwards.

The loops are plain Python on ints (one multiply, one divmod and a compare per symbol); the
tables are built with numpy outside them (compiler/compress/model.py).
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Sequence

import numpy as np

PREC = 24                   # frequencies sum to 2**PREC: a possible value has p >= 2**-24
LOW = 1 << 31               # the state lives in [LOW, LOW << 32)
MASK32 = (1 << 32) - 1


def encode(starts: Sequence[int], freqs: Sequence[int]) -> np.ndarray:
    """The words (uint32) that decode to the symbols, in order."""
    out: list[int] = []
    x = LOW
    bound = (LOW >> PREC) << 32
    for s, f in zip(reversed(starts), reversed(freqs)):
        if x >= bound * f:
            out.append(x & MASK32)
            x >>= 32
        q, r = divmod(x, f)
        x = (q << PREC) + r + s
    out += [x & MASK32, x >> 32]
    return np.array(out[::-1], dtype="<u4")


class Decoder:
    """Reads symbols from the words `encode` wrote, one table at a time."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words.tolist()
        if len(self.words) < 2:
            raise ValueError("truncated rANS stream")
        self.x = (self.words[0] << 32) | self.words[1]
        self.pos = 2

    def run(self, cums: list[list[int]]) -> list[int]:
        """One symbol per cumulative table (k + 1 ints from 0 to 2**PREC)."""
        out = []
        x, pos, words, mask = self.x, self.pos, self.words, (1 << PREC) - 1
        for cum in cums:
            slot = x & mask
            s = bisect_right(cum, slot) - 1
            x = (cum[s + 1] - cum[s]) * (x >> PREC) + slot - cum[s]
            if x < LOW:
                x = (x << 32) | words[pos]
                pos += 1
            out.append(s)
        self.x, self.pos = x, pos
        return out

    def finished(self) -> bool:
        return self.x == LOW and self.pos == len(self.words)


__all__ = ["Decoder", "PREC", "encode"]
