"""The one place where the front end meets the model sources (compiler/sources).

Inline `logic` formulas and Bayesian networks, and model files (bif, uai, xmlbif, net, cnf, and the
circuits of other tools: nnf, sdd, psdd), are compiled or loaded through `atlasc.compiler.sources`.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from atlasc.compiler import sources
from atlasc.compiler.sources.limits import limits_of
from atlasc.compiler.errors import QueryError, QueryNameError, SourceError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.resolve import Env
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree, right_linear
from atlasc.compiler.ops import model as as_model
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, Fact, How
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span
from atlasc.compiler.sources.flat import WHY as FLAT_WHY
from atlasc.compiler.sources.model import BayesNet, Model
from atlasc.compiler.sources.model import renamed as renamed_model
from atlasc.compiler.sources.bif import load_bif_model
from atlasc.compiler.sources.uai import load_uai_model
from atlasc.compiler.sources.xmlbif import load_xmlbif_model
from atlasc.compiler.sources.hugin import load_net_model
from atlasc.compiler.sources.dimacs import Cnf, load_dimacs
from atlasc.compiler.ops.common import scope_of
from atlasc.compiler.ops.rename import rename, rename_vtree

VTREE_KINDS = ("minfill", "balanced", "right", "balanced-natural", "right-natural")
VTREE_WORDS = tuple(k.replace("-", "_") for k in VTREE_KINDS)   # as written in .query files
FILE_KINDS = ("bif", "uai", "xmlbif", "net", "cnf", "nnf", "sdd", "psdd", "problog")

Progress = Callable[[str], None]
NETWORK_LOADERS: dict[str, Callable[[Path], Any]] = {
    "bif": load_bif_model, "uai": load_uai_model, "xmlbif": load_xmlbif_model,
    "net": load_net_model}


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


def _limits(progress: Progress | None) -> sources.Limits | None:
    return limits_of(progress)


def _detail(how: str, opts: Options) -> str:
    extra = opts.describe()
    return how + (f", {extra}" if extra else "")


# ---- inline models ----------------------------------------------------------------------------
def compile_formula(expr: tuple[Any, ...], variables: Sequence[Var], opts: Options, name: str,
                    progress: Progress | None = None) -> Circuit:
    c = sources.compile_formula(expr, list(variables), opts.vtree,
                                constrained=opts.constrained, limits=_limits(progress),
                                name=name)
    return as_model(c, name, _detail("logic, SDD", opts))


def compile_bayesnet(bn: Model, opts: Options, name: str,
                     progress: Progress | None = None) -> Circuit:
    c = sources.compile_model(bn, vtree=opts.vtree, constrained=opts.constrained,
                              limits=_limits(progress), nested=opts.nested)
    kind = {"bayes": "bayesnet", "markov": "markov network"}.get(bn.kind, bn.kind)
    out = as_model(c, name, _detail(f"{kind}, {route_label(c)}", opts))
    why = c.info.get("route_reason", SMALL)
    if not why.startswith(SMALL) and out.step is not None:
        out.step.notes += (f"route {c.info.get('route', 'sdd')}: {why}",)
        if c.info.get("arrays") == "flat":
            out.step.notes += (f"properties: {FLAT_WHY}",)
    return out


SMALL = "a small network"   # the usual SDD case: no note, so small reports stay short


def route_label(c: Circuit) -> str:
    if c.info.get("arrays") == "flat":
        return f"variable elimination, treewidth {c.info['treewidth']}, flat arrays"
    if c.info.get("route") == "elimination":
        return f"variable elimination, treewidth {c.info['treewidth']}"
    return "SDD"


def compile_weights(rows: Mapping[Var, Sequence[Any]], sr: Semiring, name: str) -> Circuit:
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
    parents: dict[Var, tuple[Var, ...]] | None = None     # a Bayesian network's graph
    network: BayesNet | None = None                       # and its CPTs
    # the same model with its variables renamed (old -> new name); None: rename the circuit
    rename: Callable[[dict[str, str]], "LoadedModel"] | None = None


def renamed(loaded: LoadedModel, names: dict[str, str]) -> LoadedModel:
    """`loaded` with the variables `names` maps renamed (language/namespaces.py)."""
    if not names:
        return loaded
    if loaded.rename is not None:
        return loaded.rename(names)
    ren = {v: Var(names[v.name], v.domain) for v in loaded.variables if v.name in names}
    back = {z: a for a, z in ren.items()}

    def build(o: Options, p: Progress | None) -> Circuit:
        c = loaded.compile(_renamed_options(o, back), p)
        label = c.step.label if c.step is not None else ""
        out = rename(c, ren)
        out.name = c.name
        out.step = dataclasses.replace(c.step, label=f"{label}, renamed {_pairs(ren)}",
                                       scope=scope_of(out)) if c.step else out.step
        return out
    return LoadedModel(tuple(ren.get(v, v) for v in loaded.variables), loaded.semiring, build)


def _renamed_options(o: Options, back: dict[Var, Var]) -> Options:
    """Options over the renamed variables as options over the file's own."""
    vtree = rename_vtree(o.vtree, back) if isinstance(o.vtree, Vtree) else o.vtree
    return Options(vtree, tuple(back.get(v, v) for v in o.constrained)
                   if o.constrained is not None else None,
                   tuple(frozenset(back.get(v, v) for v in s) for s in o.nested))


def _pairs(ren: dict[Var, Var]) -> str:
    return ", ".join(f"{a.name} -> {z.name}" for a, z in sorted(ren.items()))


def load_file(env: Env, body: A.FileModel, name: str) -> LoadedModel:
    kind = body.kind.text
    if kind not in FILE_KINDS:
        raise QueryNameError(f"unknown model kind '{kind}'", body.kind.span,
                             "expected logic, weights, bayesnet, or a file format: "
                             + ", ".join(FILE_KINDS))
    path = _readable(env, body.path, body.path_span)
    if kind in NETWORK_LOADERS:
        return _network(kind, path, body, name, env.base_dir)
    if kind == "cnf":
        return _cnf(path, body, name, env.base_dir)
    if kind == "problog":
        return _problog(path, body, name, env.base_dir)
    return _circuit_file(env, kind, path, body, name)


def _network(kind: str, path: Path, body: A.FileModel, name: str, base: Path) -> LoadedModel:
    loader = NETWORK_LOADERS[kind]
    return _network_model(dataclasses.replace(_read(lambda: loader(path), body, base),
                                              name=name), name)


def _network_model(m: Model, name: str) -> LoadedModel:
    return LoadedModel(tuple(m.variables), R.PROB,
                       lambda o, p: compile_bayesnet(m, o, name, p),
                       m.parents() if isinstance(m, BayesNet) else None,
                       m if isinstance(m, BayesNet) else None,
                       lambda names: _network_model(renamed_model(m, names), name))


def _cnf(path: Path, body: A.FileModel, name: str, base: Path) -> LoadedModel:
    cnf = _read(lambda: load_dimacs(path), body, base)
    return _cnf_model(cnf, cnf.variables, path, body, name, base)


def _cnf_model(cnf: Cnf, vs: list[Var], path: Path, body: A.FileModel, name: str,
               base: Path) -> LoadedModel:
    weighted = bool(cnf.weights)
    show = tuple(vs[i - 1] for i in cnf.show)
    weights = dict(zip(vs, cnf.weight_pairs())) if weighted else None

    def build(o: Options, p: Progress | None) -> Circuit:
        constrained = o.constrained if o.constrained or o.vtree else (show or None)
        c = _read(lambda: sources.compile_cnf_clauses(
            cnf.clauses, vs, weights=weights, vtree=o.vtree,
            constrained=constrained, limits=_limits(p), name=name,
            info={"path": os.fspath(path), "show": show}), body, base)
        return as_model(c, name, _detail("cnf, SDD" + (", weighted" if weighted else ""), o))

    def rename_to(names: dict[str, str]) -> LoadedModel:
        return _cnf_model(cnf, [Var(names.get(v.name, v.name), v.domain) for v in vs], path,
                          body, name, base)
    return LoadedModel(tuple(vs), R.PROB if weighted else R.BOOL, build, rename=rename_to)


def _problog_support() -> Any:
    """compiler.problog, imported at the first ProbLog model: a run of any other model kind
    does not load it (a few ms of every start-up; tests/test_startup_llvm.py)."""
    return importlib.import_module("atlasc.compiler.problog")


def _problog(path: Path, body: A.FileModel, name: str, base: Path) -> LoadedModel:
    """A ProbLog program (docs/problog.md): every ground atom a variable named as written."""
    problog = _problog_support()
    prog = _read(lambda: problog.load(path, all_atoms=True), body, base)

    def build(o: Options, p: Progress | None) -> Circuit:
        c = _read(lambda: problog.compile_problog(prog, o.vtree, o.constrained, _limits(p),
                                                  name), body, base)
        e = prog.encoding
        return as_model(c, name, _detail(f"problog, grounded by ProbLog: {len(e.X)} choices, "
                                          f"{len(e.Y)} derived atoms; SDD", o))
    return LoadedModel(tuple(prog.variables), R.PROB, build)


def _circuit_file(env: Env, kind: str, path: Path, body: A.FileModel,
                  name: str) -> LoadedModel:
    """A circuit made by another tool: verified on load, recompiled only if options ask."""
    base = env.base_dir
    if kind == "nnf":
        loaded = _read(lambda: sources.load_nnf(path), body, base)
    else:
        vpath = _vtree_path(env, path, body)
        load = sources.load_sdd if kind == "sdd" else sources.load_psdd
        loaded = _read(lambda: load(path, vpath), body, base)

    def build(o: Options, p: Progress | None) -> Circuit:
        c = loaded
        if o.vtree is not None or o.constrained:
            c = _read(lambda: sources.recompile(loaded, constrained=o.constrained,
                                                vtree=o.vtree, limits=_limits(p)), body, base)
        return as_model(c, name, _detail(f"{kind} file, properties verified on load", o))
    return LoadedModel(tuple(sorted(loaded.vars)), loaded.sr, build)


def _vtree_path(env: Env, path: Path, body: A.FileModel) -> Path:
    if body.extra_path is not None:
        return _readable(env, body.extra_path, body.extra_span or body.path_span)
    guess = path.with_suffix(".vtree")
    if not guess.exists():
        raise QueryError(f"'{body.kind.text}' models need their vtree file", body.path_span,
                         f"write: {body.kind.text} \"{body.path}\" \"{guess.name}\" "
                         "(or put the vtree next to it with the suffix .vtree)")
    return guess


def _readable(env: Env, name: str, span: Span) -> Path:
    path = Path(name)
    if not path.is_absolute():
        path = env.base_dir / path
    try:
        with open(path, "rb"):
            pass
    except (OSError, ValueError) as e:      # ValueError: a NUL byte in the name
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise QueryError(f"cannot read the model file {name!r}: {reason}", span,
                         "a relative path is read from the query file's directory") from None
    return path


def _read(load: Callable[[], Any], body: A.FileModel, base_dir: Path) -> Any:
    try:
        return load()
    except SourceError as e:
        raise source_error_at(e, body.path_span, base_dir) from None


def source_error_at(e: SourceError, declared: Span, base_dir: Path | None = None) -> QueryError:
    """A model file's error as a QueryError at the file's line, with a note at the model."""
    file = e.file or "<model file>"
    try:
        text = Path(file).read_text(errors="replace") if e.file else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    if text.startswith("\x1f\x8b") or "\x00" in text[:1000]:
        text = ""                   # compressed or binary: no source line to show
    line, col = e.line or 1, e.col or 1
    lines = text.splitlines()
    end = len(lines[line - 1]) + 1 if 0 < line <= len(lines) and e.col is None else \
        col + (e.width or 1)
    shown = _shown(file, declared, base_dir)
    span = Span(shown, line, col, line, max(end, col + 1), text)
    message = e.message if e.line else f"{shown}: {e.message}"
    return QueryError(message, span if e.line else None, e.hint,
                      notes=((declared, "the model is read from here"),))


def _shown(file: str, declared: Span, base_dir: Path | None) -> str:
    """A model file's name as the user would write it: relative to the query file's folder,
    prefixed the way the query file itself was named."""
    base = os.fspath(base_dir) if base_dir is not None else ""
    if base and os.path.isabs(file) and file.startswith(base + os.sep):
        return os.path.join(os.path.dirname(declared.file), os.path.relpath(file, base))
    return file
