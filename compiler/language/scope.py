"""The variables a program declares and how they are named, with the user errors of a name
lookup: what running a compiled program needs of its front end (`Names`), without the syntax
tree.  `resolve.Env` extends it with the declarations; a run image of the compiled-program
cache (compiler/program/cache.py) keeps the `Names` alone, so a cached run never imports the
parser.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from atlasc.compiler.errors import QueryNameError
from atlasc.compiler.names import mangled, value_text
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.source import Span


class Named(Protocol):
    """A name as written, where it is (language.ast.Name)."""

    @property
    def text(self) -> str: ...

    @property
    def span(self) -> Span: ...


@dataclass
class Names:
    """What a program file declares, by name (and where)."""
    file: str
    text: str
    base_dir: Path
    vars: dict[str, Var] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)      # where each name is declared
    kinds: dict[str, str] = field(default_factory=dict)       # variable | model | ...
    # model files' names (language/namespaces.py): `m.x` for a file variable x whose name is
    # x, and the bare names two files declare, with the qualified names they may mean
    aliases: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

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

    def names_only(self) -> Names:
        """These names without what a subclass adds (the declarations of resolve.Env)."""
        return Names(self.file, self.text, self.base_dir, dict(self.vars), dict(self.spans),
                     dict(self.kinds), dict(self.aliases), dict(self.ambiguous))


def unknown(name: Named, what: str, known: Iterable[str], actual_kind: str | None = None
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
