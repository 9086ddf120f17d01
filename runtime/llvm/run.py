"""Running a linearised program with the compiled kernels, tile by tile.

Rows are processed in tiles of T rows, T chosen so a tile's value buffers stay near the cache
(`TILE_BYTES`), and at least `MIN_TILE` rows so the per-instruction dispatch is amortised.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings.base import Semiring
from atlasc.runtime.llvm.elems import spec
from atlasc.runtime.llvm.engine import engine
from atlasc.runtime.llvm.kernels import STAGE_ARGS
from atlasc.runtime.llvm.linear import Program, linearize
from atlasc.runtime.reference import Row

TILE_BYTES = 1 << 22
ARG = {name: i for i, name in enumerate(STAGE_ARGS)}
_N = ARG["n"]
MIN_TILE = 64


class Overflow(ArithmeticError):
    """A count left int64: the caller recomputes exactly."""


def ptr(a: np.ndarray) -> int:
    return a.ctypes.data


@dataclass
class Tile:
    """The buffers of one tile of rows (fixed addresses, reused)."""
    bufs: list[np.ndarray]
    choice: np.ndarray
    tmp: np.ndarray
    T: int
    E: np.ndarray          # the tile's evidence codes (2V+1, T): fixed address
    root: np.ndarray       # the root's slot in its buffer (ncomp, T)


class Compiled:
    """A program bound to its kernels; `run(E)` evaluates a batch of evidence codes."""

    def __init__(self, prog: Program, tile_bytes: int = 0, min_tile: int = 0) -> None:
        self.prog = prog
        self.tile_bytes = tile_bytes or TILE_BYTES
        self.min_tile = min_tile or MIN_TILE
        self.specs = [spec(sr) for sr in prog.semirings]
        eng = engine()
        self.kernels = [eng.stage(sp) for sp in self.specs]
        # argmax reads the recorded choices and the maximised MARGIN leaves (a max absorbed
        # into leaves leaves no choice at all, yet the leaves still name the maximiser)
        self.backtrack: Any = None      # compiled on the first argmax run
        p = prog
        self.vsize = np.asarray([v.size for v in p.vars] or [0], np.int32)
        self.argv = [self._argv(st) for st in p.stages]
        self.argp = [a.ctypes.data for a in self.argv]
        self.row_bytes = sum(n * sp.ncomp * sp.itemsize for n, sp in
                             zip(p.nslots, self.specs)) + 4 * p.n_arg + 8
        self._tiles: dict[int, Tile] = {}
        self.lock = threading.Lock()      # one run at a time: the tile buffers are shared
        self.maxed: list[Any] | None = None   # the maximised variables (argmax runs)

    def _argv(self, st: Any) -> np.ndarray:
        """A stage's kernel arguments; the tile and evidence fields are set per call."""
        p, s = self.prog, int(self.prog.sr_id[st.start])
        a = np.zeros(len(STAGE_ARGS), np.int64)
        fixed = {"start": st.start, "end": st.end, "op": ptr(p.op), "slot": ptr(p.slot),
                 "cptr": ptr(p.cptr), "cslot": ptr(p.cslot), "lrow": ptr(p.lrow),
                 "wbase": ptr(p.wbase), "arank": ptr(p.arank), "W": ptr(p.weights[s])}
        for k, v in fixed.items():
            a[ARG[k]] = v
        return a

    def tile(self, B: int) -> Tile:
        T = max(self.min_tile, self.tile_bytes // max(self.row_bytes, 1))
        T = min(T, B)
        if T not in self._tiles:
            bufs = [np.empty((max(n, 1), sp.ncomp, T), sp.np_dtype)
                    for n, sp in zip(self.prog.nslots, self.specs)]
            p = self.prog
            t = Tile(bufs, np.empty((max(p.n_arg, 1), T), np.int32), np.empty(T, np.float64),
                     T, np.empty((2 * len(p.vars) + 1, T), np.int32),
                     bufs[p.sr_id[p.root]][p.slot[p.root]])
            for st, a in zip(p.stages, self.argv):
                a[ARG["vals"]] = ptr(bufs[p.sr_id[st.start]])
                a[ARG["stride"]] = a[ARG["ld"]] = T
                a[ARG["choice"]] = ptr(t.choice)
                a[ARG["tmp"]] = ptr(t.tmp)
                a[ARG["E"]] = ptr(t.E)
            self._tiles = {T: t}
        return self._tiles[T]

    def run(self, E: np.ndarray, argmax: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """E: int32 (2V+1, B) evidence codes.  Returns the root's values in the buffer layout
        (ncomp, B) and, with argmax, the maximised values (V, B) (-1: not on the path)."""
        with self.lock:
            return self._run(E, argmax)

    def _run(self, E: np.ndarray, argmax: bool) -> tuple[np.ndarray, np.ndarray | None]:
        B = E.shape[1]
        t = self.tile(B)
        if B <= t.T:                       # the common case, kept short for single rows
            t.E[:, :B] = E
            self._stages(B, t)
            out = t.root[:, :B].copy()
            am = self._backtrack(B, t) if argmax else None
            return out, am
        p = self.prog
        root_sp = self.specs[p.sr_id[p.root]]
        out = np.empty((root_sp.ncomp, B), root_sp.np_dtype)
        am = np.empty((len(p.vars), B), np.int32) if argmax else None
        for r0 in range(0, B, t.T):
            n = min(t.T, B - r0)
            t.E[:, :n] = E[:, r0:r0 + n]
            self._stages(n, t)
            out[:, r0:r0 + n] = t.root[:, :n]
            if am is not None:
                am[:, r0:r0 + n] = self._backtrack(n, t)
        return out, am

    def _stages(self, n: int, t: Tile) -> None:
        """Every stage over the tile's first n rows (evidence already in t.E)."""
        p = self.prog
        for st, a, ap in zip(p.stages, self.argv, self.argp):
            if st.maps:
                self._maps(st.maps, n, t)
            s = p.sr_id[st.start]
            a[_N] = n
            if self.kernels[s](ap):
                raise Overflow(f"a count exceeded int64 in {p.semirings[s].name}")

    def _maps(self, maps: list[int], n: int, t: Tile) -> None:
        """tau applied elementwise to each MAP node's source value (grouped by mapping).

        Every source is read before any result is written: slots are allocated in instruction
        order, so a MAP may get the slot of a source that an earlier MAP of the stage read
        last, and the grouping does not keep instruction order (a group's later MAP would
        overwrite a source another group has not read yet)."""
        p = self.prog
        groups: dict[Any, list[int]] = {}
        for i in maps:
            groups.setdefault(p.mappings[i], []).append(i)
        out = []
        for tau, instrs in groups.items():
            src = [int(p.lrow[i]) for i in instrs]
            vals = t.bufs[p.sr_id[src[0]]][p.slot[src], :, :n]     # (m, ncomp, n), a copy
            out.append((instrs, from_semiring(tau.dst, tau(to_semiring(tau.src, vals)),
                                              len(instrs))))
        for instrs, mapped in out:
            t.bufs[p.sr_id[instrs[0]]][p.slot[instrs], :, :n] = mapped

    def _backtrack(self, n: int, t: Tile) -> np.ndarray:
        p = self.prog
        V = len(p.vars)
        out = np.full((max(V, 1), t.T), -1, np.int32)
        stack = np.empty(p.edges + 1, np.int32)
        stamp = np.zeros(p.n, np.int32)
        if self.backtrack is None:
            self.backtrack = engine().backtrack()
        self.backtrack(p.root, ptr(p.op), ptr(p.cptr), ptr(p.cinstr), ptr(p.arank),
                       ptr(t.choice), t.T, n, ptr(p.lrow), ptr(p.lvar), ptr(p.best),
                       ptr(self.vsize), ptr(t.E), t.T, ptr(out), ptr(stack), ptr(stamp), 1)
        return out[:V, :n]


def to_semiring(sr: Semiring, vals: np.ndarray) -> np.ndarray:
    """(m, ncomp, n) buffer values as the semiring's numpy values, shape (m, n, *elem)."""
    a = vals[:, 0, :] if not sr.elem_shape else np.moveaxis(vals, 1, -1)
    if sr.dtype is bool:
        return a.astype(bool)
    if sr.dtype is object:
        return a.astype(object)
    return np.array(a, dtype=sr.dtype)


def from_semiring(sr: Semiring, a: np.ndarray, m: int) -> np.ndarray:
    """The inverse of `to_semiring`, into the buffer's number type (checks count range)."""
    sp = spec(sr)
    if sr.dtype is object:
        flat = [int(x) for x in np.asarray(a).ravel()]
        if any(abs(x) > 2 ** 63 - 1 for x in flat):
            raise Overflow(f"a mapped count exceeds int64 in {sr.name}")
    arr = np.asarray(a).astype(sp.np_dtype)
    arr = arr.reshape((m, -1) + sr.elem_shape)
    return arr[:, None, :] if not sr.elem_shape else np.moveaxis(arr, -1, 1)


# ---- evidence ----------------------------------------------------------------------------------
Columns = dict[Var, np.ndarray]  # Var -> int array (B,) of value indices, -1 where unobserved


def evidence_codes(prog: Program, ev: Sequence[Row], asg: Sequence[Row], B: int
                   ) -> np.ndarray:
    """The (2V+1, B) code matrix of `atlasc.runtime.llvm.linear` from rows of value indices
    (a single row is broadcast)."""
    return array_codes(prog, rows_to_columns(prog, ev, B), rows_to_columns(prog, asg, B), B)


def rows_to_columns(prog: Program, rows: Sequence[Row], B: int) -> Columns:
    known = set(prog.vars)
    cols: Columns = {}
    for b, r in enumerate(rows):
        for v, x in r.items():
            if x is not None and v in known:
                if v not in cols:
                    cols[v] = np.full(len(rows), -1, np.int32)
                cols[v][b] = x
    return {v: np.broadcast_to(c, (B,)) for v, c in cols.items()}


def array_codes(prog: Program, ev: Columns, asg: Columns, B: int) -> np.ndarray:
    """The code matrix from columns: evidence conditions every leaf of its variable, an
    assignment only the input leaves; an assignment the evidence contradicts is code k+1."""
    V = len(prog.vars)
    vidx = {v: i for i, v in enumerate(prog.vars)}
    sizes = np.asarray([v.size for v in prog.vars], np.int32)
    E = np.empty((2 * V + 1, B), np.int32)
    E[:V] = sizes[:, None]
    E[V:2 * V] = sizes[:, None]
    E[2 * V] = 0
    for v, x in ev.items():
        if v in vidx:
            E[vidx[v]] = E[V + vidx[v]] = np.where(x < 0, v.size, x)
    for v, a in asg.items():
        if v in vidx:
            cur = E[V + vidx[v]]
            free = (cur == v.size) | (cur == a)
            E[V + vidx[v]] = np.where(a < 0, cur, np.where(free, a, v.size + 1))
    return E


# ---- circuits ---------------------------------------------------------------------------------
_COMPILED: "weakref.WeakKeyDictionary[Circuit, dict[str, Compiled]]" = \
    weakref.WeakKeyDictionary()
KEEP_TILE_BYTES = 1 << 24      # every value and derivative is kept: tiles near the L3 cache


def compiled(c: Circuit | Node, argmax: bool, keep: bool = False) -> Compiled:
    """The program of a circuit, made once per circuit and mode (values: slot reuse; argmax:
    with recorded choices; keep: every value kept, for the backward pass)."""
    def make(root: Node) -> Compiled:
        if keep:
            return Compiled(linearize(root, False, keep=True), KEEP_TILE_BYTES, 1)
        return Compiled(linearize(root, argmax))
    if isinstance(c, Node):
        return make(c)
    per = _COMPILED.setdefault(c, {})
    mode = "keep" if keep else ("argmax" if argmax else "values")
    if mode not in per:
        per[mode] = make(c.root)
    return per[mode]


def programs(c: Circuit) -> dict[str, Program]:
    """The linear programs made for a circuit so far, by mode (for the program cache)."""
    return {mode: comp.prog for mode, comp in _COMPILED.get(c, {}).items()}


def adopt(c: Circuit, progs: dict[str, Program]) -> None:
    """Bind linear programs made in an earlier process (the program cache) to their circuit,
    so its first run does not linearise it again."""
    per = _COMPILED.setdefault(c, {})
    for mode, prog in progs.items():
        if mode not in per:
            per[mode] = Compiled(prog, KEEP_TILE_BYTES, 1) if mode == "keep" else \
                Compiled(prog)
