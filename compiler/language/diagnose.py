"""Every independent mistake of a file at once (docs/language.md, "Errors").

Each statement is checked on its own (`Diagnostics.check`): its first error is kept and the
names it declares are marked broken.  An error is dropped when it follows from an earlier one:
a statement that names a broken declaration (a variable, model, mapping or query whose own
statement failed) is not reported, and an unknown name is reported once, where it is first
used, with its other uses as notes.  `raise_errors` raises them in source order.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from atlasc.compiler.errors import AtlasError, QueryError, QueryErrors, raise_all
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.runs import LitRun, NameRun
from atlasc.compiler.source import Span

T = TypeVar("T")
MAX_NOTES = 3


class Diagnostics:
    def __init__(self, file: str, broken: dict[str, Span] | None = None) -> None:
        self.file = file
        self.errors: list[tuple[tuple[int, int], int, AtlasError]] = []
        self.broken: dict[str, Span] = dict(broken or {})
        self._unknown: dict[str, QueryError] = {}
        self._more: dict[str, int] = {}             # uses of an unknown name past MAX_NOTES
        self._order = list(self.broken)             # broken names in the order they broke
        self._runs: list[NameRun] = []              # broken var lists in compact form
        self._seen: dict[int, _Mentions] = {}       # statement id -> what it mentions

    def add(self, err: AtlasError, at: Span | None = None) -> None:
        """Keep `err` (a syntax error, a statement's first error), ordered by its position
        in this file, or by `at` (its statement) when it points elsewhere."""
        span = getattr(err, "span", None)
        where = span if span is not None and span.file == self.file else at
        key = (where.line, where.col) if where else (0, 0)    # not offsets: some spans lack
        self.errors.append((key, len(self.errors), err))     # them

    def check(self, stmt: Any, declares: Sequence[A.Name], fn: Callable[[], T]) -> T | None:
        """fn(), or None after a user error in it (kept unless it follows from an earlier
        one); on an error the names `stmt` declares are broken."""
        try:
            return fn()
        except AtlasError as err:
            if not getattr(err, "exit_code", 2) == 2:
                raise
            for one in err.errors if isinstance(err, QueryErrors) else [err]:
                if not self._follows(stmt, one):
                    self.add(one, getattr(stmt, "span", None))
            self._break(declares)
            return None

    def _break(self, declares: Sequence[A.Name]) -> None:
        if isinstance(declares, NameRun):
            self._runs.append(declares)             # 5*10^6 names: not one by one
            return
        for n in declares:
            if n.text not in self.broken:
                self.broken[n.text] = n.span
                self._order.append(n.text)

    def is_broken(self, name: str) -> bool:
        return name in self.broken or any(r.has(name) for r in self._runs)

    def _mentions_broken(self, stmt: Any) -> bool:
        """Whether `stmt` names a broken declaration; the names broken since its last
        check only are looked up (a var list of 10^6 names with 10^4 repeats)."""
        m = self._seen.get(id(stmt))
        if m is None:
            m = self._seen[id(stmt)] = _Mentions(stmt)
        if not m.hit:
            m.hit = any(m.has(t) for t in self._order[m.names:]) or \
                any(m.meets(r) for r in self._runs[m.runs:])
            m.names, m.runs = len(self._order), len(self._runs)
        return m.hit

    def _follows(self, stmt: Any, err: AtlasError) -> bool:
        name = getattr(err, "unknown", None)
        if name is not None and self.is_broken(name):
            return True
        if name is not None and name in self._unknown:
            self._also(name, err)
            return True
        if self._mentions_broken(stmt):
            return True
        if name is not None and isinstance(err, QueryError):
            self._unknown[name] = err
        return False

    def _also(self, name: str, err: AtlasError) -> None:
        first, span = self._unknown[name], getattr(err, "span", None)
        if span is None:
            return
        if sum(n[1] == "also used here" for n in first.notes) < MAX_NOTES:
            first.notes += ((span, "also used here"),)
        else:
            self._more[name] = self._more.get(name, 0) + 1

    def raise_errors(self) -> None:
        for name, k in self._more.items():
            first = self._unknown[name]
            more = f"'{name}' is used {k} more time{'s' if k > 1 else ''} after these"
            first.hint = f"{first.hint}; {more}" if first.hint else more
        self._more.clear()
        raise_all([e for _, _, e in sorted(self.errors, key=lambda t: t[:2])])


class _Mentions:
    """The names one statement mentions: a set, and its var lists in compact form."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt                                # kept: its id stays its own
        self.runs_of: list[NameRun] = []
        self.small = set(mentioned(stmt, self.runs_of))
        self.names = self.runs = 0                     # broken names, runs checked so far
        self.hit = False

    def has(self, name: str) -> bool:
        return name in self.small or any(r.has(name) for r in self.runs_of)

    def meets(self, broken: NameRun) -> bool:
        return any(broken.has(t) for t in self.small) or \
            any(r.shares(broken) for r in self.runs_of)


def each(items: Iterable[Any], fn: Callable[[Any], T]) -> list[T]:
    """fn on every item, each item's user errors its own (a CPT of a network, a weight):
    all of them raised at once after the last item."""
    out: list[T] = []
    errors: list[AtlasError] = []
    for item in items:
        try:
            out.append(fn(item))
        except QueryError as e:
            errors.append(e)
    raise_all(errors)
    return out


def mentioned(node: Any, runs: list[NameRun] | None = None) -> Iterator[str]:
    """The text of every name in an AST node, in order; an explicit stack (a recursive
    generator passes each name up through every level: quadratic on 20,000-deep nesting).
    With `runs`, a var list in compact form is put there instead of named one by one."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, A.Name):
            yield node.text
        elif isinstance(node, LitRun):
            yield from node.names                   # its distinct names (no node made)
        elif isinstance(node, NameRun) and runs is not None:
            runs.append(node)
        elif isinstance(node, NameRun):
            yield from node.texts()
        elif isinstance(node, tuple):
            stack.extend(reversed(node))
        elif dataclasses.is_dataclass(node) and not isinstance(node, (Span, type)):
            stack.extend(getattr(node, f.name) for f in reversed(dataclasses.fields(node))
                         if f.name != "span")
