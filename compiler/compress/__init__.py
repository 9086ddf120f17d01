"""Lossless compression of rows with a Bayesian network: rANS on the circuit's conditionals.

    import atlasc
    atlasc.compress("alarm.bif", "rows.csv", "rows.atz")     # -> a Compressed summary
    atlasc.decompress("alarm.bif", "rows.atz", "back.csv")   # the same rows, as CSV

Each row is coded variable by variable with p(x_i | x_<i) (compiler/compress/model.py: from
the CPTs in a topological order by default, or from the compiled circuit), so a
row costs -log2 P(row) bits plus the quantisation's loss; the rows are coded in blocks of
BLOCK rows, variable-major inside a block (all rows' X_1, then X_2, ...), so the decoder needs
one batched pass per variable per block.  The file (docs/compression.md):

    magic b"ATZ\\x00", version u16, 16-byte hash of the model and options, variables u32,
    rows u64, blocks u32; per block: rows u32, words u32, CRC32 of the decoded indices u32,
    then the rANS words (uint32, little-endian).
"""
from __future__ import annotations

import os
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.errors import QueryError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.compress import rans
from atlasc.compiler.compress.model import (ZeroProbability, cpt_frequencies, frequencies,
                                            model_hash)
from atlasc.compiler.learn import network
from atlasc.compiler.learn.data import read_rows
from atlasc.compiler.sources import compile_model
from atlasc.compiler.sources.model import BayesNet, topological

MAGIC = b"ATZ\x00"
VERSION = 1
BLOCK = 1 << 15
HEAD = struct.Struct("<4sH16sIQI")
BLOCK_HEAD = struct.Struct("<III")
Columns = dict[Var, np.ndarray]
CONDITIONALS = ("cpt", "circuit")


@dataclass(frozen=True)
class Compressed:
    """What `compress` wrote: sizes, the model's bound and the time taken."""
    rows: int
    bytes: int
    header_bytes: int
    nll_bits: float        # Σ_rows -log2 P(row): the limit for this model
    seconds: float

    @property
    def bits_per_row(self) -> float:
        return 8 * self.bytes / max(self.rows, 1)

    def summary(self) -> str:
        return (f"{self.rows} rows in {self.bytes} bytes: {self.bits_per_row:.4f} bits per "
                f"row; the model's bound {self.nll_bits / max(self.rows, 1):.4f} bits per row "
                f"({self.header_bytes} bytes of headers)")


@dataclass(frozen=True)
class Coder:
    bn: BayesNet
    circuit: Circuit | None         # the circuit route's compiled network
    order: tuple[Var, ...]
    hash: bytes

    def frequencies(self, cols: Columns, i: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.circuit is None:
            return cpt_frequencies(self.bn, self.order, cols, i, n)
        return frequencies(self.circuit, self.order, cols, i, n)


def coder(model: Any, model_name: str | None = None, conditionals: str = "cpt") -> Coder:
    if conditionals not in CONDITIONALS:
        raise QueryError(f"conditionals must be one of {', '.join(CONDITIONALS)}, not "
                         f"{conditionals!r}")
    bn = network(model, model_name)
    options = f"atz{VERSION} prec{rans.PREC} block{BLOCK}"
    if conditionals == "circuit":
        order = tuple(bn.variables)
        return Coder(bn, compile_model(bn), order, model_hash(bn, order, options))
    order = tuple(topological(bn))
    return Coder(bn, None, order, model_hash(bn, order, options + " conditionals=cpt"))


def compress(model: Any, data: Any, out: str | os.PathLike[str], *,
             model_name: str | None = None, fmt: str | None = None,
             conditionals: str = "cpt") -> Compressed:
    """Code the rows of `data` (complete rows: every variable of the network observed) into
    `out`, written atomically.  A value of probability 0 under the model is an error.
    `conditionals`: cpt (the CPT rows in a topological order) or circuit (one batched pass
    of the compiled network per variable)."""
    start = time.process_time()
    cd = coder(model, model_name, conditionals)
    cols, rows = read_rows(cd.order, data, fmt, _what(model, cd.bn))
    _check_complete(cd.order, cols, rows)
    parts, nll = [], 0.0
    for r0 in range(0, rows, BLOCK):
        block = {v: np.ascontiguousarray(cols[v][r0:r0 + BLOCK]) for v in cd.order}
        words, bits = _encode_block(cd, block, r0)
        n = min(BLOCK, rows - r0)
        parts.append(BLOCK_HEAD.pack(n, len(words), _crc(cd.order, block)) + words.tobytes())
        nll += bits
    head = HEAD.pack(MAGIC, VERSION, cd.hash, len(cd.order), rows, len(parts))
    payload = head + b"".join(parts)
    write_atomic_bytes(Path(out).resolve(), payload)
    return Compressed(rows, len(payload), HEAD.size + BLOCK_HEAD.size * len(parts), nll,
                      time.process_time() - start)


def _encode_block(cd: Coder, cols: Columns, r0: int) -> tuple[np.ndarray, float]:
    n = len(cols[cd.order[0]])
    starts, freqs = [], []
    bits = 0.0
    for i, v in enumerate(cd.order):
        f, p = cd.frequencies(cols, i, n)
        x = cols[v].astype(np.int64)
        fx = f[np.arange(n), x]
        _check_possible(fx, v, x, r0)
        starts.append((np.cumsum(f, axis=1) - f)[np.arange(n), x])
        freqs.append(fx)
        bits -= float(np.sum(np.log2(p[np.arange(n), x])))
    s, q = np.concatenate(starts).tolist(), np.concatenate(freqs).tolist()
    return rans.encode(s, q), bits


def _check_possible(fx: np.ndarray, v: Var, x: np.ndarray, r0: int) -> None:
    bad = np.flatnonzero(fx == 0)
    if len(bad):
        r = int(bad[0])
        raise QueryError(f"data row {r0 + r + 1}: {v.name} = {v.domain[x[r]]} has probability "
                         f"0 under the model given the row's earlier values ({len(bad)} such "
                         "rows in its block): it cannot be coded", None,
                         "compress rows the model can produce, or fit the model to the data "
                         "with a pseudo-count (atlasc fit --pseudo-count 1)")


def _check_complete(order: Sequence[Var], cols: Columns, rows: int) -> None:
    for v in order:
        if v not in cols:
            raise QueryError(f"the data has no column for {v.name}", None,
                             "compression codes complete rows: give every variable a column")
        miss = np.flatnonzero(cols[v] < 0)
        if len(miss):
            raise QueryError(f"data row {int(miss[0]) + 1}: {v.name} is missing", None,
                             "compression codes complete rows: every cell observed")


def _crc(order: Sequence[Var], cols: Columns) -> int:
    return zlib.crc32(b"".join(np.ascontiguousarray(cols[v], "<i4").tobytes() for v in order))


def decompress(model: Any, atz: str | os.PathLike[str], out: str | os.PathLike[str] | None
               = None, *, model_name: str | None = None) -> dict[str, list[str]]:
    """The rows of an .atz file as columns of value names (variable -> values, in the
    network's order); also written as CSV to `out` (atomically) when given.  The route of
    the conditionals is the one the file's hash names."""
    data = Path(atz).read_bytes()
    cd = _coder_of(model, model_name, data)
    cols = decode(cd, data, os.fspath(atz))
    named = {v.name: [v.domain[j] for j in cols[v].tolist()] for v in cd.bn.variables}
    if out is not None:
        write_atomic_bytes(Path(out).resolve(), csv_bytes(named))
    return named


def _coder_of(model: Any, model_name: str | None, data: bytes) -> Coder:
    """The coder whose hash the file's header carries (cpt first: it compiles nothing)."""
    cd = coder(model, model_name, "cpt")
    if len(data) >= HEAD.size and data[:4] == MAGIC and HEAD.unpack_from(data)[2] != cd.hash:
        other = coder(model, model_name, "circuit")
        return other if HEAD.unpack_from(data)[2] == other.hash else cd
    return cd


def decode(cd: Coder, data: bytes, where: str) -> Columns:
    """The value-index columns coded in `data`."""
    if len(data) < HEAD.size or data[:4] != MAGIC:
        raise QueryError(f"{where} is not an atlasc compressed file (no ATZ magic)")
    magic, version, h, nvars, rows, blocks = HEAD.unpack_from(data)
    if version != VERSION:
        raise QueryError(f"{where}: format version {version}; this atlasc reads version "
                         f"{VERSION}")
    if h != cd.hash or nvars != len(cd.order):
        raise QueryError(f"{where} was compressed with another model (or other options): "
                         "its hash does not match this model's", None,
                         "decompress with the model (the same file, unchanged) it was "
                         "compressed with")
    pos, parts = HEAD.size, []
    for b in range(blocks):
        block, pos = _decode_block(cd, data, pos, where, b * BLOCK)
        parts.append(block)
    if pos != len(data) or sum(len(p[cd.order[0]]) for p in parts) != rows:
        raise QueryError(f"{where} is corrupt: its blocks do not add up to its header")
    return {v: np.concatenate([p[v] for p in parts]) if parts else np.zeros(0, np.int32)
            for v in cd.order}


def _decode_block(cd: Coder, data: bytes, pos: int, where: str, r0: int
                  ) -> tuple[Columns, int]:
    if pos + BLOCK_HEAD.size > len(data):
        raise QueryError(f"{where} is truncated")
    n, nw, crc = BLOCK_HEAD.unpack_from(data, pos)
    pos += BLOCK_HEAD.size
    words = np.frombuffer(data, "<u4", nw, pos) if pos + 4 * nw <= len(data) else None
    if words is None:
        raise QueryError(f"{where} is truncated")
    cols = _run_decoder(cd, words, n, where)
    if _crc(cd.order, cols) != crc:
        raise QueryError(f"{where}: the rows of block at row {r0 + 1} decode differently from "
                         "how they were coded (CRC mismatch): the file is corrupt, or the "
                         "model's arithmetic differs on this machine")
    return cols, pos + 4 * nw


def _run_decoder(cd: Coder, words: np.ndarray, n: int, where: str) -> Columns:
    try:
        dec = rans.Decoder(words)
        cols: Columns = {}
        for i, v in enumerate(cd.order):
            f = cd.frequencies(cols, i, n)[0]
            cum = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(f, axis=1)], axis=1)
            cols[v] = np.array(dec.run(cum.tolist()), np.int32)
        ok = dec.finished()
    except (ValueError, IndexError, FloatingPointError):
        ok = False
    if not ok:
        raise QueryError(f"{where} is corrupt: its rANS stream does not decode")
    return cols


def csv_bytes(named: dict[str, list[str]]) -> bytes:
    import csv, io     # noqa: E401  (stdlib, only when writing)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(named))
    w.writerows(zip(*named.values()))
    return buf.getvalue().encode("utf-8")


def _what(model: Any, bn: BayesNet) -> str:
    return os.fspath(model) if isinstance(model, (str, os.PathLike)) else \
        f"the network {bn.name}".strip()


__all__ = ["BLOCK", "CONDITIONALS", "Compressed", "MAGIC", "VERSION", "ZeroProbability", "compress",
           "decompress"]
