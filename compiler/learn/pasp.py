"""PASP parameter learning: the `t(_)` probabilities of a program's probabilistic facts, by EM
under the MaxEnt semantics (docs/learning.md, "PASP").

    t(_)::a.  0.3::b.  t(0.25)::e(X) :- node(X).  ?::d.     c ; d :- a.  :- b, d.

The likelihood of a row O (a partial interpretation: atoms observed true or false) is its
MaxEnt probability, the one `maxent(p, O)` computes (docs/pasp.md): with ω(x) the weight of a
total choice x, c(x) its number of answer sets and c_O(x) those agreeing with O,

    P(O) = N(O) / Z,   N(O) = Σ_x ω(x) c_O(x) / c(x),   Z = Σ_x ω(x) [c(x) > 0].

That is the law of "draw x from ω until it has an answer set, then one of its answer sets
uniformly, then observe some atoms"; EM on it (the rejected draws are missing data too, as in
the truncated-data example of Dempster, Laird and Rubin 1977) has a closed M-step: a fact
family k of m_k ground atoms gets

    θ_k = (Σ_i∈k [Σ_rows P(x_i | O_r) + n P(x_i, inconsistent) / Z] + α) / (m_k n / Z + 2α),

and never lowers Σ_rows log P(O_r) (+ α Σ_k log θ_k (1 - θ_k) with pseudo-counts α).

One circuit gives all of it.  φ(X, Y) is compiled X-constrained (compiler/pasp), so for each
total choice x the sum over Y of the circuit is the product of the Y-only sub-circuits hanging
from its X part ("Y-roots"); each Y-root j is scaled by 1/c_j, its own model count (computed
once, exactly), so the PROB circuit evaluates, with the facts' weights ω as soft weights and a
row's observations as evidence, to N(O) (and to Z without evidence: inconsistent choices have
a zero Y-root).  One batched upward/downward pass over the rows and one empty row gives N(O_r),
P(x_i | O_r), Z and P(x_i, consistent) for every row and fact.  Credal semantics: a row's
likelihood is an interval there; fit learns the MaxEnt likelihood and says so.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from atlasc.compiler import pasp as P
from atlasc.compiler.errors import QueryError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, xdet
from atlasc.compiler.ir.nodes import Node, Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.learn.bayes import Iteration, write_text
from atlasc.compiler.learn.data import Columns, read_rows
from atlasc.compiler.learn.estimate import check_options
from atlasc.compiler.pasp.text import ProbFact
from atlasc.compiler.properties.establish import establish
from atlasc.compiler.semirings import PROB
from atlasc.compiler.sources.text import text_of

SEMANTICS = ("maxent",)
CREDAL_NOTE = ("under the credal semantics a row's probability is an interval (lower, upper), "
               "not one likelihood: atlasc fit learns the MaxEnt likelihood, whose maxent "
               "queries the fitted program answers (docs/learning.md)")


@dataclass
class PaspFit:
    """The fitted program: `text()` is the user's text with each t(_) replaced by its
    learnt number, which the PASP front end reads."""
    source: str
    facts: list[ProbFact]              # the learnt facts (annotation spans in source)
    theta: dict[int, float]            # fact index -> its learnt probability
    log_likelihood: float
    rows: int
    iterations: int
    converged: bool
    history: list[Iteration] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)    # facts with no ground atom
    start: dict[int, float] = field(default_factory=dict)
    inconsistent: float = 0.0          # 1 - Z under the learnt numbers
    method: str = "em"
    semantics: str = "maxent"

    def text(self, theta: dict[int, float] | None = None) -> str:
        th, out, at = theta or self.theta, [], 0
        for f in sorted(self.facts, key=lambda f: f.span[0]):
            out += [self.source[at:f.span[0]], f"{th[f.index]!r}::"]
            at = f.span[1]
        return "".join(out) + self.source[at:]

    def write(self, path: str) -> None:
        write_text(path, self.text(), (".lp",))

    def summary(self) -> str:
        how = "converged" if self.converged else "stopped at the iteration limit"
        out = (f"PASP program: EM under the MaxEnt semantics, {self.iterations} iterations, "
               f"{how}; log-likelihood {self.log_likelihood:.10g} over {self.rows} rows")
        if self.inconsistent:
            out += f"; inconsistent total choices: mass {self.inconsistent:.6g}"
        if self.kept:
            out += f"; {len(self.kept)} facts ground to no atom and kept their start " \
                   f"(first: {self.kept[0]})"
        return out


# ---- the circuit ----------------------------------------------------------------------------
@dataclass
class LearnCircuit:
    circuit: Circuit            # PROB; evaluates to N(O) under evidence O
    X: list[Var]
    Y: list[Var]


def learning_circuit(prog: P.Pasp, name: str = "fit") -> LearnCircuit:
    """φ compiled X-constrained, in PROB, each Y-root scaled by 1 / its model count."""
    c, _ = P.compile_pasp(prog, name=name)
    X = frozenset(prog.X)
    for prop in (SMOOTH, DEC, DET, xdet(X)):
        if not establish(c, prop).holds:
            raise QueryError(f"internal: the program's circuit is not {prop}")
    b = Builder()
    new: dict[int, Node] = {}
    count: dict[int, int] = {}          # exact model counts of the nodes without X
    scaled: dict[int, Node] = {}
    for n in c.nodes():
        kids = [_edge(b, k, c, X, new, count, scaled) if c.scope(n) & X else new[k.uid]
                for k in n.children]
        new[n.uid] = _copy(b, n, kids)
        if not c.scope(n) & X:
            count[n.uid] = _count(n, [count[k.uid] for k in n.children])
    root = _edge(b, c.root, c, X, new, count, scaled)
    out = Circuit(root, b, name=name, info={"source": "pasp", "purpose": "parameter learning"})
    return LearnCircuit(out, list(prog.X), list(prog.Y))


def _edge(b: Builder, k: Node, c: Circuit, X: frozenset[Var], new: dict[int, Node],
          count: dict[int, int], scaled: dict[int, Node]) -> Node:
    """The copy of child k seen from a parent with X in scope: a Y-root divided by its count."""
    s = c.scope(k)
    if not s or s & X:
        return new[k.uid]
    if k.uid not in scaled:
        n = count[k.uid]
        scaled[k.uid] = b.prod([b.const(1.0 / n, PROB), new[k.uid]]) if n else b.zero(PROB)
    return scaled[k.uid]


def _copy(b: Builder, n: Node, kids: list[Node]) -> Node:
    if n.op is Op.INPUT:
        return b.input(n.arg.var, [1.0 if w else 0.0 for w in n.arg.weights], PROB)
    if n.op is Op.CONST:
        return b.const(1.0 if n.arg else 0.0, PROB)
    if n.op is Op.SUM:
        return b.sum(kids, PROB)
    if n.op is Op.PROD:
        return b.prod(kids, PROB)
    raise QueryError(f"internal: a {n.op.value} node in a PASP circuit")


def _count(n: Node, kids: list[int]) -> int:
    """The exact model count of a node over Y (no X in scope)."""
    if n.op is Op.INPUT:
        return sum(1 for w in n.arg.weights if w)
    if n.op is Op.CONST:
        return 1 if n.arg else 0
    return sum(kids) if n.op is Op.SUM else math.prod(kids)


# ---- rows -----------------------------------------------------------------------------------
def read_pasp_rows(lc: LearnCircuit, data: Any, fmt: str | None, what: str
                   ) -> tuple[Columns, int]:
    """Rows whose columns are atoms (as clingo writes them, blanks outside strings ignored),
    cells true / false / empty (missing)."""
    return read_rows(lc.X + lc.Y, data, fmt, what)


def _describe(cols: Columns, r: int) -> str:
    obs = [f"{v.name}={v.domain[int(a[r])]}" for v, a in cols.items() if a[r] >= 0]
    return ", ".join(obs[:6]) + (", ..." if len(obs) > 6 else "") if obs else "nothing observed"


# ---- EM -------------------------------------------------------------------------------------
@dataclass
class _Setup:
    lc: LearnCircuit
    learn: list[ProbFact]
    members: dict[int, list[Var]]       # fact index -> its ground atoms
    fixed: dict[Var, float]             # the other facts' probabilities
    ev: Columns                         # the rows and one empty row last
    rows: int
    cols: Columns


def fit_pasp(path: Path, data: Any, *, pseudo_count: float = 0.0, tol: float = 1e-8,
             max_iter: int = 100, init: str = "random", seed: int = 0,
             progress: Callable[[Iteration], None] | None = None, fmt: str | None = None,
             semantics: str = "maxent") -> PaspFit:
    """Fit the t(_) probabilities of the PASP program at `path` to the rows of `data`."""
    check_options(pseudo_count, "uniform", tol, max_iter)
    if semantics not in SEMANTICS:
        raise QueryError(f"fit learns PASP programs under the MaxEnt semantics, not "
                         f"{semantics!r}", None, CREDAL_NOTE)
    file = str(path)
    try:
        text = text_of(Path(path).read_bytes(), file)
    except OSError as e:
        raise QueryError(f"cannot read {file}: {e.strerror or e}") from None
    s = _setup(P.load(text, file, learnable=True), data, fmt, file)
    theta = start = _start(s.learn, init, seed)
    history: list[Iteration] = []
    stats, it = _iteration(s, theta, pseudo_count, 0, history, progress)
    converged = False
    for t in range(1, max_iter + 1):
        theta = _m_step(s, stats, theta, pseudo_count)
        stats, nxt = _iteration(s, theta, pseudo_count, t, history, progress)
        prev, it = it, nxt
        if it.objective - prev.objective <= tol * max(1.0, abs(prev.objective)):
            converged = True
            break
    kept = [f.text for f in s.learn if not s.members[f.index]]
    return PaspFit(text, s.learn, theta, it.log_likelihood, s.rows, len(history) - 1,
                   converged, history, kept, start, max(0.0, round(1.0 - stats.z, 12)))


def _setup(prog: P.Pasp, data: Any, fmt: str | None, file: str) -> _Setup:
    learn = [f for f in prog.ground.facts if f.learn]
    if not learn:
        raise QueryError(f"{file}: no t(_) probability to learn", None,
                         "mark a learnable probability as t(_)::atom. (or t(0.25)::atom., "
                         "its start, or ?::atom.)")
    members: dict[int, list[Var]] = {f.index: [] for f in learn}
    fixed: dict[Var, float] = {}
    for a, k in prog.ground.origin.items():
        v = prog.vars[a]
        if k in members:
            members[k].append(v)
        else:
            fixed[v] = prog.ground.prob[a]
    lc = learning_circuit(prog)
    cols, rows = read_pasp_rows(lc, data, fmt, file)
    ev = {v: np.concatenate([a, [-1]]).astype(np.int32) for v, a in cols.items()}
    return _Setup(lc, learn, members, fixed, ev, rows, cols)


def _start(learn: list[ProbFact], init: str, seed: int) -> dict[int, float]:
    rng = np.random.default_rng(seed)
    out = {}
    for f in learn:
        r = float(rng.uniform(0.1, 0.9))
        given = f.prob == f.prob and init != "uniform"
        out[f.index] = f.prob if given else (r if init == "random" else 0.5)
    return out


@dataclass
class _Stats:
    true: dict[int, float]       # fact index -> Σ_i∈k [Σ_rows P(x_i | O_r) + n P(x_i, inc) / Z]
    z: float


def _weights(s: _Setup, theta: dict[int, float]) -> dict[Var, np.ndarray]:
    out = {v: np.array([1.0 - p, p]) for v, p in s.fixed.items()}
    for k, vs in s.members.items():
        out.update({v: np.array([1.0 - theta[k], theta[k]]) for v in vs})
    return out


def _iteration(s: _Setup, theta: dict[int, float], alpha: float, t: int,
               history: list[Iteration], progress: Callable[[Iteration], None] | None
               ) -> tuple[_Stats, Iteration]:
    start = time.perf_counter()
    need = [v for vs in s.members.values() for v in vs] or s.lc.X[:1]
    out = evaluator().marginals_columns(s.lc.circuit, s.ev, s.rows + 1, need,
                                        weights=_weights(s, theta))
    joint = {v: _with_own_evidence(out[v], s.ev.get(v)) for v in need}
    tot = joint[need[0]].sum(axis=1)
    pe, z = tot[:-1], float(tot[-1])
    _check(s, pe, z)
    true = {}
    for k, vs in s.members.items():
        true[k] = sum(float((joint[v][:-1, 1] / pe).sum()) + s.rows *
                      max(0.0, theta[k] - float(joint[v][-1, 1])) / z for v in vs)
    ll = float(np.log(pe).sum()) - s.rows * math.log(z)
    prior = alpha * sum(math.log(max(p, 1e-300)) + math.log(max(1.0 - p, 1e-300))
                        for p in theta.values()) if alpha else 0.0
    it = Iteration(t, ll, ll + prior, time.perf_counter() - start)
    history.append(it)
    if progress is not None:
        progress(it)
    return _Stats(true, z), it


def _with_own_evidence(m: np.ndarray, obs: np.ndarray | None) -> np.ndarray:
    """P(X = x, O) per row: the marginals leave X's own observation out, so an observed X
    keeps only its observed value's column."""
    if obs is None:
        return m
    keep = (obs[:, None] < 0) | (obs[:, None] == np.arange(m.shape[1])[None, :])
    return np.where(keep, m, 0.0)


def _check(s: _Setup, pe: np.ndarray, z: float) -> None:
    if not z > 0:
        raise QueryError("no total choice of positive probability has an answer set under "
                         "the current parameters", None, "check the program's constraints, "
                         "or start from --init uniform")
    bad = np.flatnonzero(~(pe > 0))
    if len(bad):
        r = int(bad[0])
        raise QueryError(f"data row {r + 1} ({_describe(s.cols, r)}) has probability 0 under "
                         "the current parameters: no total choice of positive probability "
                         f"has an answer set agreeing with it ({len(bad)} such rows)", None,
                         "remove the row, or start from --init uniform or random if a start "
                         "of 0 or 1 rules it out")


def _m_step(s: _Setup, st: _Stats, theta: dict[int, float], alpha: float
            ) -> dict[int, float]:
    new = dict(theta)
    for k, vs in s.members.items():
        if vs:
            total = len(vs) * s.rows / st.z
            new[k] = min(1.0, max(0.0, (st.true[k] + alpha) / (total + 2 * alpha)))
    return new


__all__ = ["CREDAL_NOTE", "LearnCircuit", "PaspFit", "fit_pasp", "learning_circuit"]
