"""PASP models (`model p = pasp "prog.lp"` or `pasp { ... }`) and their queries
`maxent(p, q)` and `credal(p, q)`, with evidence written `maxent(p, q | e, !f)` (also the
positional `maxent(q; p | e)` and keyword forms; docs/pasp.md).

The model is phi(X, Y), X the probabilistic atoms, compiled X-constrained (atlasc.compiler.pasp).  The
queries expand into the compositions of docs/atlas.md §4.2 over models made here: the facts'
weights omega_X and the count-pair labels lambda of the query and evidence literals:
  maxent:  sum_X omega maxent(sum_Y lambda_qe [phi])  *  recip(sum_X omega maxent(sum_Y
           lambda_e [phi]))   = P(q, e | consistent) / P(e | consistent): inconsistent total
           choices are dropped and the rest renormalised;
  credal:  sum_X omega credal(sum_Y lambda_q [phi])  *  recip(sum_X omega), in prob2 as
           (lower, upper); inconsistent choices count for neither bound (and are reported).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from atlasc.compiler import pasp as P
from atlasc.compiler.errors import QueryError, QueryTypeError, SourceError
from atlasc.compiler.language import adapters
from atlasc.compiler.language import ast as A
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.typed import CREDAL, MAXENT, Semantics, TPasp
from atlasc.compiler.language.modelinfo import ModelInfo, declare_source_vars, options
from atlasc.compiler.language.resolve import Env
from atlasc.compiler.language.sugar import Call, noted, register
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ops import model as as_model
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span
from atlasc.compiler.sources.text import text_of

Progress = Callable[[str], None]


@dataclass
class PaspInfo(ModelInfo):
    program: P.Pasp | None = field(default=None, repr=False)

    @property
    def X(self) -> frozenset[Var]:
        assert self.program is not None
        return frozenset(self.program.X)


# ---- the model --------------------------------------------------------------------------------
def check_pasp(env: Env, decl: A.ModelDecl, body: A.PaspModel,
               progress: Progress | None) -> PaspInfo:
    name = decl.name.text
    prog = _load(env, body)
    declare_source_vars(env, prog.X + prog.Y, body.source_span, "the program has an atom",
                        _boolean)
    scope = frozenset(prog.X + prog.Y)
    opts = options(env, body.options, scope)
    if opts.constrained and frozenset(opts.constrained) != frozenset(prog.X):
        raise QueryTypeError("a pasp model is always constrained on its probabilistic facts",
                             body.options[0].span, "write only `with vtree <kind>`")
    opts = adapters.Options(opts.vtree, tuple(prog.X) or None)
    return PaspInfo(name, decl, "pasp", R.BOOL, scope,
                    lambda o: _build(prog, o, name, progress), opts, program=prog)


def _load(env: Env, body: A.PaspModel) -> P.Pasp:
    if body.inline:
        try:
            return P.load(body.source, body.source_span.file)
        except SourceError as e:
            raise _inline_error(e, body) from None
    path = Path(body.source)
    path = path if path.is_absolute() else env.base_dir / path
    try:
        text = text_of(path.read_bytes(), str(path))
    except SourceError as e:
        raise adapters.source_error_at(e, body.source_span, env.base_dir) from None
    except (OSError, ValueError) as e:         # ValueError: a NUL byte in the name
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise QueryError(f"cannot read the program '{body.source}': {reason}",
                         body.source_span, "a relative path is read from the query file's "
                         "directory") from None
    try:
        return P.load(text, str(path))
    except SourceError as e:
        e.file = str(path)
        raise adapters.source_error_at(e, body.source_span, env.base_dir) from None


def _inline_error(e: SourceError, body: A.PaspModel) -> QueryError:
    """A clingo error inside `pasp { ... }`, at its line and column of the .query file."""
    s = body.source_span
    if e.line is None:
        return QueryError(e.message, s, e.hint)
    line = s.line + e.line - 1
    col = (s.col + 1 + (e.col or 1) - 1) if e.line == 1 else (e.col or 1)
    lines = s.text.splitlines()
    end = len(lines[line - 1]) + 1 if 0 < line <= len(lines) else col + 1
    width = col + 1 if e.col is not None else max(end, col + 1)
    return QueryError(e.message, Span(s.file, line, col, line, width, s.source), e.hint)


def _boolean(v: Var) -> str:
    return f"the atom {v.name} is Boolean"


def _build(prog: P.Pasp, o: adapters.Options, name: str, progress: Progress | None
           ) -> Circuit:
    limits = adapters._limits(progress)
    c, enc = P.compile_pasp(prog, o.vtree, limits, name)
    how = "tight: Clark's completion" if enc.tight else \
        f"Clark's completion and the unfolded least fixpoint on {enc.components} positive cycle(s)"
    shifted = f", {enc.shifted} head-cycle-free disjunctive rule(s) shifted" if enc.shifted \
        else ""
    X = ", ".join(v.name for v in prog.X)
    detail = (f"pasp, clingo-grounded: {len(prog.X)} probabilistic and {len(prog.Y)} other "
              f"atoms; {how}{shifted}; SDD constrained on {{{X}}}")
    return as_model(c, name, detail)


def _omega_rows(prog: P.Pasp, pair: bool = False) -> dict[Var, list[object]]:
    ps = prog.probabilities
    if pair:
        return {v: [(1.0 - p, 1.0 - p), (p, p)] for v, p in ps.items()}
    return {v: [1.0 - p, p] for v, p in ps.items()}


# ---- the queries ------------------------------------------------------------------------------
Lits = tuple[tuple[Var, int], ...]


def _operand(call: Call) -> tuple[PaspInfo, Ty.TModel, Lits]:
    t = call.operand
    ev: Lits = ()
    if isinstance(t, Ty.TGiven):
        ev, t = t.evidence, t.operand
    info = call.checker.models.get(t.name) if isinstance(t, Ty.TModel) else None
    if not isinstance(info, PaspInfo):
        raise call.fail("needs a pasp model, e.g. maxent(p, q) or with evidence "
                        "maxent(p, q | e, !f)",
                        hint="declare it with model p = pasp \"prog.lp\" or pasp { ... }")
    assert isinstance(t, Ty.TModel)
    return info, t, ev


def _synthetic(call: Call, info: PaspInfo, name: str, sr: Semiring,
               rows: Mapping[Var, Sequence[object]]) -> Ty.TModel:
    """A weights model made for the expansion (omega or lambda), shared by name."""
    models = call.checker.models
    if name not in models:
        models[name] = ModelInfo(name, info.decl, "weights", sr, frozenset(rows),
                                 lambda o: adapters.compile_weights(rows, sr, name))
    return Ty.TModel(call.span, sr, frozenset(rows), frozenset(), name)


def _lambda(call: Call, info: PaspInfo, lits: Lits) -> Ty.TModel:
    """(1, 1) where every literal holds, (0, 1) elsewhere: the inner count is (#answer sets
    with the literals, #answer sets)."""
    rows = {v: [(1, 1) if i == x else (0, 1) for i in range(2)] for v, x in lits}
    text = ",".join(("" if x else "!") + v.name for v, x in sorted(lits))
    return _synthetic(call, info, f"{info.name}.lambda[{text}]", R.COUNT2, rows)


def _once(call: Call, key: tuple[object, ...], make: Callable[[], Ty.T]) -> Ty.T:
    """One typed subtree per key and call, so its uses lower to one circuit."""
    if key not in call.shared:
        call.shared[key] = make()
    return call.shared[key]


def _inner(call: Call, info: PaspInfo, phi: Ty.T, lits: Lits, mapping: str) -> Ty.T:
    """mapping(sum_Y lambda_lits [phi]): per total choice, of the answer sets' counts."""
    def make() -> Ty.T:
        counts = _once(call, ("counts",), lambda: call.map("indicator", phi, "count2"))
        body = call.product(_lambda(call, info, lits), counts) if lits else counts
        return call.map(mapping, call.sum(phi.vars - info.X, body))
    return _once(call, ("inner", mapping, lits), make)


def _omega(call: Call, info: PaspInfo, ev_x: Lits, pair: bool) -> Ty.T:
    """The facts' weights (in prob2 for credal), conditioned on the evidence on facts."""
    def make() -> Ty.T:
        assert info.program is not None
        sr = R.PROB2 if pair else R.PROB
        w: Ty.T = _synthetic(call, info, f"{info.name}.facts" + ("2" if pair else ""), sr,
                             _omega_rows(info.program, pair))
        return Ty.TGiven(call.span, sr, w.vars, w.summed, ev_x, w) if ev_x else w
    return _once(call, ("omega", pair), make)


def _expected(call: Call, info: PaspInfo, phi: Ty.T, ev_x: Lits, lits: Lits, mapping: str,
              pair: bool = False) -> Ty.T:
    """sum_X omega mapping(sum_Y lambda_lits [phi])."""
    w = _omega(call, info, ev_x, pair)
    return call.sum(info.X, call.product(w, _inner(call, info, phi, lits, mapping)))


def _expand(call: Call, sem: Semantics) -> Ty.T:
    info, phi, ev = _operand(call)
    (Q,) = call.groups
    if not Q:
        raise call.fail("the query group is empty", 0)
    q: Lits = tuple((v, 1) for v in sorted(Q))
    ev_x = tuple(p for p in ev if p[0] in info.X)
    ev_y = tuple(p for p in ev if p[0] not in info.X)
    if sem.pair and ev_y:
        raise call.fail(f"evidence on {fmt_vars(frozenset(v for v, _ in ev_y))}, which are not "
                        "probabilistic facts, is not supported by credal", hint="credal takes "
                        "evidence on probabilistic facts only; maxent takes any (docs/pasp.md)")
    num = _expected(call, info, phi, ev_x, q + ev_y, sem.name, sem.pair)
    # maxent: over the consistent choices, P(q, e) / P(e); credal: the bounds / P(e on facts)
    den = call.sum(info.X, _omega(call, info, ev_x, True)) if sem.pair else \
        _expected(call, info, phi, ev_x, ev_y, "maxent")
    result = call.product(num, call.map("recip", den))
    # P(consistent | e on facts): Σ_X ω [some answer set] / Σ_X ω, in prob for both semantics
    consistent = call.product(_expected(call, info, phi, ev_x, (), "maxent"),
                              call.map("recip", call.sum(info.X, _omega(call, info, ev_x,
                                                                         False))))
    notes = ("docs/atlas.md §4.2: phi smooth, decomposable, deterministic and X-deterministic "
             f"(X = {fmt_vars(info.X)}, by the constrained compile) gives O(|C|)", sem.note)
    t = noted(call, f"{sem.name}({fmt_vars(Q)})", notes, result, den)
    assert isinstance(t, Ty.TNote)
    return TPasp(t.span, t.sr, t.vars, t.summed, t.label, t.notes, t.guards, t.operand,
                 sealed=info.vars - info.X, semantics=sem, X=info.X, consistent=consistent)


@register("maxent", ("Q",), MAXENT.doc, keywords=("query",), goal=True)
def maxent(call: Call) -> Ty.T:
    return _expand(call, MAXENT)


@register("credal", ("Q",), CREDAL.doc, keywords=("query",), goal=True)
def credal(call: Call) -> Ty.T:
    return _expand(call, CREDAL)
