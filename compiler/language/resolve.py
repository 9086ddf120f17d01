"""Name resolution: the declarations of a module, checked for duplicates, reserved words and
well-formed domains.  One namespace holds variables, models, mappings and queries.

The result is an `Env`; model bodies, mappings and query expressions are checked later
(`models.py`, `usermap.py`, `typecheck.py`) against it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.diagnose import Diagnostics
from atlasc.compiler.names import mangled, value_text
from atlasc.compiler.ir.variables import BOOL_DOMAIN, Var
from atlasc.compiler.source import Span

RESERVED = frozenset({"var", "model", "mapping", "query", "logic", "weights", "bayesnet",
                      "pasp", "with", "sum", "max", "min", "or", "agg", "map", "true", "false",
                      "inf"})


@dataclass
class Env:
    file: str
    text: str
    base_dir: Path
    vars: dict[str, Var] = field(default_factory=dict)
    models: dict[str, A.ModelDecl] = field(default_factory=dict)
    mappings: dict[str, A.MappingDecl] = field(default_factory=dict)
    queries: dict[str, A.QueryDecl] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)      # where each name is declared
    kinds: dict[str, str] = field(default_factory=dict)       # variable | model | ...
    # model files' names (language/namespaces.py): `m.x` for a file variable x whose name is
    # x, and the bare names two files declare, with the qualified names they may mean
    aliases: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    # ---- lookups that raise user errors ---------------------------------------------------------
    def var(self, name: A.Name, what: str = "variable") -> Var:
        v = self.find(name.text, name.span)
        if v is None:
            raise unknown(name, what, self.names, self.kinds.get(name.text))
        return v

    def find(self, text: str, span: Span | None = None) -> Var | None:
        """The variable `text` names (as declared, or `m.x`); None if none does; a bare name
        that two model files declare is an error naming both."""
        if text in self.ambiguous:
            raise ambiguous(text, self.ambiguous[text], span)
        return self.vars.get(self.aliases.get(text, text))

    @property
    def names(self) -> set[str]:
        """Every way to name a variable (for lookups and hints)."""
        return set(self.vars) | set(self.aliases) | set(self.ambiguous)

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


def unknown(name: A.Name, what: str, known: Iterable[str], actual_kind: str | None = None
            ) -> QueryNameError:
    if actual_kind is not None:
        return QueryNameError(f"'{name.text}' is a {actual_kind}, not a {what}", name.span)
    err = QueryNameError(f"unknown {what} '{name.text}'", name.span, did_you_mean(name.text,
                                                                                  known))
    err.unknown = name.text         # diagnose.py: an unknown name is reported once
    return err


def ambiguous(text: str, means: list[str], span: Span | None) -> QueryNameError:
    models = " and ".join(m.rsplit(".", 1)[0] for m in means)
    return QueryNameError(f"'{text}' is ambiguous: the model files {models} each have a "
                          f"variable {text}", span,
                          f"write {' or '.join(means)}, or give one model "
                          f"`as {{{text}: NEW_NAME}}`")


def domain_hint(var: Var, value: str, quoted: bool = False) -> str:
    """`expected one of ...` (in query syntax if `quoted`: values that are not names or
    numbers in quotes), with the closest value when one is close."""
    show = value_text if quoted else str
    out = f"expected one of {', '.join(show(v) for v in var.domain)}"
    close = difflib.get_close_matches(value, var.domain, n=1)
    return out + (f"; did you mean {show(close[0])}?" if close else "")


def did_you_mean(text: str, known: Iterable[str]) -> str | None:
    """A hint naming the closest known name; a PASP atom written in the mangled form of
    earlier versions (r_1_2 for r(1,2)) is pointed to its written form."""
    known = list(known)
    written = [k for k in known if "(" in k or k.startswith("-")]
    old = [k for k in written if mangled(k) == text]
    if old:
        return f"atoms are written as the program writes them: {old[0]}"
    close = difflib.get_close_matches(text, known, n=1)
    return f"did you mean '{close[0]}'?" if close else None


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
    for name in decl.names:
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
