"""XMLBIF 0.3 into a `BayesNet`: <VARIABLE><NAME/><OUTCOME/>...</VARIABLE> and
<DEFINITION><FOR/><GIVEN/>...<TABLE/></DEFINITION>, the child's values fastest in TABLE."""
from __future__ import annotations

import os
from typing import Callable
import xml.etree.ElementTree as ET

import numpy as np

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.model import CPT, BayesNet, validate
from atlasc.compiler.sources.text import read_text


def load_xmlbif_model(path: str | os.PathLike[str]) -> BayesNet:
    file = os.fspath(path)
    return parse_xmlbif(read_text(file), file)


def parse_xmlbif(text: str, file: str = "<xmlbif>") -> BayesNet:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise SourceError(f"malformed XML: {e}", file=file, line=e.position[0]) from None
    net = root.find("NETWORK") if root.tag != "NETWORK" else root
    if net is None:
        raise SourceError("no <NETWORK> element", file=file, line=1)
    lines = _line_index(text)
    vs: dict[str, Var] = {}
    decl: dict[str, int] = {}
    for k, el in enumerate(net.findall("VARIABLE")):
        name = (el.findtext("NAME") or "").strip()
        line = lines("<VARIABLE", k)
        if name in vs:
            raise SourceError(f"variable {name!r} is declared twice", file=file, line=line)
        outs = tuple((o.text or "").strip() for o in el.findall("OUTCOME"))
        try:
            vs[name] = Var(name, outs)
        except ValueError as e:
            raise SourceError(str(e), file=file, line=line) from None
        decl[name] = line
    cpts = [_cpt(el, vs, file, lines("<DEFINITION", k))
            for k, el in enumerate(net.findall("DEFINITION"))]
    bn = BayesNet(tuple(vs.values()), tuple(cpts), (net.findtext("NAME") or "").strip(), file,
                  decl)
    validate(bn)
    return bn


def _cpt(el: ET.Element, vs: dict[str, Var], file: str, line: int) -> CPT:
    names = [(el.findtext("FOR") or "").strip()] + [(g.text or "").strip()
                                                     for g in el.findall("GIVEN")]
    for n in names:
        if n not in vs:
            raise SourceError(f"unknown variable {n!r}", file=file, line=line)
    child, parents = vs[names[0]], tuple(vs[n] for n in names[1:])
    try:
        nums = [float(x) for x in (el.findtext("TABLE") or "").split()]
    except ValueError as e:
        raise SourceError(f"bad number in TABLE: {e}", file=file, line=line) from None
    shape = tuple(p.size for p in parents) + (child.size,)
    if len(nums) != int(np.prod(shape)):
        raise SourceError(f"the CPT of {child.name} needs {int(np.prod(shape))} numbers, got "
                          f"{len(nums)}", file=file, line=line)
    return CPT(child, parents, np.asarray(nums).reshape(shape), line)


def _line_index(text: str) -> Callable[[str, int], int]:
    """The line of the k-th occurrence of a tag."""
    def find(tag: str, k: int) -> int:
        pos = -1
        for _ in range(k + 1):
            pos = text.find(tag, pos + 1)
        return text.count("\n", 0, max(pos, 0)) + 1
    return find
