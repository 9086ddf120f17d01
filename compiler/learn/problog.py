"""ProbLog's learning from interpretations: the `t(_)` probabilities of a program, by EM.

    t(0.25)::burglary.  0.2::earthquake.  t(_)::alarm :- burglary.  t(_)::a; t(_)::b.

Each example is a partial interpretation (atoms observed true or false).  A learnable clause k
(its heads ground) becomes independent choices c_k_j (one Boolean fact, or one annotated
disjunction over its heads), each head h_j :- body, c_k_j, and two helper atoms,
b_k_j :- body, c_k_j and p_k :- body.  The program is grounded and compiled once (compiler/
problog); the parameters are soft weights of the choices' leaves, so every iteration is one
batched upward/downward pass over all examples.  The update (`update`) is ProbLog's
(`problog lfi`), θ_kj = Σ_examples P(b_kj | e) / Σ_examples P(p_k | e) (for a fact without a
body, P(p_k | e) = 1), with the learnt heads of an annotated disjunction taking the mass its
fixed heads leave, except for a single learnt head beside fixed heads, where the constrained
maximum is taken (ProbLog's update can lower the likelihood there); a clause whose body no
example makes possible keeps its value (0/0), as ProbLog does, and the result says so.
docs/learning.md.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from atlasc.compiler.errors import QueryError, SourceError
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.learn.bayes import Iteration, write_text
from atlasc.compiler.learn.estimate import check_options
from atlasc.compiler.problog import compile_problog, load
from atlasc.compiler.program import tables
from atlasc.compiler.source import Span

P = "atlasc_lfi"
Example = dict[str, bool]


@dataclass
class Learnable:
    """A learnable clause: its heads, which are learnt, their fixed or start values."""
    k: int
    heads: list[Any]
    learn: list[bool]
    value: list[float | None]     # fixed probability, or the t(p) start (None: random)
    body: Any

    @property
    def fixed(self) -> float:
        return sum(v or 0.0 for v, t in zip(self.value, self.learn) if not t)


@dataclass
class ProbLogFit:
    source: list[Any]                 # the parsed clauses (Learnable where learnable)
    theta: dict[int, list[float]]     # clause k -> its heads' probabilities
    log_likelihood: float
    examples: int
    iterations: int
    converged: bool
    history: list[Iteration] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)   # clauses no example informs
    start: dict[int, list[float]] = field(default_factory=dict)   # EM's first parameters
    method: str = "em"

    def text(self, theta: dict[int, list[float]] | None = None) -> str:
        """The program with every t(_) replaced by its learnt probability (or by `theta`)."""
        return "".join(_clause_text(c, theta or self.theta) + ".\n" for c in self.source)

    def write(self, path: str) -> None:
        write_text(path, self.text(), (".pl",))

    def summary(self) -> str:
        how = "converged" if self.converged else "stopped at the iteration limit"
        out = (f"ProbLog program: EM (learning from interpretations), {self.iterations} "
               f"iterations, {how}; log-likelihood {self.log_likelihood:.10g} over "
               f"{self.examples} examples")
        if self.kept:
            out += f"; {len(self.kept)} clauses no example informs kept their start value " \
                   f"(first: {self.kept[0]})"
        return out


# ---- the program ----------------------------------------------------------------------------
def parse(text: str, file: str) -> list[Any]:
    """The program's clauses, learnable ones as `Learnable`."""
    from problog.errors import ProbLogError          # the problog package is heavy to import
    from problog.program import PrologString
    try:
        items = list(PrologString(text))
    except ProbLogError as e:
        raise SourceError(f"ProbLog cannot parse the program: {e}", file) from None
    out: list[Any] = []
    for cl in items:
        heads, body = _heads(cl)
        if any(_learnable(h) for h in heads):
            out.append(_clause(len(out), heads, body, file))
        else:
            out.append(cl)
    if not any(isinstance(c, Learnable) for c in out):
        raise QueryError(f"{file}: no t(_) probability to learn", None,
                         "mark a learnable probability as t(_) (or t(0.25), its start)")
    return out


def _heads(cl: Any) -> tuple[list[Any], Any]:
    kind = type(cl).__name__
    if kind == "Clause":
        return [cl.head], cl.body
    if kind == "AnnotatedDisjunction":
        return list(cl.heads), cl.body
    if kind == "Or":
        return cl.to_list(), None
    return [cl], None


def _learnable(h: Any) -> bool:
    p = getattr(h, "probability", None)
    return p is not None and getattr(p, "functor", None) == "t"


def _clause(k: int, heads: list[Any], body: Any, file: str) -> Learnable:
    learn = [_learnable(h) for h in heads]
    vals: list[float | None] = []
    for h, t in zip(heads, learn):
        if not h.is_ground():
            raise QueryError(f"{file}: {h} is not ground: atlasc fit learns the t(_) "
                             "probabilities of ground clauses", None,
                             "write one clause per ground head")
        p = h.probability
        arg = p.args[0] if t and p.args else (p if not t else None)
        vals.append(_number(arg))
        if t and len(p.args) > 1:
            raise QueryError(f"{file}: {p}::{h.with_probability()} has parameter arguments, "
                             "which atlasc fit does not learn", None, "use t(_) or t(P)")
    return Learnable(k, heads, learn, vals, body)


def _number(t: Any) -> float | None:
    if t is None:
        return None
    try:
        return float(t)
    except Exception:       # t(_): problog raises its own InstantiationError for a variable
        return None


def transformed(items: list[Any], atoms: list[str]) -> str:
    """The program EM compiles: choices with placeholder probabilities, the helper atoms and
    a query for each of them and for each atom an example observes."""
    out = [str(c) + "." for c in items if not isinstance(c, Learnable) and not _directive(c)]
    for c in items:
        if isinstance(c, Learnable):
            out += _encode(c)
    out += [f"query({a})." for a in atoms]
    return "\n".join(out) + "\n"


def _directive(c: Any) -> bool:
    return type(c).__name__ == "Term" and c.functor in ("query", "evidence") and \
        c.probability is None


def _encode(c: Learnable) -> list[str]:
    ph = placeholders(c)
    choice = "; ".join(f"{p!r}::{P}_c_{c.k}_{j}" for j, p in enumerate(ph)) + "."
    lines = [choice]
    body = f"{c.body}, " if c.body is not None else ""
    for j, h in enumerate(c.heads):
        lines.append(f"{h.with_probability()} :- {body}{P}_c_{c.k}_{j}.")
        lines.append(f"query({P}_c_{c.k}_{j}).")
        if c.body is not None:
            lines += [f"{P}_b_{c.k}_{j} :- {body}{P}_c_{c.k}_{j}.", f"query({P}_b_{c.k}_{j})."]
    if c.body is not None:
        lines += [f"{P}_p_{c.k} :- {c.body}.", f"query({P}_p_{c.k})."]
    return lines


def placeholders(c: Learnable) -> list[float]:
    """The compiled probabilities: fixed heads as given, learnt ones sharing what is left
    with an implicit `none` (so every choice value has a leaf of positive weight)."""
    free = (1.0 - c.fixed) / (sum(c.learn) + 1)
    return [free if t else float(v or 0.0) for t, v in zip(c.learn, c.value)]


def _clause_text(c: Any, theta: dict[int, list[float]]) -> str:
    if not isinstance(c, Learnable):
        return str(c)
    heads = "; ".join(f"{th!r}::{h.with_probability()}" for th, h in zip(theta[c.k], c.heads))
    return heads + (f" :- {c.body}" if c.body is not None else "")


# ---- examples -------------------------------------------------------------------------------
def read_examples(data: Any, fmt: str | None = None) -> list[Example]:
    """ProbLog's examples file (evidence/1,2 facts, examples separated by lines of dashes), or
    a table whose columns are atoms (true / false / empty)."""
    if isinstance(data, (str, Path)) and (fmt is None and Path(data).suffix not in
                                          tables.SUFFIXES):
        return _problog_examples(Path(data))
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return [{_atom(k): bool(v) for k, v in r.items() if v is not None} for r in data]
    made: dict[str, Var] = {}

    def column(name: str, span: Span | None) -> Var:
        return made.setdefault(name, Var(_atom(name)))
    out: list[Example] = []
    chunks = tables.read_file(column, Path(data), fmt) if isinstance(data, (str, Path)) \
        else tables.table_chunks(column, tables.arrow_table(data))
    for chunk in chunks:
        out += [{v.name: bool(x) for v, x in r.items() if x is not None}
                for r in tables.rows_of(chunk)]
    return out


def _problog_examples(path: Path) -> list[Example]:
    from problog.program import PrologString         # heavy: imported when used
    try:
        text = path.read_text()
    except OSError as e:
        raise QueryError(f"cannot read {path}: {e.strerror or e}") from None
    out = []
    for block in re.split(r"(?m)^\s*-{3,}\s*$", text):
        ex: Example = {}
        for t in PrologString(block):
            if getattr(t, "functor", None) == "evidence":
                atom, value = _evidence(t)
                ex[atom] = value
        if ex:
            out.append(ex)
    if not out:
        raise QueryError(f"{path}: no examples (evidence(atom, true|false) facts, examples "
                         "separated by lines of ---)")
    return out


def _evidence(t: Any) -> tuple[str, bool]:
    if t.arity == 2:
        return str(t.args[0]), str(t.args[1]) == "true"
    a = t.args[0]
    if getattr(a, "functor", None) == "\\+":
        return str(a.args[0]), False
    return str(a), True


def _atom(text: str) -> str:
    """An atom as ProbLog writes it (`edge(1, 2)` -> `edge(1,2)`)."""
    return str(_term(text))


def _term(text: str) -> Any:
    from problog.program import PrologString         # heavy: imported when used
    try:
        return next(iter(PrologString(f"{text}.")))
    except Exception:       # problog's parser errors have no common base worth naming
        raise QueryError(f"{text!r} is not a ProbLog atom") from None


# ---- EM -------------------------------------------------------------------------------------
@dataclass
class _Model:
    """The compiled program and where each learnable head's choice and helpers are."""
    circuit: Any
    choice: dict[tuple[int, int], tuple[Var, int]]     # (k, j) -> (choice variable, value)
    marg: dict[tuple[str, int, int], Var]              # ("b", k, j) / ("p", k, 0) -> atom
    clauses: list[Learnable]
    atoms: dict[str, Var]                              # atom as ProbLog writes it -> variable


def fit_problog(path: Path, data: Any, *, pseudo_count: float = 0.0, tol: float = 1e-8,
                max_iter: int = 100, init: str = "random", seed: int = 0,
                progress: Callable[[Iteration], None] | None = None,
                fmt: str | None = None) -> ProbLogFit:
    check_options(pseudo_count, "uniform", tol, max_iter)
    file = str(path)
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise QueryError(f"cannot read {file}: {e.strerror or e}") from None
    items = parse(text, file)
    exs = read_examples(data, fmt)
    m = _compile(items, exs, file)
    theta = start = _start(m.clauses, init, seed)
    ev = _evidence_columns(m, exs)
    history: list[Iteration] = []
    stats, it = _iteration(m, ev, len(exs), theta, pseudo_count, 0, history, progress)
    converged = False
    kept: list[str] = []
    for t in range(1, max_iter + 1):
        theta, kept = _m_step(m.clauses, stats, theta, len(exs), pseudo_count)
        stats, nxt = _iteration(m, ev, len(exs), theta, pseudo_count, t, history, progress)
        prev, it = it, nxt
        if it.objective - prev.objective <= tol * max(1.0, abs(prev.objective)):
            converged = True
            break
    return ProbLogFit(items, theta, it.log_likelihood, len(exs), len(history) - 1, converged,
                      history, kept, start)


def _compile(items: list[Any], exs: list[Example], file: str) -> _Model:
    atoms = sorted({a for e in exs for a in e})
    defined = {(h.functor, h.arity) for c in items
               for h in (c.heads if isinstance(c, Learnable) else _heads(c)[0])}
    for a in atoms:
        t = _term(a)
        if (t.functor, t.arity) not in defined:
            raise QueryError(f"the examples observe {a}, which the program does not define",
                             None, "an example's atoms are atoms of the program")
    prog = load(text=transformed(items, atoms), file=file)
    clauses = [c for c in items if isinstance(c, Learnable)]
    choice, marg = {}, {}
    for c in clauses:
        for j in range(len(c.heads)):
            choice[(c.k, j)] = _choice_of(prog, f"{P}_c_{c.k}_{j}")
            name = f"{P}_b_{c.k}_{j}" if c.body is not None else f"{P}_c_{c.k}_{j}"
            marg[("b", c.k, j)] = prog.atom(name)
        if c.body is not None:
            marg[("p", c.k, 0)] = prog.atom(f"{P}_p_{c.k}")
    return _Model(compile_problog(prog, name="lfi"), choice, marg, clauses,
                  prog.encoding.atoms)


def _choice_of(prog: Any, atom: str) -> tuple[Var, int]:
    """The choice variable and value an atom c_k_j stands for."""
    e = prog.encoding
    v = e.atoms[atom]
    if v in e.weights:
        return v, 1
    for y, f in e.parts:
        if y == v and f[0] == "or" and f[1][0] == "and" and f[1][2][0] == "lit" and \
                f[1][2][1] in e.weights:
            return f[1][2][1], int(f[1][2][2])
    raise QueryError(f"internal: the choice {atom} is not a variable of the encoding")


def _start(clauses: list[Learnable], init: str, seed: int) -> dict[int, list[float]]:
    rng = np.random.default_rng(seed)
    out = {}
    for c in clauses:
        given = [v if (t and v is not None and init != "uniform") else None
                 for v, t in zip(c.value, c.learn)]
        free = [j for j, t in enumerate(c.learn) if t and given[j] is None]
        left = 1.0 - c.fixed - sum(v for v in given if v is not None)
        r = rng.random(len(free) + 1) if init == "random" else np.ones(len(free) + 1)
        r = r * max(left, 0.0) / r.sum()
        th = [float(c.value[j] or 0.0) if not t else given[j] for j, t in enumerate(c.learn)]
        for i, j in enumerate(free):
            th[j] = float(r[i])
        out[c.k] = _in_class(c, [float(x) for x in th])    # type: ignore[arg-type]
    return out


def _in_class(c: Learnable, th: list[float]) -> list[float]:
    """A start the update keeps to: at most 1 in all, and two or more learnt heads scaled to
    take the mass the fixed ones leave (as ProbLog's first update does)."""
    if sum(th) > 1.0 + 1e-9:
        raise QueryError(f"the probabilities of {_clause_text(c, {c.k: th})} sum to "
                         f"{sum(th):.9g} > 1")
    learnt = [j for j, t in enumerate(c.learn) if t]
    if len(learnt) > 1:
        tot = sum(th[j] for j in learnt)
        for j in learnt:
            th[j] = (1.0 - c.fixed) * (th[j] / tot if tot > 0 else 1.0 / len(learnt))
    return th


def _evidence_columns(m: _Model, exs: list[Example]) -> dict[Var, np.ndarray]:
    cols: dict[Var, np.ndarray] = {}
    for b, ex in enumerate(exs):
        for a, val in ex.items():
            cols.setdefault(m.atoms[a], np.full(len(exs), -1, np.int32))[b] = int(val)
    return cols


def _weights(m: _Model, theta: dict[int, list[float]]) -> dict[Var, np.ndarray]:
    """The soft weights of the choices: learnt over placeholder, per value."""
    out: dict[Var, np.ndarray] = {}
    for c in m.clauses:
        ph, th = placeholders(c), theta[c.k]
        v0, _ = m.choice[(c.k, 0)]
        w = np.ones(v0.size)
        if v0.size == 2 and len(c.heads) == 1:
            w[:] = [(1.0 - th[0]) / (1.0 - ph[0]), th[0] / ph[0]]
        else:
            for j in range(len(c.heads)):
                w[m.choice[(c.k, j)][1]] = th[j] / ph[j] if ph[j] > 0 else 0.0
            if v0.size > len(c.heads):          # the implicit none
                w[-1] = max(0.0, 1.0 - sum(th)) / max(1e-300, 1.0 - sum(ph))
        out[v0] = w
    return out


def _iteration(m: _Model, ev: dict[Var, np.ndarray], n: int, theta: dict[int, list[float]],
               alpha: float, t: int, history: list[Iteration],
               progress: Callable[[Iteration], None] | None
               ) -> tuple[dict[tuple[str, int, int], float], Iteration]:
    start = time.perf_counter()
    need = list(dict.fromkeys(m.marg.values()))
    out = evaluator().marginals_columns(m.circuit, ev, n, need, weights=_weights(m, theta))
    pe = out[need[0]].sum(axis=1)
    bad = np.flatnonzero(~(pe > 0))
    if len(bad):
        raise QueryError(f"example {int(bad[0]) + 1} has probability 0 under the current "
                         "parameters (its evidence contradicts the program)", None,
                         "ProbLog's lfi skips such examples; remove it or give a start "
                         "without zeros")
    ll = float(np.log(pe).sum())
    stats = {key: float((out[v][:, 1] / pe).sum()) for key, v in m.marg.items()}
    prior = alpha * sum(np.log(max(x, 1e-300)) for th in theta.values() for x in th) \
        if alpha else 0.0
    it = Iteration(t, ll, ll + prior, time.perf_counter() - start)
    history.append(it)
    if progress is not None:
        progress(it)
    return stats, it


def _m_step(clauses: list[Learnable], stats: dict[tuple[str, int, int], float],
            theta: dict[int, list[float]], n: int, alpha: float
            ) -> tuple[dict[int, list[float]], list[str]]:
    new, kept = {}, []
    for c in clauses:
        par = stats[("p", c.k, 0)] if c.body is not None else float(n)
        counts = [stats[("b", c.k, j)] for j in range(len(c.heads))]
        th = update(c, counts, par, alpha, theta[c.k]) if par > 1e-15 else None
        if th is None:
            kept.append(_clause_text(c, theta))
        new[c.k] = th or list(theta[c.k])
    return new, kept


def update(c: Learnable, n: list[float], par: float, alpha: float, th: list[float]
           ) -> list[float] | None:
    """The M-step of one clause: the learnt heads share the mass 1 - fixed.  Two or more learnt
    heads take all of it (ProbLog's convention: no implicit none), in proportion to their
    expected counts n_j; a single learnt head shares it with none: (1 - fixed) n_j /
    (n_j + n_none), n_none = par - the heads' counts (a fact: n / par).  None when the
    examples say nothing about the learnt heads (0/0)."""
    out, mass = list(th), 1.0 - c.fixed
    learnt = [j for j, t in enumerate(c.learn) if t]
    if len(learnt) == 1:
        j = learnt[0]
        rest = max(par - sum(x for i, x in enumerate(n) if i != j), n[j]) + 2 * alpha
        if rest <= 1e-15:
            return None
        out[j] = mass * (n[j] + alpha) / rest
        return out
    tot = sum(n[j] + alpha for j in learnt)
    if tot <= 1e-15:
        return None
    for j in learnt:
        out[j] = mass * (n[j] + alpha) / tot
    return out


__all__ = ["ProbLogFit", "fit_problog", "parse", "read_examples", "transformed"]
