"""Source spans and the caret rendering every user-facing error uses."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field


class Source:
    """One source text, shared by every span into it (a span never copies or prints it)."""

    __slots__ = ("file", "text", "_lines")

    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self._lines: list[str] | dict[int, str] | None = None

    def line(self, k: int) -> str:
        """Line `k` (1-based), or "" outside the text (lines as str.splitlines cuts them; a
        text of very many lines is not cut whole: 7*10^6 lines took 400 MB to show one
        error; its lines are found by counting breaks, and kept)."""
        if self._lines is None and len(self.text) > BIG_TEXT and \
                self.text.count("\n") > MANY_LINES:
            self._lines = {}
        if isinstance(self._lines, dict):
            if k not in self._lines:
                self._lines[k] = _nth_line(self.text, k)
            return self._lines[k]
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines[k - 1] if 0 < k <= len(self._lines) else ""

    def __repr__(self) -> str:
        return f"Source({self.file!r}, {len(self.text)} chars)"


_NO_SOURCE = Source("", "")
BIG_TEXT, MANY_LINES = 1 << 20, 100_000
_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")   # splitlines'


def _nth_line(text: str, k: int) -> str:
    """str.splitlines()[k - 1] (or ""), without the list: the breaks are counted."""
    if k < 1:
        return ""
    start = 0
    if k > 1:
        before = next(itertools.islice(_BREAK.finditer(text), k - 2, None), None)
        if before is None or before.end() == len(text):
            return ""
        start = before.end()
    after = _BREAK.search(text, start)
    return text[start:after.start() if after is not None else len(text)]


WINDOW = 120           # characters of a long source line shown around an error


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source text (1-based lines and columns), for errors' carets."""
    file: str
    line: int          # 1-based
    col: int           # 1-based
    end_line: int
    end_col: int       # exclusive
    source: Source | str = field(default=_NO_SOURCE, repr=False)   # a str is wrapped
    start: int = 0     # character offsets
    end: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.source, str):
            object.__setattr__(self, "source", Source(self.file, self.source))

    def __repr__(self) -> str:
        return (f"Span({self.file!r}, {self.line}:{self.col}-{self.end_line}:{self.end_col})")

    @property
    def text(self) -> str:
        """The whole source text (for the context line); not compared."""
        return self._source.text

    @property
    def _source(self) -> Source:
        assert isinstance(self.source, Source)
        return self.source

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Span) and (self.file, self.line, self.col, self.end_line,
                                             self.end_col) ==
                (other.file, other.line, other.col, other.end_line, other.end_col))

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.col, self.end_line, self.end_col))

    def to(self, z: "Span") -> "Span":
        """From the start of this span to the end of `z`."""
        return Span(self.file, self.line, self.col, z.end_line, z.end_col, self.source,
                    self.start, z.end)

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def source_line(self) -> str:
        return self._source.line(self.line)

    def caret(self) -> str:
        return self._context()[1]

    def _context(self) -> tuple[str, str]:
        """The source line and its caret line; a long line is cut to a window around the
        span, marked with '...' (so a 50 MB one-line formula prints one short line)."""
        line = self.source_line()
        width = (self.end_col - self.col) if self.end_line == self.line else \
            max(1, len(line) - self.col + 1)
        start = 0
        if len(line) > WINDOW:
            start = max(0, self.col - 1 - WINDOW // 3)
            cut = line[start:start + WINDOW]
            shown = ("..." if start else "") + cut + ("..." if start + WINDOW < len(line) else "")
            lead = 3 if start else 0
        else:
            shown, lead = line, 0
        pad = " " * lead + "".join("\t" if ch == "\t" else " "
                                   for ch in line[start:self.col - 1])
        width = min(width, len(shown) - len(pad))
        return shown, pad + "^" * max(1, width)

    def render(self, message: str) -> str:
        out = f"{self.location()}: {message}"
        line, caret = self._context()
        if line:
            out += f"\n{line}\n{caret}"
        return out



@dataclass(frozen=True)
class BadText:
    """Where a file stops being UTF-8: the span of the first bad byte and what to say."""
    span: Span
    message: str


def decode_utf8(data: bytes, file: str) -> tuple[str, BadText | None]:
    """The text of `data`, and None if it is all UTF-8; else where the first bad byte is (the
    span is in the text decoded with replacement characters, so its line shows)."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        text = data.decode("utf-8", errors="replace")
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        col = len(data[line_start:e.start].decode("utf-8", errors="replace")) + 1
        offset = len(data[:e.start].decode("utf-8", errors="replace"))
        span = Span(file, line, col, line, col + 1, text, offset, offset + 1)
        return text, BadText(span, f"the file is not UTF-8 text: byte 0x{data[e.start]:02x} "
                                   f"at byte offset {e.start} (line {line}, column {col})")
