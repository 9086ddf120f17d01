"""Evidence from the command line (`-e VAR=VALUE`) and from CSV files (`--data ROWS.csv`),
checked against a program with spans, so mistakes point at the argument or the cell.

Semantics per query (docs/language.md): evidence on a variable that is free in the query's
result selects table entries; on a variable the query aggregates it conditions the models; on a
variable that is both (free, and aggregated inside) it is an error.  A variable the query does
not mention is ignored for that query.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from atlasc.compiler.errors import (AtlasError, QueryError, QueryNameError, QueryTypeError,
                                    raise_all)
from atlasc.compiler.program.program import Program, Query, Row, evidence_conflict
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.resolve import domain_hint, unknown
from atlasc.compiler.names import lookup, unquote
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.source import Span

CMDLINE = "<command line>"
T = TypeVar("T")


@dataclass(frozen=True)
class Observed:
    var: Var
    value: int | None
    span: Span          # where the variable was named (the -e argument, the CSV header cell)


def _span(file: str, text: str, line: int, col: int, width: int) -> Span:
    return Span(file, line, col, line, col + max(1, width), text)


def parse_assignment(program: Program, arg: str) -> Observed:
    """One `-e VAR=VALUE` argument: VAR a variable or an atom as the program writes it
    (blanks outside strings do not count), VALUE as the domain spells it, quoted or not."""
    eq = _split(arg)
    if eq is None:
        raise QueryError("evidence must look like VAR=VALUE", _span(CMDLINE, arg, 1, 1,
                                                                    len(arg)),
                         "for example -e Rain=true")
    name, value = arg[:eq], arg[eq + 1:]
    name_span = _span(CMDLINE, arg, 1, 1, len(name))
    var = _var(program, lookup(name, program.env.vars), name_span)
    val_span = _span(CMDLINE, arg, 1, len(name) + 2, len(value))
    return Observed(var, _value(var, value.strip(), val_span), name_span)


def _split(arg: str) -> int | None:
    """The offset of the `=` between VAR and VALUE: the first outside parentheses and
    quotes."""
    depth, quoted = 0, False
    for i, ch in enumerate(arg):
        if ch == '"' and (i == 0 or arg[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
        elif not quoted and depth == 0 and ch == "=":
            return i
    return None


def _var(program: Program, name: str, span: Span) -> Var:
    if name not in program.env.vars:
        raise unknown(A.Name(span, name), "variable", program.env.vars,
                      program.env.kinds.get(name))
    return program.env.vars[name]


def _value(var: Var, value: str, span: Span) -> int | None:
    """A value as the domain spells it; `"..."` quotes one (as in a query)."""
    if value == "":
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = unquote(value)
    if value in var.domain:
        return var.domain.index(value)
    raise QueryTypeError(f"{var.name} has no value '{value}'", span, domain_hint(var, value))


def command_line(program: Program, args: tuple[str, ...]) -> list[Observed]:
    """Every `-e` argument; all their mistakes at once."""
    out: list[Observed] = []
    seen: dict[Var, Observed] = {}
    errors: list[AtlasError] = []
    for arg in args:
        ob = _collect(errors, lambda: parse_assignment(program, arg))
        if ob is not None and ob.var in seen:
            errors.append(QueryNameError(f"{ob.var.name} is observed twice", ob.span,
                                         notes=((seen[ob.var].span, "first here"),)))
        elif ob is not None:
            seen[ob.var] = ob
            out.append(ob)
    raise_all(errors)
    return out


def _collect(errors: list[AtlasError], fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except QueryError as e:
        errors.append(e)
        return None


def read_csv(program: Program, path: Path) -> tuple[list[Observed], list[list[Observed]]]:
    """The header (one Observed per column, value None) and the rows; every bad header cell,
    row and cell is reported at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise QueryError(f"cannot read {path}: {reason}") from None
    file = str(path)
    lines = text.splitlines()
    if not lines:
        raise QueryError(f"{file}: the data file is empty", None,
                         "the first line names the variables")
    errors: list[AtlasError] = []
    header = _header(program, file, text, lines[0], errors)
    rows = []
    for no, line in enumerate(lines[1:], start=2):
        if line.strip():
            rows.append(_row(file, text, no, line, header, errors))
    raise_all(errors)
    return [h for h in header if h is not None], rows


def _cells(line: str) -> list[tuple[str, int]]:
    """The cells of one CSV line with their 1-based columns."""
    cells = next(csv.reader(io.StringIO(line)), [])
    out, col = [], 1
    for c in cells:
        at = line.find(c, col - 1) + 1 if c else col
        out.append((c, at if at > 0 else col))
        col = max(col, at) + len(c) + 1
    return out


def _header(program: Program, file: str, text: str, line: str, errors: list[AtlasError]
            ) -> list[Observed | None]:
    """One Observed per column; None for a column whose name is wrong (reported)."""
    out: list[Observed | None] = []
    for name, col in _cells(line):
        span = _span(file, text, 1, col, len(name))
        var = _collect(errors, lambda: _var(program, lookup(name, program.env.vars), span))
        if var is not None and any(o is not None and o.var == var for o in out):
            errors.append(QueryNameError(f"the column {var.name} appears twice", span))
            var = None
        out.append(None if var is None else Observed(var, None, span))
    return out


def _row(file: str, text: str, no: int, line: str, header: list[Observed | None],
         errors: list[AtlasError]) -> list[Observed]:
    cells = _cells(line)
    if len(cells) != len(header):
        errors.append(QueryError(f"this row has {len(cells)} cells, the header has "
                                 f"{len(header)}", _span(file, text, no, 1, len(line))))
        return []
    out = []
    for h, (c, col) in zip(header, cells):
        if h is None:
            continue
        span = _span(file, text, no, col, len(c))
        x = _collect(errors, lambda: [_value(h.var, c.strip(), span)])
        if x is not None:
            out.append(Observed(h.var, x[0], h.span))
    return out


def rows_for(q: Query, common: list[Observed], data: list[list[Observed]] | None
             ) -> list[Row]:
    """The evidence rows for one query; raises where evidence is meaningless for it."""
    table = data if data is not None else [[]]
    rows = []
    for r in table:
        row: Row = {}
        for ob in list(common) + list(r):
            agg = q.conflict(ob.var) if ob.value is not None else None
            if agg is not None:
                raise evidence_conflict(q, ob.var, agg, ob.span)
            if ob.value is not None or ob.var not in row:
                row[ob.var] = ob.value
        rows.append(row)
    return rows
