"""The tokens of a long flat run at array speed (flatparse.py's first try, issue 18 item 4).

A statement's text is classified byte by byte with numpy (an ASCII text without comments:
anything else is left to flatparse's regular expressions), names are the runs of name
characters, and the punctuation between them is checked gap by gap: gap g is what lies
between name g-1 and name g (gap 0 before the first, gap K after the last).  A run that
passes is exactly what `L1 op L2 op ... Lk` (each `X` or `!X`) or `N1, N2, ..., Nk` reads as
token by token, so the AST built from it is the one lark builds; a run that fails is
`None`, and the slower readers (then lark, with its errors) decide.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np

GAP, LETTER, DIGIT, DOT, AND, OR, BANG, COMMA = range(1, 9)
_CLS = np.zeros(256, np.uint8)
for _chars, _k in ((" \t\r\n\f", GAP), (string.ascii_letters + "_", LETTER),
                   (string.digits, DIGIT), (".", DOT), ("&", AND), ("|", OR), ("!", BANG),
                   (",", COMMA)):
    _CLS[[ord(ch) for ch in _chars]] = _k
_WORD = re.compile(r"[A-Za-z0-9_.]+")
CHUNK = 1 << 20                 # names per findall (bounds the list of strings it makes)


@dataclass
class Scan:
    data: np.ndarray            # the bytes
    cls: np.ndarray             # their classes
    starts: np.ndarray          # where each name starts (offsets in the text scanned)
    ends: np.ndarray
    punct: np.ndarray           # where each & | ! , is
    gap: np.ndarray             # and its gap


def scan(seg: str) -> Scan | None:
    """Names and punctuation of `seg`, each name a well-formed NAME; None if anything else
    is there (a comment, another character, a name starting with a digit, a second dot)."""
    if not seg.isascii():
        return None
    data = np.frombuffer(seg.encode("ascii"), np.uint8)
    cls = _CLS[data]
    if not cls.all():
        return None
    word = ((cls >= LETTER) & (cls <= DOT)).view(np.int8)
    edge = np.diff(word, prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    del word, edge
    if not len(starts) or (cls[starts] != LETTER).any() or not _dots_ok(cls, starts):
        return None
    punct = np.flatnonzero(cls >= AND)
    return Scan(data, cls, starts, ends, punct, np.searchsorted(starts, punct, "right"))


def _dots_ok(cls: np.ndarray, starts: np.ndarray) -> bool:
    """At most one dot per name, each followed by a letter (NAME is `x` or `m.x`)."""
    dots = np.flatnonzero(cls == DOT)
    if not len(dots):
        return True
    if dots[-1] + 1 >= len(cls) or (cls[dots + 1] != LETTER).any():
        return False
    return not (np.diff(np.searchsorted(starts, dots, "right")) == 0).any()


def _one_per_gap(gap: np.ndarray, k: int) -> bool:
    """Exactly one in each of the gaps 1 .. k-1 (between the names), none before or after."""
    return len(gap) == k - 1 and bool((gap == np.arange(1, k)).all())


def literals(seg: str) -> tuple[Scan, str, np.ndarray, np.ndarray] | None:
    """`L1 op L2 op ... Lk` (k >= 2, one op throughout, each Li `X` or `! X`): the scan, the
    op, the indices of the negated literals and where their `!` is."""
    s = scan(seg)
    if s is None or len(s.starts) < 2:
        return None
    kind = s.cls[s.punct]
    if (kind == COMMA).any():
        return None
    isop = kind != BANG
    ops = s.punct[isop]
    if not _one_per_gap(s.gap[isop], len(s.starts)) or (s.data[ops] != s.data[ops[0]]).any():
        return None
    bangs, neg = s.punct[~isop], s.gap[~isop]
    if len(bangs):
        if neg[-1] >= len(s.starts) or (np.diff(neg) <= 0).any():
            return None                         # a `!` after the last name, or two in a gap
        inner = neg >= 1
        if (bangs[inner] < ops[neg[inner] - 1]).any():
            return None                         # `X ! & Y`
    return s, chr(s.data[ops[0]]), neg, bangs


def names(seg: str) -> Scan | None:
    """`N1, N2, ..., Nk` (k >= 1)."""
    s = scan(seg)
    if s is None or (s.cls[s.punct] != COMMA).any():
        return None
    return s if _one_per_gap(s.gap, len(s.starts)) else None


def name_ids(seg: str, s: Scan) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct names in order of first occurrence, and each name's index among them
    (the strings are made CHUNK at a time: findall's list is the only per-name object)."""
    ids = np.empty(len(s.starts), np.int32)
    index: dict[str, int] = {}
    for i in range(0, len(s.starts), CHUNK):
        j = min(len(s.starts), i + CHUNK)
        words = _WORD.findall(seg, int(s.starts[i]), int(s.ends[j - 1]))
        for w in set(words).difference(index):
            index[w] = len(index)
        ids[i:j] = np.fromiter(map(index.__getitem__, words), np.int32, j - i)
    first = np.unique(ids, return_index=True)[1]
    order = np.argsort(first, kind="stable")
    renum = np.empty(len(order), np.int32)
    renum[order] = np.arange(len(order), dtype=np.int32)
    by_id = list(index)
    return tuple(by_id[k] for k in order), renum[ids]
