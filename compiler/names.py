"""Names and values as the user writes them (docs/language.md, "Names as written").

A variable is a name (`Rain`) or, for a PASP program, a ground atom as clingo writes it
(`r(c)`, `edge(1,2)`, `-a`): `canonical` drops the blanks outside quoted strings, so
`edge(1, 2)` in a query, on the command line or in a CSV header names the atom `edge(1,2)`.
A domain value is kept as its file spells it (`<5`, `0-3_days`); in query syntax a value that
is not a name or a number is written quoted, which `value_text` does.
"""
from __future__ import annotations

import re
from typing import Container

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def canonical(text: str) -> str:
    """`text` without the blanks outside double-quoted strings."""
    out, quoted, escaped = [], False, False
    for ch in text.strip():
        if quoted:
            out.append(ch)
            quoted = escaped or ch != '"'
            escaped = not escaped and ch == "\\"
        elif ch == '"':
            out.append(ch)
            quoted = True
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)


def lookup(text: str, known: "Container[str]") -> str:
    """The known name `text` means: itself (a file's variable may hold blanks), else its
    canonical form (an atom written with blanks); the canonical form if neither is known."""
    return text if text in known else text.strip() if text.strip() in known else canonical(text)


def is_plain(value: str) -> bool:
    """A value the query language reads without quotes: a name or a number."""
    return _PLAIN.fullmatch(value) is not None


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def value_text(value: str) -> str:
    """A domain value in query syntax: as is if plain, quoted otherwise."""
    return value if is_plain(value) else quote(value)


def mangled(atom: str) -> str:
    """The name earlier versions gave a ground atom (r(1,2) -> r_1_2, -a -> neg_a); only for
    the hint that points such a name to the atom as written."""
    s = atom.strip()
    if s.startswith("-"):
        s = "neg_" + s[1:]
    s = re.sub(r"-(\d)", r"m\1", s)
    s = re.sub(r"[^A-Za-z0-9_]+", "_", s).strip("_")
    return s if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) else "a_" + s


def unquote(s: str) -> str:
    """The text of a double-quoted string literal (escapes \\n, \\t, \\\\, \\")."""
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            i += 1
            ch = {"n": "\n", "t": "\t"}.get(body[i], body[i])
        out.append(ch)
        i += 1
    return "".join(out)
