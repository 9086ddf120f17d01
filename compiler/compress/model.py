"""The model side of the codec: p(x_i | x_<i) from the compiled circuit, quantised.

Two routes, chosen by `conditionals` (the file's hash names the route, so a file is decoded by
the route that coded it).  `cpt` (the default): the variables in a topological order, where
p(x_i | x_<i) = P(x_i | parents), the CPT row the row's parent values pick: one numpy gather
per variable for all rows, no circuit.  `circuit`: for variable i (in the network's order) one
batched pass of `evaluator().marginals_columns`
with x_<i observed and the rest unobserved gives P(X_i = v, x_<i) for every v and every row;
normalised per row, that is the conditional.  The pass runs over the block's distinct prefixes x_<i, not
its rows (rows that agree on X_1..X_{i-1} share their conditional: early variables have few
distinct prefixes; on insurance this halves the time).  Encoder and decoder call the same function on
the same columns (the decoder's being the values it has decoded so far) and the same rows per
block, so they compute the same floats and the same integer frequencies.

Quantisation to a total of 2**PREC: f = floor(p (2**PREC - k)) + [p > 0], the remainder going
to the most likely value, so a value of positive probability never gets frequency 0 and a
value of probability 0 gets 0 (coding it is an error, `ZeroProbability`).
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.compress.rans import PREC
from atlasc.compiler.sources.model import BayesNet

Columns = dict[Var, np.ndarray]


class ZeroProbability(Exception):
    """A value the model gives probability 0 (given the row's earlier values)."""

    def __init__(self, row: int, var: Var, value: int) -> None:
        super().__init__(row, var, value)
        self.row, self.var, self.value = row, var, value


def frequencies(c: Circuit, order: Sequence[Var], cols: Columns, i: int, rows: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Integer frequencies (rows, |dom X_i|) of X_i given x_<i, summing to 2**PREC per row,
    and the conditional probabilities they quantise."""
    if i == 0:
        joint = evaluator().marginals_columns(c, {}, 1, [order[0]])[order[0]]
        f, p = quantise(joint)
        return np.repeat(f, rows, axis=0), np.repeat(p, rows, axis=0)
    # one pass over the distinct prefixes x_<i, not the rows (the decoder has the same ones)
    uniq, back = np.unique(np.stack([cols[v] for v in order[:i]], axis=1), axis=0,
                           return_inverse=True)
    ev = {v: np.ascontiguousarray(uniq[:, j]) for j, v in enumerate(order[:i])}
    joint = evaluator().marginals_columns(c, ev, len(uniq), [order[i]])[order[i]]
    f, p = quantise(joint)
    back = back.reshape(-1)
    return f[back], p[back]


def cpt_frequencies(bn: BayesNet, order: Sequence[Var], cols: Columns, i: int, rows: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The same from the CPT of X_i, for `order` topological: x_<i holds X_i's parents and
    none of its descendants, so p(x_i | x_<i) = P(x_i | its parents), the CPT row its
    parents' values pick (one gather for all rows)."""
    c = bn.cpt(order[i].name)
    if not c.parents:
        return quantise(np.broadcast_to(c.table, (rows, c.child.size)))
    return quantise(c.table[tuple(cols[u] for u in c.parents)])


def quantise(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = joint.sum(axis=1, keepdims=True)
    if not (total > 0).all():
        raise FloatingPointError("a prefix of a row has probability 0 or below the double "
                                 "range")
    k = joint.shape[1]
    p = joint / total
    f = np.floor(p * ((1 << PREC) - k)).astype(np.int64) + (joint > 0)
    rest = (1 << PREC) - f.sum(axis=1)
    f[np.arange(len(f)), np.argmax(f, axis=1)] += rest
    return f, p


def model_hash(bn: BayesNet, order: Sequence[Var], options: str) -> bytes:
    """16 bytes naming the network (names, domains, CPTs bit for bit), the order and the
    coder's options: decompression with another model is refused."""
    h = hashlib.sha256(options.encode())
    for v in order:
        h.update(repr((v.name, v.domain)).encode())
    for c in bn.cpts:
        h.update(repr((c.child.name, tuple(p.name for p in c.parents))).encode())
        h.update(np.ascontiguousarray(c.table, dtype="<f8").tobytes())
    return h.digest()[:16]


__all__ = ["ZeroProbability", "cpt_frequencies", "frequencies", "model_hash", "quantise"]
