"""Reading model files: (optionally gzipped) text, and a token stream with line numbers."""
from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass

from atlasc.compiler.errors import SourceError


def read_text(path: str | os.PathLike[str]) -> str:
    p = os.fspath(path)
    try:
        if p.endswith(".gz"):
            with gzip.open(p, "rt", encoding="utf-8", errors="replace") as f:
                return f.read()
        with open(p, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        raise SourceError(f"cannot read the file: {e.strerror or e}", file=p) from None
    except (EOFError, gzip.BadGzipFile) as e:
        raise SourceError(f"cannot read the file: {e}", file=p) from None


@dataclass(frozen=True, slots=True)
class Tok:
    text: str
    line: int


class Tokens:
    """A cursor over tokens, with errors that name the file and line."""

    def __init__(self, toks: list[Tok], file: str) -> None:
        self.toks, self.file, self.i = toks, file, 0

    def error(self, msg: str, tok: Tok | None = None, hint: str | None = None) -> SourceError:
        t = tok or self.peek_tok()
        return SourceError(msg, file=self.file, line=t.line if t else self.last_line, hint=hint)

    @property
    def last_line(self) -> int:
        return self.toks[-1].line if self.toks else 1

    @property
    def done(self) -> bool:
        return self.i >= len(self.toks)

    def peek_tok(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def peek(self) -> str | None:
        t = self.peek_tok()
        return t.text if t else None

    def next(self, what: str = "more input") -> Tok:
        t = self.peek_tok()
        if t is None:
            raise SourceError(f"unexpected end of file, expected {what}", file=self.file,
                              line=self.last_line)
        self.i += 1
        return t

    def expect(self, text: str) -> Tok:
        t = self.next(repr(text))
        if t.text != text:
            raise self.error(f"expected {text!r}, found {t.text!r}", t)
        return t

    def accept(self, text: str) -> bool:
        if self.peek() == text:
            self.i += 1
            return True
        return False

    def number(self, what: str = "a number") -> float:
        t = self.next(what)
        try:
            return float(t.text)
        except ValueError:
            raise self.error(f"expected {what}, found {t.text!r}", t) from None

    def integer(self, what: str = "an integer") -> int:
        t = self.next(what)
        try:
            return int(t.text)
        except ValueError:
            raise self.error(f"expected {what}, found {t.text!r}", t) from None


def tokenize(text: str, pattern: re.Pattern[str]) -> list[Tok]:
    """Tokens matching `pattern`'s group 1 (other matches, e.g. comments, are skipped)."""
    out: list[Tok] = []
    line, pos = 1, 0
    for m in pattern.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if m.group(1) is not None:
            out.append(Tok(m.group(1), line))
    return out


WHITESPACE_WORDS = re.compile(r"(\S+)")
