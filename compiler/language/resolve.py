"""Name resolution: the declarations of a module, checked for duplicates, reserved words and
well-formed domains.  One namespace holds variables, models, mappings and queries.

The result is an `Env`; model bodies, mappings and query expressions are checked later
(`models.py`, `usermap.py`, `typecheck.py`) against it.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.diagnose import Diagnostics
from atlasc.compiler.ir.variables import BOOL_DOMAIN, Var
from atlasc.compiler.source import Span
from atlasc.compiler.language.runs import NameRun
from atlasc.compiler.language.scope import Names, RunNames, domain_hint, unknown

RESERVED = frozenset({"var", "model", "mapping", "query", "logic", "weights", "bayesnet",
                      "pasp", "with", "sum", "max", "min", "or", "agg", "map", "true", "false",
                      "inf"})


@dataclass
class Env(Names):
    """The declarations of a module (its names, and the syntax of its models, mappings and
    queries)."""
    models: dict[str, A.ModelDecl] = field(default_factory=dict)
    mappings: dict[str, A.MappingDecl] = field(default_factory=dict)
    queries: dict[str, A.QueryDecl] = field(default_factory=dict)

    # ---- lookups that raise user errors ---------------------------------------------------------
    def var(self, name: A.Name, what: str = "variable") -> Var:
        v = self.find(name.text, name.span)
        if v is None:
            raise unknown(name, what, self.names, self.kinds.get(name.text))
        return v

    def value(self, var: Var, value: A.Value) -> int:
        if value.text in var.domain:
            return var.domain.index(value.text)
        raise QueryTypeError(f"{var.name} has no value '{value.text}'", value.span,
                             domain_hint(var, value.text, quoted=True))

    def literal(self, lit: A.Literal) -> tuple[Var, int]:
        """`X`, `!X` (Boolean X) or `X = v`, as (variable, value index)."""
        v = self.var(lit.var)
        if lit.value is not None:
            return v, self.value(v, lit.value)
        if not v.is_bool:
            form = "!" if lit.negated else ""
            raise QueryTypeError(f"{v.name} is not Boolean, so '{form}{v.name}' has no "
                                 f"meaning", lit.span, f"write {v.name} = <value>, with a value "
                                 f"in {{{', '.join(v.domain)}}}")
        return v, 0 if lit.negated else 1


def resolve(module: A.Module, base_dir: Path, diag: Diagnostics) -> Env:
    """The declarations; a statement whose declaration fails is left out (and kept in
    `diag`)."""
    env = Env(module.file, module.text, base_dir)
    for stmt in module.stmts:
        if isinstance(stmt, A.VarDecl):
            _declare_vars(env, stmt, diag)
        else:
            diag.check(stmt, _breaks(env, stmt.name), lambda: _declare_stmt(env, stmt))
    return env


def _declare_stmt(env: Env, stmt: A.ModelDecl | A.MappingDecl | A.QueryDecl) -> None:
    if isinstance(stmt, A.ModelDecl):
        _declare(env, stmt.name, "model")
        env.models[stmt.name.text] = stmt
    elif isinstance(stmt, A.MappingDecl):
        _declare(env, stmt.name, "mapping")
        env.mappings[stmt.name.text] = stmt
    else:
        _declare(env, stmt.name, "query")
        env.queries[stmt.name.text] = stmt


def _declare(env: Env, name: A.Name, kind: str) -> bool:
    """True once declared; raises on a reserved word, a dotted name or a duplicate."""
    if name.text in RESERVED:
        raise QueryNameError(f"'{name.text}' is a reserved word and cannot name a {kind}",
                             name.span)
    undotted(name, kind)
    if name.text in env.spans:
        first = env.kinds[name.text]
        raise QueryNameError(f"duplicate name '{name.text}'", name.span,
                             notes=((env.spans[name.text], f"first declared here as a {first}"),))
    env.spans[name.text] = name.span
    env.kinds[name.text] = kind
    return True


def undotted(name: A.Name, kind: str) -> None:
    if "." in name.text:
        raise QueryNameError(f"'{name.text}' cannot name a {kind}: a dotted name m.x is the "
                             "variable x of the model file m", name.span,
                             "choose a name without a dot")


def _declare_vars(env: Env, decl: A.VarDecl, diag: Diagnostics) -> None:
    """Each name on its own: a duplicate leaves the others declared."""
    domain = diag.check(decl, decl.names, lambda: _domain(decl.domain))
    if domain is None:
        return
    if isinstance(decl.names, NameRun):
        return _declare_run(env, decl, decl.names, domain, diag)
    for name in decl.names:
        if diag.check(decl, _breaks(env, name), lambda: _declare(env, name, "variable")):
            env.vars[name.text] = Var(name.text, domain)


def _declare_run(env: Env, decl: A.VarDecl, names: NameRun, domain: tuple[str, ...],
                 diag: Diagnostics) -> None:
    """A long var list at once (by hash, no object per name); the names that fail -- a
    repeat, a name declared before, a reserved word, a dotted name -- are declared one by one
    as above, so their errors are the same, and left out of the run."""
    run = RunNames(names.text, names.starts, names.ends, names.span_of, names.hashes)
    bad = set(run.repeats()) | set(names.holding(itertools.chain(env.spans, RESERVED))) | \
        set(names.dotted.tolist())
    run.dropped.update(bad)
    env.declare_run(run, domain)
    for k in sorted(bad):
        name = names[k]
        if diag.check(decl, _breaks(env, name), lambda: _declare(env, name, "variable")):
            env.vars[name.text] = Var(name.text, domain)


def _breaks(env: Env, name: A.Name) -> tuple[A.Name, ...]:
    """What a failed declaration of `name` breaks: nothing if it is a duplicate (the first
    declaration stands)."""
    return () if name.text in env.spans else (name,)


def _domain(d: A.Domain | None) -> tuple[str, ...]:
    if d is None:
        return BOOL_DOMAIN
    if d.kind == "named":
        assert d.name is not None
        if d.name.text != "bool":
            raise QueryTypeError(f"unknown domain '{d.name.text}'", d.name.span,
                                 "expected bool or a set of values such as {low, high}")
        return BOOL_DOMAIN
    seen: dict[str, A.Value] = {}
    for v in d.values:
        if v.text in seen:
            raise QueryTypeError(f"the value '{v.text}' appears twice in this domain", v.span,
                                 notes=((seen[v.text].span, "first here"),))
        seen[v.text] = v
    return tuple(seen)
