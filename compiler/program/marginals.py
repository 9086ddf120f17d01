"""Running a `marginals(...)` query: every listed variable's table P(X = x, e) and its normalised
form P(X = x | e), from one upward and one downward pass over the circuit for the whole batch
of evidence rows (atlasc.runtime.evaluator.marginals).

Evidence on a listed variable X does not select a row of X's table: X's table is the
retraction P(X = x, e without X) (its entry at the observed value is P(e)), and the normalised
column is P(X = x | e without X).  A marginals query is a family of tables, so it must be a
whole query: it cannot be an operand, nor be used by a later query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from atlasc.compiler.errors import QueryTypeError
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.ir.serialize import encode_value
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.sparse import SparseView
from atlasc.compiler.program import frames, freemarg
from atlasc.compiler.semirings.wide import SMALLEST_NORMAL, Wide, needs_wide
from atlasc.compiler.program.frames import OVERFLOW
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.program.display import UNDEFINED, html_table, text_table, value_text

if TYPE_CHECKING:
    from atlasc.compiler.program.program import Query, Row

PASSES = "one upward and one downward pass"


@dataclass
class MarginalsResult:
    """All single-variable marginals of a query, per evidence row."""
    name: str
    semiring: str
    vars: tuple[Var, ...]
    joint: dict[str, np.ndarray]              # X -> (rows, |dom X|): P(X = x, e)
    observed: list[dict[str, str]]            # per row: the listed variables with evidence
    joint_log: dict[str, np.ndarray] | None = None    # its natural log (free variables)
    lost: dict[int, float] = field(default_factory=dict, compare=False)  # row -> log P(e)

    @property
    def free(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.vars)

    _cond: dict[str, np.ndarray] | None = field(default=None, init=False, repr=False,
                                                compare=False)
    _by_name: dict[str, Var] | None = field(default=None, init=False, repr=False,
                                            compare=False)

    @property
    def conditional(self) -> dict[str, np.ndarray]:
        """P(X = x | e): each row of each table divided by its sum (NaN where that is 0),
        computed once for the whole batch (a row's table is read from it, never
        renormalised again)."""
        if self._cond is None:
            self._cond = conditionals(self.joint)
        return self._cond

    @property
    def rows(self) -> list[dict[str, dict[str, tuple[float, float]]]]:
        """Per evidence row: variable -> value -> (P(X = x, e), P(X = x | e))."""
        return [{v.name: self.table(v.name, b) for v in self.vars}
                for b in range(len(self.observed))]

    def table(self, var: str, row: int = 0) -> dict[str, tuple[float, float]]:
        """value -> (P(X = x, e), P(X = x | e)) for one variable and one evidence row."""
        v = self._named(var)
        cond = self.conditional[var][row]
        return {x: (self._joint(var, row, i), float(cond[i])) for i, x in enumerate(v.domain)}

    def _joint(self, var: str, row: int, i: int) -> float:
        """P(X = x, e); a Wide (its log) where the double holds no value of it."""
        j = float(self.joint[var][row, i])
        return wide_joint(j, self.joint_log[var][row, i]) if self.joint_log else j

    def to_arrow(self) -> Any:
        """One row per evidence row: X=x columns (conditional and joint), why."""
        return frames.table(0, len(self.observed), [self])

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def to_numpy(self) -> np.ndarray:
        """P(X = x | e) of every variable side by side: (rows, sum of the domain sizes)."""
        return frames.to_numpy(self)

    def _named(self, var: str) -> Var:
        if self._by_name is None:
            self._by_name = {v.name: v for v in self.vars}
        return self._by_name[var]

    def undefined(self, var: str, row: int = 0) -> str | None:
        """Why P(X = x | e) is undefined for X = var in this row (None if it is defined)."""
        if row in self.lost:
            return frames.lost_text(self.lost[row])
        if self.joint_log is not None:
            if np.isfinite(self.conditional[var][row]).all():
                return None
            if not (self.joint_log[var][row] == -np.inf).all():
                return OVERFLOW
        elif not np.isfinite(self.joint[var][row]).all():
            return OVERFLOW
        elif self.joint[var][row].sum() > 0:
            return None
        if var in self.observed[row]:
            return f"the evidence without {var} has probability 0"
        return "the evidence has probability 0"

    @property
    def defined(self) -> bool:
        return all(self.undefined(v.name, b) is None for v in self.vars
                   for b in range(len(self.observed)))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "semiring": self.semiring, "passes": PASSES,
                "rows": [{"marginals": [self._var_json(v, b) for v in self.vars]}
                         for b in range(len(self.observed))]}

    @property
    def title(self) -> str:
        return f"query {self.name} ({self.semiring}): {len(self.vars)} marginals, {PASSES}"

    def cells(self, with_rows: bool = False) -> tuple[list[str], list[list[str]]]:
        """Every listed variable's table, P(X = x, e) and P(X = x | e) (undefined where
        P(e) = 0); an observed variable is starred: its table is the retraction."""
        header = (["row"] if with_rows else []) + ["var", "value", "P(X=x, e)", "P(X=x | e)"]
        lines = []
        for b, seen in enumerate(self.observed):
            for v in self.vars:
                name = v.name + ("*" if v.name in seen else "")
                for i, (x, (j, c)) in enumerate(self.table(v.name, b).items()):
                    lines.append(([str(b + 1)] if with_rows else []) +
                                 [name if i == 0 else "", x,
                                  value_text(j) if np.isfinite(j) or isinstance(j, Wide)
                                  else UNDEFINED,
                                  value_text(c) if c == c else UNDEFINED])
        return header, lines

    def notes(self, with_rows: bool = False) -> list[str]:
        starred = any(v.name in seen for seen in self.observed for v in self.vars)
        note = ["  * observed: P(X=x, e without X), the evidence on X retracted"] if starred \
            else []
        return note + _marginal_reasons(self, with_rows)

    def text(self, with_rows: bool = False) -> str:
        return "\n".join([self.title] + ["  " + s for s in text_table(*self.cells(with_rows))]
                         + self.notes(with_rows))

    def __repr__(self) -> str:
        return self.text(with_rows=len(self.observed) > 1)

    def _repr_html_(self) -> str:
        many = len(self.observed) > 1
        return html_table(self.title, *self.cells(many), self.notes(many))

    def _var_json(self, v: Var, b: int) -> dict[str, Any]:
        t = self.table(v.name, b)
        out = {"var": v.name, "observed": self.observed[b].get(v.name),
               "table": [{"value": x, "joint": _json_joint(j),
                           "conditional": None if c != c else c}
                          | ({"joint_log": j.log} if isinstance(j, Wide) else {})
                         for x, (j, c) in t.items()]}
        why = self.undefined(v.name, b)
        if why is not None:
            out["undefined"] = why
        return out


def wide_joint(j: float, log: float) -> float:
    """j, or Wide(log) where j is 0, subnormal or infinite and its log is finite."""
    return Wide.of_log(float(log)) if needs_wide(j) and np.isfinite(log) else j


def _json_joint(j: float) -> Any:
    """A joint in JSON: the number, its scientific text when it is a Wide, null if unknown."""
    if isinstance(j, Wide):
        return encode_value(j)
    return j if np.isfinite(j) else None


def _marginal_reasons(r: MarginalsResult, with_rows: bool) -> list[str]:
    out = []
    for b in range(len(r.observed)):
        for v in r.vars:
            why = r.undefined(v.name, b)
            if why is not None:
                where = f"row {b + 1}, " if with_rows else ""
                out.append(f"  undefined at {where}P({v.name} | e): {why}")
    return out


def conditionals(joint: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each row of each table divided by its sum: NaN (undefined) where the sum is 0, the
    evidence having probability 0, or where an entry overflowed (inf, or NaN from inf x 0).

    The tables of one size are normalised together, stacked (B, tables, size): a handful of
    array operations for the batch instead of several per table.  Only C-ordered tables are
    stacked: a sum along C-ordered rows adds in the same order stacked or not (numpy's
    pairwise sum), so every bit is as the table alone would give; another layout is summed on
    its own, as before."""
    out: dict[str, np.ndarray] = {}
    groups: dict[tuple[int, int], list[str]] = {}
    for x, p in joint.items():
        if p.ndim == 2 and p.flags.c_contiguous and p.dtype == np.float64:
            groups.setdefault(p.shape, []).append(x)
        else:
            out[x] = _normalised(p, 1)
    for names in groups.values():
        both = _normalised(np.stack([joint[x] for x in names], axis=1), 2)
        out.update((x, both[:, j]) for j, x in enumerate(names))
    return {x: out[x] for x in joint}


def _normalised(p: np.ndarray, axis: int) -> np.ndarray:
    """p / its sum along `axis` where the sum is positive and every entry finite, else NaN.
    A sum is finite exactly when its entries are, but for a sum of finite entries that
    overflows: only the rows whose sum is not finite look at their entries."""
    total = p.sum(axis=axis, keepdims=True)
    ok = np.isfinite(total)
    odd = ~ok
    if odd.any():
        rows = np.nonzero(odd)
        sub = tuple(slice(None) if i == axis else r for i, r in enumerate(rows))
        ok[rows] = np.isfinite(p[sub]).all(axis=-1)
    ok &= total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = p / np.where(ok, total, 1.0)
    np.copyto(out, np.nan, where=~ok)
    return out


def evaluate(q: "Query", rows: list["Row"]) -> MarginalsResult:
    assert q.circuit is not None and isinstance(q.typed, Ty.TMarginals)
    targets = q.typed.targets
    ev = [{v: x for v, x in r.items() if x is not None} for r in rows] or [{}]
    listed = frozenset(targets)
    observed = [{v.name: v.domain[x] for v, x in sorted(r.items()) if v in listed} for r in ev]
    if isinstance(q.circuit, SparseView):
        joint, logs, cond = freemarg.marginals(
            q.circuit, freemarg.columns_of_rows(ev, q.circuit.vars), len(ev), targets)
        out = MarginalsResult(q.name, q.semiring.name, targets,
                              {v.name: joint[v] for v in targets}, observed,
                              {v.name: logs[v] for v in targets})
        out._cond = {v.name: cond[v] for v in targets}
        return out
    joint = evaluator().marginals(q.circuit, ev, list(targets))
    out = MarginalsResult(q.name, q.semiring.name, targets,
                          {v.name: joint[v] for v in targets}, observed)
    rescue(out, q.circuit, freemarg.columns_of_rows(ev, q.circuit.vars))
    return out


def rescue(r: Any, c: Any, cols: dict[Var, np.ndarray]) -> None:
    """Marginals (a MarginalsResult or an ArrayMarginals, changed in place) whose doubles
    lost a row's tables are recomputed from logs there (`_rescue`), within RESCUE_BUDGET;
    cols: the run's evidence columns (-1: unobserved)."""
    bad = _underflowed(r.joint)
    if not len(bad):
        return
    if _affordable(c, bad, r.vars):
        _rescue(r, c, cols, bad)
    else:
        _mark_lost(r, c, cols, bad)


def _mark_lost(r: Any, c: Any, ev: dict[Var, np.ndarray], bad: np.ndarray) -> None:
    """Past the budget: P(e) of each row in `bad` (one evaluation a row, with its log-space
    rescue); where it is not 0 the doubles lost the tables: their entries become NaN
    (undefined, never 0) with the reason, in `lost`."""
    cols = {u: np.asarray(x, np.int64)[bad] for u, x in ev.items() if u in c.vars}
    res = evaluator().evaluate_columns(c, cols, {}, len(bad))
    raw = np.asarray(res.raw, float)
    lg = _log_of(raw) if res.log is None else np.where(np.isnan(res.log), _log_of(raw), res.log)
    gone = bad[np.isfinite(lg)]
    for x in r.joint:
        r.joint[x] = r.joint[x].copy()
        r.joint[x][gone] = np.nan
        r.conditional[x][gone] = np.nan
    r.lost.update(zip(gone.tolist(), lg[np.isfinite(lg)].tolist()))


RESCUE_BUDGET = 2 * 10 ** 8     # rows x circuit size of a log-space rescue of marginals


def _underflowed(joint: dict[str, np.ndarray]) -> np.ndarray:
    """The rows with a table whose sum is below the smallest normal double (P(e without X)
    underflowed, or is 0) or not finite: their doubles cannot tell 0 from 10^-400."""
    bad = np.zeros(next(iter(joint.values())).shape[0] if joint else 0, bool)
    for p in joint.values():
        s = p.sum(axis=1)
        bad |= (s < SMALLEST_NORMAL) | ~np.isfinite(s)
    return np.flatnonzero(bad)


def _affordable(c: Any, bad: np.ndarray, targets: tuple[Var, ...]) -> bool:
    return len(bad) * sum(v.size for v in targets) * max(c.size, 1) <= RESCUE_BUDGET


def _rescue(r: Any, c: Any, ev: dict[Var, np.ndarray], bad: np.ndarray) -> None:
    """Each P(X = x, e without X) of the rows `bad` again, as a probability of evidence with
    its log-space rescue (runtime/logspace.py through the evaluator: a true 0 stays 0, any
    other value keeps its log); the conditionals of those rows from the logs."""
    cond = {x: p.copy() for x, p in r.conditional.items()}   # the other rows' stand
    logs = {x: np.full(p.shape, np.nan) for x, p in r.joint.items()}  # NaN: the double holds it
    blocks = [_cells(c, ev, bad, v) for v in r.vars]     # one batch for every variable
    keys = set().union(*(cols for cols, _ in blocks))
    n = sum(k for _, k in blocks)
    res = evaluator().evaluate_columns(
        c, {u: np.concatenate([cols.get(u, np.full(k, -1, np.int64)) for cols, k in blocks])
            for u in keys}, {}, n)
    raw_all = np.asarray(res.raw, float)
    lg_all = _log_of(raw_all) if res.log is None else np.where(
        np.isnan(res.log), _log_of(raw_all), res.log)
    ends = np.cumsum([k for _, k in blocks])
    for v, end, (_, k) in zip(r.vars, ends, blocks):
        raw = raw_all[end - k:end].reshape(len(bad), v.size)
        lg = lg_all[end - k:end].reshape(len(bad), v.size)
        logs[v.name][bad] = lg
        r.joint[v.name] = r.joint[v.name].copy()
        r.joint[v.name][bad] = np.where(np.isnan(lg), raw, np.exp(lg))
    r.joint_log = logs
    for v in r.vars:
        cond[v.name][bad] = _from_logs(logs[v.name][bad])
    r._cond = cond


def _cells(c: Any, ev: dict[Var, np.ndarray], bad: np.ndarray, v: Var
           ) -> tuple[dict[Var, np.ndarray], int]:
    """Evidence columns of (row b, X = i) for b in bad, i in dom X: e of row b without X,
    and X = i."""
    cols = {u: np.repeat(np.asarray(x, np.int64)[bad], v.size) for u, x in ev.items()
            if u in c.vars}
    cols[v] = np.tile(np.arange(v.size, dtype=np.int64), len(bad))
    return cols, len(bad) * v.size


def _log_of(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), np.where(p == 0, -np.inf, np.nan))


def _from_logs(lg: np.ndarray) -> np.ndarray:
    """Rows of logs normalised (exp(l - logsumexp)); NaN where every entry is -inf."""
    top = np.max(lg, axis=1, keepdims=True)
    ok = np.isfinite(top)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(lg - np.where(ok, top, 0.0))
        out = e / e.sum(axis=1, keepdims=True)
    return np.where(ok, out, np.nan)


def check_placement(typed: dict[str, Ty.T], names: Iterable[str] | None = None) -> None:
    """A marginals(...) form is a whole query, and no later query uses one."""
    for t in (typed[k] for k in (typed if names is None else names)):
        for n in Ty.walk(t):
            if isinstance(n, Ty.TMarginals) and n is not t:
                raise QueryTypeError("marginals(...) is a family of tables, one per variable: "
                                     "it must be a whole query, not an operand", n.span,
                                     "give it its own query; put evidence inside: "
                                     "marginals(bn | Wet = true)")
            if isinstance(n, Ty.TQuery) and isinstance(typed.get(n.name), Ty.TMarginals):
                raise QueryTypeError(f"query {n.name} is a marginals(...) query, a family of "
                                     "tables: other queries cannot use it", n.span,
                                     f"use the model of {n.name} instead")
