"""The formula tuples `compile_formula` reads, built with the constants folded: ("true",),
("false",), ("not", f), ("and", f, ...), ("or", f, ...) and the encoders' atoms.  Shared by
the PASP and ProbLog encoders (compiler/pasp/encode.py, compiler/problog/encode.py)."""
from __future__ import annotations

from typing import Any

Formula = tuple[Any, ...]
TRUE: Formula = ("true",)
FALSE: Formula = ("false",)


def neg(f: Formula) -> Formula:
    if f is TRUE:
        return FALSE
    if f is FALSE:
        return TRUE
    return f[1] if f[0] == "not" else ("not", f)


def conj(fs: list[Formula]) -> Formula:
    fs = [f for f in fs if f is not TRUE]
    if any(f is FALSE for f in fs):
        return FALSE
    return fs[0] if len(fs) == 1 else (("and", *fs) if fs else TRUE)


def disj(fs: list[Formula]) -> Formula:
    fs = [f for f in fs if f is not FALSE]
    if any(f is TRUE for f in fs):
        return TRUE
    return fs[0] if len(fs) == 1 else (("or", *fs) if fs else FALSE)
