"""Probabilistic facts in an ASP text: `p::atom.` (and `p::atom(X) :- body.` for a family of
independent facts over what the body grounds to) become clingo choice rules guarded by an
external marker, `{atom} :- __pasp_prob(k).`; the rest of the text is clingo's.

Positions are kept: the probability and `::` are blanked (the atom stays in its columns), and
what is inserted after the atom and before the final dot is recorded, so that a position in
the rewritten text maps back to the user's text (`Rewritten.original`).

A probability to learn, `t(_)::atom.`, `t(0.25)::atom.` (its start) or `?::atom.`, is read the
same way with `ProbFact.learn` set; grounding refuses it unless it is for `atlasc fit`
(compiler/learn/pasp.py, which writes the program back with the learnt numbers in its place).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from atlasc.compiler.errors import SourceError

MARKER = "__pasp_prob"
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_PROB = re.compile(rf"({_NUMBER})\s*::")
# a probability to learn (atlasc fit, docs/learning.md): t(_), t(start) as in ProbLog, or ?
_LEARN = re.compile(rf"(?:t\(\s*(_|{_NUMBER})\s*\)|\?)\s*::")
_ATOM = re.compile(r"-?_*[a-z][A-Za-z0-9_']*")


@dataclass(frozen=True)
class ProbFact:
    index: int
    prob: float
    line: int
    col: int
    text: str          # the atom as written
    learn: bool = False             # t(_), t(p) or ?: learnt by atlasc fit (p: its start)
    span: tuple[int, int] = (0, 0)  # offsets of the annotation `p::` in the user's text


@dataclass
class Rewritten:
    text: str
    source: str                 # the user's text
    facts: list[ProbFact]
    inserts: list[tuple[int, int]] = field(default_factory=list)   # (new offset, length)

    def original(self, line: int, col: int) -> tuple[int, int]:
        """A 1-based (line, col) of the rewritten text, in the user's text."""
        off = _offset(self.text, line, col)
        off -= sum(n for at, n in self.inserts if at < off)
        return _line_col(self.source, min(off, len(self.source)))


def _offset(text: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    return start + col - 1


def _line_col(text: str, off: int) -> tuple[int, int]:
    line = text.count("\n", 0, off) + 1
    return line, off - (text.rfind("\n", 0, off) + 1) + 1


line_col = _line_col     # for ground.py: a place in the user's text


class _Scanner:
    """Walks an ASP text outside comments and strings, stopping at statement starts."""

    def __init__(self, text: str, file: str) -> None:
        self.text, self.file, self.i = text, file, 0

    def error(self, message: str, off: int, hint: str | None = None) -> SourceError:
        line, col = _line_col(self.text, off)
        return SourceError(message, self.file, line, col, hint)

    def skip_blank(self) -> None:
        t = self.text
        while self.i < len(t):
            if t[self.i].isspace():
                self.i += 1
            elif t.startswith("%*", self.i):
                end = t.find("*%", self.i + 2)
                self.i = len(t) if end < 0 else end + 2
            elif t[self.i] == "%":
                end = t.find("\n", self.i)
                self.i = len(t) if end < 0 else end
            else:
                return

    def statement_end(self) -> int:
        """The offset of the dot that ends the statement starting at self.i."""
        t, i = self.text, self.i
        while i < len(t):
            ch = t[i]
            if ch == '"':
                i = self._string_end(i)
                continue
            if ch == "%":
                self.i = i
                self.skip_blank()
                i = self.i
                continue
            if ch == "." and not t.startswith("..", i) and (i == 0 or t[i - 1] != "."):
                if not (i + 1 < len(t) and t[i + 1].isdigit() and i > 0 and t[i - 1].isdigit()):
                    return i
            i += 1
        return len(t)

    def _string_end(self, i: int) -> int:
        t = self.text
        i += 1
        while i < len(t) and t[i] != '"':
            i += 2 if t[i] == "\\" else 1
        return i + 1


def rewrite(text: str, file: str = "<program>") -> Rewritten:
    """The text with every probabilistic fact turned into a guarded choice rule."""
    s = _Scanner(text, file)
    if MARKER in text:
        raise s.error(f"the name {MARKER} is reserved for the compiler", text.index(MARKER),
                      "rename the atom")
    out: list[str] = []
    facts: list[ProbFact] = []
    inserts: list[tuple[int, int]] = []
    done = base = 0
    while True:
        s.skip_blank()
        if s.i >= len(text):
            break
        m = _PROB.match(text, s.i) or _LEARN.match(text, s.i)
        end = s.statement_end()
        if m is not None:
            pieces, fact = _one(s, m, end, len(facts))
            out.append(text[done:m.start()])
            base += m.start() - done
            for kind, piece in pieces:
                if kind == "insert":
                    inserts.append((base, len(piece)))
                out.append(piece)
                base += len(piece)
            facts.append(fact)
            done = end + 1
        s.i = end + 1
    out.append(text[done:])
    tail = "".join(f"\n#external {MARKER}({k})." for k in range(len(facts)))
    return Rewritten("".join(out) + tail, text, facts, inserts)


def _one(s: _Scanner, m: re.Match[str], end: int, k: int
         ) -> tuple[list[tuple[str, str]], ProbFact]:
    text = s.text
    learn = m.re is _LEARN
    prob = float("nan") if m.group(1) in (None, "_") else float(m.group(1))
    if not (learn and prob != prob) and not 0.0 <= prob <= 1.0:
        raise s.error(f"{prob:g} is not a probability", m.start(),
                      "a probabilistic fact is p::atom. with p between 0 and 1")
    a = m.end()
    while a < len(text) and text[a].isspace():
        a += 1
    am = _ATOM.match(text, a)
    if am is None or am.group(0).startswith("-"):
        raise s.error("expected an atom after '::'", a, "write p::atom. or p::atom(t1, ...).")
    head_end = _balanced(s, am.end())
    rest = text[head_end:end].strip()
    if rest.startswith((";", "|")):
        raise s.error("annotated disjunctions (p1::a; p2::b) are not supported", head_end,
                      "write independent facts, or a choice over fresh probabilistic atoms")
    if rest and not rest.startswith(":-"):
        raise s.error("expected '.' or ':-' after the probabilistic atom", head_end)
    body = bool(rest)
    line, col = _line_col(text, a)
    blank = " " * (a - m.start() - 1) + "{"
    guard = f", {MARKER}({k})" if body else f" :- {MARKER}({k})"
    pieces = [("keep", blank + text[a:head_end]), ("insert", "}"),
              ("keep", text[head_end:end]), ("insert", guard), ("keep", ".")]
    return pieces, ProbFact(k, prob, line, col, text[a:head_end], learn,
                            (m.start(), m.end()))


def _balanced(s: _Scanner, i: int) -> int:
    t = s.text
    if i >= len(t) or t[i] != "(":
        return i
    depth = 0
    while i < len(t):
        if t[i] == '"':
            i = s._string_end(i)
            continue
        depth += {"(": 1, ")": -1}.get(t[i], 0)
        i += 1
        if depth == 0:
            return i
    raise s.error("unbalanced parentheses in the probabilistic atom", i - 1)
