"""A linear-time fast path of the parser for long flat statements (issue 18 item 4).

lark's LALR parser builds a tree node per token and a transformer call per node: 5 MB of
`A1 & A2 & ...` took 27 s.  Two statement shapes are read here by a hand tokenizer instead
(one regular expression per list item, then the AST's own constructors; line and column
followed along, not searched):

    var N1, N2, ..., Nk [: NAME]
    model M = logic L1 op L2 op ... op Lk        op one of & or | throughout, k >= 2,
                                                 each Li a NAME or !NAME

The grammar (grammar/query.lark) stays the definition: the result is exactly the AST (spans
included) and the tree depth that lark and the transformer give, and anything else -- another
token, a keyword where a name is expected, options, nesting, a syntax error -- is left to
lark (`None`), so errors and their positions are lark's.  tests/reliability/test_flat_parse.py
checks fast path == lark on random statements.
"""
from __future__ import annotations

import bisect
import re
from array import array
from typing import Sequence

import numpy as np

from atlasc.compiler.language import ast as A
from atlasc.compiler.language import flatscan
from atlasc.compiler.language.runs import LitRun, NameRun
from atlasc.compiler.source import Source, Span

NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?"
NAME_RE = re.compile(NAME)
_GAP = r"(?:[ \t\r\n\f]+|#[^\n]*)*"                 # whitespace and comments (ignored)
_TOKEN = re.compile(_GAP + r"(?:(" + NAME + r")|([&|!,:=]))")
_LIT = re.compile(_GAP + r"(!" + _GAP + r")?(" + NAME + r")" + _GAP + r"([&|]?)")
_ITEM = re.compile(_GAP + r"(" + NAME + r")" + _GAP + r"(,?)")
_TAIL = re.compile(_GAP + r"\Z")
MIN_CHARS = 4096            # shorter statements: lark (the fast path would gain nothing)
VAR_DEPTH, AND_DEPTH = 2, 4  # lark's tree depths: start > var_decl > name_list; > f_and > f_var

Token = tuple[int, int, str]


class Spans:
    """Spans of one text; `at` follows the line of increasing offsets along (no search)."""

    def __init__(self, file: str, source: Source, starts: Sequence[int]) -> None:
        self.file, self.source, self.starts = file, source, starts
        self.k, self.next = 0, starts[1] if len(starts) > 1 else 1 << 62

    def __call__(self, s: int, e: int) -> Span:
        """Any span (bisection)."""
        starts = self.starts
        k = bisect.bisect_right(starts, s) - 1
        j = bisect.bisect_right(starts, e) - 1
        return Span(self.file, k + 1, s - starts[k] + 1, j + 1, e - starts[j] + 1, self.source,
                    s, e)

    def line_of(self, s: int) -> tuple[int, int]:
        """(line index, its start) of offset s, for offsets that never decrease."""
        if s >= self.next or s < self.starts[self.k]:
            self.k = bisect.bisect_right(self.starts, s) - 1
            self.next = self.starts[self.k + 1] if self.k + 1 < len(self.starts) else 1 << 62
        return self.k, self.starts[self.k]


def _take(text: str, pos: int, end: int, n: int) -> tuple[list[Token], int] | None:
    """The next n tokens (a name, or one of & | ! , : =) from pos, and where they end."""
    out = []
    for _ in range(n):
        m = _TOKEN.match(text, pos, end)
        if m is None:
            return None
        g = 1 if m.start(1) >= 0 else 2
        out.append((m.start(g), m.end(g), m.group(g)))
        pos = m.end()
    return out, pos


def statement(text: str, start: int, end: int, kw: frozenset[str], sp: Spans
              ) -> tuple[list[A.Stmt], int] | None:
    """The statement text[start:end] and its tree depth, or None: lark's to read.  `kw`:
    the grammar's keywords that look like names (`var`, `true`, `with`, ...; lark lexes them
    as keywords, so a statement with one where a name is expected is lark's)."""
    if end - start < MIN_CHARS:
        return None
    head = _take(text, start, end, 1)
    if head is None:
        return None
    if head[0][0][2] == "var":
        return _var(text, head[0][0], head[1], end, kw, sp)
    if head[0][0][2] == "model":
        return _logic(text, head[0][0], head[1], end, kw, sp)
    return None


def _name(t: Token, kw: frozenset[str], sp: Spans) -> A.Name | None:
    return None if t[2] in kw or not NAME_RE.fullmatch(t[2]) else A.Name(sp(t[0], t[1]), t[2])


def _var(text: str, kw_tok: Token, pos: int, end: int, kw: frozenset[str], sp: Spans
         ) -> tuple[list[A.Stmt], int] | None:
    """var N1, ..., Nk [: NAME]."""
    colon = text.find(":", pos, end)
    names = _items(text, pos, end if colon < 0 else colon, sp)
    if names is None or names.holding(kw):
        return None
    domain, last = None, int(names.ends[-1])
    if colon >= 0:
        rest = _take(text, colon, end, 2)
        if rest is None or rest[0][0][2] != ":" or not _TAIL.match(text, rest[1], end):
            return None
        d = _name(rest[0][1], kw, sp)
        if d is None:
            return None
        domain, last = A.Domain(d.span, "named", d), rest[0][1][1]
    return [A.VarDecl(sp(kw_tok[0], last), names, domain)], VAR_DEPTH


def var_names(text: str, start: int, end: int, kw: frozenset[str], sp: Spans
              ) -> NameRun | None:
    """The names of `var N1, ..., Nk : DOMAIN` (any domain: parse.py reads it)."""
    head = _take(text, start, end, 1)
    colon = text.find(":", start, end)
    if head is None or head[0][0][2] != "var" or colon < 0:
        return None
    names = _items(text, head[1], colon, sp)
    return None if names is None or names.holding(kw) else names


def _items(text: str, pos: int, end: int, sp: Spans) -> NameRun | None:
    """N1, N2, ..., Nk, all of text[pos:end]: by arrays (flatscan.py) when ASCII without
    comments, else name by name."""
    s = flatscan.names(text, pos, end)
    if s is None:
        return None if flatscan.final(text, pos, end) else _items_slow(text, pos, end, sp)
    dots = np.flatnonzero(s.cls == flatscan.DOT)
    dotted = np.unique(np.searchsorted(s.starts, dots, "right") - 1)
    s.starts += pos
    s.ends += pos
    return NameRun(text, s.starts, s.ends, sp, dotted)


def _items_slow(text: str, pos: int, end: int, sp: Spans) -> NameRun | None:
    """_items by one regular expression per name."""
    starts, ends, dotted = array("q"), array("q"), array("q")
    for m in _ITEM.finditer(text, pos, end):
        if m.start() != pos:
            return None
        t, comma = m.groups()
        if "." in t:
            dotted.append(len(starts))
        starts.append(m.start(1))
        ends.append(m.end(1))
        if not comma:
            if not _TAIL.match(text, m.end(1), end):
                return None
            return NameRun(text, np.asarray(starts, np.int64), np.asarray(ends, np.int64), sp,
                           np.asarray(dotted, np.int64))
        pos = m.end()
    return None                                 # a trailing comma, or nothing


def _logic(text: str, kw_tok: Token, pos: int, end: int, kw: frozenset[str], sp: Spans
           ) -> tuple[list[A.Stmt], int] | None:
    """model M = logic L1 op ... op Lk."""
    head = _take(text, pos, end, 3)
    if head is None or head[0][1][2] != "=" or head[0][2][2] != "logic":
        return None
    name = _name(head[0][0], kw, sp)
    flat = _flat(text, head[1], end, sp)
    if name is None or flat is None or any(t in kw for t in flat[0].names):
        return None
    run, op = flat
    last = run.end()
    f = A.FNary(sp(run.start(), last), op, run)
    logic = A.LogicModel(sp(head[0][2][0], last), f, ())
    depth = AND_DEPTH + 1 if len(run.negated) else AND_DEPTH
    return [A.ModelDecl(sp(kw_tok[0], last), name, logic)], depth


def _flat(text: str, pos: int, end: int, sp: Spans) -> tuple[LitRun, str] | None:
    """L1 op L2 op ... Lk to the end of the statement, one op throughout (k >= 2), each a
    NAME or !NAME: the literals and "and" or "or".  By arrays (flatscan.py) when the text
    is ASCII without comments, else literal by literal."""
    got = flatscan.literals(text, pos, end)
    if got is None:
        return None if flatscan.final(text, pos, end) else _flat_slow(text, pos, end, sp)
    s, op, neg, bangs = got
    names, ids = flatscan.name_ids(text, pos, s)
    starts = s.starts
    starts += pos
    run = LitRun(names, ids, starts, neg, bangs + pos, sp)
    return run, "and" if op == "&" else "or"


def _flat_slow(text: str, pos: int, end: int, sp: Spans) -> tuple[LitRun, str] | None:
    """_flat by one regular expression per literal (comments, non-ASCII text)."""
    starts, negated, bangs = array("q"), array("q"), array("q")
    index: dict[str, int] = {}
    ids = array("i")
    op = ""
    for m in _LIT.finditer(text, pos, end):
        if m.start() != pos:
            return None
        neg, t, nxt = m.groups()
        if neg is not None:
            negated.append(len(starts))
            bangs.append(m.start(1))
        starts.append(m.start(2))
        ids.append(index.setdefault(t, len(index)))
        if not nxt:
            ok = len(starts) >= 2 and _TAIL.match(text, m.end(2), end)
            run = LitRun(tuple(index), np.asarray(ids, np.int32), np.asarray(starts, np.int64),
                         np.asarray(negated, np.int64), np.asarray(bangs, np.int64), sp)
            return (run, "and" if op == "&" else "or") if ok else None
        if op and nxt != op:
            return None
        op, pos = nxt, m.end()
    return None


def blanked(text: str, start: int, end: int) -> str | None:
    """text[start:end] -- a long `var` or `model M = logic` statement that the fast path
    refused -- with the middle of each of its runs blanked out (spaces; lines and offsets
    kept): `N1, <blank> Nj, ...`, `L1 & <blank> Lj & ...`.  LALR reads such a run in one
    state whatever its length (after `x op` and after `x op x op`, the same items follow;
    one item later the stacks are the same), so lark's error in this text is its error in
    the original one, at the same offset, found without reading 50 MB token by token;
    None if there is no run to cut."""
    head = _take(text, start, end, 1)
    if head is None or head[0][0][2] not in ("var", "model"):
        return None
    pos, rx, more = head[1], _ITEM, 2
    if head[0][0][2] == "model":
        rest = _take(text, pos, end, 3)
        if rest is None or rest[0][1][2] != "=" or rest[0][2][2] != "logic":
            return None
        pos, rx, more = rest[1], _LIT, 3
    cuts = _run_cuts(text, pos, end, rx, more)
    if not cuts:
        return None
    out, at = [], start
    for a, b in cuts:
        out += [text[at:a], "\n".join(" " * len(p) for p in text[a:b].split("\n"))]
        at = b
    return "".join(out) + text[at:end]


_RUNS = {op: re.compile(r"(" + _GAP + (r"(?:!" + _GAP + r")?" if op != "," else "") + NAME +
                       _GAP + re.escape(op) + r")*+") for op in "&|,"}


def _run_cuts(text: str, pos: int, end: int, rx: re.Pattern[str], more: int
              ) -> list[tuple[int, int]]:
    """Each run of items (`rx`, separator group `more`, one separator throughout): from the
    end of its first item to the start of its last one, where that is not empty.  After the
    first item, the rest of the run is one possessive match (_RUNS; group 1 is its last
    item), not a match per item."""
    cuts: list[tuple[int, int]] = []
    while pos < end:
        m = rx.match(text, pos, end)
        if m is None or not m.group(more):
            t = _TOKEN.match(text, pos, end)
            pos = t.end() if t is not None else pos + 1
            continue
        run = _RUNS[m.group(more)].match(text, m.end(), end)
        assert run is not None                          # it matches the empty string
        if run.start(1) > m.end():
            cuts.append((m.end(), run.start(1)))
        pos = max(run.end(), m.end())
    return cuts
