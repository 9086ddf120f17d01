"""The libsdd text formats: vtree files and SDD files (also what pysdd writes).

    vtree N                  L id var        I id left right          (children first)
    sdd N                    F id   T id     L id vtree lit           D id vtree k {p s}*

Parsed into plain tables; `VtreeTable` answers the questions conversion asks (the variables
below a vtree node, which nodes are leaves).  Malformed files are `SourceError`s with lines.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from atlasc.compiler.errors import SourceError


@dataclass
class VtreeTable:
    var: dict[int, int] = field(default_factory=dict)          # leaf id -> SDD variable
    kids: dict[int, tuple[int, int]] = field(default_factory=dict)
    root: int = -1
    below: dict[int, frozenset[int]] = field(default_factory=dict)   # id -> SDD variables

    def finish(self, file: str, line: int) -> "VtreeTable":
        ids = set(self.var) | set(self.kids)
        children = [c for lr in self.kids.values() for c in lr]
        roots = ids - set(children)
        if len(roots) != 1 or len(children) != len(set(children)):
            raise SourceError("the vtree is not a tree (it needs exactly one root and every "
                              "node at most one parent)", file=file, line=line)
        self.root = roots.pop()
        for i in self._postorder():
            self.below[i] = frozenset((self.var[i],)) if i in self.var else \
                self.below[self.kids[i][0]] | self.below[self.kids[i][1]]
        return self

    def _postorder(self) -> list[int]:
        out: list[int] = []
        stack: list[tuple[int, bool]] = [(self.root, False)]
        while stack:
            i, done = stack.pop()
            if done or i in self.var:
                out.append(i)
                continue
            stack.append((i, True))
            stack.extend((k, False) for k in reversed(self.kids[i]))
        return out

    def leaf_of(self, sdd_var: int) -> int:
        return next(i for i, v in self.var.items() if v == sdd_var)


@dataclass(frozen=True, slots=True)
class SddRow:
    kind: str                     # "F", "T", "L", "D"
    vtree: int = -1
    lit: int = 0
    elements: tuple[tuple[int, int], ...] = ()
    line: int = 0
    thetas: tuple[float, ...] = ()   # PSDD: a T node's theta(var), a D node's element thetas


def _lines(text: str) -> list[tuple[int, list[str]]]:
    out = []
    for no, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if parts and parts[0] != "c":
            out.append((no, parts))
    return out


def _ints(parts: list[str], file: str, no: int) -> list[int]:
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise SourceError(f"expected integers, found {' '.join(parts)!r}", file=file,
                          line=no) from None


def parse_vtree(text: str, file: str = "<vtree>") -> VtreeTable:
    rows = _lines(text)
    if not rows or rows[0][1][0] != "vtree":
        raise SourceError("a vtree file starts with 'vtree <count>'", file=file,
                          line=rows[0][0] if rows else 1)
    t = VtreeTable()
    for no, parts in rows[1:]:
        nums = _ints(parts[1:], file, no)
        if parts[0] == "L" and len(nums) == 2:
            t.var[nums[0]] = nums[1]
        elif parts[0] == "I" and len(nums) == 3:
            for k in nums[1:]:
                if k not in t.var and k not in t.kids:
                    raise SourceError(f"vtree node {k} is used before it is defined",
                                      file=file, line=no)
            t.kids[nums[0]] = (nums[1], nums[2])
        else:
            raise SourceError(f"bad vtree line {' '.join(parts)!r}", file=file, line=no,
                              hint="lines are 'L id var' or 'I id left right'")
    if not t.var:
        raise SourceError("the vtree has no leaves", file=file, line=rows[0][0])
    return t.finish(file, rows[-1][0])


def parse_sdd(text: str, file: str = "<sdd>") -> tuple[dict[int, SddRow], int]:
    """The rows by id, and the root id (the last row)."""
    rows = _lines(text)
    if not rows or rows[0][1][0] != "sdd":
        raise SourceError("an SDD file starts with 'sdd <count>'", file=file,
                          line=rows[0][0] if rows else 1)
    out: dict[int, SddRow] = {}
    last = -1
    for no, parts in rows[1:]:
        nums = _ints(parts[1:], file, no)
        row = _sdd_row(parts[0], nums, file, no)
        for p, s in row.elements:
            if p not in out or s not in out:
                raise SourceError(f"SDD node {p if p not in out else s} is used before it is "
                                  "defined", file=file, line=no)
        out[nums[0]] = row
        last = nums[0]
    if last < 0:
        raise SourceError("the SDD file has no nodes", file=file, line=rows[0][0])
    return out, last


def parse_own_sdd(text: str) -> tuple[dict[int, SddRow], int]:
    """`parse_sdd` for the text pysdd has just written for us (well formed by construction,
    so no line checks): the rows by id and the root id (the last row), about twice as fast."""
    out: dict[int, SddRow] = {}
    last = -1
    const = {"F": SddRow("F"), "T": SddRow("T")}
    for line in text.split("\n"):
        kind = line[:1]
        if kind not in "DLTF" or not kind:
            continue
        nums = [int(x) for x in line[2:].split()]
        last = nums[0]
        if kind == "D":
            out[last] = SddRow("D", nums[1], elements=tuple(zip(nums[3::2], nums[4::2])))
        elif kind == "L":
            out[last] = SddRow("L", nums[1], nums[2])
        else:
            out[last] = const[kind]
    return out, last


def _sdd_row(kind: str, nums: list[int], file: str, no: int) -> SddRow:
    if kind in ("F", "T") and len(nums) == 1:
        return SddRow(kind, line=no)
    if kind == "L" and len(nums) == 3:
        return SddRow("L", nums[1], nums[2], line=no)
    if kind == "D" and len(nums) >= 3 and len(nums) == 3 + 2 * nums[2] and nums[2] > 0:
        els = tuple((nums[3 + 2 * i], nums[4 + 2 * i]) for i in range(nums[2]))
        return SddRow("D", nums[1], elements=els, line=no)
    raise SourceError(f"bad SDD line {kind} {' '.join(map(str, nums))!r}", file=file, line=no,
                      hint="lines are 'F id', 'T id', 'L id vtree lit' or "
                           "'D id vtree k {prime sub}*'")


Shape = int | tuple["Shape", "Shape"]     # a vtree as nested pairs of SDD variable ids


def write_vtree(shape: Shape) -> str:
    """A libsdd vtree file for a nested-pair shape whose leaves are SDD variable ids."""
    lines: list[str] = []
    done: dict[object, int] = {}       # leaf var or id(pair) -> vtree node id
    stack: list[tuple[Shape, bool]] = [(shape, False)]
    while stack:
        s, expanded = stack.pop()
        if isinstance(s, int):
            done[("v", s)] = len(lines)
            lines.append(f"L {len(lines)} {s}")
        elif expanded:
            l, r = s
            done[id(s)] = len(lines)
            lines.append(f"I {len(lines)} {done[_k(l)]} {done[_k(r)]}")
        else:
            stack += [(s, True), (s[1], False), (s[0], False)]
    return f"vtree {len(lines)}\n" + "\n".join(lines) + "\n"


def _k(s: object) -> object:
    return ("v", s) if isinstance(s, int) else id(s)


def parse_psdd(text: str, file: str = "<psdd>") -> tuple[dict[int, SddRow], int]:
    """The PSDD package's format: 'psdd N', 'L id vtree lit', 'T id vtree var log(theta)',
    'D id vtree k {prime sub log(theta)}*' (children first, the root last)."""
    rows = _lines(text)
    if not rows or rows[0][1][0] != "psdd":
        raise SourceError("a PSDD file starts with 'psdd <count>'", file=file,
                          line=rows[0][0] if rows else 1)
    out: dict[int, SddRow] = {}
    last = -1
    for no, parts in rows[1:]:
        row, nid = _psdd_row(parts, file, no)
        for p, s in row.elements:
            if p not in out or s not in out:
                raise SourceError(f"PSDD node {p if p not in out else s} is used before it "
                                  "is defined", file=file, line=no)
        out[nid] = row
        last = nid
    if last < 0:
        raise SourceError("the PSDD file has no nodes", file=file, line=rows[0][0])
    return out, last


def _psdd_row(parts: list[str], file: str, no: int) -> tuple[SddRow, int]:
    import math
    kind = parts[0]
    try:
        if kind == "L" and len(parts) == 4:
            nid, vt, lit = (int(x) for x in parts[1:])
            return SddRow("L", vt, lit, line=no), nid
        if kind == "T" and len(parts) == 5:
            nid, vt, var = (int(x) for x in parts[1:4])
            return SddRow("T", vt, var, line=no, thetas=(math.exp(float(parts[4])),)), nid
        if kind == "D" and len(parts) >= 4:
            nid, vt, k = (int(x) for x in parts[1:4])
            rest = parts[4:]
            if k > 0 and len(rest) == 3 * k:
                els = tuple((int(rest[3 * i]), int(rest[3 * i + 1])) for i in range(k))
                th = tuple(math.exp(float(rest[3 * i + 2])) for i in range(k))
                return SddRow("D", vt, elements=els, line=no, thetas=th), nid
    except ValueError:
        pass
    raise SourceError(f"bad PSDD line {' '.join(parts)!r}", file=file, line=no,
                      hint="lines are 'L id vtree lit', 'T id vtree var log(theta)' or "
                           "'D id vtree k {prime sub log(theta)}*'")
