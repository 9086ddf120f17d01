"""Parsing and grounding with the `problog` package (PyPI `problog`, Apache-2.0): its parser and
its engine (`problog.engine.DefaultEngine`: lists, findall, cut, call/N, consult, the library
predicates).  The ground program is ProbLog's `LogicFormula`, cycles included; its meaning is
the least fixpoint, which the queries' compilation computes on it directly (fixpoint.py,
roots.py).  Where an acyclic formula is needed (the joint encoding, encode.py), ProbLog's own
cycle breaking (`problog.formula.LogicDAG`: the same least-fixpoint semantics) makes it, on
first use (`Ground.acyclic`).

ProbLog's own errors (parse errors, unknown clauses, non-ground probabilistic clauses,
inconsistent evidence, ...) become a `SourceError` with the file, line and column ProbLog gives.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from atlasc.compiler.errors import SourceError


@dataclass
class Ground:
    """The ground program: its formula (a problog LogicFormula, cycles allowed, or the LogicDAG
    of `acyclic()`), the queries and evidence as (atom text, node key) with the evidence's
    value, and the atoms to keep as variables."""
    dag: Any
    queries: list[tuple[str, int | None]]
    evidence: list[tuple[str, int | None, bool]]   # (atom, its node key, observed value)
    atoms: list[tuple[str, int | None]]         # every named atom kept (queries included)
    file: str
    cyclic: bool = True          # dag may have cycles (False: a LogicDAG)
    all_atoms: bool = False      # every ground atom of the program's predicates is kept
    cache: dict[str, "Ground"] = field(default_factory=dict, repr=False)  # shared by copies

    def acyclic(self) -> "Ground":
        """The same program with its cycles broken by ProbLog's LogicDAG (keys renumbered;
        the atoms kept are the same, by name).  Made once per program."""
        if not self.cyclic:
            return self
        if "acyclic" not in self.cache:
            self.cache["acyclic"] = _broken(self)
        names = {n for n, _ in self.atoms}
        a = self.cache["acyclic"]
        return replace(a, atoms=[(n, k) for n, k in a.atoms if n in names])


def _broken(g: Ground) -> Ground:
    from problog.errors import ProbLogError       # problog is heavy: imported where used
    from problog.formula import LogicDAG
    try:
        return labelled(LogicDAG.create_from(g.dag), g.file, g.all_atoms, cyclic=False)
    except ProbLogError as e:
        raise error(e, None, g.file) from None
    except RecursionError:
        raise SourceError("ProbLog's cycle breaking ran out of recursion depth", g.file) from None


def ground(path: str | os.PathLike[str] | None = None, text: str | None = None,
           all_atoms: bool = False, file: str | None = None,
           allow_python: bool = False) -> Ground:
    """Ground a ProbLog program (a file, or `text`).  With `all_atoms`, every ground atom of the
    program's own predicates is kept (for a model in a .query file), not only the queries and
    the evidence.  A Python module the program loads (`:- use_module('f.py')`) runs its code,
    so it is refused unless `allow_python` (ProbLog's own library modules are part of the
    package and always load)."""
    from problog.errors import ProbLogError
    from problog.program import PrologFile, PrologString
    name = file or (os.fspath(path) if path is not None else "<program>")
    model = None
    try:
        model = PrologFile(os.fspath(path)) if path is not None else PrologString(text or "")
        with _python_modules(allow_python):
            return _ground(model, name, all_atoms)
    except PythonRefused as e:
        path, line, col = e.where or (None, None, None)
        raise SourceError(e.message(), path or name, line, col) from None
    except ProbLogError as e:
        raise error(e, model, name) from None
    except RecursionError:
        raise SourceError("ProbLog's grounder ran out of recursion depth (a very deep "
                          "derivation or an infinite one)", name) from None


ATOM = "atom"          # the label of the atoms kept besides the queries (all_atoms)
ALLOW_PYTHON = "--allow-python"


# ---- Python modules: user code, so refused unless allowed ---------------------------------
class PythonRefused(Exception):
    def __init__(self, module: str, where: tuple[str | None, int, int] | None) -> None:
        super().__init__(module)
        self.module, self.where = module, where

    def message(self) -> str:
        return (f"the program loads the Python module '{self.module}', which would run its "
                f"code: refused (only `atlasc problog {ALLOW_PYTHON}` loads Python modules; "
                "they then run with your rights)")


def _packaged(path: str) -> bool:
    """Whether the module is one of ProbLog's own library modules (package code)."""
    from problog import library_paths
    real = os.path.realpath(path)
    return any(os.path.dirname(real) == os.path.realpath(d) for d in library_paths)


@contextmanager
def _python_modules(allowed: bool) -> Iterator[None]:
    """ProbLog's ClauseDB.use_module, refusing a user's Python module while grounding."""
    from problog.clausedb import ClauseDB
    original = ClauseDB.use_module

    def guarded(db: Any, filename: Any, predicates: Any, location: Any = None,
                my_scope: Any = None) -> Any:
        target = db.resolve_filename(filename)
        if isinstance(target, str) and target.endswith(".py") and not allowed \
                and not _packaged(target):
            raise PythonRefused(os.path.basename(target),
                                _location(location, db) if location is not None else None)
        return original(db, filename, predicates, location=location, my_scope=my_scope)
    ClauseDB.use_module = guarded
    try:
        yield
    finally:
        ClauseDB.use_module = original


def _ground(model: Any, file: str, all_atoms: bool) -> Ground:
    from problog.engine import DefaultEngine
    from problog.formula import LogicFormula
    from problog.logic import Term
    engine = DefaultEngine()
    db = engine.prepare(model)
    lf = engine.ground_all(db, target=LogicFormula())
    if all_atoms:
        for f, n in user_predicates(model):
            lf = engine.ground(db, Term(f, *([None] * n)), lf, label=ATOM)
    return labelled(lf, file, all_atoms)


def labelled(formula: Any, file: str, all_atoms: bool, cyclic: bool = True) -> Ground:
    """The queries, evidence and kept atoms as the formula labels them."""
    queries = [(str(n), k) for n, k in formula.queries()]
    evidence = [(str(n), k, v > 0) for n, k, v in formula.evidence_all() if v != 0]
    kept = queries + [(n, k) for n, k, _ in evidence]
    kept += [(str(n), k) for n, k in formula.get_names(ATOM)] if all_atoms else []
    return Ground(formula, queries, evidence, _unique(kept), file, cyclic, all_atoms)


def _unique(atoms: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    seen: dict[str, int | None] = {}
    for n, k in atoms:
        seen.setdefault(n, k)
    return list(seen.items())


# ---- the program's own predicates (kept as variables with all_atoms) -------------------------
_SKIP = {"query", "evidence", "set", ":-"}


def user_predicates(model: Any, seen: set[str] | None = None) -> list[tuple[str, int]]:
    """The functor/arity of every head the program (and the files it consults) defines."""
    out: dict[tuple[str, int], None] = {}
    seen = set() if seen is None else seen
    for st in model:
        if _is_directive(st):
            out.update(dict.fromkeys(_consulted(st.body, model, seen)))
            continue
        for h in _heads(st):
            if isinstance(h.functor, str) and h.functor not in _SKIP:
                out.setdefault((h.functor, h.arity))
    return list(out)


def _is_directive(st: Any) -> bool:
    from problog.logic import Clause
    return isinstance(st, Clause) and getattr(st.head, "functor", None) == "_directive"


def _heads(st: Any) -> list[Any]:
    from problog.logic import AnnotatedDisjunction, Clause, Or, Term
    if isinstance(st, AnnotatedDisjunction):
        return list(st.heads)
    if isinstance(st, Clause):
        return _heads(st.head)
    if isinstance(st, Or):
        return list(st.to_list())
    return [st] if isinstance(st, Term) else []


def _consulted(goal: Any, model: Any, seen: set[str]) -> list[tuple[str, int]]:
    """The predicates of the files a `:- consult(F)` or `:- [F]` directive loads."""
    from problog.program import PrologFile
    files: list[Any] = []
    if goal.functor == "consult":
        files = list(goal.args)
    elif goal.functor == ".":
        files = list(_list_items(goal))
    root = Path(getattr(model, "source_root", ".") or ".")
    out: list[tuple[str, int]] = []
    for f in files:
        name = str(f).strip("'\"")
        p = root / name
        p = p if p.exists() else root / (name + ".pl")
        if str(p) in seen or not p.exists():
            continue
        seen.add(str(p))
        out += user_predicates(PrologFile(str(p)), seen)
    return out


def _list_items(t: Any) -> Iterable[Any]:
    while t.functor == "." and t.arity == 2:
        yield t.args[0]
        t = t.args[1]


# ---- errors -----------------------------------------------------------------------------------
def error(e: Any, model: Any, file: str) -> SourceError:
    """A ProbLog error as ProbLog words it, at the file, line and column it gives."""
    where = _location(e.location, model)
    path, line, col = where if where is not None else (None, None, None)
    return SourceError(f"{e.__class__.__name__}: {e.base_message}", path or file, line, col)


def _location(loc: Any, model: Any) -> tuple[str | None, int, int] | None:
    if isinstance(loc, tuple) and len(loc) == 3:
        return loc
    if isinstance(loc, (int, tuple)) and model is not None and hasattr(model, "lineno"):
        fn, line, col = model.lineno(loc)
        return (fn if isinstance(fn, str) else None), line, col
    return None
