"""A compiled `.query` program: its queries, their tractability reports, and evaluation.

`build.build(text, file, base_dir)` runs the front end (parse, resolve, model checks, typing)
and lowers every query through the operators.  A query whose tractability conditions fail
keeps its `StructuralPropertyError` in its report and refuses to run.  This module imports no
part of the front end that only compiling needs (the parser, the models' readers), so that a
program loaded from the compiled-program cache runs without them (compiler/program/cache.py).
"""
from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping as TMapping, Protocol, Sequence

import numpy as np

from atlasc.compiler.errors import QueryError, QueryNameError, QueryTypeError, StructuralPropertyError
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.guards import Guard
from atlasc.compiler.language.scope import Names, did_you_mean
from atlasc.compiler.program import marginals, tables
from atlasc.compiler.program.results import Entry, QueryResult, ResultRow
from atlasc.compiler.program.values import index_array, value_index
from atlasc.compiler.program.undefined import cell_index, columns, overflow, undefined
from atlasc.compiler.program.undefined import columns as undefined_columns
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.names import lookup
from atlasc.compiler.source import Span
from atlasc.compiler.version import stamped
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.program import batch, folded, pasp

Progress = Callable[[str], None]
Row = dict[Var, "int | None"]


# ---- reports ----------------------------------------------------------------------------------
@dataclass
class QueryReport:
    """The tractability report of one query: operator by operator (`step`), the condition
    each used and how every property it needed was established; for a refused query the
    operator, the missing property, a witness node and a fix (`error`)."""
    name: str
    span: Span
    semiring: str
    free: tuple[str, ...]
    tractable: bool
    step: Any = None                                  # atlasc.compiler.ir.report.Step
    error: StructuralPropertyError | None = None
    dependency: str | None = None                     # the failing query this one uses
    repairs: tuple[str, ...] = ()                     # what --repair recompiled, and why
    inconsistent: tuple[Any, ...] = ()                # PASP: pasp.Inconsistent, no evidence
    views: tuple[str, ...] = ()                       # the views compiled for it (views.py)
    views_json: tuple[dict[str, Any], ...] = ()

    def headline(self) -> str:
        """"query NAME: SEMIRING over {FREE}: certified tractable" (or NOT certified)."""
        status = "certified tractable" if self.tractable else "NOT certified tractable"
        free = "{" + ", ".join(self.free) + "}"
        return f"query {self.name}: {self.semiring} over {free}: {status}"

    def render(self) -> str:
        """The report as `atlasc check` prints it."""
        out = [f"{self.span.location()}: {self.headline()}"]
        return "\n".join(out + self._notes() + ["  " + line for line in self._tree()])

    def _notes(self) -> list[str]:
        out = [f"  {v}" for v in self.views]
        out += [f"  repair: {r}" for r in self.repairs]
        out += [f"  PASP {i.text()}" for i in self.inconsistent if i.mass]
        if self.dependency is not None:
            out.append(f"  uses query {self.dependency}, which is not certified")
        if self.error is not None:
            out.append(_failure_text(self.error))
        return out

    def _tree(self) -> list[str]:
        return self.step.render().splitlines() if self.step is not None else []

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"<QueryReport {self.headline()}>"

    def _repr_html_(self) -> str:
        """The operator tree, green where certified, red where refused (Jupyter)."""
        html = importlib.import_module("atlasc.compiler.ir.reporthtml")   # Jupyter only
        head = html.headline_html(self.span.location(), self.headline(), self.tractable,
                                  self._notes())
        return head + (html.step_html(self.step) if self.step is not None else "")

    def to_json(self) -> dict[str, Any]:
        err = self.error
        return {"name": self.name, "location": self.span.location(),
                "semiring": self.semiring, "free": list(self.free),
                "tractable": self.tractable, "views": list(self.views_json),
                "repairs": list(self.repairs),
                "inconsistent": [i.to_json() for i in self.inconsistent],
                "failure": None if err is None else {
                    "operator": err.operator, "property": err.prop,
                    "witness": err.violation.describe() if err.violation else None,
                    "fix": err.fix, "location": _error_location(err),
                    "dependency": self.dependency},
                "report": self.step.to_json() if self.step is not None else None}


def _error_location(err: StructuralPropertyError) -> str | None:
    span = getattr(err.step, "span", None)
    return span.location() if span is not None else None


def _failure_text(err: StructuralPropertyError) -> str:
    span = getattr(err.step, "span", None)
    head = f"{err.operator}: needs {err.prop}"
    out = span.render(head) if span is not None else head
    if err.violation is not None:
        out += f"\n  witness: {err.violation.describe()}"
    return out + f"\n  fix: {err.fix}"


@dataclass
class ProgramReport:
    """The reports of every query of a program; `print(report)` shows them as `atlasc check`
    does, `to_json()` as `atlasc check --json`."""
    queries: list[QueryReport]

    @property
    def tractable(self) -> bool:
        """True if every query is certified tractable."""
        return all(q.tractable for q in self.queries)

    def render(self) -> str:
        """Every query's report, then the summary line."""
        body = "\n\n".join(q.render() for q in self.queries)
        return (body + "\n\n" if body else "") + self.summary()

    def __str__(self) -> str:
        return self.render()

    def brief(self) -> str:
        """One line per query (location: verdict), then the summary."""
        return "\n".join([f"{q.span.location()}: {q.headline()}" for q in self.queries] +
                         [self.summary()])

    def summary(self) -> str:
        """"N queries: all certified tractable" (or how many are not)."""
        n_bad = sum(not q.tractable for q in self.queries)
        return f"{len(self.queries)} queries: " + \
            ("all certified tractable" if not n_bad else f"{n_bad} not certified")

    def __repr__(self) -> str:
        return f"<ProgramReport {self.summary()}>"

    def _repr_html_(self) -> str:
        return "<hr>".join(q._repr_html_() for q in self.queries) + \
            f"<p>{importlib.import_module('html').escape(self.summary())}</p>"

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (schema atlasc/1, kind report: docs/schemas)."""
        return stamped("report", {"tractable": self.tractable,
                                  "queries": [q.to_json() for q in self.queries]})


# ---- queries ----------------------------------------------------------------------------------
class Declared(Protocol):
    """Where a query or model is declared (a declaration of language/ast.py, or what a run
    image keeps of it: compiler/program/manifest.py)."""

    @property
    def span(self) -> Span: ...


class ViewLines(Protocol):
    """What a query's report shows of the views compiled for it (views.Views)."""

    def lines(self, name: str) -> tuple[str, ...]: ...

    def to_json(self, name: str) -> list[dict[str, Any]]: ...


# ----------------------------------------------------------------------------------
Result = QueryResult | marginals.MarginalsResult


@dataclass
class Query:
    """One query of a program: its circuit when certified tractable (None when refused, with
    the reason in `error`), its report, and `run` to evaluate it on evidence."""
    name: str
    decl: Declared                # the query's declaration (language.ast.QueryDecl)
    typed: Ty.T
    program: "Program" = field(repr=False)
    circuit: Circuit | None = None
    error: StructuralPropertyError | None = None
    dependency: str | None = None
    repairs: list[str] = field(default_factory=list)
    repaired: list[Any] = field(default_factory=list, repr=False)   # the Repair objects
    guards: list[Guard] = field(default_factory=list, repr=False)   # normalisers (run time)
    folded: frozenset[Var] = frozenset()    # free variables summed in closed form (folded.py)
    fixed_argmax: dict[Var, int] = field(default_factory=dict, repr=False)   # their maximisers
    inconsistent: list[Any] = field(default_factory=list, repr=False)  # PASP: pasp.Flag

    @property
    def semiring(self) -> Semiring:
        """The semiring of the query's values."""
        return self.typed.sr

    @property
    def free(self) -> tuple[Var, ...]:
        """The free variables: the result is a table over them (none: a single value)."""
        return tuple(sorted(self.typed.vars))

    @property
    def tractable(self) -> bool:
        """True if certified tractable (it has a circuit and can run)."""
        return self.circuit is not None

    @property
    def report(self) -> QueryReport:
        """The query's tractability report."""
        step = self.circuit.step if self.circuit is not None else \
            (self.error.step if self.error is not None else None)
        views = self.program.views
        return QueryReport(self.name, self.decl.span, self.semiring.name,
                           tuple(v.name for v in self.free), self.tractable, step, self.error,
                           self.dependency, tuple(self.repairs),
                           tuple(f.at(f.mass) for f in self.inconsistent),
                           views.lines(self.name), tuple(views.to_json(self.name)))

    def __repr__(self) -> str:
        free = "{" + ", ".join(v.name for v in self.free) + "}"
        status = f"certified, |C|={self.circuit.size}" if self.circuit is not None else \
            "NOT certified"
        return f"<Query {self.name}: {self.semiring.name} over {free}, {status}>"

    def _repr_html_(self) -> str:
        return self.report._repr_html_()

    def conflict(self, v: Var) -> Ty.TAggregate | None:
        """The aggregation that makes evidence on `v` meaningless: v is free in the result and
        also summed away inside the query."""
        if v in self.typed.vars and v in self.typed.summed:
            return Ty.aggregation_of(self.typed, v)
        return None

    def argmax_vars(self) -> frozenset[Var]:
        """The variables whose maximising (minimising) values the results carry."""
        t = self.typed
        while isinstance(t, (Ty.TQuery, Ty.TNote)):
            t = self.program.queries[t.name].typed if isinstance(t, Ty.TQuery) else t.operand
        if isinstance(t, Ty.TAggregate) and t.sr.add_word in ("max", "min") and t.over:
            return t.over
        return frozenset()

    def run(self, evidence: Any = None, columns: Sequence[str] | None = None) -> Result:
        """Evaluate on evidence: one dict (variable name -> value name, index or bool), a list
        of dicts (a batch, evaluated at once), or a numpy array (structured, or 2-d with
        `columns`).  Raises StructuralPropertyError if the query is not certified; an entry
        the formula does not define under a row's evidence is None with the reason."""
        return self.run_rows(self.program.evidence_rows(evidence, columns))

    def run_table(self, data: Any, columns: Sequence[str] | None = None) -> Any:
        """A batch given as a table of values (a pandas or polars DataFrame, a pyarrow
        Table, a dict of arrays, a list of dicts: read as `run` reads values), answered by
        the batch path; the result has `.to_pandas()`, `.to_arrow()`, `.to_numpy()`."""
        cols, B = self.program.evidence_columns(data, columns)
        return batch.run_columns(self, cols, B)

    def run_array(self, evidence: np.ndarray, columns: Sequence[str]) -> Any:
        """A large batch: an int array (rows, len(columns)) of value *indices* (-1:
        unobserved; on `var X : {1, 2, 3}` index 0 is the value 1), arrays out, no per-row
        Python (compiler/program/batch.py).  `Program.indices` turns values into indices."""
        return batch.run_array(self, evidence, columns)

    def run_rows(self, rows: list[Row]) -> Result:
        """Evaluate on rows of value indices (`Program.evidence_rows` makes them)."""
        if self.circuit is None:
            assert self.error is not None
            raise self.error
        for row in rows:
            self._check_rows(row)
        if isinstance(self.typed, Ty.TMarginals):
            return marginals.evaluate(self, rows)
        out = _evaluate(self, self.circuit, rows)
        if self.inconsistent:
            for res, flags in zip(out.rows, pasp.inconsistent(self.inconsistent, rows)):
                res.inconsistent = flags
        return out

    def _check_rows(self, row: Row) -> None:
        for v, x in row.items():
            agg = self.conflict(v) if x is not None else None
            if agg is not None:
                raise evidence_conflict(self, v, agg)
        pasp.check_run_evidence(self, row)
        folded.check_run_evidence(self, row)


def evidence_conflict(q: Query, v: Var, agg: Ty.TAggregate, span: Span | None = None
                      ) -> QueryError:
    return QueryTypeError(f"evidence on {v.name} is meaningless for query {q.name}: "
                          f"{v.name} is free in its result and also aggregated inside it",
                          span, f"read the {v.name} rows of the table instead of giving "
                          f"evidence, or run the other queries with -q",
                          notes=((agg.span, f"{v.name} is aggregated here"),))


def _evaluate(q: Query, c: Circuit, rows: list[Row]) -> QueryResult:
    free, summed = q.free, q.typed.summed
    flat_ev: list[dict[Var, int]] = []
    flat_asg: list[dict[Var, int]] = []
    counts = []
    for row in rows:
        choices = [[x] if (x := row.get(v)) is not None else range(v.size) for v in free]
        asgs = [dict(zip(free, combo)) for combo in itertools.product(*choices)]
        ev = {v: x for v, x in row.items() if x is not None and v in summed and v not in free}
        flat_ev += [ev] * len(asgs)
        flat_asg += asgs
        counts.append(len(asgs))
    maxed = q.argmax_vars()
    res = evaluator().evaluate(c, evidence=flat_ev, assignment=flat_asg, argmax=bool(maxed))
    fixed = {v: i for v, i in q.fixed_argmax.items() if v in maxed}
    entries = [Entry(_names(a), val, _names({**fixed, **{v: i for v, i in res.argmax[k].items()
                                                         if v in maxed}})
                     if res.argmax else None)
               for k, (a, val) in enumerate(zip(flat_asg, res.values))]
    out, k = [], 0
    for n in counts:
        out.append(ResultRow(entries[k:k + n], bool(free)))
        k += n
    _mark_undefined(q, rows, out, flat_asg)
    for e in (e for row in out for e in row.entries if e.value is not None):
        if (why := overflow(e.value, q.semiring)) is not None:
            e.value, e.argmax, e.undefined = None, None, why
    return QueryResult(q.name, q.semiring.name, tuple(v.name for v in free), out)


def _mark_undefined(q: Query, rows: list[Row], out: list[ResultRow],
                    flat_asg: list[dict[Var, int]]) -> None:
    """Entries whose conditions fail under their row's evidence lose their value and get the
    reason (compiler/program/undefined.py)."""
    und = undefined(q.guards, q.typed.summed, columns(rows), len(rows), q.free)
    if und is None:
        return
    asg = iter(flat_asg)
    for b, row in enumerate(out):
        for e in row.entries:
            a = next(asg)
            k = int(cell_index(q.free, np.asarray([a[v] for v in q.free], np.int64)))
            why = und.why(b, k)
            if why is not None:
                e.value, e.argmax, e.undefined = None, None, why


def _names(a: TMapping[Var, int]) -> dict[str, str]:
    return {v.name: v.domain[i] for v, i in sorted(a.items())}


# ---- the program ------------------------------------------------------------------------------
@dataclass
class Program:
    """A compiled `.query` file: its variables, models and queries (by name), the report,
    and `run` to evaluate several queries on the same evidence."""
    file: str
    text: str
    env: Names                             # resolve.Env when built; Names in a run image
    models: dict[str, Any]                 # language.modelinfo.ModelInfo by name
    views: ViewLines = field(repr=False)   # the views its queries need (views.Views)
    queries: dict[str, Query] = field(default_factory=dict)
    files: tuple[str, ...] = ()            # the model files (absolute) it read

    @property
    def inputs(self) -> set[Path]:
        """The files the program was compiled from (the query file and its model files)."""
        return {Path(self.file).resolve()} | {Path(f) for f in self.files}

    @property
    def variables(self) -> dict[str, Var]:
        """The declared variables by name."""
        return dict(self.env.vars)

    def __repr__(self) -> str:
        bad = sum(not q.tractable for q in self.queries.values())
        return (f"<Program {self.file!r}: {len(self.env.vars)} variables, {len(self.models)} "
                f"models, {len(self.queries)} queries ({', '.join(self.queries)})"
                + (f", {bad} not certified>" if bad else ">"))

    def _repr_html_(self) -> str:
        return self.report._repr_html_()

    @property
    def report(self) -> ProgramReport:
        """The tractability report of every query."""
        return ProgramReport([q.report for q in self.queries.values()])

    def query(self, name: str) -> Query:
        """The query named `name` (QueryNameError, listing the queries, if there is none)."""
        if name not in self.queries:
            raise QueryNameError(f"no query named '{name}'", None,
                                 "queries: " + (", ".join(self.queries) or "(none)"))
        return self.queries[name]

    def run(self, evidence: Any = None, queries: Iterable[str] | None = None,
            columns: Sequence[str] | None = None) -> dict[str, Result]:
        """Every query (or those named in `queries`) on the same evidence (as `Query.run`
        reads it), by name."""
        rows = self.evidence_rows(evidence, columns)
        names = list(queries) if queries is not None else list(self.queries)
        return {n: self.query(n).run_rows(rows) for n in names}

    # ---- evidence ---------------------------------------------------------------------------
    def evidence_rows(self, evidence: Any, columns: Sequence[str] | None = None) -> list[Row]:
        """One dict, a list of dicts, or a numpy array (structured, or 2-d with `columns`),
        as rows of value indices (None: unobserved)."""
        if evidence is None:
            return [{}]
        table = tables.arrow_table(evidence)
        if table is not None:
            return [r for c in tables.table_chunks(self._column, table) for r in
                    tables.rows_of(c)]
        if isinstance(evidence, dict):
            return [self.evidence_row(evidence)]
        if isinstance(evidence, np.ndarray):
            return self._array_rows(evidence, columns)
        return [self.evidence_row(r) for r in evidence]

    def evidence_columns(self, data: Any, columns: Sequence[str] | None = None
                         ) -> tuple[dict[Var, np.ndarray], int]:
        """A table of evidence values as columns of value indices (-1: unobserved)."""
        table = tables.arrow_table(data)
        if table is None:
            rows = self.evidence_rows(data, columns)
            return undefined_columns(rows), len(rows)
        chunks = list(tables.table_chunks(self._column, table, max(table.num_rows, 1)))
        if len(chunks) < 2:     # a table of several record batches gives one chunk each
            return (chunks[0].columns if chunks else {}), table.num_rows
        return {v: np.concatenate([c.columns[v] for c in chunks]) for v in chunks[0].columns
                }, table.num_rows

    def _column(self, name: str, span: Any) -> Var:
        return self._var(name)

    def _array_rows(self, a: np.ndarray, columns: Sequence[str] | None) -> list[Row]:
        if a.dtype.names:
            return [self.evidence_row({n: r[n] for n in a.dtype.names}) for r in a]
        if columns is None or a.ndim != 2 or a.shape[1] != len(columns):
            raise QueryTypeError("a 2-d evidence array needs `columns`, one variable name per "
                                 "column")
        return [self.evidence_row(dict(zip(columns, r))) for r in a.tolist()]

    def evidence_row(self, d: TMapping[Any, Any]) -> Row:
        """Variable (or its name, an atom as the program writes it) -> a value of its domain
        (compiler/program/values.py: never an index)."""
        out: Row = {}
        for k, x in d.items():
            v = self._var(k)
            out[v] = value_index(v, x)
        return out

    def indices(self, values: Any, columns: Sequence[str]) -> np.ndarray:
        """Evidence values (as `run` reads them: a 2-d array, one column per name in
        `columns`, None where unobserved) as the value indices `Query.run_array` takes."""
        return index_array([self._var(c) for c in columns], values)

    def _var(self, k: Any) -> Var:
        name = k.name if isinstance(k, Var) else lookup(str(k), self.env.names)
        v = self.env.find(name)
        if v is None:
            raise QueryNameError(f"unknown variable '{name}' in the evidence", None,
                                 did_you_mean(name, self.env.names) or "variables: " +
                                 ", ".join(sorted(self.env.vars)))
        return v
