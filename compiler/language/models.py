"""Model declarations: checked against the declared variables, with their semiring and scope.

Each `model` becomes a `ModelInfo` (semiring, variables, and a thunk that compiles it once).
Inline models (`logic`, `weights`, `bayesnet`) are fully checked here, with spans; file models
are read through `adapters.py`, which reports file errors at the file's own line.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.language import adapters
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.diagnose import Diagnostics, each
from atlasc.compiler.language.resolve import Env, domain_hint
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span
from atlasc.compiler.sources.model import BayesNet, CPT

ROW_TOL = 1e-6


@dataclass
class ModelInfo:
    name: str
    decl: A.ModelDecl
    kind: str
    sr: Semiring
    vars: frozenset[Var]
    build: Callable[[adapters.Options], Circuit] = field(repr=False)
    opts: adapters.Options = field(default_factory=adapters.Options)
    parents: dict[Var, tuple[Var, ...]] | None = None   # the graph, for Bayesian networks
    network: BayesNet | None = field(default=None, repr=False)   # its CPTs (effect.py)
    _circuit: Circuit | None = field(default=None, repr=False)

    def circuit(self) -> Circuit:
        if self._circuit is None:
            self._circuit = self.build(self.opts)
        return self._circuit

    def recompile(self, opts: adapters.Options) -> Circuit:
        """Compile again with other options (--repair); later uses get the new circuit."""
        self.opts, self._circuit = opts, None
        return self.circuit()


def check_models(env: Env, diag: Diagnostics, progress: Callable[[str], None] | None = None
                 ) -> dict[str, ModelInfo]:
    """Each model on its own; a model with an error is left out (and kept in `diag`)."""
    out: dict[str, ModelInfo] = {}
    for name, decl in env.models.items():
        info = diag.check(decl, (decl.name,), lambda: _check_model(env, decl, progress))
        if info is not None:
            out[name] = info
    return out


def _check_model(env: Env, decl: A.ModelDecl, progress: Callable[[str], None] | None
                 ) -> ModelInfo:
    body, name = decl.body, decl.name.text
    if isinstance(body, A.LogicModel):
        return _logic(env, decl, body, progress)
    if isinstance(body, A.WeightsModel):
        return _weights(env, decl, body)
    if isinstance(body, A.BayesNetModel):
        bn = inline_bayesnet(env, body, name)
        opts = options(env, body.options, frozenset(bn.variables))
        return ModelInfo(name, decl, "bayesnet", R.PROB, frozenset(bn.variables),
                         lambda o: adapters.compile_bayesnet(bn, o, name, progress), opts,
                         bn.parents(), bn)
    if isinstance(body, A.PaspModel):
        from atlasc.compiler.program.pasp import check_pasp
        return check_pasp(env, decl, body, progress)
    return _file(env, decl, body, progress)


# ---- options ----------------------------------------------------------------------------------
def options(env: Env, opts: tuple[A.Option, ...], scope: frozenset[Var]) -> adapters.Options:
    """`with vtree KIND`, `with vtree constrained {X}`; several constraints must nest
    (`with vtree constrained {X}, vtree constrained {X, Z}`) and give one vtree for all."""
    kind: str | None = None
    constrained: tuple[Var, ...] | None = None
    sets: list[tuple[frozenset[Var], A.Option]] = []
    for o in opts:
        if o.key.text not in ("vtree", "constrained"):
            raise QueryNameError(f"unknown model option '{o.key.text}'", o.key.span,
                                 "expected 'vtree <kind>' or 'vtree constrained {X, ...}'")
        word = o.arg.text if o.arg is not None else None
        if o.key.text == "constrained" or word == "constrained":
            constrained = _option_vars(env, o, scope)
            sets.append((frozenset(constrained), o))
        elif word is not None and o.key.text == "vtree":
            kind = _vtree_kind(o.arg)  # type: ignore[arg-type]
            if o.vars is not None:
                constrained = _option_vars(env, o, scope)
                sets.append((frozenset(constrained), o))
        else:
            raise QueryTypeError("this option needs a vtree kind", o.span,
                                 f"expected one of {', '.join(adapters.VTREE_WORDS)} or "
                                 "constrained {X, ...}")
    if len(sets) < 2:
        return adapters.Options(kind, constrained)
    return _nested(sets, kind)


def _nested(sets: list[tuple[frozenset[Var], A.Option]],
            kind: str | None) -> adapters.Options:
    """One vtree for a chain of constraints; the model source shapes each part."""
    chain = sorted(sets, key=lambda p: len(p[0]))
    for (small, _), (big, o) in zip(chain, chain[1:]):
        if not small <= big:
            raise QueryTypeError("these constraints do not nest, so no single vtree gives "
                                 "both", o.span, "each constrained set must contain the "
                                 "previous one, e.g. constrained {X}, constrained {X, Z}")
    return adapters.Options(kind, tuple(sorted(chain[-1][0])), tuple(s for s, _ in chain))


def _vtree_kind(word: A.Name) -> str:
    kind = word.text.replace("_", "-")
    if kind not in adapters.VTREE_KINDS:
        raise QueryNameError(f"unknown vtree kind '{word.text}'", word.span,
                             f"expected one of {', '.join(adapters.VTREE_WORDS)}, "
                             "or constrained {X, ...}")
    return kind


def _option_vars(env: Env, o: A.Option, scope: frozenset[Var]) -> tuple[Var, ...]:
    if not o.vars:
        raise QueryTypeError("'constrained' needs a set of variables", o.span,
                             "write vtree constrained {X, ...}")
    out = []
    for n in o.vars:
        v = env.var(n)
        if v not in scope:
            raise QueryNameError(f"{v.name} is not a variable of this model", n.span)
        out.append(v)
    return tuple(out)


# ---- logic ------------------------------------------------------------------------------------
def _logic(env: Env, decl: A.ModelDecl, body: A.LogicModel,
           progress: Callable[[str], None] | None) -> ModelInfo:
    used: dict[Var, None] = {}
    expr = formula(env, body.formula, used)
    scope = frozenset(used)
    opts = options(env, body.options, scope)
    name = decl.name.text
    return ModelInfo(name, decl, "logic", R.BOOL, scope,
                     lambda o: adapters.compile_formula(expr, tuple(used), o, name, progress),
                     opts)


def formula(env: Env, f: A.Formula, used: dict[Var, None]) -> tuple[Any, ...]:
    """The nested-tuple form of `f` (adapters.compile_formula), recording its variables."""
    if isinstance(f, A.FConst):
        return ("true",) if f.value else ("false",)
    if isinstance(f, A.FLit):
        v, i = env.literal(A.Literal(f.span, f.var, f.value))
        used.setdefault(v)
        return ("lit", v, i)
    if isinstance(f, A.FNot):
        return ("not", formula(env, f.arg, used))
    if isinstance(f, A.FNary):
        return (f.op,) + tuple(formula(env, g, used) for g in f.args)
    a, b = formula(env, f.left, used), formula(env, f.right, used)
    if f.op == "implies":
        return ("or", ("not", a), b)
    return ("or", ("and", a, b), ("and", ("not", a), ("not", b)))


# ---- weights ----------------------------------------------------------------------------------
def _weights(env: Env, decl: A.ModelDecl, body: A.WeightsModel) -> ModelInfo:
    sr = semiring(body.semiring) if body.semiring is not None else R.PROB
    table: dict[Var, dict[int, Any]] = {}
    spans: dict[tuple[Var, int], Span] = {}
    each(body.weights, lambda w: _weight(env, sr, w, table, spans))
    for v, ws in table.items():
        missing = [i for i in range(v.size) if i not in ws]
        if missing:
            first = spans[(v, next(iter(ws)))]
            raise QueryTypeError(f"no weight for {_lit_text(v, missing[0])}", first,
                                 "a weights model needs a weight for every value of each of "
                                 "its variables (both X and !X for a Boolean X)")
    name = decl.name.text
    rows = {v: [ws[i] for i in range(v.size)] for v, ws in table.items()}
    return ModelInfo(name, decl, "weights", sr, frozenset(rows),
                     lambda o: adapters.compile_weights(rows, sr, name))


def _weight(env: Env, sr: Semiring, w: A.Weight, table: dict[Var, dict[int, Any]],
            spans: dict[tuple[Var, int], Span]) -> None:
    v, i = env.literal(w.literal)
    if (v, i) in spans:
        raise QueryNameError(f"a second weight for {_lit_text(v, i)}", w.literal.span,
                             notes=((spans[(v, i)], "first given here"),))
    spans[(v, i)] = w.literal.span
    table.setdefault(v, {})[i] = element(sr, w.value)


def _lit_text(v: Var, i: int) -> str:
    if v.is_bool:
        return v.name if i == 1 else f"!{v.name}"
    return f"{v.name} = {v.domain[i]}"


def semiring(name: A.Name) -> Semiring:
    try:
        return R.get(name.text)
    except R.UnknownSemiring:
        raise QueryNameError(f"unknown semiring '{name.text}'", name.span,
                             f"expected one of {', '.join(R.names())}") from None


def number(n: A.Number) -> int | float | Fraction:
    """A literal's exact value: an int, a Fraction for decimals, or +-inf."""
    if n.is_inf:
        return -math.inf if n.negative else math.inf
    text = n.text
    if "/" in text:
        num, den = (Fraction(t) for t in text.split("/"))
        if den == 0:
            raise QueryTypeError("division by zero", n.span)
        val: int | Fraction = num / den
    else:
        val = int(text) if text.isdigit() else Fraction(text)
    return -val if n.negative else val


def element(sr: Semiring, value: A.Number | A.PairNumber) -> Any:
    """A literal as an element of `sr` (a type error at the literal if it is not one)."""
    if isinstance(value, A.PairNumber):
        raw: Any = (_plain(number(value.first)), _plain(number(value.second)))
    else:
        raw = _plain(number(value))
    try:
        return sr.element(raw)
    except (ValueError, TypeError) as e:
        raise QueryTypeError(f"{_show(raw)} is not a value of the semiring {sr.name}: {e}",
                             value.span) from None


def _plain(x: int | float | Fraction) -> int | float:
    return float(x) if isinstance(x, Fraction) else x


def _show(x: Any) -> str:
    return f"({x[0]:g}, {x[1]:g})" if isinstance(x, tuple) else f"{x:g}"


def probability(n: A.Number) -> float:
    p = _plain(number(n))
    if not 0.0 <= p <= 1.0:
        raise QueryTypeError(f"{p:g} is not a probability", n.span,
                             "probabilities are between 0 and 1")
    return float(p)


# ---- inline Bayesian networks -----------------------------------------------------------------
def inline_bayesnet(env: Env, body: A.BayesNetModel, name: str) -> BayesNet:
    seen: dict[Var, A.Cpt] = {}
    cpts = each(body.cpts, lambda c: _one_cpt(env, c, seen))
    _check_closed(body, seen, cpts)
    return BayesNet(tuple(c.child for c in cpts), tuple(cpts), name)


def _one_cpt(env: Env, c: A.Cpt, seen: dict[Var, A.Cpt]) -> CPT:
    child = env.var(c.child)
    if child in seen:
        raise QueryNameError(f"{child.name} has a second CPT", c.child.span,
                             notes=((seen[child].child.span, "first CPT here"),))
    seen[child] = c
    return _cpt(env, c, child)


def _cpt(env: Env, c: A.Cpt, child: Var) -> CPT:
    parents = _parents(env, c, child)
    if not parents:
        if c.root is None:
            raise QueryTypeError(f"{child.name} has no parents, so its CPT is one "
                                 "distribution, not a table", c.span,
                                 f"write {child.name}: [p1, ...] (or one number, P(true))")
        return CPT(child, (), np.asarray(dist(c.root, child)))
    if c.root is not None:
        raise QueryTypeError(f"{child.name} has parents, so its CPT is a table by parent "
                             "values", c.root.span,
                             "write {(parent values): distribution, ...}")
    return CPT(child, parents, _table(env, c, child, parents))


def _parents(env: Env, c: A.Cpt, child: Var) -> tuple[Var, ...]:
    out: list[Var] = []
    for n in c.parents:
        p = env.var(n)
        if p == child or p in out:
            raise QueryNameError(f"{p.name} cannot be a parent here", n.span,
                                 "a variable is not its own parent, and parents are listed "
                                 "once")
        out.append(p)
    return tuple(out)


def _table(env: Env, c: A.Cpt, child: Var, parents: tuple[Var, ...]) -> Any:
    table = np.zeros(tuple(p.size for p in parents) + (child.size,))
    rows: dict[tuple[int, ...], A.CptRow] = {}
    for row in c.rows:
        if len(row.key) != len(parents):
            raise QueryTypeError(f"this row gives {len(row.key)} parent value(s); "
                                 f"{child.name} has {len(parents)} parent(s)", row.span,
                                 f"write ({', '.join(p.name for p in parents)}) values")
        key = tuple(env.value(p, v) for p, v in zip(parents, row.key))
        if key in rows:
            raise QueryNameError("a second row for these parent values", row.span,
                                 notes=((rows[key].span, "first row here"),))
        rows[key] = row
        table[key] = dist(row.dist, child)
    for key in itertools.product(*(range(p.size) for p in parents)):
        if key not in rows:
            text = ", ".join(f"{p.name} = {p.domain[i]}" for p, i in zip(parents, key))
            raise QueryTypeError(f"the CPT of {child.name} has no row for {text}", c.span)
    return table


def dist(d: A.Dist, child: Var) -> list[float]:
    if d.kind == "true":
        if not child.is_bool:
            raise QueryTypeError(f"{child.name} is not Boolean, so one number is not a "
                                 "distribution over it", d.span,
                                 f"write [p1, ...] over {{{', '.join(child.domain)}}}")
        p = probability(d.probs[0])
        return [1.0 - p, p]
    if d.kind == "list":
        if len(d.probs) != child.size:
            raise QueryTypeError(f"{child.name} has {child.size} values, this distribution "
                                 f"has {len(d.probs)}", d.span,
                                 f"list them in the order {', '.join(child.domain)}")
        return _normalised([probability(p) for p in d.probs], d)
    return _named(d, child)


def _named(d: A.Dist, child: Var) -> list[float]:
    out: dict[int, float] = {}
    for v, p in zip(d.values, d.probs):
        i = child.domain.index(v.text) if v.text in child.domain else None
        if i is None:
            raise QueryTypeError(f"{child.name} has no value '{v.text}'", v.span,
                                 domain_hint(child, v.text, quoted=True))
        if i in out:
            raise QueryNameError(f"'{v.text}' appears twice", v.span)
        out[i] = probability(p)
    missing = [child.domain[i] for i in range(child.size) if i not in out]
    if missing:
        raise QueryTypeError(f"no probability for {child.name} = {missing[0]}", d.span)
    return _normalised([out[i] for i in range(child.size)], d)


def _normalised(ps: list[float], d: A.Dist) -> list[float]:
    total = sum(ps)
    if abs(total - 1.0) > ROW_TOL:
        raise QueryTypeError(f"this distribution sums to {total:.9g}, not 1", d.span)
    return ps


def _check_closed(body: A.BayesNetModel, seen: dict[Var, A.Cpt], cpts: list[CPT]) -> None:
    for c in body.cpts:
        for n in c.parents:
            if n.text not in {v.name for v in seen}:
                raise QueryNameError(f"{n.text} is a parent but has no CPT in this network",
                                     n.span)
    placed: set[Var] = set()
    pending = list(cpts)
    while pending:
        ready = [c for c in pending if set(c.parents) <= placed]
        if not ready:
            stuck = pending[0].child
            raise QueryTypeError(f"the network has a directed cycle through {stuck.name}",
                                 seen[stuck].span)
        placed.update(c.child for c in ready)
        pending = [c for c in pending if c not in ready]


# ---- file models ------------------------------------------------------------------------------
def _file(env: Env, decl: A.ModelDecl, body: A.FileModel,
          progress: Callable[[str], None] | None) -> ModelInfo:
    name = decl.name.text
    loaded = adapters.load_file(env, body, name)
    scope = frozenset(loaded.variables)
    for v in loaded.variables:
        _declare_file_var(env, v, body)
    opts = options(env, body.options, scope)
    return ModelInfo(name, decl, body.kind.text, loaded.semiring, scope,
                     lambda o: loaded.compile(o, progress), opts, loaded.parents,
                     loaded.network)


def _declare_file_var(env: Env, v: Var, body: A.FileModel) -> None:
    declare_source_var(env, v, body.path_span, "the model file declares a variable",
                       f"the model file gives {v.name} the domain {{{', '.join(v.domain)}}}")


def declare_source_var(env: Env, v: Var, span: Span, clash: str, mismatch: str) -> None:
    """Declare a variable a model source brings (a file's variable, a program's atom), or
    check it against the declaration the query file already has."""
    have = env.vars.get(v.name)
    if have is None:
        if v.name in env.kinds:
            raise QueryNameError(f"{clash} '{v.name}', which is already a "
                                 f"{env.kinds[v.name]} here", span,
                                 notes=((env.spans[v.name], "declared here"),))
        env.vars[v.name], env.kinds[v.name], env.spans[v.name] = v, "variable", span
    elif have.domain != v.domain:
        raise QueryTypeError(f"{mismatch}, but it is declared with "
                             f"{{{', '.join(have.domain)}}}", span,
                             notes=((env.spans[v.name], "declared here"),))

