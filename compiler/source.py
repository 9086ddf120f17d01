"""Source spans and the caret rendering every user-facing error uses."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    line: int          # 1-based
    col: int           # 1-based
    end_line: int
    end_col: int       # exclusive
    text: str = ""     # the whole source text (for the context line); not compared
    start: int = 0     # character offsets
    end: int = 0

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Span) and (self.file, self.line, self.col, self.end_line,
                                             self.end_col) ==
                (other.file, other.line, other.col, other.end_line, other.end_col))

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.col, self.end_line, self.end_col))

    def to(self, z: "Span") -> "Span":
        """From the start of this span to the end of `z`."""
        return Span(self.file, self.line, self.col, z.end_line, z.end_col, self.text,
                    self.start, z.end)

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def source_line(self) -> str:
        lines = self.text.splitlines()
        return lines[self.line - 1] if 0 < self.line <= len(lines) else ""

    def caret(self) -> str:
        line = self.source_line()
        width = (self.end_col - self.col) if self.end_line == self.line else \
            max(1, len(line) - self.col + 1)
        pad = "".join("\t" if ch == "\t" else " " for ch in line[: self.col - 1])
        return pad + "^" * max(1, width)

    def render(self, message: str) -> str:
        out = f"{self.location()}: {message}"
        line = self.source_line()
        if line:
            out += f"\n{line}\n{self.caret()}"
        return out
