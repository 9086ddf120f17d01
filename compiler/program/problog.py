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
from pathlib import Path
from typing import Any, Callable, Sequence

from atlasc.compiler import ops
from atlasc.compiler import problog as PL
from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings.builtin import identity
from atlasc.compiler.names import canonical
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
    prog: PL.Problog
    model: Circuit
    steps: list[Any] = field(default_factory=list)   # the report steps of what was run

    def var(self, atom: str) -> Var:
        v = self.prog.encoding.atoms.get(atom) or _by_canonical(self.prog, atom)
        if v is None:
            raise SourceError(f"'{atom}' is not a ground atom of the program", self.prog.file,
                              hint="name a query or evidence atom, or an atom the program "
                                   "derives, as ProbLog writes it (edge(1,2))")
        return v


def _by_canonical(prog: PL.Problog, atom: str) -> Var | None:
    want = canonical(atom)
    return next((v for n, v in prog.encoding.atoms.items() if canonical(n) == want), None)


def open_program(prog: PL.Problog, constrained: Sequence[str] = (),
                 progress: Progress | None = None) -> Session:
    """Compile the program's distribution (Q-constrained for marginal MAP over Q)."""
    s = Session(prog, None)  # type: ignore[arg-type]
    Q = [s.var(a) for a in constrained]
    limits = Limits(progress=progress) if progress is not None else None
    c = PL.compile_problog(prog, constrained=Q or None, limits=limits,
                           name=Path(prog.file).stem)
    e = prog.encoding
    how = f"constrained {{{', '.join(v.name for v in Q)}}}" if Q else "minfill vtree"
    s.model = ops.model(c, "program", f"problog, grounded and cycle-broken by ProbLog: "
                        f"{len(e.X)} choices, {len(e.Y)} atoms; SDD, {how}")
    return s


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


def read_rows(s: Session, path: str) -> list[Obs]:
    """CSV rows: the header names atoms, cells true/false/1/0 (empty: unobserved)."""
    with open(path, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    if not table:
        raise SourceError("the data file is empty", path, hint="a header of atoms, then rows")
    header = [h.strip() for h in table[0]]
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
    queries = s.prog.queries
    if not queries:
        return [Answer("marginals", {}) for _ in rows]
    targets = list(dict.fromkeys(s.var(q) for q in queries))
    c = ops.marginals(s.model, targets)
    s.steps.append(c.step)
    ev = indices(s, rows)
    joint = evaluator().marginals(c, ev, targets)
    return [_answer(s, queries, joint, b, rows[b], ev[b]) for b in range(len(rows))]


def _answer(s: Session, queries: list[str], joint: dict[Var, Any], b: int, obs: Obs,
            ev: dict[Var, int]) -> Answer:
    v0 = s.var(queries[0])
    first = joint[v0][b]          # an observed variable's table is P(X = x, e without X)
    pe = float(first[ev[v0]] if v0 in ev else first.sum())
    if not pe > 0.0:
        return Answer("marginals", undefined=_undefined(s, obs))
    out: dict[str, float] = {}
    for q in queries:
        v = s.var(q)
        out[q] = float(ev[v] == 1) if v in ev else float(joint[v][b][1]) / pe
    return Answer("marginals", out)


def _undefined(s: Session, obs: Obs) -> str:
    """ProbLog's words, naming the first evidence atom after which P(e) is zero."""
    names = list(obs)
    prefixes = [{s.var(a): int(obs[a]) for a in names[:k]} for k in range(1, len(names) + 1)]
    vals = evaluator().evaluate(ops.aggregate(s.model, s.model.vars), evidence=prefixes).values
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
    """The atoms ProbLog's mpe task prints: the queries, or every atom if there are none."""
    return s.prog.queries or list(s.prog.encoding.atoms)


def _world(s: Session, shown: list[str], p: float, arg: dict[Var, int], obs: Obs) -> Answer:
    if not p > 0.0 or math.isnan(p):
        why = _undefined(s, obs) if obs else "the program has no possible world"
        return Answer("max", undefined=why)
    world = {a: bool(arg[s.var(a)]) if s.var(a) in arg else obs[a] for a in shown}
    return Answer("max", world=world, probability=p)


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
        progress: Progress | None = None) -> tuple[Session, list[Answer]]:
    """Compile the program and answer its queries (or MPE / marginal MAP) for each row."""
    prog = PL.load(path, all_atoms=bool(over))
    if not (mpe or over or data or prog.queries):
        _contradiction(prog)
        return Session(prog, None), [Answer("marginals", {})]  # type: ignore[arg-type]
    s = open_program(prog, over, progress=progress)
    rows = evidence_rows(s, read_rows(s, data) if data else None)
    if over:
        return s, maximise(s, rows, list(over))
    if mpe:
        return s, maximise(s, rows, None)
    return s, marginals(s, rows)


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
