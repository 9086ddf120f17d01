"""`atlasc problog FILE.pl` (docs/problog.md): the file's queries under its evidence, as ProbLog
answers them, through the certified operators and the LLVM runtime.

* marginals: every query atom's P(q | e) from one upward and one downward pass
  (`marginals[...]` over the program's distribution, ops.marginals);
* `--mpe`: max[*] map[id: prob -> maxprod] (m | e), with the maximising world;
* `--map ATOMS`: max[Q] map[id: prob -> maxprod] sum[* \\ Q] (m | e) on a circuit compiled with
  a Q-constrained vtree (Q-deterministic by construction, so the mapping is certified);
* evidence rows (`--data`): each row's observations added to the file's evidence, one batch.
A row whose evidence has probability zero is undefined (ProbLog's InconsistentEvidenceError),
never a number: an error for the file's own evidence, a null entry with the reason per row.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

from atlasc.compiler import ops
from atlasc.compiler import problog as PL
from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings.builtin import identity
from atlasc.compiler.program.tables import check_utf8
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.sources.limits import Limits

Progress = Callable[[str], None]
Obs = dict[str, bool]                      # atom as ProbLog writes it -> observed value
INCONSISTENT = "InconsistentEvidenceError: Inconsistent evidence detected"


@dataclass
class Answer:
    """One evidence row's answer: the query probabilities (marginals) or the maximising world
    and its probability P(world, e) (mpe, map), or why there is none (`undefined`)."""
    kind: str                                       # "marginals" or "max"
    values: dict[str, float] | None = None
    world: dict[str, bool] | None = None
    probability: float | None = None
    undefined: str | None = None

    def to_json(self) -> dict[str, Any]:
        values = None if self.values is None else dict(sorted(self.values.items()))
        out: dict[str, Any] = {"queries": values} if self.kind == "marginals" else \
            {"assignment": self.world, "probability": self.probability}
        if self.undefined:
            out["undefined"] = self.undefined
        return out


@dataclass
class Session:
    """A compiled program: the model (made on first use from `make`: with the roots, the
    answers need only the SDD), the atoms it has as variables (observed atoms, and the MAP
    atoms), the selector whose values are the queries (marginals), what was run."""
    prog: PL.Problog
    make: Callable[[], Circuit]
    atoms: dict[str, Var] = field(default_factory=dict)
    roots: PL.Roots | None = None
    joint: PL.Joint | None = None
    steps: list[Any] = field(default_factory=list)   # the report steps of what was run
    report: bool = False          # answer through the circuit and the operators (--report)

    @cached_property
    def model(self) -> Circuit:
        return self.make()

    def var(self, atom: str) -> Var:
        v = self.atoms.get(atom)
        return v if v is not None else self.atoms[self.prog.resolve(atom)]


def open_program(prog: PL.Problog, constrained: Sequence[str] = (),
                 progress: Progress | None = None, kept: Sequence[str] = ()) -> Session:
    """The joint distribution of the choices, the MAP atoms, the `kept` atoms and the evidence
    atoms, compiled with a vtree constrained on the MAP atoms (marginal MAP)."""
    Q = [prog.resolve(a) for a in constrained]
    sub = prog.restricted(Q + [prog.resolve(a) for a in kept])
    e = sub.encoding
    j = PL.joint_sdd(sub, constrained=[e.atoms[a] for a in Q] or None,
                     limits=_limits(progress), name=Path(prog.file).stem)
    how = f"constrained {{{', '.join(e.atoms[a].name for a in Q)}}}" if Q else "minfill vtree"

    def make() -> Circuit:
        return ops.model(j.circuit, "program", f"problog, grounded and cycle-broken by "
                         f"ProbLog: {len(e.X)} choices, {len(e.Y)} atoms; SDD, {how}")
    return Session(prog, make, dict(e.atoms), joint=j)


def open_queries(prog: PL.Problog, observed: Sequence[str], queries: Sequence[str] | None,
                 progress: Progress | None = None, shown: Sequence[str] = ()) -> Session:
    """The queries as the branches of one circuit (compiler/problog/roots.py), or with
    `queries=None` the distribution over the choices and the observed atoms (MPE, `shown` the
atoms it prints); where the
    atoms' formulas overlap much (PL.overlapping), the joint model with the atoms as
    variables and their definitions local instead."""
    obs = list(dict.fromkeys(prog.resolve(a) for a in observed))
    atoms = [*(queries or shown), *obs]
    if PL.overlapping(prog.ground, atoms):
        return open_program(prog, (), progress, atoms)
    r = PL.compile_roots(prog.ground, obs, list(dict.fromkeys(queries or [])),
                         queries is None, _limits(progress), Path(prog.file).stem)
    what = f"{len(r.queries)} queries as the values of a selector, each branch its formula " \
        "and the evidence" if queries is not None else "the evidence"

    def make() -> Circuit:
        return ops.model(r.circuit, "program", f"problog, grounded by ProbLog, cycles by the "
                         f"least fixpoint: {r.info['choices']} choices, {len(obs)} observed "
                         f"atoms; one SDD, {what}")
    return Session(prog, make, dict(r.atoms), r)


def _limits(progress: Progress | None) -> Limits | None:
    return Limits(progress=progress) if progress is not None else None


# ---- evidence -----------------------------------------------------------------------------------
def evidence_rows(s: Session, rows: list[Obs] | None) -> list[Obs | str]:
    """The file's evidence, with each row's observations added; a row that contradicts the
    file's evidence is the reason it is undefined."""
    base = s.prog.evidence
    _contradiction(s.prog)
    if rows is None:
        return [dict(base)]
    out: list[Obs | str] = []
    for r in rows:
        clash = next((a for a, v in r.items() if base.get(a, v) != v), None)
        out.append(f"{INCONSISTENT}: '{clash}'" if clash is not None else {**base, **r})
    return out


def _contradiction(prog: PL.Problog) -> None:
    seen: dict[str, bool] = {}
    for n, _, v in prog.ground.evidence:
        if seen.setdefault(n, v) != v:
            raise SourceError(f"{INCONSISTENT}: '{n}'", prog.file)


def indices(s: Session, rows: list[Obs]) -> list[dict[Var, int]]:
    return [{s.var(a): int(v) for a, v in r.items()} for r in rows]


def read_header(prog: PL.Problog, path: str) -> list[str]:
    """The atoms the data file's header names, as ProbLog writes them; an unknown one is an
    error at its column of the header."""
    out, col = [], 1
    for cell in _table(path)[0]:
        try:
            out.append(prog.resolve(cell.strip()))
        except SourceError as e:
            raise SourceError(f"the column {e.message}", path, 1,
                              col + len(cell) - len(cell.lstrip()), e.hint) from None
        col += len(cell) + 1
    return out


def _table(path: str) -> list[list[str]]:
    check_utf8(Path(path))                  # a positioned error at a byte that is not UTF-8
    with open(path, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    if not table:
        raise SourceError("the data file is empty", path, hint="a header of atoms, then rows")
    return table


def read_rows(s: Session, path: str) -> list[Obs]:
    """CSV rows: the header names atoms, cells true/false/1/0 (empty: unobserved)."""
    table = _table(path)
    header = [s.prog.resolve(h.strip()) for h in table[0]]
    for h in header:
        s.var(h)
    return [_row(header, r, path, i) for i, r in enumerate(table[1:], 2) if r]


def _row(header: list[str], cells: list[str], path: str, line: int) -> Obs:
    if len(cells) != len(header):
        raise SourceError(f"this row has {len(cells)} cells, the header {len(header)}",
                          path, line)
    out: Obs = {}
    for h, c in zip(header, cells):
        c = c.strip().lower()
        if c in ("true", "1", "t"):
            out[h] = True
        elif c in ("false", "0", "f"):
            out[h] = False
        elif c:
            raise SourceError(f"'{c}' is not true or false (column {h})", path, line)
    return out


# ---- marginals ----------------------------------------------------------------------------------
def _split(rows: list[Obs | str]) -> tuple[list[Obs], list[int]]:
    """The rows that can be evaluated, and their positions (the others are reasons)."""
    keep = [i for i, r in enumerate(rows) if not isinstance(r, str)]
    return [rows[i] for i in keep], keep  # type: ignore[misc]


def _merge(rows: list[Obs | str], done: list[Answer], keep: list[int], kind: str
           ) -> list[Answer]:
    out = [Answer(kind, undefined=r) if isinstance(r, str) else None for r in rows]
    for i, a in zip(keep, done):
        out[i] = a
    return out  # type: ignore[return-value]


def marginals(s: Session, all_rows: list[Obs | str]) -> list[Answer]:
    rows, keep = _split(all_rows)
    return _merge(all_rows, _marginals(s, rows) if rows else [], keep, "marginals")


def _marginals(s: Session, rows: list[Obs]) -> list[Answer]:
    if s.roots is None:
        return _joint_marginals(s, rows)
    joint = _selector(s, indices(s, rows))
    n = len(s.roots.queries)
    return [_answer(s, rows[b], float(joint[b][n]), dict(zip(s.roots.queries, joint[b])))
            for b in range(len(rows))]


def _selector(s: Session, ev: list[dict[Var, int]]) -> list[Any]:
    """P(S = s, e) per row for each value of the selector: the SDD's weighted model counts,
    or with --report the marginals operator on its circuit through the LLVM runtime (the
    same numbers, with the report of the properties the step needed)."""
    assert s.roots is not None
    if not s.report:
        return s.roots.counts(ev)
    S = s.roots.select
    c = ops.marginals(s.model, [S])
    s.steps.append(c.step)
    return list(evaluator().marginals(c, ev, [S])[S])


def _joint_marginals(s: Session, rows: list[Obs]) -> list[Answer]:
    """The queries are variables of the joint model: their marginals from one pass."""
    queries = s.prog.queries
    targets = list(dict.fromkeys(s.var(q) for q in queries))
    if s.joint is not None and not s.report:
        counts = s.joint.counts(indices(s, rows), targets)
        return [_answer(s, obs, pe, {q: ps[targets.index(s.var(q))] for q in queries})
                for obs, (pe, ps) in zip(rows, counts)]
    c = ops.marginals(s.model, targets)
    s.steps.append(c.step)
    ev = indices(s, rows)
    joint = evaluator().marginals(c, ev, targets)
    v0 = targets[0]
    out = []
    for b, obs in enumerate(rows):
        first = joint[v0][b]     # an observed variable's table is P(X = x, e without X)
        pe = float(first[ev[b][v0]] if v0 in ev[b] else first.sum())
        out.append(_answer(s, obs, pe, {q: joint[s.var(q)][b][1] for q in queries}))
    return out


def _answer(s: Session, obs: Obs, pe: float, pqe: dict[str, Any]) -> Answer:
    """P(q | e) = P(q, e) / P(e); an observed query is its value."""
    if not pe > 0.0:
        return Answer("marginals", undefined=_undefined(s, obs))
    return Answer("marginals", {q: float(obs[q]) if q in obs else float(p) / pe
                                for q, p in pqe.items()})


def _undefined(s: Session, obs: Obs) -> str:
    """ProbLog's words, naming the first evidence atom after which P(e) is zero."""
    names = list(obs)
    prefixes = [{s.var(a): int(obs[a]) for a in names[:k]} for k in range(1, len(names) + 1)]
    if s.roots is not None and not s.report:
        vals = [r[-1] for r in s.roots.counts(prefixes)]       # S = #evidence: P(prefix)
    elif s.joint is not None and not s.report:
        vals = [pe for pe, _ in s.joint.counts(prefixes, [])]
    else:
        vals = evaluator().evaluate(ops.aggregate(s.model, s.model.vars),
                                    evidence=prefixes).values
    bad = next((names[k] for k, p in enumerate(vals) if not float(p) > 0.0), None)
    return f"{INCONSISTENT}: '{bad}'" if bad is not None else INCONSISTENT


# ---- MPE and marginal MAP -----------------------------------------------------------------------
def maximise(s: Session, all_rows: list[Obs | str], over: Sequence[str] | None
             ) -> list[Answer]:
    """--mpe (over None: every variable) or --map over the named atoms."""
    rows, keep = _split(all_rows)
    return _merge(all_rows, _maximise(s, rows, over) if rows else [], keep, "max")


def _maximise(s: Session, rows: list[Obs], over: Sequence[str] | None) -> list[Answer]:
    Q = frozenset(s.var(a) for a in over) if over is not None else s.model.vars
    c = s.model
    if Q != c.vars:
        c = ops.aggregate(c, c.vars - Q)
    c = ops.aggregate(ops.apply_mapping(c, identity(R.PROB, R.MAXPROD)), Q)
    s.steps.append(c.step)
    res = evaluator().evaluate(c, evidence=indices(s, rows), argmax=True)
    shown = list(over) if over is not None else _mpe_atoms(s)
    return [_world(s, shown, float(res.values[b]), res.argmax[b] if res.argmax else {},
                   rows[b]) for b in range(len(rows))]


def _mpe_atoms(s: Session) -> list[str]:
    """The atoms ProbLog's mpe task prints: the queries, or every kept atom if there are
    none."""
    return s.prog.queries or list(s.atoms)


def _world(s: Session, shown: list[str], p: float, arg: dict[Var, int], obs: Obs) -> Answer:
    if not p > 0.0 or math.isnan(p):
        why = _undefined(s, obs) if obs else "the program has no possible world"
        return Answer("max", undefined=why)
    derived = [a for a in shown if a not in s.atoms and a not in obs]
    world = dict(zip(derived, _derived(s, derived, arg)))
    for a in shown:
        if a not in world:
            world[a] = obs[a] if a in obs else bool(arg[s.var(a)])
    return Answer("max", world={a: world[a] for a in shown}, probability=p)


def _derived(s: Session, atoms: list[str], arg: dict[Var, int]) -> list[bool]:
    """Atoms that are functions of the choices, read off the maximising choices."""
    if not atoms:
        return []
    g = s.prog.ground
    keys = dict(g.atoms)
    return PL.truth(g, PL.choice_vars(g)[0], arg, [keys[a] for a in atoms])


# ---- text ---------------------------------------------------------------------------------------
def marginal_text(a: Answer) -> str:
    """As ProbLog prints it: sorted by the atom's text, right-aligned, `atom:<TAB>p`."""
    from problog.util import format_dictionary
    assert a.values is not None
    return format_dictionary(a.values)


def world_text(a: Answer) -> str:
    """As ProbLog's mpe task prints it: `atom` or `\\+atom` per line, then the probability."""
    assert a.world is not None and a.probability is not None
    lines = [n if v else f"\\+{n}" for n, v in a.world.items()]
    return "\n".join(lines + ["%% Probability: %.10g" % a.probability])


# ---- the command --------------------------------------------------------------------------------
def map_atoms(specs: Sequence[str]) -> list[str]:
    """`--map "a,edge(1,2)"` (repeatable): atoms split at commas outside parentheses."""
    out: list[str] = []
    for spec in specs:
        depth, cur = 0, ""
        for ch in spec:
            depth += (ch in "([") - (ch in ")]")
            if ch == "," and depth == 0:
                out.append(cur.strip())
                cur = ""
            else:
                cur += ch
        out.append(cur.strip())
    return [a for a in out if a]


def run(path: str, *, mpe: bool = False, over: Sequence[str] = (), data: str | None = None,
        progress: Progress | None = None, allow_python: bool = False, report: bool = False
        ) -> tuple[Session, list[Answer]]:
    """Compile the program and answer its queries (or MPE / marginal MAP) for each row;
    `allow_python`: the Python modules the program loads may run (refused otherwise);
    `report`: every answer through the circuit and the operators, whose steps are kept."""
    prog = PL.load(path, all_atoms=bool(over or data), allow_python=allow_python)
    if not (mpe or over or data or prog.queries):
        _contradiction(prog)
        return Session(prog, _no_model), [Answer("marginals", {})]
    observed = [*prog.evidence, *(read_header(prog, data) if data else [])]
    if over:
        s = open_program(prog, over, progress=progress)
    else:
        s = open_queries(prog, observed, None if mpe else prog.queries, progress=progress,
                         shown=prog.queries)
    s.report = report
    rows = evidence_rows(s, read_rows(s, data) if data else None)
    if over:
        return s, maximise(s, rows, [prog.resolve(a) for a in over])
    if mpe:
        return s, maximise(s, rows, None)
    return s, marginals(s, rows)


def _no_model() -> Circuit:
    raise AssertionError("a program without queries has no model")


def text(answers: list[Answer], batch: bool) -> str:
    """ProbLog's text for one row; with --data, each row under a `% row N` line."""
    parts = []
    for i, a in enumerate(answers, 1):
        body = f"% undefined: {a.undefined}" if a.undefined else \
            (marginal_text(a) if a.kind == "marginals" else world_text(a))
        parts.append(f"% row {i}\n{body}" if batch else body)
    return "\n".join(parts)


def json_value(answers: list[Answer], batch: bool) -> dict[str, Any]:
    if batch:
        return {"rows": [a.to_json() for a in answers]}
    return answers[0].to_json()


def report_text(s: Session) -> str:
    return "\n".join(st.render() for st in s.steps)
