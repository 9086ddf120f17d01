"""The numpy evaluator of flat circuits (compiler/ir/flat.py): per step one gather per joined
table, an elementwise product and a segment sum (np.bincount), so an upward pass costs a few
array operations per elimination step, whatever the number of nodes.

`marginals` adds the downward pass: the derivative of the root with respect to every slot,
step by step in reverse, each product's derivative times the other children scattered back
into the blocks of the tables it read (again np.bincount); P(v = i, e) is the derivative with
respect to the indicator [v = i], which only the step eliminating v reads.  `mmap` replaces
the sum by a maximum on the steps of the constrained variables (eliminated last) and decodes
the maximising assignment top-down.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence, TypeVar

import numpy as np

from atlasc.compiler.ir.flat import BatchStep, DenseStep, FlatCircuit, FlatView, Step
from atlasc.compiler.ir.variables import Var

Row = Mapping[Var, int]                 # observed value index per variable
S = TypeVar("S", bound=Step | BatchStep)


def _ones(shape: tuple[int, ...], memo: dict[tuple[int, ...], np.ndarray]) -> np.ndarray:
    """A read-only array of ones, one per shape: the indicators of every unobserved variable
    (10^6 of them: one array each cost a second)."""
    got = memo.get(shape)
    if got is None:
        got = memo[shape] = np.ones(shape)
        got.setflags(write=False)
    return got


class Indicators(dict[Var, np.ndarray]):
    """Var -> indicator values; `set` holds the variables whose values are not all ones
    (observed or weighted): a batch of others reads a block of ones."""
    set: frozenset[Var] = frozenset()


def _defaults(fc: FlatCircuit, shape: tuple[int, ...], memo: dict[tuple[int, ...], np.ndarray]
              ) -> Indicators:
    """Every variable's all-ones indicators (shared read-only arrays): one dict.fromkeys
    when the variables have one domain size (a CNF's 10^6: no Python loop)."""
    sizes = fc.info.get("domain_sizes")
    if sizes is None:
        sizes = fc.info["domain_sizes"] = sorted({v.size for v in fc.variables})
    out = Indicators()
    if len(sizes) == 1:
        out.update(dict.fromkeys(fc.variables, _ones((sizes[0],) + shape, memo)))
    else:
        out.update((v, _ones((v.size,) + shape, memo)) for v in fc.variables)
    return out


def lambdas(fc: FlatCircuit, row: Row | None = None,
            weights: Mapping[Var, np.ndarray] | None = None) -> dict[Var, np.ndarray]:
    """The indicator values of every variable: one-hot where observed, times soft weights."""
    memo = dict[tuple[int, ...], np.ndarray]()
    out = _defaults(fc, (), memo)
    seen = {v for v, x in (row or {}).items() if x is not None and x >= 0 and v in out}
    special = seen | {v for v in (weights or {}) if v in out}
    for v in special:
        lam = np.ones(v.size)
        if v in seen:
            lam = np.zeros(v.size)
            lam[row[v]] = 1.0      # type: ignore[index]
        if weights is not None and v in weights:
            lam = lam * np.asarray(weights[v], dtype=np.float64)
        out[v] = lam
    out.set = frozenset(special)
    return out


SLICE = 1 << 20          # entries (products x rows) of one part of a large step


def parts(s: S, width: int = 1) -> list[S]:
    """s, or its products in slices of at most SLICE / width (views of its arrays): a step of
    10^7 products is evaluated part by part, so its temporaries stay small."""
    per = max(1, SLICE // max(width, 1))
    if s.products <= per:
        return [s]
    return [dataclasses.replace(s, gathers=tuple(g[a:a + per] for g in s.gathers),
                                value=s.value[a:a + per], seg=s.seg[a:a + per])
            for a in range(0, s.products, per)]


def _children(s: Step | BatchStep, vals: np.ndarray) -> list[np.ndarray]:
    return [vals[g] for g in s.gathers]


def _product(s: Step | BatchStep, lam: np.ndarray, vals: np.ndarray) -> np.ndarray:
    p = lam[s.value]
    for c in _children(s, vals):
        p = p * c
    return p


def _segment(s: Step | BatchStep, p: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """The sum (or maximum) of the products of each result cell; p is (products,) or
    (products, rows), seg non-decreasing."""
    if p.ndim == 1 and ufunc is np.add:
        return np.bincount(s.seg, p, minlength=s.size)
    out = np.zeros((s.size,) + p.shape[1:])
    if p.shape[0]:
        starts = np.flatnonzero(np.r_[True, s.seg[1:] != s.seg[:-1]])
        out[s.seg[starts]] = ufunc.reduceat(p, starts, axis=0)
    return out


def _scatter(idx: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """out[i] = sum of w[k] with idx[k] == i (idx in any order), for w (k,) or (k, rows)."""
    if w.ndim == 1:
        return np.bincount(idx, w, minlength=n)
    perm = np.argsort(idx, kind="stable")
    si = idx[perm]
    starts = np.flatnonzero(np.r_[True, si[1:] != si[:-1]]) if si.size else si
    out = np.zeros((n,) + w.shape[1:])
    if si.size:
        out[si[starts]] = np.add.reduceat(w[perm], starts, axis=0)
    return out


TINY = np.finfo(np.float64).tiny      # the smallest normal double


def upward(fc: FlatCircuit, lam: Mapping[Var, np.ndarray],
           maxed: frozenset[Var] = frozenset(), watch: list[str] | None = None) -> np.ndarray:
    """The value of every slot (sums, or maxima on the steps of `maxed`).  `watch` collects
    the variables whose step left the double range (a product of non-zero factors that is 0
    or subnormal, or an infinite sum): a 0 elsewhere is exact (parameters are non-zero)."""
    rows = next(iter(lam.values())).shape[1:] if lam else ()
    vals = np.zeros((fc.slots,) + rows)
    vals[:fc.leaf_slots] = fc.params.reshape((-1,) + (1,) * len(rows))
    width = int(np.prod(rows)) if rows else 1
    for s in fc.steps:
        if isinstance(s, DenseStep):
            vals[s.out:s.out + s.size] = dense_up(s, lam[s.var], vals, s.var in maxed, watch)
        elif isinstance(s, BatchStep):
            vals[s.out:s.out + s.size] = _batch_up(s, lam, vals, maxed, width, watch)
        else:
            fn = np.maximum if s.var in maxed else np.add
            vals[s.out:s.out + s.size] = _block(s, lam[s.var], vals, fn, width, watch,
                                                s.var.name)
    return vals


def _block(s: Step | BatchStep, lam: np.ndarray, vals: np.ndarray, fn: np.ufunc, width: int,
           watch: list[str] | None, name: str) -> np.ndarray:
    """The result block of a step: its products' sums (or maxima), part by part."""
    block = None
    for part in parts(s, width):
        p = _product(part, lam, vals)
        got = _segment(part, p, fn)
        if watch is not None and _left_range(part, lam, vals, p, got):
            watch.append(name)
        block = got if block is None else fn(block, got)   # values >= 0: 0 elsewhere
    assert block is not None or not s.products
    return block if block is not None else np.zeros((s.size,) + vals.shape[1:])


def batch_lam(s: BatchStep, lam: Mapping[Var, np.ndarray]) -> np.ndarray:
    """The indicators of a batch's variables, concatenated ((2 n,) or (2 n, rows)); ones
    when none of them is observed or weighted."""
    if isinstance(lam, Indicators) and lam.set.isdisjoint(s.vars):
        one = lam[s.vars[0]]
        return np.ones((2 * len(s.vars),) + one.shape[1:])
    return np.concatenate([lam[v] for v in s.vars])


def _batch_up(s: BatchStep, lam: Mapping[Var, np.ndarray], vals: np.ndarray,
              maxed: frozenset[Var], width: int, watch: list[str] | None) -> np.ndarray:
    """A batch's blocks: sums, maxima for its variables in `maxed` (each its own cells)."""
    lb = batch_lam(s, lam)
    name = f"{s.vars[0].name} and {len(s.vars) - 1} more"
    mx = np.array([v in maxed for v in s.vars]) if maxed else None
    if mx is None or not mx.any():
        return _block(s, lb, vals, np.add, width, watch, name)
    top = _block(s, lb, vals, np.maximum, width, watch, name)
    if mx.all():
        return top
    cell = np.repeat(mx, 1 << s.width).reshape((-1,) + (1,) * (vals.ndim - 1))
    return np.where(cell, top, _block(s, lb, vals, np.add, width, watch, name))


def _left_range(s: Step | BatchStep, lam: np.ndarray, vals: np.ndarray, p: np.ndarray,
                block: np.ndarray) -> bool:
    if block.size and not np.isfinite(block.max()):
        return True
    if not p.size or p.min() >= TINY:
        return False
    nonzero = lam[s.value] != 0
    for c in _children(s, vals):
        nonzero &= c != 0
    return bool((p[nonzero] < TINY).any())


def root_value(fc: FlatCircuit, vals: np.ndarray) -> Any:
    """The root: a float for one row, an array (rows,) for columns."""
    if vals.ndim == 1:
        return float(np.prod(vals[fc.roots])) if fc.roots.size else 1.0
    return np.prod(vals[fc.roots], axis=0) if fc.roots.size else np.ones(vals.shape[1])


def _root_left(fc: FlatCircuit, vals: np.ndarray, raw: np.ndarray) -> bool:
    """The root's product of non-zero slots left the double range (0, subnormal, inf)."""
    if not fc.roots.size:
        return False
    nonzero = (vals[fc.roots] != 0).all(axis=0)
    lost = (np.abs(raw) < TINY) | ~np.isfinite(raw)
    return bool((lost & nonzero).any())


def value(fc: FlatCircuit, row: Row | None = None) -> float:
    """The network polynomial at the evidence `row` (P(e) for a Bayesian network)."""
    return root_value(fc, upward(fc, lambdas(fc, row)))


def _others(cs: list[np.ndarray]) -> list[np.ndarray]:
    """For each j, the product of cs[k] over k != j (prefix times suffix: no division)."""
    n = len(cs)
    pre, suf = [np.ones_like(cs[0])] * (n + 1), [np.ones_like(cs[0])] * (n + 1)
    for j in range(n):
        pre[j + 1] = pre[j] * cs[j]
        suf[n - 1 - j] = suf[n - j] * cs[n - 1 - j]
    return [pre[j] * suf[j + 1] for j in range(n)]


def _product_of(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The elementwise product of `arrays` (None for none: the factor 1)."""
    out = None
    for x in arrays:
        out = x if out is None else out * x
    return out


def _down_step(fc: FlatCircuit, s: Step, lam: np.ndarray, vals: np.ndarray,
               d: np.ndarray) -> np.ndarray:
    """Scatter step s's derivatives into the blocks it read; return d/d[indicator of s.var].
    A product's derivative by one child is the product of the others; only children made by
    earlier steps need it (leaf tables have no derivative to pass on), so the leaves' product
    is formed once and each made child multiplies in the other made ones (no division)."""
    dp = d[s.out + s.seg]
    cs = _children(s, vals)
    made = [j for j, src in enumerate(s.sources) if src >= 0]
    leaves = _product_of([c for j, c in enumerate(cs) if s.sources[j] < 0])
    base = dp if leaves is None else dp * leaves          # dp times the leaf children
    for j in made:
        o = fc.steps[s.sources[j]]
        w = base * lam[s.value]
        for k in made:
            if k != j:
                w = w * cs[k]
        d[o.out:o.out + o.size] += _scatter(s.gathers[j] - o.out, w, o.size)
    full = _product_of([cs[k] for k in made])
    return _scatter(s.value, base if full is None else base * full, s.var.size)


def derivatives(fc: FlatCircuit, lam: Mapping[Var, np.ndarray], vals: np.ndarray
                ) -> dict[Var, np.ndarray]:
    """d root / d [v = i] for every variable v (the joint P(v = i, e) of a network)."""
    d = np.zeros(vals.shape)
    if fc.roots.size:
        rv = vals[fc.roots]
        for k, o in enumerate(_others([rv[i] for i in range(rv.shape[0])])):
            d[fc.roots[k]] += o
    out = {v: np.zeros((v.size,) + vals.shape[1:]) for v in fc.variables}
    width = int(np.prod(vals.shape[1:])) if vals.ndim > 1 else 1
    for s in reversed(fc.steps):
        if isinstance(s, DenseStep):
            out[s.var] += dense_down(fc, s, lam[s.var], vals, d)
        elif isinstance(s, BatchStep):
            _batch_down(fc, s, batch_lam(s, lam), vals, d, width, out)
        else:
            for part in parts(s, width):
                out[s.var] += _down_step(fc, part, lam[s.var], vals, d)
    return out


def _batch_down(fc: FlatCircuit, s: BatchStep, lb: np.ndarray, vals: np.ndarray,
                d: np.ndarray, width: int, out: dict[Var, np.ndarray]) -> None:
    """A batch's derivatives: into the made tables it read (a gather at or past the leaf
    slots), and d/d[indicator] of each of its variables (into `out`)."""
    ind = np.zeros((2 * len(s.vars),) + vals.shape[1:])
    for part in parts(s, width):
        dp = d[part.out + part.seg] * lb[part.value]
        cs = _children(part, vals)
        for j, g in enumerate(part.gathers):
            made = g >= fc.leaf_slots
            if made.any():
                w = _product_of([dp] + [c for k, c in enumerate(cs) if k != j])
                assert w is not None
                np.add.at(d, g[made], w[made])
        full = _product_of([d[part.out + part.seg]] + cs)
        assert full is not None
        ind += _scatter(part.value, full, ind.shape[0])
    for i, v in enumerate(s.vars):
        out[v] += ind[2 * i:2 * i + 2]


def marginals(fc: FlatCircuit, rows: Sequence[Row | None], vars: Sequence[Var],
              weights: Mapping[Var, np.ndarray] | None = None,
              watch: list[str] | None = None) -> dict[Var, np.ndarray]:
    """P(X = x, e) for every X in `vars` and every evidence row: arrays (rows, |dom X|);
    `watch` as for `upward`, plus the variables whose marginal has a subnormal entry."""
    return marginals_columns(fc, row_columns(fc, rows), len(rows), vars, weights, watch)


def marginals_columns(fc: FlatCircuit, cols: Mapping[Var, np.ndarray], B: int,
                      vars: Sequence[Var], weights: Mapping[Var, np.ndarray] | None = None,
                      watch: list[str] | None = None) -> dict[Var, np.ndarray]:
    """`marginals` with evidence as columns (Var -> int array (B,), -1 unobserved): the rows
    of a chunk go through each step's array operations together."""
    out = {v: np.zeros((B, v.size)) for v in vars}
    for a, b in chunks(fc, B):
        lam = lambda_columns(fc, cols, a, b, weights)
        ds = derivatives(fc, lam, upward(fc, lam, watch=watch))
        for v in vars:
            out[v][a:b] = ds[v].T if ds[v].ndim == 2 else ds[v]
    if watch is not None:
        watch += [v.name for v in vars if ((out[v] > 0) & (out[v] < TINY)).any()
                  or not np.isfinite(out[v]).all()]
    return out


CHUNK = 1 << 18          # entries (products x rows) of a step's arrays per chunk of rows


def chunks(fc: FlatCircuit, B: int) -> list[tuple[int, int]]:
    """Row ranges [a, b) of at most CHUNK / (largest step) rows; one row at a time runs the
    one-dimensional path (np.bincount)."""
    if B <= 1:
        return [(0, B)] if B else []
    per = max(1, CHUNK // max([s.products for s in fc.steps] + [1]))
    return [(a, min(a + per, B)) for a in range(0, B, per)]


def lambda_columns(fc: FlatCircuit, cols: Mapping[Var, np.ndarray], a: int, b: int,
                   weights: Mapping[Var, np.ndarray] | None = None) -> dict[Var, np.ndarray]:
    """The indicators of rows a..b-1 as (|dom v|, rows), or (|dom v|,) when b - a == 1."""
    n = b - a
    memo = dict[tuple[int, ...], np.ndarray]()
    out = _defaults(fc, () if n == 1 else (n,), memo)
    special = {v for v in cols if v in out} | {v for v in (weights or {}) if v in out}
    for v in special:
        lam = np.ones((v.size, n))
        x = cols.get(v)
        if x is not None:
            x = np.asarray(x[a:b])
            seen = np.flatnonzero(x >= 0)
            lam[:, seen] = 0.0
            lam[x[seen], seen] = 1.0
        if weights is not None and v in weights:
            lam = lam * np.asarray(weights[v], dtype=np.float64)[:, None]
        out[v] = lam[:, 0] if n == 1 else lam
    out.set = frozenset(special)
    return out


def row_columns(fc: FlatCircuit, rows: Sequence[Mapping[Var, int | None] | None]
                ) -> dict[Var, np.ndarray]:
    """Rows of observed values as columns (-1 unobserved)."""
    cols: dict[Var, np.ndarray] = {}
    for r, row in enumerate(rows):
        for v, x in (row or {}).items():
            if x is not None and x >= 0:
                cols.setdefault(v, np.full(len(rows), -1, np.int64))[r] = x
    return cols


def mmap(fc: FlatCircuit, row: Row | None, X: Sequence[Var]) -> tuple[float, dict[Var, int]]:
    """max over x of the polynomial with X = x summed over the rest, and a maximising x; X must
    be the constrained variables fc was compiled with (eliminated last)."""
    maxed = frozenset(X)
    if maxed != fc.info.get("constrained", frozenset()):
        raise ValueError("mmap needs the flat circuit compiled with these variables constrained")
    lam = lambdas(fc, row)
    vals = upward(fc, lam, maxed)
    return root_value(fc, vals), _decode_all(fc, lam, vals, maxed, {})


def _decode(s: Step | DenseStep, lam: np.ndarray, vals: np.ndarray, best: Mapping[Var, int]
            ) -> int:
    if isinstance(s, DenseStep):
        return dense_decode(s, lam, vals, best)
    cell = 0
    for u in s.keys:
        cell = cell * u.size + best[u]
    mine = np.flatnonzero(s.seg == cell)
    if not mine.size:
        return 0
    p = lam[s.value[mine]]
    for g in s.gathers:
        p = p * vals[g[mine]]
    return int(s.value[mine][int(np.argmax(p))])


# ---- wide values: every slot as a mantissa and a binary exponent (np.frexp's) -------------
MIN_EXP = np.iinfo(np.int64).min // 4


def _wnorm(m: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f, de = np.frexp(m)
    return f, np.where(f != 0, e + de, 0)


def _wreduce(seg: np.ndarray, size: int, pm: np.ndarray, pe: np.ndarray, maxed: bool
             ) -> tuple[np.ndarray, np.ndarray]:
    """Per result cell the sum (or maximum) of the products pm * 2^pe: each scaled to the
    cell's largest exponent, so nothing leaves the double range (a product far below the
    largest one is lost to rounding, as in any double sum)."""
    top = np.full((size,) + pm.shape[1:], MIN_EXP, dtype=np.int64)
    np.maximum.at(top, seg, np.where(pm != 0, pe, MIN_EXP))
    top = np.where(top == MIN_EXP, 0, top)
    scaled = np.ldexp(pm, pe - top[seg])
    if pm.ndim == 1 and not maxed:
        return _wnorm(np.bincount(seg, scaled, minlength=size).astype(np.float64), top)
    tot = np.zeros(top.shape)
    (np.maximum if maxed else np.add).at(tot, seg, scaled)
    return _wnorm(tot, top)


def _wcombine(a: tuple[np.ndarray, np.ndarray] | None, b: tuple[np.ndarray, np.ndarray],
              maxed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Two parts' blocks of one step, summed (or maximised) cell by cell."""
    if a is None:
        return b
    top = np.maximum(np.where(a[0] != 0, a[1], MIN_EXP), np.where(b[0] != 0, b[1], MIN_EXP))
    top = np.where(top == MIN_EXP, 0, top)
    x, y = np.ldexp(a[0], a[1] - top), np.ldexp(b[0], b[1] - top)
    return _wnorm(np.maximum(x, y) if maxed else x + y, top)


def _wblock(s: Step | BatchStep, lam: np.ndarray, mant: np.ndarray, expo: np.ndarray,
            maxed: bool, width: int) -> tuple[np.ndarray, np.ndarray]:
    block = None
    for part in parts(s, width):
        pm = lam[part.value]
        pe = np.zeros(pm.shape, dtype=np.int64)
        for g in part.gathers:
            pm = pm * mant[g]
            pe = pe + expo[g]
        pm, pe = _wnorm(pm, pe)
        block = _wcombine(block, _wreduce(part.seg, part.size, pm, pe, maxed), maxed)
    assert block is not None
    return block


def _wbatch(s: BatchStep, lam: Mapping[Var, np.ndarray], mant: np.ndarray, expo: np.ndarray,
            maxed: frozenset[Var], width: int) -> tuple[np.ndarray, np.ndarray]:
    lb = batch_lam(s, lam)
    mx = np.array([v in maxed for v in s.vars]) if maxed else None
    if mx is None or not mx.any():
        return _wblock(s, lb, mant, expo, False, width)
    top = _wblock(s, lb, mant, expo, True, width)
    if mx.all():
        return top
    low = _wblock(s, lb, mant, expo, False, width)
    cell = np.repeat(mx, 1 << s.width).reshape((-1,) + (1,) * (mant.ndim - 1))
    return np.where(cell, top[0], low[0]), np.where(cell, top[1], low[1])


def wide_upward(fc: FlatCircuit, lam: Mapping[Var, np.ndarray],
                maxed: frozenset[Var] = frozenset()) -> tuple[np.ndarray, np.ndarray] | None:
    """`upward` with every slot held as mantissa and binary exponent: the exact values of a
    pass whose doubles underflowed or overflowed (10^-300000 is (0.5.., -996578)); None for a
    circuit with dense steps (the nodes answer those in log space)."""
    if any(isinstance(s, DenseStep) for s in fc.steps):
        return None
    rows = next(iter(lam.values())).shape[1:] if lam else ()
    mant = np.zeros((fc.slots,) + rows)
    expo = np.zeros((fc.slots,) + rows, dtype=np.int64)
    m0, e0 = np.frexp(fc.params)
    mant[:fc.leaf_slots] = m0.reshape((-1,) + (1,) * len(rows))
    expo[:fc.leaf_slots] = e0.reshape((-1,) + (1,) * len(rows))
    width = int(np.prod(rows)) if rows else 1
    for s in fc.steps:
        if isinstance(s, BatchStep):
            m, e = _wbatch(s, lam, mant, expo, maxed, width)
        else:
            assert isinstance(s, Step)
            m, e = _wblock(s, lam[s.var], mant, expo, s.var in maxed, width)
        mant[s.out:s.out + s.size], expo[s.out:s.out + s.size] = m, e
    return mant, expo


LN2 = float(np.log(2))


def wide_root_log(fc: FlatCircuit, mant: np.ndarray, expo: np.ndarray) -> np.ndarray:
    """The natural log of the root per row (-inf for a true 0)."""
    if not fc.roots.size:
        return np.zeros(mant.shape[1:]) if mant.ndim > 1 else np.zeros(())
    m, e = mant[fc.roots], expo[fc.roots]
    with np.errstate(divide="ignore"):
        return np.log(m).sum(axis=0) + e.sum(axis=0) * LN2


def view_logs(c: FlatView, cols: Mapping[Var, np.ndarray], B: int) -> np.ndarray | None:
    """The log of the view at each row, by the wide pass (None: it has dense steps)."""
    fc = c.flat
    out = np.empty(B)
    for a, b in chunks(fc, B):
        got = wide_upward(fc, lambda_columns(fc, cols, a, b), c.maxed)
        if got is None:
            return None
        out[a:b] = wide_root_log(fc, *got)
    return out


# ---- dense steps (compiler/ir/flat.py DenseStep): einsums over the joined tables' values -------
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _operands(s: DenseStep, lam: np.ndarray, vals: np.ndarray) -> list[np.ndarray]:
    """var's indicators, then each joined table's values in its own shape (rows last)."""
    shape, rows = s.shape, vals.shape[1:]
    tabs = [vals[t].reshape(tuple(shape[a] for a in ax) + rows) for t, ax in zip(s.tables, s.axes)]
    return [lam, *tabs]


def _subscripts(s: DenseStep, rows: bool) -> list[str]:
    """einsum subscripts of the operands, as _operands orders them (a last letter for rows)."""
    b = LETTERS[len(s.shape)] if rows else ""
    return [LETTERS[len(s.keys)] + b, *("".join(LETTERS[a] for a in ax) + b for ax in s.axes)]


def _einsum(subs: list[str], ops: list[np.ndarray], out: str) -> np.ndarray:
    return np.einsum(",".join(subs) + "->" + out, *ops)


def _keys_sub(s: DenseStep, rows: bool) -> str:
    return LETTERS[:len(s.keys)] + (LETTERS[len(s.shape)] if rows else "")


def _aligned(x: np.ndarray, sub: str, full: str) -> np.ndarray:
    """x (subscripts `sub`) transposed and expanded to broadcast over subscripts `full`."""
    order = sorted(range(len(sub)), key=lambda i: full.index(sub[i]))
    x = x.transpose(order)
    have = [sub[i] for i in order]
    return x.reshape([x.shape[have.index(c)] if c in have else 1 for c in full])


def _dense_product(s: DenseStep, ops: list[np.ndarray], rows: bool) -> np.ndarray:
    """Every product of the cluster (keys, var, rows): a cluster-sized array (maxima only)."""
    subs = _subscripts(s, rows)
    full = LETTERS[:len(s.shape)] + (LETTERS[len(s.shape)] if rows else "")
    p = None
    for x, sub in zip(ops, subs):
        y = _aligned(x, sub, full)
        p = y if p is None else p * y
    assert p is not None
    return p


def dense_up(s: DenseStep, lam: np.ndarray, vals: np.ndarray, maxed: bool,
             watch: list[str] | None) -> np.ndarray:
    """The result block of a dense step: (size,) + rows."""
    rows = vals.ndim > 1
    ops = _operands(s, lam, vals)
    if maxed:
        block = _dense_product(s, ops, rows).max(axis=len(s.keys))
    else:
        block = _einsum(_subscripts(s, rows), ops, _keys_sub(s, rows))
    if watch is not None and _dense_left_range(s, ops, block, rows):
        watch.append(s.var.name)
    return block.reshape((s.size,) + vals.shape[1:])


def _dense_left_range(s: DenseStep, ops: list[np.ndarray], block: np.ndarray,
                      rows: bool) -> bool:
    """As _left_range: an infinite result, or a product of non-zero factors under the
    smallest normal double; the products are formed only when the factors' smallest non-zero
    values could make one."""
    if block.size and not np.isfinite(block).all():
        return True
    low = 1.0
    for x in ops:
        nz = x[x != 0]
        low *= float(nz.min()) if nz.size else 1.0
    if low >= TINY:
        return False
    nonzero = None
    p = _dense_product(s, ops, rows)
    for x, sub in zip(ops, _subscripts(s, rows)):
        full = LETTERS[:len(s.shape)] + (LETTERS[len(s.shape)] if rows else "")
        m = _aligned(x, sub, full) != 0
        nonzero = m if nonzero is None else nonzero & m
    assert nonzero is not None
    return bool((p[np.broadcast_to(nonzero, p.shape)] < TINY).any())


def dense_down(fc: FlatCircuit, s: DenseStep, lam: np.ndarray, vals: np.ndarray,
               d: np.ndarray) -> np.ndarray:
    """dense_up's derivatives: into the blocks of the made tables it read, and d/d[indicator]
    (returned); each an einsum of the result's derivative with the other operands."""
    rows = vals.ndim > 1
    ops = _operands(s, lam, vals)
    subs = _subscripts(s, rows)
    ks = _keys_sub(s, rows)
    dout = d[s.out:s.out + s.size].reshape(tuple(u.size for u in s.keys) + vals.shape[1:])
    for j, src in enumerate(s.sources):
        if src < 0:
            continue
        others = [x for i, x in enumerate(ops) if i != j + 1]
        osubs = [x for i, x in enumerate(subs) if i != j + 1]
        dt = _einsum([ks, *osubs], [dout, *others], subs[j + 1])
        d[s.tables[j]] += dt.reshape((-1,) + vals.shape[1:])
    return _einsum([ks, *subs[1:]], [dout, *ops[1:]], subs[0])


def dense_decode(s: DenseStep, lam: np.ndarray, vals: np.ndarray, best: Mapping[Var, int]
                 ) -> int:
    """The value of s.var that maximises its product at the keys' values in `best`."""
    at = [best[u] for u in s.keys]
    p = lam.astype(np.float64).copy()
    shape = s.shape
    for t, ax in zip(s.tables, s.axes):
        tab = vals[t].reshape(tuple(shape[a] for a in ax))
        idx = tuple(slice(None) if a == len(s.keys) else at[a] for a in ax)
        p = p * tab[idx]
    return int(np.argmax(p))


# ---- FlatView (compiler/ir/flat.py): the seam's entry points on a view of a flat circuit ------
def view_values(c: FlatView, cols: Mapping[Var, np.ndarray], B: int, argmax: bool = False,
                watch: list[str] | None = None
                ) -> tuple[np.ndarray, dict[Var, np.ndarray] | None]:
    """The view at each row of the columns (evidence and assignment merged): the flat
    circuit's upward pass with maxima on the steps of `c.maxed` (its summed variables are
    unobserved, so their indicators are 1); the maximising values of `c.maxed` per row if
    `argmax`."""
    fc = c.flat
    raw = np.empty(B)
    best = {v: np.zeros(B, np.int64) for v in c.maxed} if argmax else None
    for a, b in chunks(fc, B):
        lam = lambda_columns(fc, cols, a, b)
        vals = upward(fc, lam, c.maxed, watch)
        raw[a:b] = root_value(fc, vals)
        if watch is not None and _root_left(fc, vals, raw[a:b]):
            watch.append("the root")
        if best is not None:
            _decode_rows(c, cols, lam, vals, a, b, best)
    return raw, best


def _decode_rows(c: FlatView, cols: Mapping[Var, np.ndarray], lam: Mapping[Var, np.ndarray],
                 vals: np.ndarray, a: int, b: int, best: dict[Var, np.ndarray]) -> None:
    """The maximising values of rows a..b-1, one row at a time (top-down on c.maxed)."""
    for r in range(a, b):
        one = {v: x[:, r - a] if x.ndim == 2 else x for v, x in lam.items()}
        col = vals[:, r - a] if vals.ndim == 2 else vals
        known = {v: int(x[r]) for v, x in cols.items() if x[r] >= 0}
        for v, i in _decode_all(c.flat, one, col, c.maxed, known).items():
            best[v][r] = i


def _decode_all(fc: FlatCircuit, lam: Mapping[Var, np.ndarray], vals: np.ndarray,
                maxed: frozenset[Var], row: Row) -> dict[Var, int]:
    known = {v: x for v, x in row.items() if x is not None and x >= 0}
    for s in reversed(fc.steps):
        if isinstance(s, BatchStep):
            known.update(_decode_batch(fc, s, batch_lam(s, lam), vals, maxed, known))
        elif s.var in maxed and s.var not in known:
            known[s.var] = _decode(s, lam[s.var], vals, known)
    return {v: known[v] for v in maxed if v in known}


def _decode_batch(fc: FlatCircuit, s: BatchStep, lb: np.ndarray, vals: np.ndarray,
                  maxed: frozenset[Var], known: Mapping[Var, int]) -> dict[Var, int]:
    """The maximising values of a batch's variables in `maxed` (not known yet), each at its
    keys' values in `known` (decoded before: they are eliminated later); ties and a cell
    without products give the first value, as `_decode`."""
    todo = np.array([v in maxed and v not in known for v in s.vars])
    if not todo.any():
        return {}
    keys = np.array([[known[fc.variables[k]] if todo[i] else 0 for k in row]
                     for i, row in enumerate(s.keys.tolist())], dtype=np.int64)
    cell = (keys << (s.width - 1 - np.arange(s.width))).sum(axis=1) if s.width else \
        np.zeros(len(s.vars), np.int64)
    var = s.seg >> s.width
    mine = np.flatnonzero(todo[var] & ((s.seg & ((1 << s.width) - 1)) == cell[var]))
    p = lb[s.value[mine]]
    for g in s.gathers:
        p = p * vals[g[mine]]
    score = np.full((len(s.vars), 2), -np.inf)
    score[var[mine], s.value[mine] & 1] = p
    pick = np.argmax(score, axis=1)
    return {v: int(pick[i]) for i, v in enumerate(s.vars) if todo[i]}


__all__ = ["derivatives", "view_logs", "wide_upward", "lambda_columns", "lambdas", "marginals", "marginals_columns", "mmap",
           "row_columns", "upward", "value", "view_values"]
