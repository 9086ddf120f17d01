"""Per-file namespaces: the variables of model files in one query file never clash silently.

Each model file `m` has its own namespace: its variable `x` is also `m.x`.  A name that two
or more model files declare (UAI files all name theirs v0, v1, ...; CNF files x1, x2, ...) is
qualified in each of them: the variables are `a.x` and `b.x`, distinct, and a bare `x` is an
error that names both.  The query file says when files share a variable: a name it declares
with `var` is shared by every file that has it (as before), and so is a name that
`model m = uai "f.uai" as {v0: Smoker}` gives (files renamed to one name share it); one file
read by two models shares its variables too.  A name kept by one file and given by another is
still qualified (docs/language.md, "Names of model files").
"""
from __future__ import annotations

from dataclasses import dataclass

from atlasc.compiler.errors import QueryNameError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.resolve import Env, undotted
from atlasc.compiler.language.scope import did_you_mean
from atlasc.compiler.ir.variables import Var


@dataclass(frozen=True)
class Member:
    model: str
    file_name: str       # as the file writes it
    name: str            # as the query writes it (renamed or not)
    explicit: bool       # given by `as`, or declared by `var`
    path: str            # the file


def renames(body: A.FileModel, variables: tuple[Var, ...]) -> dict[str, str]:
    """The `as {...}` clause checked: file names it knows, new names without dots, one file
    name and one new name at most once, no new name that another variable keeps."""
    known = {v.name for v in variables}
    out: dict[str, str] = {}
    given: dict[str, A.Name] = {}
    for old, new in body.renames:
        if old.text not in known:
            raise QueryNameError(f"the model file has no variable '{old.text}'", old.span,
                                 did_you_mean(old.text, known))
        undotted(new, "variable")
        if old.text in out or new.text in given:
            first = given.get(new.text) or next(n for o, n in body.renames if o.text == old.text)
            raise QueryNameError(f"'{old.text if old.text in out else new.text}' is renamed "
                                 "twice", new.span, notes=((first.span, "first here"),))
        out[old.text], given[new.text] = new.text, new
    kept = known - set(out)
    for text, at in given.items():
        if text in kept:
            raise QueryNameError(f"the model file already has a variable '{text}'", at.span,
                                 f"rename {text} too, or choose another name")
    return out


def plan(env: Env, files: dict[str, tuple[tuple[Var, ...], dict[str, str], str]]
         ) -> dict[str, dict[str, str]]:
    """Per model (its variables, renames and file): file name -> the name of its variable
    where they differ; records `m.x` aliases and the ambiguous bare names in `env`.  A name
    that only one model has cannot clash: it goes by array comprehensions (a CNF header may
    declare 10^6 variables), the shared ones by their members."""
    named = {m: _names(vs, ren) for m, (vs, ren, _) in files.items()}
    shared = _shared(named)
    out: dict[str, dict[str, str]] = {m: {} for m in files}
    groups: dict[str, list[Member]] = {}
    for model, (variables, ren, path) in files.items():
        names = named[model]
        out[model].update((v.name, n) for v, n in zip(variables, names)
                          if n != v.name and n not in shared)
        env.aliases.update((f"{model}.{n}", n) for n in names if n not in shared)
        for v, name in zip(variables, names):
            if name in shared:
                explicit = v.name in ren or name in env.vars
                groups.setdefault(name, []).append(Member(model, v.name, name, explicit, path))
    for name, members in groups.items():
        _place(env, out, name, members)
    return out


def _names(variables: tuple[Var, ...], ren: dict[str, str]) -> list[str]:
    if not ren:
        return [v.name for v in variables]
    return [ren.get(v.name, v.name) for v in variables]


def _shared(named: dict[str, list[str]]) -> set[str]:
    """The names more than one model has."""
    if len(named) < 2:
        return set()
    seen: set[str] = set()
    twice: set[str] = set()
    for names in named.values():
        mine = set(names)
        twice |= seen & mine
        seen |= mine
    return twice


def _place(env: Env, out: dict[str, dict[str, str]], name: str, members: list[Member]
           ) -> None:
    """The members of a shared name: one variable, or each qualified by its model when the
    files differ and not all of them say the name is meant to be shared."""
    clash = len({m.path for m in members}) > 1 and not all(m.explicit for m in members)
    for m in members:
        final = f"{m.model}.{name}" if clash else name
        if final != m.file_name:
            out[m.model][m.file_name] = final
        if clash:
            env.ambiguous.setdefault(name, []).append(final)
        else:
            env.aliases[f"{m.model}.{name}"] = name
