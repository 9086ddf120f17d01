"""Evidence from the command line (`-e VAR=VALUE`) and from data files (`--data ROWS`, read by
compiler/program/tables.py),
checked against a program with spans, so mistakes point at the argument or the cell.

Semantics per query (docs/language.md): evidence on a variable that is free in the query's
result selects table entries; on a variable the query aggregates it conditions the models; on a
variable that is both (free, and aggregated inside) it is an error.  A variable the query does
not mention is ignored for that query.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from atlasc.compiler.errors import (AtlasError, QueryError, QueryErrors, QueryNameError,
                                    QueryTypeError, raise_all)
from atlasc.compiler.program import tables
from atlasc.compiler.program.program import Program, Query, Row, evidence_conflict
from atlasc.compiler.language.scope import domain_hint, unknown
from atlasc.compiler.names import lookup, unquote
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.source import Span

CMDLINE = "<command line>"
T = TypeVar("T")


@dataclass(frozen=True)
class _Named:
    """A name as the user wrote it (as language.ast.Name is, for scope.unknown)."""
    span: Span
    text: str


@dataclass(frozen=True)
class Observed:
    """One observed variable's value (None: unobserved), and where it was named."""
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
    var = _var(program, lookup(name, program.env.names), name_span)
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
    v = program.env.find(name, span)
    if v is None:
        raise unknown(_Named(span, name), "variable", program.env.names,
                      program.env.kinds.get(name))
    return v


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


def run_inputs(program: Program, names: tuple[str, ...], args: tuple[str, ...],
               data: Path | None, fmt: str | None = None
               ) -> tuple[list[Query], list[Observed], Data | None]:
    """What `atlasc run` is given: the queries named with -q (all if none), the -e evidence
    and the --data rows, with every mistake among them reported at once."""
    errors: list[AtlasError] = []
    picked = [_collect(errors, lambda: program.query(n)) for n in names]
    common = _collect(errors, lambda: command_line(program, args))
    rows = _collect(errors, lambda: read_data(program, data, fmt)) if data else None
    raise_all([x for e in errors for x in (e.errors if isinstance(e, QueryErrors) else [e])])
    queries = [q for q in picked if q is not None] if names else list(program.queries.values())
    return queries, common or [], rows


def _collect(errors: list[AtlasError], fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except QueryError as e:
        errors.append(e)
        return None


def column_lookup(program: Program, spans: dict[Var, Span] | None = None
                  ) -> Callable[[str, Span | None], Var]:
    """The variable a data column names (its header cell as written), for tables.py; the
    header cells' spans are kept in `spans` (for later errors about a column)."""
    def column(name: str, span: Span | None) -> Var:
        v = _var(program, lookup(name, program.env.names), span or _nowhere(name))
        if spans is not None and span is not None:
            spans[v] = span
        return v
    return column


def _nowhere(name: str) -> Span:
    return Span("<data>", 1, 1, 1, 1 + max(1, len(name)), "")


@dataclass
class Data:
    """Evidence rows read from a file (value indices, None: unobserved)."""
    columns: tuple[Var, ...]
    rows: list[Row]
    spans: dict[Var, Span]

    def observed(self, v: Var) -> bool:
        return any(r.get(v) is not None for r in self.rows)


def read_data(program: Program, path: Path, fmt: str | None = None) -> Data:
    """A whole evidence file as rows (for the per-row outputs: text and JSON)."""
    data = Data((), [], {})
    for chunk in tables.read_file(column_lookup(program, data.spans), path, fmt):
        data.columns = tuple(chunk.columns)
        data.rows += tables.rows_of(chunk)
    return data


def rows_for(q: Query, common: list[Observed], data: Data | None) -> list[Row]:
    """The evidence rows for one query; raises where evidence is meaningless for it."""
    if data is not None:
        check_conflicts(q, common, data.columns, data.observed, data.spans)
    else:
        check_conflicts(q, common, ())
    table = data.rows if data is not None else [{}]
    fixed = {ob.var: ob.value for ob in common}
    return [{**fixed, **{v: x for v, x in r.items() if x is not None or v not in fixed}}
            for r in table]


def check_conflicts(q: Query, common: list[Observed], columns: Sequence[Var],
                    observed: Callable[[Var], bool] = lambda v: True,
                    spans: dict[Var, Span] | None = None) -> None:
    """Evidence on a variable the query both leaves free and aggregates is an error, at the
    -e argument or the column that gives it."""
    for ob in common:
        agg = q.conflict(ob.var) if ob.value is not None else None
        if agg is not None:
            raise evidence_conflict(q, ob.var, agg, ob.span)
    for v in columns:
        agg = q.conflict(v)
        if agg is not None and observed(v):
            raise evidence_conflict(q, v, agg, (spans or {}).get(v))
