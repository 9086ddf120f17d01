"""Model declarations: checked against the declared variables, with their semiring and scope.

Each `model` becomes a `ModelInfo` (semiring, variables, and a thunk that compiles it once).
Inline models (`logic`, `weights`, `bayesnet`) are fully checked here, with spans; file models
are read through `adapters.py`, which reports file errors at the file's own line.
"""
from __future__ import annotations

import itertools
import os
from typing import Any, Callable, Sequence

import numpy as np

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.language import adapters, namespaces
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.diagnose import Diagnostics, each
from atlasc.compiler.language.modelinfo import (ModelInfo, declare_source_vars, element, options,
                                                probability, semiring)
from atlasc.compiler.language.pasp import check_pasp
from atlasc.compiler.language.resolve import Env
from atlasc.compiler.language.runs import LitRun
from atlasc.compiler.language.scope import domain_hint
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span
from atlasc.compiler.sources.model import BayesNet, CPT

ROW_TOL = 1e-6


def check_models(env: Env, diag: Diagnostics, progress: Callable[[str], None] | None = None
                 ) -> dict[str, ModelInfo]:
    """Each model on its own; a model with an error is left out (and kept in `diag`).  The
    model files are read first, so that their names are planned together (namespaces.py)."""
    files = _read_files(env, diag)
    out: dict[str, ModelInfo] = {}
    for name, decl in env.models.items():
        if isinstance(decl.body, A.FileModel) and name not in files:
            continue                                    # its error is in diag already
        info = diag.check(decl, (decl.name,),
                          lambda: _check_model(env, decl, progress, files.get(name)))
        if info is not None:
            out[name] = info
    return out


def _read_files(env: Env, diag: Diagnostics) -> dict[str, adapters.LoadedModel]:
    """Every model file read, and renamed as the namespace plan says."""
    read: dict[str, tuple[adapters.LoadedModel, dict[str, str], str]] = {}
    for name, decl in env.models.items():
        body = decl.body
        if isinstance(body, A.FileModel):
            got = diag.check(decl, (decl.name,), lambda: _read_file(env, body, name))
            if got is not None:
                read[name] = got
    names = namespaces.plan(env, {m: (lm.variables, ren, path)
                                  for m, (lm, ren, path) in read.items()})
    return {m: adapters.renamed(lm, names[m]) for m, (lm, _, _) in read.items()}


def _read_file(env: Env, body: A.FileModel, name: str
               ) -> tuple[adapters.LoadedModel, dict[str, str], str]:
    loaded = adapters.load_file(env, body, name)
    path = os.path.realpath(env.base_dir / body.path)
    return loaded, namespaces.renames(body, loaded.variables), path


def _check_model(env: Env, decl: A.ModelDecl, progress: Callable[[str], None] | None,
                 loaded: adapters.LoadedModel | None = None) -> ModelInfo:
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
        return check_pasp(env, decl, body, progress)
    assert loaded is not None
    return _file(env, decl, body, progress, loaded)


# ---- logic ------------------------------------------------------------------------------------
def _logic(env: Env, decl: A.ModelDecl, body: A.LogicModel,
           progress: Callable[[str], None] | None) -> ModelInfo:
    used: dict[Var, None] = {}
    expr = formula(env, body.formula, used)
    if not used:
        raise QueryTypeError("this formula mentions no variable, so it is no model",
                             body.formula.span, "a constant is written as a weight or a "
                             "query's factor; a logic model needs at least one variable")
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
        return (f.op,) + _args(env, f.args, used)
    a, b = formula(env, f.left, used), formula(env, f.right, used)
    if f.op == "implies":
        return ("or", ("not", a), b)
    return ("or", ("and", a, b), ("and", ("not", a), ("not", b)))


def _args(env: Env, args: Sequence[A.Formula], used: dict[Var, None]) -> tuple[Any, ...]:
    """The forms of an and/or's arguments, a literal (`X`, `!X`) once: and/or are idempotent,
    so the 7*10^6 literals of a 50 MB formula over 1,000 variables compile as 1,000; each name
    is resolved at its first occurrence (where an error about it is reported, as before).  A
    run in compact form (runs.LitRun) says where those first occurrences are itself."""
    if isinstance(args, LitRun):
        return tuple(formula(env, args[k], used) for k in args.firsts())
    out: list[Any] = []
    seen: set[tuple[bool, str] | None] = set()
    for g in args:
        key = _lit_key(g)
        if key is None or key not in seen:
            out.append(formula(env, g, used))
            seen.add(key)
    return tuple(out)


def _lit_key(g: A.Formula) -> tuple[bool, str] | None:
    """(negated, name) of `X` or `!X`; None for anything else."""
    lit = g.arg if isinstance(g, A.FNot) else g
    neg = lit is not g
    return (neg, lit.var.text) if isinstance(lit, A.FLit) and lit.value is None else None


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
          progress: Callable[[str], None] | None, loaded: adapters.LoadedModel) -> ModelInfo:
    name = decl.name.text
    scope = frozenset(loaded.variables)
    declare_source_vars(env, loaded.variables, body.path_span,
                        "the model file declares a variable", _domain_given)
    opts = options(env, body.options, scope)
    return ModelInfo(name, decl, body.kind.text, loaded.semiring, scope,
                     lambda o: loaded.compile(o, progress), opts, loaded.parents,
                     loaded.network)


def _domain_given(v: Var) -> str:
    return f"the model file gives {v.name} the domain {{{', '.join(v.domain)}}}"


