"""The variables a program declares and how they are named, with the user errors of a name
lookup: what running a compiled program needs of its front end (`Names`), without the syntax
tree.  `resolve.Env` extends it with the declarations; a run image of the compiled-program
cache (compiler/program/cache.py) keeps the `Names` alone, so a cached run never imports the
parser.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import (TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, MutableMapping,
                    Protocol, TypeVar)

import numpy as np

from atlasc.compiler.errors import QueryNameError
from atlasc.compiler.names import mangled, value_text
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.source import Span
from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import difflib
else:   # for a did-you-mean only: not loaded by a run that names everything right
    difflib = lazy_module("difflib")


class Named(Protocol):
    """A name as written, where it is (language.ast.Name)."""

    @property
    def text(self) -> str: ...

    @property
    def span(self) -> Span: ...


V = TypeVar("V")
MAX_HINT_NAMES = 100_000    # more known names than this: no "did you mean" (difflib is slow)


def name_texts(text: str, starts: np.ndarray, ends: np.ndarray) -> Iterator[str]:
    """text[s:e] for each name (no Python loop; offsets made into ints 2^16 at a time)."""
    step = 1 << 16
    return itertools.chain.from_iterable(
        map(text.__getitem__, map(slice, starts[i:i + step].tolist(), ends[i:i + step].tolist()))
        for i in range(0, len(starts), step))


def name_hashes(text: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return np.fromiter(map(hash, name_texts(text, starts, ends)), np.int64, len(starts))


class RunNames:
    """The names of one long `var` list (language/runs.py NameRun: offsets into `text`),
    found by their hash: no object per name (5*10^6 names took 2 GB as dict entries).
    `dropped`: the names whose declaration failed (a duplicate, a reserved word)."""

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray,
                 span_of: Callable[[int, int], Span], hashes: np.ndarray | None = None) -> None:
        self.text, self.starts, self.ends, self.span_of = text, starts, ends, span_of
        self.dropped: set[int] = set()
        self._index(hashes)

    def _index(self, h: np.ndarray | None = None) -> None:
        """Hashes sorted, and the name each one is (str hashes differ between processes:
        made again after unpickling)."""
        h = name_hashes(self.text, self.starts, self.ends) if h is None else h
        self._order = np.argsort(h, kind="stable")
        self._hashes = h[self._order]

    def _texts(self) -> Iterator[str]:
        return name_texts(self.text, self.starts, self.ends)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_order", "_hashes")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._index()

    def name(self, k: int) -> str:
        return self.text[int(self.starts[k]):int(self.ends[k])]

    def span(self, k: int) -> Span:
        return self.span_of(int(self.starts[k]), int(self.ends[k]))

    def occurrences(self, name: str) -> list[int]:
        """Every index holding `name`, in order (dropped ones too)."""
        h = hash(name)
        lo = int(np.searchsorted(self._hashes, h, "left"))
        hi = int(np.searchsorted(self._hashes, h, "right"))
        return sorted(k for k in self._order[lo:hi].tolist() if self.name(k) == name)

    def find(self, name: str) -> int | None:
        return next((k for k in self.occurrences(name) if k not in self.dropped), None)

    def repeats(self) -> list[int]:
        """The indices whose name an earlier index holds too."""
        same = np.flatnonzero(self._hashes[1:] == self._hashes[:-1])
        cand = {int(k) for j in same.tolist() for k in self._order[j:j + 2].tolist()}
        return sorted(k for k in cand if self.occurrences(self.name(k))[0] != k)

    def __iter__(self) -> Iterator[str]:
        if not self.dropped:
            return self._texts()
        return (t for k, t in enumerate(self._texts()) if k not in self.dropped)

    def __len__(self) -> int:
        return len(self.starts) - len(self.dropped)


class Table(MutableMapping[str, V], Generic[V]):
    """A dict that may hold long runs of names (RunNames), each with its values made on
    demand (`value(run, k)`), in declaration order."""

    def __init__(self) -> None:
        self.parts: list[dict[str, V] | tuple[RunNames, Callable[[RunNames, int], V]]] = []

    def add_run(self, run: RunNames, value: Callable[[RunNames, int], V]) -> None:
        self.parts.append((run, value))

    def plain(self) -> dict[str, V] | None:
        """The table as its one dict (made if the table is empty), None if it holds a run:
        for bulk updates at a dict's speed."""
        if not self.parts:
            self.parts.append({})
        return self._only()

    def _only(self) -> dict[str, V] | None:
        """The one dict when the table holds no run (the common case, and a model file's 10^6
        variables: a plain dict's speed, not a Python loop over parts per name)."""
        if len(self.parts) == 1 and isinstance(p := self.parts[0], dict):
            return p
        return None

    def _lookup(self, key: str) -> tuple[bool, V | None]:
        for part in self.parts:
            if isinstance(part, dict):
                if key in part:
                    return True, part[key]
            elif (k := part[0].find(key)) is not None:
                return True, part[1](part[0], k)
        return False, None

    def __getitem__(self, key: str) -> V:
        if (only := self._only()) is not None:
            return only[key]
        found, value = self._lookup(key)
        if not found:
            raise KeyError(key)
        return value                                        # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        if (only := self._only()) is not None:
            return key in only
        return isinstance(key, str) and self._lookup(key)[0]

    def get(self, key: str, default: Any = None) -> Any:
        if (only := self._only()) is not None:
            return only.get(key, default)
        found, value = self._lookup(key)
        return value if found else default

    def __setitem__(self, key: str, value: V) -> None:
        if (only := self._only()) is not None:
            only[key] = value
            return
        for part in self.parts:
            if isinstance(part, dict) and key in part:
                part[key] = value
                return
        self.__delitem__(key) if key in self else None
        if not self.parts or not isinstance(self.parts[-1], dict):
            self.parts.append({})
        last = self.parts[-1]
        assert isinstance(last, dict)
        last[key] = value

    def __delitem__(self, key: str) -> None:
        for part in self.parts:
            if isinstance(part, dict) and key in part:
                del part[key]
                return
            if not isinstance(part, dict) and (k := part[0].find(key)) is not None:
                part[0].dropped.add(k)
                return
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(p if isinstance(p, dict) else p[0]
                                             for p in self.parts)

    def __len__(self) -> int:
        return sum(len(p if isinstance(p, dict) else p[0]) for p in self.parts)

    def copy(self) -> "Table[V]":
        out: Table[V] = Table()
        out.parts = [dict(p) if isinstance(p, dict) else p for p in self.parts]
        return out


class RunVar:
    """A run's values in `Names.vars`: a variable of the list's domain."""

    def __init__(self, domain: tuple[str, ...]) -> None:
        self.domain = domain

    def __call__(self, run: RunNames, k: int) -> Var:
        return Var(run.name(k), self.domain)


def run_span(run: RunNames, k: int) -> Span:
    return run.span(k)


def run_kind(run: RunNames, k: int) -> str:
    return "variable"


class Known:
    """Every name of some tables, without a copy (`Names.names`: 5*10^6 names)."""

    def __init__(self, *tables: Any) -> None:
        self.tables = tables

    def __contains__(self, key: object) -> bool:
        return any(key in t for t in self.tables)

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self.tables)

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables)


@dataclass
class Names:
    """What a program file declares, by name (and where)."""
    file: str
    text: str
    base_dir: Path
    vars: Table[Var] = field(default_factory=Table)
    spans: Table[Span] = field(default_factory=Table)       # where each name is declared
    kinds: Table[str] = field(default_factory=Table)        # variable | model | ...
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
    def names(self) -> Known:
        """Every way to name a variable (for lookups and hints)."""
        return Known(self.vars, self.aliases, self.ambiguous)

    def declare_run(self, run: RunNames, domain: tuple[str, ...]) -> None:
        """The names of a long var list, each a variable of `domain`."""
        self.vars.add_run(run, RunVar(domain))
        self.spans.add_run(run, run_span)
        self.kinds.add_run(run, run_kind)

    def names_only(self) -> Names:
        """These names without what a subclass adds (the declarations of resolve.Env)."""
        return Names(self.file, self.text, self.base_dir, self.vars.copy(), self.spans.copy(),
                     self.kinds.copy(), dict(self.aliases), dict(self.ambiguous))


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
    if isinstance(known, (Known, Table)) and len(known) > MAX_HINT_NAMES:
        return None
    known = list(known)
    written = [k for k in known if "(" in k or k.startswith("-")]
    old = [k for k in written if mangled(k) == text]
    if old:
        return f"atoms are written as the program writes them: {old[0]}"
    close = difflib.get_close_matches(text, known, n=1)
    return f"did you mean '{close[0]}'?" if close else None
