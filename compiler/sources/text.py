"""Reading model files: (optionally gzipped) text, and a token stream with line numbers."""
from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass

from atlasc.compiler.errors import SourceError
from atlasc.compiler.source import decode_utf8

GZ_CHUNK = 1 << 16


def read_text(path: str | os.PathLike[str]) -> str:
    """A model file's text (gunzipped if it ends in .gz); bad gzip data or bytes that are not
    UTF-8 are a SourceError at their position."""
    p = os.fspath(path)
    try:
        with open(p, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as e:      # ValueError: a NUL byte in the name
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SourceError(f"cannot read the file: {reason}", file=p, line=1) from None
    if p.endswith(".gz"):
        data = gunzip(data, p)
    return text_of(data, p)


def text_of(data: bytes, file: str) -> str:
    text, bad = decode_utf8(data, file)
    if bad is not None:
        raise SourceError(bad.message, file=file, line=bad.span.line, col=bad.span.col,
                          hint="save the file as UTF-8")
    return text


def gunzip(data: bytes, file: str) -> bytes:
    """The decompressed bytes of a gzip file, or a SourceError naming the compressed byte
    offset where the data goes wrong."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out, pos = [], 0
    try:
        while pos < len(data):
            chunk = data[pos:pos + GZ_CHUNK]
            out.append(d.decompress(chunk))
            pos += len(chunk)
            if d.eof:
                if d.unused_data.strip(b"\0"):
                    return b"".join(out) + gunzip(d.unused_data, file)   # concatenated members
                return b"".join(out)
    except zlib.error as e:
        raise _bad_gzip(file, f"{e} (in compressed bytes {pos}..{pos + GZ_CHUNK})") from None
    raise _bad_gzip(file, f"the data ends at byte {len(data)} before the end of the stream")


def _bad_gzip(file: str, what: str) -> SourceError:
    return SourceError(f"not a valid gzip file: {what}", file=file, line=1,
                       hint="the file may be truncated or not compressed; gunzip -t checks it")


@dataclass(frozen=True, slots=True)
class Tok:
    text: str
    line: int
    col: int | None = None      # 1-based, of the token's first character


class Tokens:
    """A cursor over tokens, with errors that name the file and line."""

    def __init__(self, toks: list[Tok], file: str) -> None:
        self.toks, self.file, self.i = toks, file, 0

    def error(self, msg: str, tok: Tok | None = None, hint: str | None = None) -> SourceError:
        t = tok or self.peek_tok()
        return SourceError(msg, file=self.file, line=t.line if t else self.last_line,
                           col=t.col if t else None, hint=hint,
                           width=len(t.text) if t else None)

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
    line, pos, start = 1, 0, 0          # start: the offset where the current line begins
    for m in pattern.finditer(text):
        n = text.count("\n", pos, m.start())
        if n:
            line += n
            start = text.rfind("\n", pos, m.start()) + 1
        pos = m.start()
        if m.group(1) is not None:
            out.append(Tok(m.group(1), line, pos - start + 1))
    return out


WHITESPACE_WORDS = re.compile(r"(\S+)")
