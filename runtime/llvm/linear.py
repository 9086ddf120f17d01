"""Linearisation: a circuit becomes a table-driven program for the compiled kernels.

The kernels (`atlasc.runtime.llvm.kernels`) are compiled once per semiring and loop over instruction
tables, so the cost of compiling a circuit is this pass, linear in its size, and no LLVM code
is generated per node (straight-line code per node compiles in O(n) *milliseconds* and breaks
down past ~10^4 nodes).

Every node is one instruction, in an order made of *stages*.  A stage is a run of instructions
of one semiring at one mapping level: level(MAP n) = level(child) + 1, every other node takes
the highest level of its children.  A stage's MAP nodes are applied (with numpy, elementwise)
before its kernel runs, so a circuit may sum in prob below and take max above.

Values live in one buffer per semiring, `[slot][component][row]`, rows innermost so the inner
loops vectorise.  Slots are reused once a value's last reader has run (a linear scan over the
instruction order), which keeps the working set of large circuits small.

Leaves read a run-time evidence matrix E of shape (rows R, batch): a leaf over X reads the row
of X's code in {0..k-1: that value, k: unobserved, k+1: contradicted by the assignment} and
gathers W[wbase + code] from its weight block (w_0..w_{k-1}, (+)_x w_x, 0).  R = 2V + 1: the
evidence rows read by MARGIN leaves, the evidence-and-assignment rows read by INPUT leaves, and
an all-zero row read by constants (their block is one entry).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from atlasc.compiler.gcpause import gc_paused
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var, sorted_vars
from atlasc.compiler.semirings.base import Semiring
from atlasc.runtime.llvm.elems import spec
from atlasc.runtime.llvm.engine import engine
from atlasc.runtime.llvm.opcodes import LEAF, MAP, PROD, SUM, SUM_ARG


@dataclass
class Stage:
    """A run of instructions in one semiring and level, for one kernel call."""
    sr: Semiring
    level: int
    start: int            # instruction range [start, end)
    end: int
    maps: list[int]       # instructions of this stage's MAP nodes (in [start, end))


@dataclass
class Program:
    """Instruction tables (numpy, int32) plus per-semiring weight tables and slot counts."""
    op: np.ndarray
    sr_id: np.ndarray      # index into `semirings`
    slot: np.ndarray       # output slot in its semiring's buffer
    cptr: np.ndarray       # children of instruction i: cptr[i] .. cptr[i+1]
    cslot: np.ndarray      # child slots
    cinstr: np.ndarray     # child instruction indices
    lrow: np.ndarray       # leaves: evidence row; MAP: source instruction
    wbase: np.ndarray      # leaves: weight block start
    arank: np.ndarray      # SUM_ARG: choice row; else -1
    lvar: np.ndarray       # MARGIN leaves of the argmax semiring: variable index; else -1
    best: np.ndarray       # those leaves: the value attaining (+)_x w_x with no evidence
    semirings: list[Semiring]
    weights: list[np.ndarray]     # per semiring: (entries, components) of its dtype
    nslots: list[int]
    stages: list[Stage]
    vars: list[Var]
    root: int
    n_arg: int
    exact_only: bool = False      # weights that do not fit the compiled number type
    mappings: dict[int, Any] = field(default_factory=dict)   # MAP instruction -> mapping

    @property
    def n(self) -> int:
        return len(self.op)

    @property
    def edges(self) -> int:
        return int(self.cptr[-1])


def levels(order: list[Node]) -> dict[int, int]:
    lv: dict[int, int] = {}
    for n in order:
        if n.op is Op.MAP:
            lv[n.uid] = lv[n.children[0].uid] + 1
        else:
            lv[n.uid] = max((lv[c.uid] for c in n.children), default=0)
    return lv


def linearize(root: Node, argmax: bool = False, keep: bool = False) -> Program:
    """keep: every node keeps its own slot (what a backward pass needs) instead of reuse."""
    with gc_paused():
        return _linearize(root, argmax, keep)


def _stage_order(nodes: list[Node]) -> tuple[list[Node], dict[int, int] | None]:
    """Nodes in stage order (level, semiring, MAP first, uid); None: one stage, uid order."""
    one_sr = all(n.sr is nodes[0].sr for n in nodes)
    if one_sr and not any(n.op is Op.MAP for n in nodes):
        return nodes, None
    lv = levels(nodes)
    sid: dict[str, int] = {}
    for n in nodes:
        sid.setdefault(n.sr.name, len(sid))
    return sorted(nodes, key=lambda n: (lv[n.uid], sid[n.sr.name], n.op is not Op.MAP,
                                        n.uid)), lv


_CODE = {Op.SUM: SUM, Op.PROD: PROD, Op.MAP: MAP, Op.INPUT: LEAF, Op.MARGIN: LEAF,
         Op.CONST: LEAF}


def _linearize(root: Node, argmax: bool, keep: bool) -> Program:
    order, lv = _stage_order(topo(root))
    N = len(order)
    srs: list[Semiring] = []
    sid: dict[str, int] = {}
    for n in order:
        if n.sr.name not in sid:
            sid[n.sr.name] = len(srs)
            srs.append(n.sr)
    uids = np.fromiter((n.uid for n in order), np.int64, N)
    pos = np.zeros(int(uids.max()) + 1, np.int32)
    pos[uids] = np.arange(N, dtype=np.int32)
    op = np.fromiter((_CODE[n.op] for n in order), np.int32, N)
    srid = np.fromiter((sid[n.sr.name] for n in order), np.int32, N) if len(srs) > 1 \
        else np.zeros(N, np.int32)
    nk = np.fromiter((len(n.children) for n in order), np.int64, N)
    kids = pos[np.fromiter((c.uid for n in order for c in n.children), np.int64, int(nk.sum()))]
    is_map = op == MAP
    eptr = np.zeros(N + 1, np.int64)
    np.cumsum(nk, out=eptr[1:])
    # the kernels' children: every edge but MAP -> source (the source goes in lrow)
    kernel_edge = np.repeat(~is_map, nk)
    cinstr = kids[kernel_edge].astype(np.int32)
    cptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.where(is_map, 0, nk), out=cptr[1:])
    lrow = np.full(N, -1, np.int32)
    lrow[is_map] = kids[eptr[:-1][is_map]]
    mappings = {int(i): order[i].arg for i in np.flatnonzero(is_map)}
    arank = np.full(N, -1, np.int32)
    if argmax:
        arg_sum = (op == SUM) & (srid == sid[root.sr.name])
        op[arg_sum] = SUM_ARG
        arank[arg_sum] = np.arange(int(arg_sum.sum()), dtype=np.int32)
    n_arg = int((op == SUM_ARG).sum())
    leaves = _Leaves(order, srs, sid, root.sr if argmax else None)
    for i in np.flatnonzero(op == LEAF):
        leaves.add(int(i))
    weights, exact_only = [], False
    for s, sr in enumerate(srs):
        w, ok = _weight_table(sr, leaves.tables[s])
        weights.append(w)
        exact_only |= not ok
    stages = _stages(order, srs, srid, lv, is_map)
    slot, nslots = own_slots(srid, len(srs)) if keep else \
        allocate(kids, eptr, srid, len(srs), int(pos[root.uid]))
    cslot = slot[cinstr] if len(cinstr) else np.zeros(0, np.int32)
    return Program(op, srid, slot, cptr, cslot.astype(np.int32), cinstr,
                   np.where(op == LEAF, leaves.lrow, lrow).astype(np.int32), leaves.wbase,
                   arank, leaves.lvar, leaves.best, srs, weights, nslots, stages, leaves.vars,
                   int(pos[root.uid]), n_arg, exact_only, mappings)


class _Leaves:
    """Weight blocks (shared by leaves with equal weights), evidence rows, argmax data."""

    def __init__(self, order: list[Node], srs: list[Semiring], sid: dict[str, int],
                 arg_sr: Semiring | None) -> None:
        self.order, self.sid, self.arg_sr = order, sid, arg_sr
        self.vars = list(sorted_vars({n.arg.var for n in order
                                      if n.op in (Op.INPUT, Op.MARGIN)}))
        self.vidx = {v: i for i, v in enumerate(self.vars)}
        N, self.V = len(order), len(self.vars)
        self.lrow = np.full(N, -1, np.int32)
        self.wbase = np.zeros(N, np.int32)
        self.lvar = np.full(N, -1, np.int32)
        self.best = np.zeros(N, np.int32)
        self.tables: list[list[Any]] = [[] for _ in srs]
        self.blocks: list[dict[Any, int]] = [{} for _ in srs]

    def block(self, s: int, key: Any, entries: Any) -> int:
        at = self.blocks[s].get(key)
        if at is None:
            at = self.blocks[s][key] = len(self.tables[s])
            self.tables[s].extend(entries())
        return at

    def add(self, i: int) -> None:
        n = self.order[i]
        s = self.sid[n.sr.name]
        if n.op is Op.CONST:
            self.lrow[i] = 2 * self.V
            self.wbase[i] = self.block(s, ("c", n.arg), lambda: [n.arg])
            return
        w = n.arg.weights
        k = self.vidx[n.arg.var]
        self.lrow[i] = k + (self.V if n.op is Op.INPUT else 0)
        self.wbase[i] = self.block(s, ("w", w),
                                   lambda: [*w, _total(n.sr, w), n.sr.zero])
        if self.arg_sr is not None and n.op is Op.MARGIN and n.sr == self.arg_sr:
            self.lvar[i] = k
            self.best[i] = int(n.sr.select(n.sr.array(list(w))))


def _stages(order: list[Node], srs: list[Semiring], srid: np.ndarray,
            lv: dict[int, int] | None, is_map: np.ndarray) -> list[Stage]:
    if lv is None:
        return [Stage(srs[0], 0, 0, len(order), [])]
    stages: list[Stage] = []
    for i, n in enumerate(order):
        key = (int(srid[i]), lv[n.uid])
        if not stages or (stages[-1].sr is not srs[key[0]] or stages[-1].level != key[1]):
            stages.append(Stage(srs[key[0]], key[1], i, i, []))
        stages[-1].end = i + 1
        if is_map[i]:
            stages[-1].maps.append(i)
    return stages


def _total(sr: Semiring, weights: tuple[Any, ...]) -> Any:
    return sr.to_py(sr.add_reduce(sr.array(list(weights)), axis=0))


INT64_MAX = 2 ** 63 - 1


def _weight_table(sr: Semiring, entries: list[Any]) -> tuple[np.ndarray, bool]:
    """(entries, components) in the compiled number type; False when a count does not fit."""
    sp = spec(sr)
    k = sp.ncomp
    out = np.zeros((max(len(entries), 1), k), dtype=sp.np_dtype)
    ok = True
    for i, e in enumerate(entries):
        comps = e if k > 1 else (e,)
        for j, x in enumerate(comps):
            if sp.np_dtype == np.int64 and abs(int(x)) > INT64_MAX:
                ok = False
                continue
            out[i, j] = x
    return out, ok


def own_slots(srid: np.ndarray, n_sr: int) -> tuple[np.ndarray, list[int]]:
    """Slot = the node's rank among its semiring's nodes: nothing is overwritten."""
    slot = np.empty(len(srid), np.int32)
    counts = []
    for s in range(n_sr):
        mine = srid == s
        counts.append(int(mine.sum()))
        slot[mine] = np.arange(counts[-1], dtype=np.int32)
    return slot, counts


def allocate(kids: np.ndarray, eptr: np.ndarray, srid: np.ndarray, n_sr: int, root: int
             ) -> tuple[np.ndarray, list[int]]:
    """Slots by a linear scan: a value's slot is freed after its last reader; a node never
    gets a slot one of its children still holds.  A MAP source is read by its MAP node.
    The scan itself is a compiled kernel (`kernels.allocate_module`)."""
    N = len(srid)
    parent = np.repeat(np.arange(N, dtype=np.int64), np.diff(eptr))
    last = np.arange(N, dtype=np.int64)
    if len(kids):
        np.maximum.at(last, kids, parent)
    last[root] = N
    ends = np.argsort(last, kind="stable").astype(np.int32)
    fptr = np.zeros(N + 2, np.int64)
    np.cumsum(np.bincount(last, minlength=N + 1), out=fptr[1:])
    slot = np.empty(N, np.int32)
    counts = np.zeros(n_sr, np.int32)
    stacks = np.empty(n_sr * max(N, 1), np.int32)      # held: the kernel gets addresses only
    tops = np.zeros(n_sr, np.int64)
    engine().allocate()(N, _p(srid), _p(fptr), _p(ends), _p(slot), _p(stacks), N, _p(tops),
                        _p(counts))
    return slot, [int(c) for c in counts]


def _p(a: np.ndarray) -> int:
    return a.ctypes.data
