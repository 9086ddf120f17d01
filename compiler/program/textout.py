"""Readable tables of query results (the text form of `atlasc run`)."""
from __future__ import annotations

from typing import Any

from atlasc.compiler.program.marginals import PASSES, MarginalsResult
from atlasc.compiler.program.program import Entry, QueryResult
from atlasc.compiler.ir.printer import fmt_value
from atlasc.compiler.semirings.wide import Wide


def value_text(x: Any) -> str:
    if isinstance(x, float) and not isinstance(x, Wide):
        return f"{x:.10g}"
    return fmt_value(x)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip()] + [fmt.format(*r).rstrip() for r in rows]


def _argmax_text(e: Entry) -> str:
    return ", ".join(f"{k}={v}" for k, v in (e.argmax or {}).items())


def result_text(r: QueryResult | MarginalsResult, with_rows: bool = False) -> str:
    """One query's results: a line per value, or a table over its free variables."""
    if isinstance(r, MarginalsResult):
        return marginals_text(r, with_rows)
    title = f"query {r.name} ({r.semiring})"
    has_argmax = any(e.argmax is not None for row in r.rows for e in row.entries)
    header = (["row"] if with_rows else []) + list(r.free) + ["value"] + \
        (["argmax"] if has_argmax else [])
    lines = []
    for i, row in enumerate(r.rows, start=1):
        for e in row.entries:
            cells = ([str(i)] if with_rows else []) + [e.assignment[v] for v in r.free] + \
                [_entry_text(e)] + ([_argmax_text(e)] if has_argmax else [])
            lines.append(cells)
    return "\n".join([title] + ["  " + s for s in _table(header, lines)] + _flags(r, with_rows)
                     + _reasons(r, with_rows))


def _entry_text(e: Entry) -> str:
    return value_text(e.value) if e.undefined is None else UNDEFINED


UNDEFINED = "undefined"


def _reasons(r: QueryResult, with_rows: bool) -> list[str]:
    """Why the undefined entries are undefined: one line per distinct reason (per row), at
    the values its entries share when those are exactly its entries."""
    out: list[str] = []
    for i, row in enumerate(r.rows, start=1):
        groups: dict[str, list[Entry]] = {}
        for e in row.entries:
            if e.undefined is not None:
                groups.setdefault(e.undefined, []).append(e)
        for why, es in groups.items():
            at = _where(row.entries, es)
            where = (f" at row {i}" if with_rows else "") + \
                (", every entry" if at is None else (", " if with_rows else " at ") + at)
            out.append(f"  undefined{where}: {why}")
    return out


def _where(entries: list[Entry], group: list[Entry]) -> str | None:
    """The values a group of entries shares (None: it is every entry of the row)."""
    common = set(group[0].assignment.items()).intersection(
        *(e.assignment.items() for e in group[1:]))
    if len(group) == sum(common <= set(e.assignment.items()) for e in entries):
        return ", ".join(f"{k}={v}" for k, v in group[0].assignment.items()
                         if (k, v) in common) or None
    return "; ".join(", ".join(f"{k}={v}" for k, v in e.assignment.items()) for e in group)


def _flags(r: QueryResult, with_rows: bool) -> list[str]:
    """PASP: the mass of the total choices without an answer set, per row when it varies."""
    texts = [[i.text() for i in row.inconsistent] for row in r.rows]
    if not with_rows or all(t == texts[0] for t in texts):
        return ["  PASP " + t for t in texts[0]] if texts else []
    return [f"  row {k}: PASP {t}" for k, ts in enumerate(texts, start=1) for t in ts]


def marginals_text(r: MarginalsResult, with_rows: bool = False) -> str:
    """Every listed variable's table, P(X = x, e) and P(X = x | e) (undefined where P(e) = 0);
    an observed variable is starred: its table is the retraction P(X = x, e without X)."""
    title = f"query {r.name} ({r.semiring}): {len(r.vars)} marginals, {PASSES}"
    header = (["row"] if with_rows else []) + ["var", "value", "P(X=x, e)", "P(X=x | e)"]
    lines, starred = [], False
    for b, seen in enumerate(r.observed):
        for v in r.vars:
            name = v.name + ("*" if v.name in seen else "")
            starred = starred or v.name in seen
            for i, (x, (j, c)) in enumerate(r.table(v.name, b).items()):
                lines.append(([str(b + 1)] if with_rows else []) + [name if i == 0 else "", x,
                             value_text(j), value_text(c) if c == c else UNDEFINED])
    note = ["  * observed: P(X=x, e without X), the evidence on X retracted"] if starred else []
    return "\n".join([title] + ["  " + s for s in _table(header, lines)] + note +
                     _marginal_reasons(r, with_rows))


def _marginal_reasons(r: MarginalsResult, with_rows: bool) -> list[str]:
    out = []
    for b in range(len(r.observed)):
        for v in r.vars:
            why = r.undefined(v.name, b)
            if why is not None:
                where = f"row {b + 1}, " if with_rows else ""
                out.append(f"  undefined at {where}P({v.name} | e): {why}")
    return out
