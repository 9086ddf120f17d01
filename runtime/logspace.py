"""No probability silently underflows: results recomputed in log space.

A float carrier loses a value whose magnitude leaves the double range: a product of 1,200
probabilities is 0.0 in prob although it is 10^-477.65.  `log` is a semiring isomorphism
prob -> log (log(a + b) = logaddexp(log a, log b), log(ab) = log a + log b; the same for
maxprod -> maxlog), so the circuit with every leaf and constant replaced by its log computes
the log of the exact value, whatever the circuit's structure.  `rescue` re-evaluates, in that
twin, the entries whose value came out 0, subnormal or infinite: a true 0 stays 0 (its log
is -inf: the support is empty), any other becomes the exact double when it has one, else a
`Wide` carrying the log (printed as 2.2e-478, never 0).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from atlasc.compiler.ir.builder import relabelled
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.wide import SMALLEST_NORMAL, Wide, needs_wide
from atlasc.runtime.reference import Row

TWINS = {"prob": R.LOG, "maxprod": R.MAXLOG}
_MEMO_KEY = "log_twin"


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def log_twin(c: Circuit) -> Circuit | None:
    """The log-space twin of a prob (maxprod) circuit, or None if some node is in another
    semiring or is a MAP node (no isomorphism then).  Memoised on the circuit."""
    if _MEMO_KEY in c.info:
        return c.info[_MEMO_KEY]
    c.info[_MEMO_KEY] = twin = _build_twin(c)
    return twin


def made_twin(c: Circuit) -> Circuit | None:
    """The twin `log_twin` made for c earlier (kept in c.info: the program cache stores it),
    None if none was made."""
    twin: Circuit | None = c.info.get(_MEMO_KEY)
    return twin


def _build_twin(c: Circuit) -> Circuit | None:
    src = c.root.sr
    dst = TWINS.get(src.name)
    if dst is None:
        return None
    order = topo(c.root)
    if any(n.sr != src or n.op is Op.MAP and _twin_map(n.arg, src) is None for n in order):
        return None
    b, new = relabelled(c.builder, order, _log, dst,      # log is injective on [0, inf]
                        lambda m: _twin_map(m, src))
    return Circuit(new[c.root.uid], b, name=f"{c.name}[log]")


def _twin_map(m: Any, src: Any) -> Mapping | None:
    """log o tau o exp for the mappings that have it in closed form: recip (1/a, 0 -> 0) is
    l -> -l (-inf -> -inf), pow(k) is l -> k l (normalize(...) and its guards: a
    normaliser of 10^-357 is not 0)."""
    if m.src != src or m.dst != src:
        return None
    if m.name == "recip":
        k = -1.0
    elif m.name == "pow" and len(m.params) == 1 and float(m.params[0]) > 0:
        k = float(m.params[0])
    else:
        return None
    dst = TWINS[src.name]

    def fn(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=float)
        return np.where(np.isneginf(a), -np.inf, k * a)
    return Mapping(f"{m.name}[log]", dst, dst, m.props, fn, m.params)


def suspects(values: Sequence[Any]) -> list[int]:
    """The entries whose float value may have left the double range."""
    return [k for k, v in enumerate(values) if isinstance(v, float) and needs_wide(v)]


def rescue(c: Circuit, values: list[Any], evidence: Sequence[Row],
           assignment: Sequence[Row], argmax: list[Row] | None, evaluate: Any) -> None:
    """Replace, in place, the values (and maximising assignments) that underflowed or
    overflowed by those of the log-space twin, evaluated with `evaluate`."""
    ks = suspects(values)
    twin = log_twin(c) if ks else None
    if twin is None:
        return
    res = evaluate(twin, evidence=[evidence[k] for k in ks],
                   assignment=[assignment[k] for k in ks], argmax=argmax is not None)
    for j, k in enumerate(ks):
        values[k] = from_log(float(res.values[j]))
        if argmax is not None and res.argmax and not math.isinf(res.values[j]):
            argmax[k] = res.argmax[j]


def from_log(log: float) -> float:
    """The value whose log is `log`: a plain double when it has one, else a Wide."""
    if log == -math.inf:
        return 0.0
    x = math.exp(log) if log < 709.78 else math.inf
    return x if SMALLEST_NORMAL <= x < math.inf else Wide.of_log(log)


def rescue_columns(c: Circuit, res: Any, ev: dict[Any, np.ndarray], asg: dict[Any, np.ndarray],
                   evaluate_columns: Any) -> None:
    """`rescue` for a batch of columns (an ArrayEval, changed in place): only the rows whose
    value came out 0, subnormal or infinite are evaluated again, in the log-space twin; a
    row with a normal double gets it, a true 0 stays 0, any other keeps its carrier in `raw`
    and its log in `res.log` (NaN in the other rows)."""
    raw = res.raw
    if raw.dtype.kind != "f" or raw.ndim != 1:
        return
    ks = np.flatnonzero((np.abs(raw) < SMALLEST_NORMAL) | np.isinf(raw))
    twin = log_twin(c) if len(ks) else None
    if twin is None:
        return
    sub = evaluate_columns(twin, {v: x[ks] for v, x in ev.items()},
                           {v: x[ks] for v, x in asg.items()}, len(ks), res.argmax is not None)
    logs = np.asarray(sub.raw, float)
    with np.errstate(over="ignore"):
        exact = np.exp(logs)
    plain = (np.abs(exact) >= SMALLEST_NORMAL) & np.isfinite(exact) | np.isneginf(logs)
    raw[ks[plain]] = np.where(np.isneginf(logs[plain]), 0.0, exact[plain])
    wide = ~plain
    if wide.any():
        res.log = np.full(len(raw), np.nan)
        res.log[ks[wide]] = logs[wide]
    if res.argmax is not None and sub.argmax is not None:
        found = ~np.isneginf(logs)
        for v, a in res.argmax.items():
            if v in sub.argmax:
                a[ks[found]] = sub.argmax[v][found]
