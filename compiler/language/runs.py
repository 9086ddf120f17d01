"""Long flat runs of the AST in compact form (issue 18 item 4): 50 MB of `A0 & A1 & ...` is
7*10^6 literals, and a Span, a Name and an FLit each took ~500 bytes.

A `LitRun` is the literals of one and/or as arrays -- name ids, name start offsets, the
negated ones and where their `!` is -- and a `NameRun` the names of one `var` list as start
and end offsets.  Both are sequences of the nodes lark's transformer would build
(`run[k]` makes the k-th one, spans included, on demand), so they compare equal to lark's
tuples and a pass that walks them item by item still works; the passes that meet 10^7 of
them read the arrays instead (models._args, resolve._declare_vars, diagnose.mentioned).
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Iterable, Iterator, Sequence, overload

import numpy as np

from atlasc.compiler.language import ast as A
from atlasc.compiler.language.flatscan import first_of
from atlasc.compiler.language.scope import name_hashes, name_texts
from atlasc.compiler.source import Span

SpanOf = Callable[[int, int], Span]         # (start, end) offsets -> their Span


class _Run:
    """What both runs share: indexing, equality with any sequence, and a short repr."""

    __slots__ = ()

    def __len__(self) -> int:
        raise NotImplementedError

    def item(self, k: int) -> Any:
        raise NotImplementedError

    def _index(self, k: Any) -> Any:
        if isinstance(k, slice):
            return tuple(self.item(i) for i in range(*k.indices(len(self))))
        k = operator.index(k)
        k = k + len(self) if k < 0 else k
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self.item(k)

    def __iter__(self) -> Iterator[Any]:
        return (self.item(k) for k in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (tuple, list, _Run)) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} items)"


class LitRun(_Run, Sequence[A.Formula]):
    """The literals L1, L2, ... of `L1 op L2 op ...`, each `X` or `!X`: `names` the distinct
    names in order of first occurrence, `ids[k]` literal k's name, `starts[k]` where that
    name starts; `negated` the (increasing) indices of the `!X` ones, `bangs` where their
    `!` is."""

    __slots__ = ("names", "ids", "starts", "negated", "bangs", "span_of")

    def __init__(self, names: tuple[str, ...], ids: np.ndarray, starts: np.ndarray,
                 negated: np.ndarray, bangs: np.ndarray, span_of: SpanOf) -> None:
        self.names, self.ids, self.starts = names, ids, starts
        self.negated, self.bangs, self.span_of = negated, bangs, span_of

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, k: int) -> A.Formula: ...

    @overload
    def __getitem__(self, k: slice) -> tuple[A.Formula, ...]: ...

    def __getitem__(self, k: Any) -> Any:
        return self._index(k)

    def item(self, k: int) -> A.Formula:
        text = self.names[self.ids[k]]
        s = int(self.starts[k])
        span = self.span_of(s, s + len(text))
        lit = A.FLit(span, A.Name(span, text), None)
        j = int(np.searchsorted(self.negated, k))
        if j < len(self.negated) and self.negated[j] == k:
            return A.FNot(self.span_of(int(self.bangs[j]), s + len(text)), lit)
        return lit

    def start(self) -> int:
        """Where the run starts (its first literal, or that literal's `!`)."""
        neg = len(self.negated) and self.negated[0] == 0
        return int(self.bangs[0] if neg else self.starts[0])

    def end(self) -> int:
        return int(self.starts[-1]) + len(self.names[self.ids[-1]])

    def firsts(self) -> list[int]:
        """The index of the first occurrence of each distinct literal (name and sign), in
        order: and/or are idempotent, so these alone decide the formula."""
        key = self.ids.astype(np.int64) * 2
        key[self.negated] += 1
        first = first_of(key, 2 * len(self.names))
        return sorted(int(k) for k in first[first < len(key)])


class NameRun(_Run, Sequence[A.Name]):
    """The names N1, N2, ... of a `var` list: `starts[k]`, `ends[k]` the offsets of name k in
    `text` (its text is read off on demand), `hashes[k]` its hash, `dotted` the indices of
    the names with a dot (`m.x`, which no declaration may have)."""

    __slots__ = ("text", "starts", "ends", "span_of", "hashes", "dotted", "_by_hash")

    def __init__(self, text: str, starts: np.ndarray, ends: np.ndarray, span_of: SpanOf,
                 dotted: np.ndarray) -> None:
        self.text, self.starts, self.ends, self.span_of = text, starts, ends, span_of
        self.dotted = dotted
        self.hashes = name_hashes(text, starts, ends)
        self._by_hash: np.ndarray | None = None        # indices by hash, made at need

    def __getstate__(self) -> tuple[Any, ...]:        # str hashes differ between processes:
        return self.text, self.starts, self.ends, self.span_of, self.dotted

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.__init__(*state)                            # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, k: int) -> A.Name: ...

    @overload
    def __getitem__(self, k: slice) -> tuple[A.Name, ...]: ...

    def __getitem__(self, k: Any) -> Any:
        return self._index(k)

    def item(self, k: int) -> A.Name:
        s, e = int(self.starts[k]), int(self.ends[k])
        return A.Name(self.span_of(s, e), self.text[s:e])

    def texts(self) -> Iterator[str]:
        """Each name's text, in order (no span made)."""
        return name_texts(self.text, self.starts, self.ends)

    def has(self, word: str) -> bool:
        """Whether some name of the list is `word` (by hash: no pass over the list)."""
        if self._by_hash is None:
            self._by_hash = np.argsort(self.hashes, kind="stable")
        h, order = hash(word), self._by_hash
        lo = int(np.searchsorted(self.hashes, h, "left", sorter=order))
        hi = int(np.searchsorted(self.hashes, h, "right", sorter=order))
        return any(self.text[self.starts[k]:self.ends[k]] == word
                   for k in order[lo:hi].tolist())

    def shares(self, other: "NameRun") -> bool:
        """Whether the two lists have a name in common."""
        cand = np.flatnonzero(np.isin(self.hashes, other.hashes))
        return any(other.has(self.text[self.starts[k]:self.ends[k]]) for k in cand.tolist())

    def holding(self, words: Iterable[str]) -> list[int]:
        """The indices of the names that are one of `words`, in order."""
        words = set(words)
        cand = np.flatnonzero(np.isin(self.hashes, [hash(w) for w in words]))
        return [int(k) for k in cand if self.text[self.starts[k]:self.ends[k]] in words]
