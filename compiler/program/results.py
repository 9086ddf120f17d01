"""The results of a query: entries (a value, or undefined with the reason), rows, tables."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from atlasc.compiler.ir.serialize import encode_value
from atlasc.compiler.program import frames
from atlasc.compiler.program.display import (MOMENT_FIELDS, MOMENTS, UNDEFINED, html_table,
                                             moment_fields, text_table, value_text)
from atlasc.compiler.semirings.wide import Wide


@dataclass
class Entry:
    """One value of a result; `value` is None where it is undefined, with the reason in
    `undefined` (positivity of an adjustment, zero-probability evidence: docs/language.md)."""
    assignment: dict[str, str]
    value: Any
    argmax: dict[str, str] | None = None
    undefined: str | None = None

    @property
    def defined(self) -> bool:
        """True unless the entry is undefined."""
        return self.undefined is None

    def to_json(self) -> dict[str, Any]:
        """{"assignment", "value"} (null and "undefined" where undefined, "argmax" after a
        maximisation, "log" for a value beyond the double range)."""
        out: dict[str, Any] = {"assignment": self.assignment}
        out.update(self.value_json())
        return out

    def value_json(self) -> dict[str, Any]:
        if self.undefined is not None:
            return {"value": None, "undefined": self.undefined}
        out: dict[str, Any] = {"value": encode_value(self.value)}
        if isinstance(self.value, Wide):          # beyond the double range: its exact log
            out["log"] = self.value.log
        if self.argmax is not None:
            out["argmax"] = self.argmax
        return out


@dataclass
class ResultRow:
    """The answer to one evidence row: one entry (a query with no free variable, `table`
    False) or one entry per assignment of the free variables."""
    entries: list[Entry]
    table: bool              # False: a single value (no free variable)
    inconsistent: list[Any] = field(default_factory=list)   # PASP: pasp.Inconsistent

    @property
    def value(self) -> Any:
        """The single value (the first entry's, for a table)."""
        return self.entries[0].value

    @property
    def defined(self) -> bool:
        """True unless some entry is undefined."""
        return all(e.defined for e in self.entries)

    def to_json(self) -> dict[str, Any]:
        """The row as the JSON output writes it (docs/schemas)."""
        out: dict[str, Any]
        if self.table:
            out = {"table": [e.to_json() for e in self.entries]}
        else:
            out = self.entries[0].value_json()
        if self.inconsistent:
            out["inconsistent"] = [i.to_json() for i in self.inconsistent]
        return out


@dataclass
class QueryResult:
    """A query's answers, one `ResultRow` per evidence row, in the query's semiring, over its
    free variables.  Prints as a table; `to_pandas`, `to_arrow` and `to_numpy` for analysis."""
    name: str
    semiring: str
    free: tuple[str, ...]
    rows: list[ResultRow]

    @property
    def defined(self) -> bool:
        """False if some entry is undefined (its value None, its reason in `undefined`)."""
        return all(r.defined for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        """{"name", "semiring", "rows"} as the JSON output writes it."""
        rows = [r.to_json() for r in self.rows]
        if self.semiring == MOMENTS:       # (E, Var) also by name, with the std
            for x in rows:
                if x.get("value") is not None:
                    x.update(moment_fields(x["value"]))
        return {"name": self.name, "semiring": self.semiring, "rows": rows}

    def to_arrow(self) -> Any:
        """One row per table entry: row, the free variables, value, argmax.X, why."""
        return frames.entries_table(self)

    def to_pandas(self) -> Any:
        """`to_arrow` as a pandas DataFrame."""
        return self.to_arrow().to_pandas()

    def to_numpy(self) -> np.ndarray:
        """The entries' values in order (NaN where undefined)."""
        return np.asarray([np.nan if e.value is None else e.value
                           for r in self.rows for e in r.entries])

    @property
    def title(self) -> str:
        return f"query {self.name} ({self.semiring})"

    def cells(self, with_rows: bool = False) -> tuple[list[str], list[list[str]]]:
        """The table: a line per value, over the free variables (and the row, if asked)."""
        has_argmax = any(e.argmax is not None for row in self.rows for e in row.entries)
        named = self.semiring == MOMENTS
        header = (["row"] if with_rows else []) + list(self.free) + \
            (list(MOMENT_FIELDS) if named else ["value"]) + (["argmax"] if has_argmax else [])
        lines = []
        for i, row in enumerate(self.rows, start=1):
            for e in row.entries:
                lines.append(([str(i)] if with_rows else []) +
                             [e.assignment[v] for v in self.free] +
                             (_moments_text(e) if named else [_entry_text(e)]) +
                             ([_argmax_text(e)] if has_argmax else []))
        return header, lines

    def notes(self, with_rows: bool = False) -> list[str]:
        """The PASP flags and why the undefined entries are undefined."""
        return _flags(self, with_rows) + _reasons(self, with_rows)

    def text(self, with_rows: bool = False) -> str:
        """One query's results: a line per value, or a table over its free variables."""
        return "\n".join([self.title] + ["  " + s for s in text_table(*self.cells(with_rows))]
                         + self.notes(with_rows))

    def __repr__(self) -> str:
        return self.text(with_rows=len(self.rows) > 1)

    def _repr_html_(self) -> str:
        many = len(self.rows) > 1
        return html_table(self.title, *self.cells(many), self.notes(many))


def _argmax_text(e: Entry) -> str:
    return ", ".join(f"{k}={v}" for k, v in (e.argmax or {}).items())


def _entry_text(e: Entry) -> str:
    return value_text(e.value) if e.undefined is None else UNDEFINED


def _moments_text(e: Entry) -> list[str]:
    if e.undefined is not None:
        return [UNDEFINED] * len(MOMENT_FIELDS)
    return [value_text(x) for x in moment_fields(e.value).values()]


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
    texts = [[i.text() for i in row.inconsistent if i.mass] for row in r.rows]
    if not with_rows or all(t == texts[0] for t in texts):
        return ["  PASP " + t for t in texts[0]] if texts else []
    return [f"  row {k}: PASP {t}" for k, ts in enumerate(texts, start=1) for t in ts]
