"""The one place where the front end meets the model sources (compiler/sources).

Inline `logic` formulas and Bayesian networks go through the SDD compilers of
`compiler.sources` when they are installed, and through the small decision-diagram compilers of
`fallback.py` otherwise.  File models (`bif`, `uai`, `cnf`, ...) need the sources' loaders; a
format without one is reported as not available yet.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from compiler.errors import QueryError, QueryNameError, SourceError
from compiler.frontend import ast as A
from compiler.frontend import fallback
from compiler.frontend.resolve import Env
from compiler.ir.builder import Builder
from compiler.ir.circuit import Circuit
from compiler.ir.variables import Var
from compiler.ir.vtree import Vtree, right_linear
from compiler.ops import model as as_model
from compiler.properties.facts import DEC, DET, SMOOTH, Fact, How
from compiler.semirings import registry as R
from compiler.semirings.base import Semiring
from compiler.source import Span
from compiler.sources.model import BayesNet

VTREE_KINDS = ("minfill", "balanced", "right", "balanced-natural", "right-natural")
VTREE_WORDS = tuple(k.replace("-", "_") for k in VTREE_KINDS)   # as written in .query files
FILE_KINDS = ("bif", "uai", "cnf", "nnf", "sdd")
SOURCES_ISSUE = "the issue \"Model sources\""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    """How to compile a model: a vtree kind (or an explicit vtree, from --repair) and the
    variables it is constrained on; `nested` lists further constraint sets, each inside the
    next, that an explicit vtree also establishes (a repair can need several)."""
    vtree: "str | Vtree | None" = None
    constrained: tuple[Var, ...] | None = None
    nested: tuple[frozenset[Var], ...] = ()

    def describe(self) -> str:
        parts = []
        if isinstance(self.vtree, Vtree):
            parts.append(f"vtree {self.vtree!r}")
        elif self.vtree:
            parts.append(f"vtree {self.vtree}")
        sets = [frozenset(self.constrained)] if self.constrained else []
        sets += [s for s in self.nested if s not in sets]
        for s in sorted(sets, key=len):
            parts.append("constrained {" + ", ".join(v.name for v in sorted(s)) + "}")
        return ", ".join(parts)


def _sources(module: str, name: str) -> Any:
    """`compiler.sources.<module>.<name>` if that part of the sources is installed."""
    try:
        return getattr(importlib.import_module(f"compiler.sources.{module}"), name)
    except (ImportError, AttributeError):
        return None


def _limits(progress: Progress | None) -> Any:
    cls = _sources("limits", "Limits")
    return cls(progress=progress) if cls is not None and progress is not None else None


def _order(variables: Sequence[Var], opts: Options) -> list[Var]:
    first = list(opts.constrained or ())
    return first + [v for v in variables if v not in first]


def _detail(how: str, opts: Options) -> str:
    extra = opts.describe()
    return how + (f", {extra}" if extra else "")


# ---- inline models ----------------------------------------------------------------------------
def compile_formula(expr: tuple[Any, ...], variables: Sequence[Var], opts: Options, name: str,
                    progress: Progress | None = None) -> Circuit:
    fn = _sources("logic", "compile_formula") or _sources("formula", "compile_formula")
    if fn is not None:
        c = fn(expr, list(variables), vtree=opts.vtree, constrained=opts.constrained,
               limits=_limits(progress))
        how = "SDD"
    else:
        c = fallback.compile_formula(expr, _order(variables, opts), name)
        how = "decision diagram"
    return as_model(c, name, _detail(f"logic, {how}", opts))


def compile_bayesnet(bn: BayesNet, opts: Options, name: str,
                     progress: Progress | None = None) -> Circuit:
    fn = _sources("networks", "compile_bayesnet")
    if fn is not None:
        c = fn(bn, vtree=opts.vtree, constrained=opts.constrained, limits=_limits(progress))
        how = "SDD"
    else:
        c = fallback.compile_bayesnet(bn, _order(_topological(bn), opts), name)
        how = "decision diagram"
    return as_model(c, name, _detail(f"bayesnet, {how}", opts))


def _topological(bn: BayesNet) -> list[Var]:
    placed: list[Var] = []
    pending = list(bn.cpts)
    while pending:
        ready = [c for c in pending if set(c.parents) <= set(placed)]
        placed += [c.child for c in ready]
        pending = [c for c in pending if c not in ready]
    return placed


def compile_weights(rows: dict[Var, list[Any]], sr: Semiring, name: str) -> Circuit:
    """A fully factorised circuit: the product of one leaf per variable."""
    b = Builder()
    order = sorted(rows)
    root = b.prod((b.input(v, rows[v], sr) for v in order), sr)
    why = "a product of leaves over distinct variables"
    facts = {p: Fact(p, True, How.CONSTRUCTION, why) for p in (SMOOTH, DEC, DET)}
    c = Circuit(root, b, name, facts=facts, vtree=right_linear(order) if order else None)
    return as_model(c, name, f"weights in {sr.name}")


# ---- file models ------------------------------------------------------------------------------
@dataclass
class LoadedModel:
    variables: tuple[Var, ...]
    semiring: Semiring
    compile: Callable[[Options, Progress | None], Circuit]


def load_file(env: Env, body: A.FileModel, name: str) -> LoadedModel:
    kind = body.kind.text
    if kind not in FILE_KINDS:
        raise QueryNameError(f"unknown model kind '{kind}'", body.kind.span,
                             "expected logic, weights, bayesnet, or a file format: "
                             + ", ".join(FILE_KINDS))
    path = _readable(env, body)
    if kind == "bif":
        loader = _sources("bif", "load_bif_model")
        if loader is not None:
            bn = _read(loader, path, body)
            bn = BayesNet(bn.variables, bn.cpts, name, bn.file, bn.decl_lines)
            return LoadedModel(bn.variables, R.PROB,
                               lambda o, p: compile_bayesnet(bn, o, name, p))
    raise QueryError(f"'{kind}' model files are not available yet", body.kind.span,
                     f"they come with {SOURCES_ISSUE}; write the model inline meanwhile "
                     "(logic, weights or bayesnet)")


def _readable(env: Env, body: A.FileModel) -> Path:
    path = Path(body.path)
    if not path.is_absolute():
        path = env.base_dir / path
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise QueryError(f"cannot read the model file '{body.path}': "
                         f"{e.strerror or e}", body.path_span,
                         "a relative path is read from the query file's directory") from None
    return path


def _read(loader: Callable[[Any], Any], path: Path, body: A.FileModel) -> Any:
    try:
        return loader(path)
    except SourceError as e:
        raise source_error_at(e, body.path_span) from None


def source_error_at(e: SourceError, declared: Span) -> QueryError:
    """A model file's error as a QueryError at the file's line, with a note at the model."""
    file = e.file or "<model file>"
    try:
        text = Path(file).read_text(errors="replace") if e.file else ""
    except OSError:
        text = ""
    line, col = e.line or 1, e.col or 1
    lines = text.splitlines()
    end = len(lines[line - 1]) + 1 if 0 < line <= len(lines) and e.col is None else col + 1
    span = Span(file, line, col, line, max(end, col + 1), text)
    return QueryError(e.message, span if e.line else None, e.hint,
                      notes=((declared, "the model is read from here"),))
