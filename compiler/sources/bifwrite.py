"""A `BayesNet` as BIF text (the format `compiler/sources/bif.py`, pgmpy and pyAgrum read).

    network NAME { }
    variable X { type discrete [ 2 ] { yes, no }; }
    probability ( X | A, B ) { (a1, b1) 0.1, 0.9; ... }
    probability ( Y ) { table 0.2, 0.8; }

A CPT that carries a Dirichlet posterior (`atlasc fit`) gets a first line
`property dirichlet_alpha = a, b | c, d;` (each row's parameters, docs/moments.md).
Probabilities are written with 17 significant digits, so reading the file back gives the same
doubles.  Names and values are written as they are: BIF has no quoting, so a name holding a
blank or one of `{}()[];,|` cannot be written and is refused.
"""
from __future__ import annotations

import itertools
import re

import numpy as np

from atlasc.compiler.errors import SourceError
from atlasc.compiler.sources.biffast import ALPHA
from atlasc.compiler.sources.model import CPT, BayesNet

_BAD = re.compile(r"[\s{}()\[\];,|]")


def bif_text(bn: BayesNet, name: str | None = None) -> str:
    """The BIF text of `bn` (variables in its order, one probability block per CPT; an unnamed
    network is called atlasc: pyAgrum refuses the name `network`)."""
    out = [f"network {_word(name or bn.name or 'atlasc')} {{\n}}\n"]
    for v in bn.variables:
        vals = ", ".join(_word(x) for x in v.domain)
        out.append(f"variable {_word(v.name)} {{\n  type discrete [ {v.size} ] {{ {vals} }};\n}}\n")
    out += [_probability(c) for c in bn.cpts]
    return "".join(out)


def _probability(c: CPT) -> str:
    head = _word(c.child.name)
    if not c.parents:
        return f"probability ( {head} ) {{\n{posterior_line(c)}  table {_numbers(c.table)};\n}}\n"
    given = ", ".join(_word(p.name) for p in c.parents)
    lines = [f"probability ( {head} | {given} ) {{\n", posterior_line(c)]
    for cfg in itertools.product(*(range(p.size) for p in c.parents)):
        vals = ", ".join(_word(p.domain[i]) for p, i in zip(c.parents, cfg))
        lines.append(f"  ({vals}) {_numbers(c.table[cfg])};\n")
    lines.append("}\n")
    return "".join(lines)


def posterior_line(c: CPT) -> str:
    """`property dirichlet_alpha = a, b | c, d;`: each row's Dirichlet parameters, rows in the
    order of the block (first, where pyAgrum reads a property; pgmpy skips it too)."""
    if c.alpha is None:
        return ""
    rows = c.alpha.reshape(-1, c.child.size)
    return f"  property {ALPHA} = {' | '.join(_numbers(r) for r in rows)};\n"


def _numbers(row: object) -> str:
    return ", ".join(format(float(x), ".17g") for x in np.asarray(row).ravel())


def _word(s: str) -> str:
    if not s or _BAD.search(s):
        raise SourceError(f"cannot write {s!r} in BIF: names and values must be non-empty "
                          "and hold no blank or any of {}()[];,|")
    return s


__all__ = ["bif_text", "posterior_line"]
