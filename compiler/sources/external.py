"""Circuits made by other tools, verified on load (never trusted).

`load_sdd(sdd, vtree)`, `load_psdd(psdd, vtree)` and `load_nnf(nnf)` read the libsdd, PSDD and
c2d/d4 d-DNNF text formats over variables x1..xn.  The file's structure is checked (every
node used after its definition, primes and subs under their vtree children); then smoothness,
decomposability and determinism are *verified* by the checkers and recorded as
`How.VERIFIED` facts, holding or not, with their witnesses.  A non-smooth d-DNNF is smoothed
on load (filler leaves, `smooth=False` to keep it as is); that fact is then by construction.
"""
from __future__ import annotations

import os
from typing import Any

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.variables import Var, bool_var
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, STRUCTURED, Fact, How, Prop
from atlasc.compiler.properties.structural import check_decomposable, check_smooth, check_structured
from atlasc.compiler.ops import smooth
from atlasc.compiler.semirings import BOOL, PROB
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.sources.convert import Converter, VarMap, project_vtree
from atlasc.compiler.sources.limits import MAX_VARIABLES
from atlasc.compiler.sources.sddfiles import (SddRow, VtreeTable, parse_psdd, parse_sdd,
                                       parse_vtree)
from atlasc.compiler.sources.text import read_text


def verify_facts(c: Circuit, vtree: Any = None) -> dict[Prop, Fact]:
    """Run the checkers; every outcome becomes a VERIFIED fact (with its witness)."""
    facts: dict[Prop, Fact] = {}
    for prop, v in ((SMOOTH, check_smooth(c)), (DEC, check_decomposable(c))):
        facts[prop] = Fact(prop, v is None, How.VERIFIED, "checked on load", v)
    d = check_deterministic(c)
    facts[DET] = Fact(DET, d.holds, How.VERIFIED, f"checked on load ({d.route})", d.witness)
    if vtree is not None:
        v = check_structured(c, vtree)
        facts[STRUCTURED] = Fact(STRUCTURED, v is None, How.VERIFIED,
                                 f"checked against the file's vtree {vtree!r}", v)
    return facts


def describe_facts(c: Circuit) -> str:
    return "\n".join(f.describe() + (f"\n  witness: {f.witness.describe()}" if f.witness
                                     else "") for f in c.facts.values())


# ---- SDD and PSDD --------------------------------------------------------------------------
def load_sdd(sdd_path: str | os.PathLike[str], vtree_path: str | os.PathLike[str]) -> Circuit:
    """A BOOL circuit over x1..xn (n: the vtree's largest variable)."""
    svt, vs = _vtree(vtree_path)
    sp = os.fspath(sdd_path)
    rows, root = parse_sdd(read_text(sp), sp)
    return _from_rows(rows, root, svt, vs, BOOL, sp, "sdd", os.fspath(vtree_path))


def load_psdd(psdd_path: str | os.PathLike[str], vtree_path: str | os.PathLike[str]) -> Circuit:
    """A PROB circuit over x1..xn computing the PSDD's distribution."""
    svt, vs = _vtree(vtree_path)
    pp = os.fspath(psdd_path)
    rows, root = parse_psdd(read_text(pp), pp)
    for r in rows.values():
        if r.kind == "T" and r.lit not in svt.var.values():
            raise SourceError(f"a true node names variable {r.lit}, not in the vtree", file=pp,
                              line=r.line)
    return _from_rows(rows, root, svt, vs, PROB, pp, "psdd", os.fspath(vtree_path))


def _vtree(path: str | os.PathLike[str]) -> tuple[VtreeTable, list[Var]]:
    vp = os.fspath(path)
    text = read_text(vp)
    svt = parse_vtree(text, vp)
    n = max(svt.var.values())
    if sorted(svt.var.values()) != list(range(1, n + 1)):
        raise SourceError(f"the vtree's variables are not exactly 1..{n}", file=vp,
                          line=_bad_leaf_line(text))
    return svt, [bool_var(f"x{i}") for i in range(1, n + 1)]


def _bad_leaf_line(text: str) -> int:
    """The line of the first leaf whose variable is below 1 or repeated (else the header's:
    a variable is missing)."""
    seen: set[int] = set()
    header = 1
    for no, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if words[:1] == ["vtree"]:
            header = no
        if words[:1] == ["L"] and len(words) == 3 and words[2].lstrip("-").isdigit():
            v = int(words[2])
            if v < 1 or v in seen:
                return no
            seen.add(v)
    return header


def _from_rows(rows: dict[int, SddRow], root: int, svt: VtreeTable, vs: list[Var],
               sr: Semiring, file: str, kind: str, vtree_file: str) -> Circuit:
    _check_structure(rows, svt, file)
    b = Builder()
    conv = Converter(rows, svt, VarMap({i + 1: (v, -1) for i, v in enumerate(vs)}), sr, b)
    top = conv.run(root, frozenset(vs))
    vt = project_vtree(svt, conv.vm.owner)
    c = Circuit(top, b, name=os.path.basename(file),
                info={"source": kind, "path": file, "vtree_path": vtree_file})
    c.facts = verify_facts(c, vt)
    c.vtree = vt if c.facts[STRUCTURED] else None
    return c


def _check_structure(rows: dict[int, SddRow], svt: VtreeTable, file: str) -> None:
    """Literals sit on their variable's leaf; primes under the left child, subs under the
    right (what the converter relies on to place filler leaves)."""
    below: dict[int, frozenset[int]] = {}
    for i, r in rows.items():
        psdd_true = r.kind == "T" and bool(r.thetas)
        if (r.kind in ("L", "D") or psdd_true) and r.vtree not in svt.below:
            raise SourceError(f"node {i} names vtree node {r.vtree}, which the vtree lacks",
                              file=file, line=r.line)
        if (r.kind == "L" or psdd_true) and r.vtree not in svt.var:
            raise SourceError(f"node {i} sits on vtree node {r.vtree}, not a leaf", file=file,
                              line=r.line)
        if r.kind == "L" and svt.var[r.vtree] != abs(r.lit):
            raise SourceError(f"literal {r.lit} is on the leaf of variable "
                              f"{svt.var[r.vtree]}", file=file, line=r.line)
        if r.kind == "D":
            _check_decision(i, r, rows, svt, below, file)
        below[i] = svt.below[r.vtree] if r.kind in ("L", "D") or psdd_true else frozenset()


def _check_decision(i: int, r: SddRow, rows: dict[int, SddRow], svt: VtreeTable,
                    below: dict[int, frozenset[int]], file: str) -> None:
    if r.vtree not in svt.kids:
        raise SourceError(f"decision node {i} sits on vtree node {r.vtree}, not an internal "
                          "node", file=file, line=r.line)
    left, right = svt.kids[r.vtree]
    for p, s in r.elements:
        if not below[p] <= svt.below[left] or not below[s] <= svt.below[right]:
            raise SourceError(f"decision node {i}: element ({p}, {s}) is not split by its "
                              "vtree node (prime left, sub right)", file=file, line=r.line)


# ---- d-DNNF --------------------------------------------------------------------------------
def load_nnf(path: str | os.PathLike[str], *, smooth: bool = True) -> Circuit:
    """A BOOL circuit from a c2d/d4 `.nnf` file ('nnf v e n', then L/A/O lines)."""
    file = os.fspath(path)
    nv, lines = _nnf_lines(read_text(file), file)
    vs = [bool_var(f"x{i}") for i in range(1, nv + 1)]
    b = Builder()
    nodes: list[Node] = []
    for no, parts in lines:
        nodes.append(_nnf_node(parts, nodes, vs, b, file, no))
    if not nodes:
        raise SourceError("the NNF has no nodes", file=file, line=1)
    c = Circuit(nodes[-1], b, name=os.path.basename(file), info={"source": "nnf", "path": file})
    facts = verify_facts(c)
    if smooth:
        c = smooth_circuit(c, frozenset(vs))
        was = facts[SMOOTH]
        facts[SMOOTH] = Fact(SMOOTH, True, How.CONSTRUCTION,
                             "already smooth" if was else "smoothed on load (filler leaves)")
    c.facts = facts
    return c


def _nnf_lines(text: str, file: str) -> tuple[int, list[tuple[int, list[str]]]]:
    out: list[tuple[int, list[str]]] = []
    nv = -1
    for no, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts or parts[0] == "c":
            continue
        if parts[0] == "nnf":
            if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
                raise SourceError("bad header; expected 'nnf <nodes> <edges> <vars>'",
                                  file=file, line=no)
            nv = int(parts[3])
            if nv > MAX_VARIABLES:          # before a variable is made (10^300: a hang)
                raise SourceError(f"the header declares {parts[3][:40]}"
                                  f"{'...' if len(parts[3]) > 40 else ''} variables, beyond "
                                  f"the limit of {MAX_VARIABLES}", file=file, line=no)
            continue
        if nv < 0:
            raise SourceError("nodes before the 'nnf' header", file=file, line=no)
        out.append((no, parts))
    if nv < 0:
        raise SourceError("no 'nnf <nodes> <edges> <vars>' header", file=file, line=1)
    return nv, out


def _nnf_node(parts: list[str], nodes: list[Node], vs: list[Var], b: Builder, file: str,
              no: int) -> Node:
    try:
        nums = [int(p) for p in parts[1:]]
    except ValueError:
        raise SourceError(f"bad NNF line {' '.join(parts)!r}", file=file, line=no) from None
    kind = parts[0]
    if kind == "L" and len(nums) == 1 and 0 < abs(nums[0]) <= len(vs):
        return b.indicator(vs[abs(nums[0]) - 1], nums[0] > 0, BOOL)
    if kind == "A" and nums and len(nums) == nums[0] + 1:
        return b.prod([_kid(k, nodes, file, no) for k in nums[1:]], BOOL)
    if kind == "O" and len(nums) >= 2 and len(nums) == nums[1] + 2:
        return b.sum([_kid(k, nodes, file, no) for k in nums[2:]], BOOL)
    raise SourceError(f"bad NNF line {' '.join(parts)!r}", file=file, line=no,
                      hint="lines are 'L lit', 'A c i1..ic' or 'O j c i1..ic' "
                           f"(literals within 1..{len(vs)})")


def _kid(k: int, nodes: list[Node], file: str, no: int) -> Node:
    if not 0 <= k < len(nodes):
        raise SourceError(f"child {k} is not an earlier node", file=file, line=no)
    return nodes[k]


def smooth_circuit(c: Circuit, all_vars: frozenset[Var] | None = None) -> Circuit:
    """Each sum child gets filler (all-ones) leaves for the variables it misses; the root gets
    them for `all_vars`.  Keeps the function, decomposability and determinism."""
    out = smooth.run(c, all_vars=all_vars)
    out.facts, out.info = dict(c.facts), dict(c.info)
    return out

