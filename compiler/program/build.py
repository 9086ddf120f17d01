"""The driver: a `.query` program compiled, front end (parse, resolve, model checks, typing)
then every query lowered through the operators (program.py holds what it makes).

It is the compiler's front end as the API and the command line reach it (`build`, and
`build_file` with the limits of a compile): the composition root (atlasc/__init__.py)
installs this module behind compiler/program/frontend.py at the first compile, so that a run
of a cached program never imports it, nor the parser and model readers it imports.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Collection

from atlasc.compiler.deep import deep
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.diagnose import Diagnostics
from atlasc.compiler.language.guards import Guard
from atlasc.compiler.language.lower import Lowerer, QueryFailed
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.language.models import check_models
from atlasc.compiler.language.parse import Parsed, parse_all
from atlasc.compiler.language.resolve import Env, resolve
from atlasc.compiler.language.typecheck import Checker
from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.program import folded, marginals, pasp
from atlasc.compiler.program.program import Program, Progress, Query
from atlasc.compiler.program.repair import plan as repair_plan
from atlasc.compiler.program.views import Views
from atlasc.compiler.sources.limits import Monitor


def build_file(text: str, file: str, base_dir: Path, progress: Progress | None = None,
               repair: bool = False, strict: bool = False,
               only: Collection[str] | None = None, max_nodes: int | None = None,
               timeout: float | None = None) -> Program:
    """`build`, bounded by `max_nodes` and `timeout` (LimitExceeded past them)."""
    monitor = Monitor(progress, max_nodes, timeout) if max_nodes or timeout else progress
    return build(text, file, base_dir, monitor, repair, strict, only)


def model_files(env: Env, models: dict[str, ModelInfo]) -> tuple[str, ...]:
    """The model files a program reads, absolute."""
    out = set()
    for m in models.values():
        rel = getattr(m.decl.body, "path", None)
        if rel is not None:
            out.add(str((env.base_dir / rel).resolve()))
    return tuple(sorted(out))


def _views(program: Program) -> Views:
    """The views of a program being compiled (a run image has only their report lines)."""
    assert isinstance(program.views, Views)
    return program.views


def build(text: str, file: str, base_dir: Path, progress: Progress | None = None,
          repair: bool = False, strict: bool = False,
          only: Collection[str] | None = None) -> Program:
    """Compile a program (every query, or those in `only` with what they use; the whole file
    is checked either way); deeply nested input gets room to recurse (compiler.deep)."""
    parsed = parse_all(text, file)
    return deep(lambda: _build(parsed, base_dir, progress, repair, strict, only),
                parsed.module.depth)


def _build(parsed: Parsed, base_dir: Path, progress: Progress | None,
           repair: bool, strict: bool, only: Collection[str] | None = None) -> Program:
    text, file = parsed.module.text, parsed.module.file
    diag = Diagnostics(file, parsed.broken)
    for err in parsed.errors:
        diag.add(err)
    env = resolve(parsed.module, base_dir, diag)
    models = check_models(env, diag, progress)
    typed = Checker(env, models).check_all(diag)
    for name in list(typed):
        decl = env.queries[name]
        diag.check(decl, (decl.name,), lambda: marginals.check_placement(typed, [name]))
    diag.raise_errors()
    program = Program(file, text, env, models, views=Views(models, strict),
                      files=model_files(env, models))
    for name, t in typed.items():
        program.queries[name] = Query(name, env.queries[name], t, program)
    _views(program).plan(typed)
    _lower_all(program, progress, repair, _known(only, typed))
    return program


def _known(only: Collection[str] | None, typed: Collection[str]) -> Collection[str] | None:
    """`only` if it names queries that all exist (else everything, and the unknown name is
    the caller's error, with its hint)."""
    return only if only and all(n in typed for n in only) else None


MAX_REPAIRS = 4


def _lower_all(program: Program, progress: Progress | None, repair: bool = False,
               only: Collection[str] | None = None) -> None:
    """Lower every query, or only those named in `only` and the earlier queries they use
    (the others are left out of the program, so their models are never compiled)."""
    done: set[str] = set()

    def earlier(name: str) -> Circuit:
        q = program.queries[name]
        if name not in done:
            lower(q)
        if q.circuit is None:
            assert q.error is not None
            raise QueryFailed(name, q.error)
        return q.circuit

    def lower(q: Query) -> None:
        done.add(q.name)
        _lower_one(program, q, earlier, progress, repair)

    for q in list(program.queries.values()):
        if q.name not in done and (only is None or q.name in only):
            lower(q)
    if only is not None:
        program.queries = {n: q for n, q in program.queries.items() if n in done}


def _lower_one(program: Program, q: Query, earlier: Callable[[str], Circuit],
               progress: Progress | None, repair: bool) -> None:
    if progress is not None:
        progress(f"compiling query {q.name}")
    for attempt in range(MAX_REPAIRS + 1):
        try:
            lowerer = Lowerer(program.models, earlier, _views(program).options(q.name))
            q.circuit, q.error = lowerer.lower(q.typed), None
            q.guards = lowerer.guards + _used_guards(program, q)
            q.inconsistent = pasp.flags(q, lowerer.lower)
            q.folded = folded.of(program, q, lowerer.lowered())
            q.fixed_argmax = folded.argmax_of(lowerer.lowered())
            break
        except StructuralPropertyError as e:
            q.error = e
            if attempt == MAX_REPAIRS:
                break
            why = _views(program).extend(q.name, e)
            if why == "strict":
                _views(program).strict_hint(e)
            if why is not None and not (repair and _repair(program, q, e)):
                break
        except QueryFailed as e:
            q.error, q.dependency = e.error, e.name
            break


def _repair(program: Program, q: Query, e: StructuralPropertyError) -> bool:
    """Recompile a model so that the failed condition can hold; False if there is no repair."""
    earlier = tuple(s for r in q.repaired for s in r.opts.nested)
    fix = repair_plan(e, program.models, earlier)
    if isinstance(fix, str):
        q.repairs.append(f"not repaired: {fix}")
        return False
    model = program.models[fix.model]
    if model.opts == fix.opts:
        q.repairs.append(f"not repaired: {fix.model} already has {fix.opts.describe()}")
        return False
    model.recompile(fix.opts)
    q.repairs.append(fix.describe())
    q.repaired.append(fix)
    return True


def _used_guards(program: Program, q: Query) -> list[Guard]:
    names = {t.name for t in Ty.walk(q.typed) if isinstance(t, Ty.TQuery)}
    return [g for n in sorted(names) for g in program.queries[n].guards]
