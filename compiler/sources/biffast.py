"""A fast reading of well-formed BIF text (bnlearn's files: megabytes of probability rows).

`compiler/sources/bif.py`'s reader walks a token list, a Python call per token: about 1 s for
pathfinder's 1.6 MB, most of a run on the flat route.  This reader matches whole blocks with
regular expressions and converts each row's numbers in one call.  It accepts only the regular
shape (no comments, no statements other than `type` and `property` in a variable block, single
commas between names, every row and table of the right length, every name known); on anything
else it returns None and the token reader reads the file, so every error keeps its position and
wording.  tests/sources/test_biffast.py checks both readers give the same network.
"""
from __future__ import annotations

import bisect
import math
import re
from typing import Iterator

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.model import CPT, BayesNet, validate

ALPHA = "dirichlet_alpha"     # property dirichlet_alpha = a, b | c, d;  (docs/moments.md)
_END = r"(?=[\s{}()\[\];,|])"
_NAME = r"[^\s{}()\[\];,|]+"
# names, single commas; the separator is not optional (`\s*,?\s*` let a long name split
# between repetitions in exponentially many ways before a failing fullmatch: fuzz 1:45303)
_NAMES = re.compile(rf"\s*{_NAME}(?:(?:\s*,\s*|\s+){_NAME})*\s*")
_NETWORK = re.compile(rf"\s*network{_END}([^{{}}()\[\];,|]*)\{{[^{{}}]*\}}")
_PROPS = r"(?:\s*property\b[^;{}]*;)*"
_VARIABLE = re.compile(rf"\s*variable{_END}\s*({_NAME})\s*\{{{_PROPS}\s*type\s+discrete\s*"
                       rf"\[\s*(\d+)\s*\]\s*\{{([^{{}}]*)\}}\s*;?{_PROPS}\s*\}}")
_PROBABILITY = re.compile(rf"\s*probability\s*\(\s*({_NAME})\s*(?:\|([^()]*))?\)\s*"
                          r"\{([^{}]*)\}")
_ENTRY = re.compile(r"\s*(?:\(([^()]*)\)|(table|default)" + _END + r")([^;(){}\[\]|]*);"
                    r"|\s*property\b[^;{}]*;")
_NUMBER_SPLIT = re.compile(r"[\s,]+")
_REST = re.compile(r"\s*\Z")                     # only white space from here on


class _Irregular(Exception):
    """The text is not of the regular shape: the token reader takes over."""


def parse_regular(text: str, file: str) -> BayesNet | None:
    """The network of regular BIF text, validated; None when the text is not regular."""
    if "//" in text or "/*" in text or ALPHA in text:
        return None      # Dirichlet posteriors (fitted files) are read by the token reader
    try:
        return _Reader(text).network(file)
    except _Irregular:
        return None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.name = ""
        self.vars: dict[str, Var] = {}
        self.index: dict[str, dict[str, int]] = {}
        self.lines: dict[str, int] = {}
        self.cpts: list[CPT] = []

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def network(self, file: str) -> BayesNet:
        for m in self._blocks():
            pass
        bn = BayesNet(tuple(self.vars.values()), tuple(self.cpts), self.name, file, self.lines)
        validate(bn)
        return bn

    def _blocks(self) -> Iterator[re.Match[str]]:
        pos = 0
        while not _REST.match(self.text, pos):
            for pattern, read in ((_PROBABILITY, self._probability),
                                  (_VARIABLE, self._variable), (_NETWORK, self._network)):
                m = pattern.match(self.text, pos)
                if m:
                    read(m)
                    pos = m.end()
                    yield m
                    break
            else:
                raise _Irregular

    def _start(self, m: re.Match[str]) -> int:
        return self.line(m.start() + len(m.group(0)) - len(m.group(0).lstrip()))

    def _network(self, m: re.Match[str]) -> None:
        self.name = " ".join(m.group(1).split())

    def _variable(self, m: re.Match[str]) -> None:
        name, states = m.group(1), _names(m.group(3), trailing=True)
        if name in self.vars or int(m.group(2)) != len(states):
            raise _Irregular
        try:
            self.vars[name] = Var(name, tuple(states))
        except ValueError:
            raise _Irregular from None
        self.index[name] = {s: i for i, s in enumerate(states)}
        self.lines[name] = self._start(m)

    def _probability(self, m: re.Match[str]) -> None:
        child = self._var(m.group(1))
        parents = [self._var(p) for p in (_names(m.group(2)) if m.group(2) is not None else [])]
        if m.group(2) is not None and not parents:
            raise _Irregular
        table = _rows(m.group(3), child, parents, [self.index[p.name] for p in parents])
        self.cpts.append(CPT(child, tuple(parents), table, self._start(m)))

    def _var(self, name: str) -> Var:
        if name not in self.vars:
            raise _Irregular
        return self.vars[name]


def _names(seg: str, trailing: bool = False) -> list[str]:
    """The names of `a, b c` (single commas between, a trailing one where allowed)."""
    body = seg.rstrip()
    if trailing and body.endswith(","):
        body = body[:-1]
    if not body.strip():
        return []
    if not _NAMES.fullmatch(body):
        raise _Irregular
    return [w for w in _NUMBER_SPLIT.split(body.strip()) if w]


def _numbers(seg: str, n: int) -> list[float]:
    words = [w for w in _NUMBER_SPLIT.split(seg) if w]
    if len(words) != n:
        raise _Irregular
    try:
        return [float(w) for w in words]
    except ValueError:
        raise _Irregular from None


_SEP = r"(?:\s*,\s*|\s+)"                             # between two names of a row
_ROW = re.compile(r"\(([^()]*)\)([^;]*);")
_BODIES: dict[int, re.Pattern[str]] = {}


def _body(parents: int) -> re.Pattern[str]:
    """Only rows, each of `parents` names (as _row would accept them) and then numbers."""
    if parents not in _BODIES:
        names = rf"\(\s*{_NAME}(?:{_SEP}{_NAME}){{{parents - 1}}}\s*\)"
        _BODIES[parents] = re.compile(rf"(?:\s*{names}[^;(){{}}\[\]|]*;)*\s*")
    return _BODIES[parents]


def _words(seg: str) -> list[str]:
    """The numbers of `seg` as text, split at white space and commas (as _numbers: str.split
    and the pattern's \\s agree on what is white space)."""
    return seg.replace(",", " ").split()


def _all_rows(body: str, child: Var, parents: list[Var], index: list[dict[str, int]]
              ) -> np.ndarray | None:
    """A table given only by rows, read with one split of all its names and one of all its
    numbers (pathfinder: 25,772 rows); None for any other body, or a repeated row, which
    `_rows` reads one entry at a time."""
    if not parents or not _body(len(parents)).fullmatch(body):
        return None
    found = _ROW.findall(body)
    if any(len(_words(n)) != child.size for _, n in found):
        return None
    names = _words(" ".join(s for s, _ in found))
    words = _words(" ".join(n for _, n in found))
    try:
        idx = [[ix[s] for s in names[j::len(parents)]] for j, ix in enumerate(index)]
        nums = np.array(list(map(float, words))).reshape(len(found), child.size)
    except (KeyError, ValueError):
        raise _Irregular from None
    cell = np.ravel_multi_index(idx, tuple(p.size for p in parents)) if found else \
        np.zeros(0, np.int64)
    if cell.size and np.bincount(cell).max() > 1:       # (np.unique would load numpy.ma)
        return None
    arr = np.full((math.prod(p.size for p in parents), child.size), np.nan)
    arr[cell] = nums
    return _filled(arr.reshape(tuple(p.size for p in parents) + (child.size,)), None)


def _rows(body: str, child: Var, parents: list[Var], index: list[dict[str, int]]
          ) -> np.ndarray:
    fast = _all_rows(body, child, parents, index)
    if fast is not None:
        return fast
    shape = tuple(p.size for p in parents) + (child.size,)
    arr = np.full(shape, np.nan)
    default, pos = None, 0
    while not _REST.match(body, pos):
        m = _ENTRY.match(body, pos)
        if m is None:
            raise _Irregular
        pos = m.end()
        if m.group(1) is not None:
            _row(arr, m.group(1), m.group(3), child, index)
        elif m.group(2) == "table":
            nums = _numbers(m.group(3), int(np.prod(shape)))
            arr = np.asarray(nums).reshape(child.size, -1).T.reshape(shape)
        elif m.group(2) == "default":
            default = _numbers(m.group(3), child.size)
    return _filled(arr, default)


def _row(arr: np.ndarray, states: str, nums: str, child: Var, index: list[dict[str, int]]
         ) -> None:
    names = _names(states)
    if len(names) != len(index):
        raise _Irregular
    try:
        idx = tuple(ix[s] for ix, s in zip(index, names))
    except KeyError:
        raise _Irregular from None
    if not np.isnan(arr[idx]).all():
        raise _Irregular
    arr[idx] = _numbers(nums, child.size)


def _filled(arr: np.ndarray, default: list[float] | None) -> np.ndarray:
    missing = np.isnan(arr).any(axis=-1)
    if missing.any() and default is not None:
        arr[missing] = default
        missing = np.isnan(arr).any(axis=-1)
    if missing.any():
        raise _Irregular
    return arr
