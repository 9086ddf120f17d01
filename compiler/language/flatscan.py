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


_CLS_BYTES = _CLS.tobytes()
_NAMECHAR_BYTES = bytes(1 if k in (LETTER, DIGIT, DOT) else 0 for k in range(256))


@dataclass
class Scan:
    cls: np.ndarray             # the class of each character
    starts: np.ndarray          # where each name starts (offsets in the text scanned)
    ends: np.ndarray


def _offsets(a: np.ndarray, end: int) -> np.ndarray:
    """Offsets as int32 when the text allows (half the memory of numpy's int64; the
    caller adds pos < end to them)."""
    return a.astype(np.int32) if end < 2 ** 31 else a


def scan(text: str, pos: int, end: int) -> Scan | None:
    """Names of text[pos:end] (offsets from pos), each a well-formed NAME; None if anything
    but names, whitespace and & | ! , is there (a comment, a name starting with a digit, a
    second dot)."""
    try:
        raw = text[pos:end].encode("ascii").translate(_CLS_BYTES)
    except UnicodeEncodeError:
        return None
    cls = np.frombuffer(raw, np.uint8)      # bytes.translate: numpy's table lookup would
    if not cls.all():                       # make an 8-byte index per character
        return None
    word = np.zeros(len(cls) + 2, bool)                 # a name character, padded
    word[1:-1] = np.frombuffer(raw.translate(_NAMECHAR_BYTES), bool)
    starts = _offsets(np.flatnonzero(word[1:] > word[:-1]), end)
    ends = _offsets(np.flatnonzero(word[:-1] > word[1:]), end)
    del word
    if not len(starts) or (cls[starts] != LETTER).any() or not _dots_ok(cls, starts):
        return None
    return Scan(cls, starts, ends)


def final(text: str, pos: int, end: int) -> bool:
    """Whether scan's verdict on text[pos:end] is final: an ASCII text without `#` (no
    comment) that it refuses, the literal-by-literal reading refuses too."""
    return text.find("#", pos, end) < 0 and text[pos:end].isascii()


def _dots_ok(cls: np.ndarray, starts: np.ndarray) -> bool:
    """At most one dot per name, each followed by a letter (NAME is `x` or `m.x`)."""
    dots = np.flatnonzero(cls == DOT)
    if not len(dots):
        return True
    if dots[-1] + 1 >= len(cls) or (cls[dots + 1] != LETTER).any():
        return False
    return not (np.diff(np.searchsorted(starts, dots, "right")) == 0).any()


def _one_per_gap(at: np.ndarray, s: Scan) -> bool:
    """`at` (increasing) has exactly one offset between each two names, none elsewhere."""
    return len(at) == len(s.starts) - 1 and \
        bool(((at >= s.ends[:-1]) & (at < s.starts[1:])).all())


def literals(text: str, pos: int, end: int
             ) -> tuple[Scan, str, np.ndarray, np.ndarray] | None:
    """`L1 op L2 op ... Lk` (k >= 2, one op throughout, each Li `X` or `! X`): the scan, the
    op, the indices of the negated literals and where their `!` is (offsets from pos)."""
    s = scan(text, pos, end)
    if s is None or len(s.starts) < 2 or (s.cls == COMMA).any():
        return None
    ands, ors = np.flatnonzero(s.cls == AND), np.flatnonzero(s.cls == OR)
    ops, op = (ands, "&") if len(ands) else (ors, "|")
    if (len(ands) and len(ors)) or not _one_per_gap(ops, s):
        return None
    bangs = np.flatnonzero(s.cls == BANG)
    neg = np.searchsorted(s.starts, bangs, "right")     # the literal each `!` is before
    if len(bangs):
        if neg[-1] >= len(s.starts) or (np.diff(neg) <= 0).any():
            return None                         # a `!` after the last name, or two in a gap
        inner = neg >= 1
        if (bangs[inner] < ops[neg[inner] - 1]).any():
            return None                         # `X ! & Y`
    return s, op, neg, bangs


def names(text: str, pos: int, end: int) -> Scan | None:
    """`N1, N2, ..., Nk` (k >= 1) in text[pos:end]."""
    s = scan(text, pos, end)
    if s is None or (s.cls >= AND).sum() != (s.cls == COMMA).sum():
        return None
    return s if _one_per_gap(np.flatnonzero(s.cls == COMMA), s) else None


def first_of(keys: np.ndarray, n: int) -> np.ndarray:
    """The index of the first occurrence of each key in 0..n-1 (len(keys) if none)."""
    first = np.full(n, len(keys), np.int64)
    np.minimum.at(first, keys, np.arange(len(keys), dtype=np.int64))
    return first


def name_ids(text: str, pos: int, s: Scan) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct names in order of first occurrence, and each name's index among them
    (the strings are made CHUNK at a time: findall's list is the only per-name object)."""
    ids = np.empty(len(s.starts), np.int32)
    index: dict[str, int] = {}
    for i in range(0, len(s.starts), CHUNK):
        j = min(len(s.starts), i + CHUNK)
        words = _WORD.findall(text, pos + int(s.starts[i]), pos + int(s.ends[j - 1]))
        for w in set(words).difference(index):
            index[w] = len(index)
        ids[i:j] = np.fromiter(map(index.__getitem__, words), np.int32, j - i)
    order = np.argsort(first_of(ids, len(index)), kind="stable")
    renum = np.empty(len(order), np.int32)
    renum[order] = np.arange(len(order), dtype=np.int32)
    by_id = list(index)
    return tuple(by_id[k] for k in order), renum[ids]
