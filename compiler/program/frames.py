"""Results as Arrow tables: one output row per evidence row (the `--out` files and
`.to_arrow()` / `.to_pandas()` of batch results; docs/data.md).

Columns, for rows [start, start + B) of the evidence:

* `row`: the evidence row, counted from 1;
* a query `q` without free variables: `q`; with free variables F, one column per assignment,
  `q[A=a,B=b]` (the table's entries in `assignments` order);
* maximising queries: `q.argmax.X` (or `q[A=a].argmax.X`), the maximising value of X;
* `marginals(...)`: `q[X=x]` = P(X = x | e) and `q.joint[X=x]` = P(X = x, e);
* PASP maxent/credal calls: `q.inconsistent.LABEL`, the inconsistent mass of the row;
* `q.why`: the reason of the row's first undefined entry, null where every entry is defined;
  an entry beyond the double range (a probability below 2.2e-308 that is not 0) is null too,
  and `why` gives its value in scientific notation and its natural log.

An undefined entry (zero-probability evidence, positivity of an adjustment) is null, never a
number, in every format; value columns are float64 (int64 for exact counts, bool for the
Boolean semiring, decimal text for counts past int64).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from atlasc.compiler.program.arrays import numeric, strings
from atlasc.compiler.program.arrow import pa
from atlasc.compiler.program.display import MOMENT_FIELDS, MOMENTS
from atlasc.compiler.semirings.wide import Wide

OVERFLOW = "P(X = x, e) is beyond the double range (overflow in the prob carrier)"


def lost_text(log_pe: float) -> str:
    """Why marginals past the log-space rescue's budget are undefined (program/marginals.py)."""
    return (f"P(e) = {Wide.of_log(log_pe)} is below the double range and the log-space "
            "rescue of these marginals is past its budget: ask for P(X = x, e) in log space, "
            "map[log: prob -> log] (sum[...] (model | X = x, e))")


def row_column(start: int, B: int) -> pa.Array:
    return numeric(np.arange(start + 1, start + B + 1, dtype=np.int64))


def entry_names(name: str, free: Sequence[Any], assignments: np.ndarray) -> list[str]:
    if not free:
        return [name]
    return [f"{name}[" + ",".join(f"{v.name}={v.domain[int(i)]}" for v, i in zip(free, a)) + "]"
            for a in assignments]


def values_array(col: np.ndarray, mask: np.ndarray | None) -> pa.Array:
    """One column of values; entries under `mask` (or NaN) are null."""
    if col.dtype == object:
        col = _exact(col, mask)
        if not isinstance(col, np.ndarray):
            return col
    if col.ndim > 1:
        flat = values_array(col.reshape(-1), None if mask is None else
                            np.repeat(mask, int(np.prod(col.shape[1:]))))
        return pa.FixedSizeListArray.from_arrays(flat, int(np.prod(col.shape[1:])))
    if np.issubdtype(col.dtype, np.floating):
        nan = np.isnan(col)
        mask = nan if mask is None else (mask | nan)
    return numeric(col, mask)


def _exact(col: np.ndarray, mask: np.ndarray | None) -> np.ndarray | pa.Array:
    """Exact counts: int64 where they fit, else their decimal text."""
    if not all(isinstance(x, (int, np.integer)) for x in col):
        return col.astype(float)
    if all(-2 ** 63 <= int(x) < 2 ** 63 for x in col):
        return col.astype(np.int64)
    shown = [None if mask is not None and m else str(x) for x, m in
             zip(col, mask if mask is not None else np.zeros(len(col), bool))]
    return strings(shown)


def labels(domain: Sequence[str], codes: np.ndarray, mask: np.ndarray | None) -> pa.Array:
    """Value indices as a dictionary column of the domain's values (no copy of the labels)."""
    return pa.DictionaryArray.from_arrays(numeric(codes.astype(np.int32), mask),
                                          strings(list(domain)))


def why_column(B: int, rows: np.ndarray, reason: Any) -> pa.Array:
    """`reason(b)` for the rows listed, null elsewhere."""
    out: list[str | None] = [None] * B
    for b in rows.tolist():
        out[b] = reason(b)
    return strings(out)


def result_columns(r: Any) -> dict[str, pa.Array]:
    """The columns of an ArrayResult (compiler/program/batch.py)."""
    B = r.values.shape[0]
    names = entry_names(r.name, r.free, r.assignments)
    und = _null(r)
    out: dict[str, pa.Array] = {}
    for k, n in enumerate(names):
        mask = und[:, k] if und is not None else None
        out[n] = values_array(r.values[:, k], mask)
        if r.semiring == MOMENTS:
            out.update(moment_columns(n + ".", r.values[:, k], mask))
        for x, am in sorted((r.argmax or {}).items()):
            out[f"{n}.argmax.{x}"] = labels(r.domains[x], am[:, k], mask)
    for label, mass in sorted((r.inconsistent or {}).items()):
        out[f"{r.name}.inconsistent.{label}"] = numeric(np.asarray(mass, float))
    out[f"{r.name}.why"] = _why(r, B)
    return out


def _null(r: Any) -> np.ndarray | None:
    """(B, K) the entries written as null: undefined, or beyond the double range (their value
    is the why column's text, with its log)."""
    wide = getattr(r, "wide", None)
    if wide is None or r.undefined is None:
        return r.undefined if wide is None else wide
    return r.undefined | wide


def moment_columns(prefix: str, pairs: np.ndarray, mask: np.ndarray | None
                   ) -> dict[str, pa.Array]:
    """`expectation`, `variance` and `std` columns of moments values (B, 2)."""
    cols = (pairs[:, 0], pairs[:, 1], np.sqrt(pairs[:, 1]))
    return {prefix + f: values_array(np.ascontiguousarray(c), mask)
            for f, c in zip(MOMENT_FIELDS, cols)}


def _why(r: Any, B: int) -> pa.Array:
    null = _null(r)
    if null is None:
        return pa.nulls(B, pa.string())
    first = np.argmax(null, axis=1)
    return why_column(B, np.flatnonzero(null.any(axis=1)),
                      lambda b: r.why(b, int(first[b])) or r.beyond(b, int(first[b])))


def marginal_columns(r: Any) -> dict[str, pa.Array]:
    """The columns of an ArrayMarginals: conditional and joint per value of each variable."""
    cond = r.conditional
    out: dict[str, pa.Array] = {}
    B = 0
    for v in r.vars:
        joint = r.joint[v.name]
        B = joint.shape[0]
        for i, x in enumerate(v.domain):
            out[f"{r.name}[{v.name}={x}]"] = values_array(cond[v.name][:, i], None)
        logs = r.joint_log[v.name] if getattr(r, "joint_log", None) else None
        for i, x in enumerate(v.domain):
            lost = ~np.isfinite(joint[:, i])
            if logs is not None:        # beyond the double range: null (its log is known)
                lost |= (joint[:, i] == 0) & (logs[:, i] > -np.inf)
            out[f"{r.name}.joint[{v.name}={x}]"] = numeric(joint[:, i], lost)
    zero, over = np.zeros(B, bool), np.zeros(B, bool)
    for v in r.vars:
        if getattr(r, "joint_log", None):
            bad = ~np.isfinite(cond[v.name]).all(axis=1)
            nothing = (r.joint_log[v.name] == -np.inf).all(axis=1)
            zero |= bad & nothing
            over |= bad & ~nothing
            continue
        zero |= r.joint[v.name].sum(axis=1) <= 0
        over |= ~np.isfinite(r.joint[v.name]).all(axis=1)
    lost = getattr(r, "lost", {})
    gone = np.zeros(B, bool)
    gone[list(lost)] = True
    out[f"{r.name}.why"] = why_column(B, np.flatnonzero(zero | over | gone), lambda b: (
        lost_text(lost[b]) if b in lost else OVERFLOW if over[b]
        else "the evidence has probability 0"))
    return out


def table(start: int, B: int, results: Sequence[Any]) -> pa.Table:
    """The output rows [start, start + B) of several queries' batch results."""
    cols: dict[str, pa.Array] = {"row": row_column(start, B)}
    for r in results:
        cols.update(marginal_columns(r) if hasattr(r, "joint") else result_columns(r))
    return pa.table(cols)


def to_numpy(r: Any) -> np.ndarray:
    """Values (B, K, *elem) of a table query (NaN where undefined); for marginals the
    conditionals of every variable side by side (B, sum of domain sizes)."""
    if hasattr(r, "joint"):
        cond = r.conditional
        return np.concatenate([cond[v.name] for v in r.vars], axis=1)
    return r.values


def entries_table(r: Any) -> pa.Table:
    """A `run` result (QueryResult) as one row per table entry: `row`, the free variables'
    values, `value` (null where undefined), `argmax.X`, `why`."""
    row: list[int] = []
    cells: dict[str, list[str]] = {f: [] for f in r.free}
    values: list[Any] = []
    why: list[str | None] = []
    maxed = sorted({x for rw in r.rows for e in rw.entries for x in (e.argmax or {})})
    argmax: dict[str, list[str | None]] = {x: [] for x in maxed}
    for b, rw in enumerate(r.rows, start=1):
        for e in rw.entries:
            row.append(b)
            for f in r.free:
                cells[f].append(e.assignment[f])
            values.append(e.value)
            why.append(e.undefined)
            for x in maxed:
                argmax[x].append((e.argmax or {}).get(x))
    cols: dict[str, Any] = {"row": pa.array(row, pa.int64())}
    cols.update({f: pa.array(c, pa.string()).dictionary_encode() for f, c in cells.items()})
    cols["value"] = _entry_values(values)
    if r.semiring == MOMENTS:
        pairs = np.asarray([(np.nan, np.nan) if v is None else v for v in values], float)
        cols.update(moment_columns("", pairs.reshape(-1, 2), None))
    cols.update({f"argmax.{x}": pa.array(a, pa.string()).dictionary_encode()
                 for x, a in argmax.items()})
    cols["why"] = pa.array(why, pa.string())
    return pa.table(cols)


def _entry_values(values: list[Any]) -> pa.Array:
    if any(isinstance(v, (tuple, list)) for v in values):
        return pa.array([None if v is None else list(v) for v in values])
    if all(v is None or isinstance(v, (int, np.integer)) and not isinstance(v, bool)
           for v in values):
        return values_array(np.asarray(values, dtype=object), np.asarray(
            [v is None for v in values])) if any(v is None for v in values) else \
            values_array(np.asarray(values, dtype=object), None)
    return pa.array(values)
