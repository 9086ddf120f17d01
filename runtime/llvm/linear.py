"""Linearisation: a circuit becomes a table-driven program for the compiled kernels.

The kernels (`runtime.llvm.kernels`) are compiled once per semiring and loop over instruction
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

from compiler.ir.nodes import Node, Op
from compiler.ir.traverse import topo
from compiler.ir.variables import Var
from compiler.semirings.base import Semiring

# opcodes shared with the kernels
LEAF, SUM, PROD, SUM_ARG, MAP = 0, 1, 2, 3, 4


@dataclass
class Stage:
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


def linearize(root: Node, argmax: bool = False) -> Program:
    nodes = topo(root)
    lv = levels(nodes)
    srs: list[Semiring] = []
    sid: dict[str, int] = {}
    for n in nodes:
        if n.sr.name not in sid:
            sid[n.sr.name] = len(srs)
            srs.append(n.sr)
    # stage order: by level, then semiring, then uid (MAP nodes first within their stage)
    order = sorted(nodes, key=lambda n: (lv[n.uid], sid[n.sr.name], n.op is not Op.MAP, n.uid))
    index = {n.uid: i for i, n in enumerate(order)}
    vars_ = sorted({n.arg.var for n in nodes if n.op in (Op.INPUT, Op.MARGIN)})
    vidx = {v: i for i, v in enumerate(vars_)}
    V = len(vars_)
    arg_sr = root.sr if argmax else None

    N = len(order)
    op = np.empty(N, np.int32)
    srid = np.empty(N, np.int32)
    lrow = np.full(N, -1, np.int32)
    wbase = np.zeros(N, np.int32)
    arank = np.full(N, -1, np.int32)
    lvar = np.full(N, -1, np.int32)
    best = np.zeros(N, np.int32)
    cptr = np.zeros(N + 1, np.int64)
    cinstr_l: list[int] = []
    wlists: list[list[Any]] = [[] for _ in srs]
    mappings: dict[int, Any] = {}
    n_arg = 0
    stages: list[Stage] = []
    for i, n in enumerate(order):
        s = sid[n.sr.name]
        srid[i] = s
        if not stages or (stages[-1].sr.name, stages[-1].level) != (n.sr.name, lv[n.uid]):
            stages.append(Stage(n.sr, lv[n.uid], i, i, []))
        stages[-1].end = i + 1
        o = n.op
        if o is Op.SUM:
            if arg_sr is not None and n.sr == arg_sr:
                op[i] = SUM_ARG
                arank[i] = n_arg
                n_arg += 1
            else:
                op[i] = SUM
        elif o is Op.PROD:
            op[i] = PROD
        elif o is Op.MAP:
            op[i] = MAP
            lrow[i] = index[n.children[0].uid]
            mappings[i] = n.arg
            stages[-1].maps.append(i)
        else:
            op[i] = LEAF
            wl = wlists[s]
            wbase[i] = len(wl)
            if o is Op.CONST:
                lrow[i] = 2 * V
                wl.append(n.arg)
            else:
                leaf = n.arg
                k = vidx[leaf.var]
                lrow[i] = k + (V if o is Op.INPUT else 0)
                wl.extend(leaf.weights)
                wl.append(_total(n.sr, leaf.weights))
                wl.append(n.sr.zero)
                if arg_sr is not None and o is Op.MARGIN and n.sr == arg_sr:
                    lvar[i] = k
                    best[i] = int(n.sr.select(n.sr.array(list(leaf.weights))))
        if o is not Op.MAP:
            cinstr_l.extend(index[c.uid] for c in n.children)
        cptr[i + 1] = len(cinstr_l)
    cinstr = np.asarray(cinstr_l, dtype=np.int32)
    weights, exact_only = [], False
    for s, sr in enumerate(srs):
        w, ok = _weight_table(sr, wlists[s])
        weights.append(w)
        exact_only |= not ok
    slot, nslots = allocate(order, index, srid, len(srs), index[root.uid])
    cslot = slot[cinstr] if len(cinstr) else np.zeros(0, np.int32)
    return Program(op, srid, slot, cptr, cslot.astype(np.int32), cinstr, lrow, wbase, arank,
                   lvar, best, srs, weights, nslots, stages, vars_, index[root.uid], n_arg,
                   exact_only, mappings)


def _total(sr: Semiring, weights: tuple[Any, ...]) -> Any:
    return sr.to_py(sr.add_reduce(sr.array(list(weights)), axis=0))


INT64_MAX = 2 ** 63 - 1


def _weight_table(sr: Semiring, entries: list[Any]) -> tuple[np.ndarray, bool]:
    """(entries, components) in the compiled number type; False when a count does not fit."""
    from runtime.llvm.elems import spec
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


def allocate(order: list[Node], index: dict[int, int], srid: np.ndarray, n_sr: int,
             root: int) -> tuple[np.ndarray, list[int]]:
    """Slots by a linear scan: a value's slot is freed after its last reader; a node never
    gets a slot one of its children still holds.  A MAP source is read by its MAP node."""
    N = len(order)
    last = np.arange(N, dtype=np.int64)
    for i, n in enumerate(order):
        for c in n.children:
            j = index[c.uid]
            if last[j] < i:
                last[j] = i
    last[root] = N
    # readers that end at i, grouped
    ends: list[list[int]] = [[] for _ in range(N + 1)]
    for j in range(N):
        ends[last[j]].append(j)
    slot = np.empty(N, np.int32)
    free: list[list[int]] = [[] for _ in range(n_sr)]
    count = [0] * n_sr
    for i in range(N):
        s = srid[i]
        fl = free[s]
        if fl:
            slot[i] = fl.pop()
        else:
            slot[i] = count[s]
            count[s] += 1
        for j in ends[i]:
            if j != i:
                free[srid[j]].append(int(slot[j]))
    return slot, count
