"""The fast BIF reader (compiler/sources/biffast.py) against the token reader: the same network
on every bundled network and on generated texts; never a network where the token reader
raises an error (it hands such text back, and the error keeps its position)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from atlasc.compiler.errors import AtlasError
from atlasc.compiler.sources.bif import parse_bif, parse_tokens
from atlasc.compiler.sources.biffast import parse_regular
from atlasc.compiler.sources.text import read_text

BNLEARN = sorted((Path(__file__).parent.parent / "data" / "bnlearn").glob("*.bif.gz"))


def same(a, b) -> bool:
    return (a.name == b.name and a.decl_lines == b.decl_lines and a.variables == b.variables
            and len(a.cpts) == len(b.cpts)
            and all(x.child == y.child and x.parents == y.parents and x.line == y.line
                    and x.table.shape == y.table.shape and np.array_equal(x.table, y.table)
                    for x, y in zip(a.cpts, b.cpts)))


@pytest.mark.parametrize("path", BNLEARN, ids=lambda p: p.name)
def test_bundled_networks_take_the_fast_path_and_read_the_same(path: Path) -> None:
    text = read_text(str(path))
    fast = parse_regular(text, str(path))
    assert fast is not None
    assert same(fast, parse_tokens(text, str(path)))


SEPS = st.sampled_from([", ", ",", " , ", " ", ",\n  "])
SPACE = st.sampled_from([" ", "\n", "  ", "\n\n", "\t"])


@st.composite
def bif_texts(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 3)) for _ in range(n)]
    names = [f"V{i}" for i in range(n)]
    sp, sep = draw(SPACE), draw(SEPS)
    out = [f"network{draw(st.sampled_from([' net', ' unknown', ' a b', '']))} {{{sp}}}"]
    for v, k in zip(names, sizes):
        prop = draw(st.sampled_from(["", "  property p = 1 ;\n"]))
        states = sep.join(f"s{j}" for j in range(k)) + draw(st.sampled_from(["", ","]))
        out.append(f"variable {v} {{\n{prop}  type discrete [ {k} ] {{ {states} }}"
                   f"{draw(st.sampled_from([';', '']))}\n}}")
    for i, v in enumerate(names):
        parents = names[:i][-2:] if draw(st.booleans()) else []
        out.append(_cpt(draw, v, sizes[i], parents, [sizes[names.index(p)] for p in parents]))
    text = draw(SPACE).join(out) + "\n"
    mutated = draw(st.booleans())
    if mutated:                                    # a mistake somewhere, or a comment
        pos = draw(st.integers(0, len(text) - 1))
        text = text[:pos] + draw(st.sampled_from(["x", ";", "(", ",", "// c\n", "9", "}"])) \
            + text[pos + draw(st.integers(0, 2)):]
    return text, mutated


def _cpt(draw: st.DrawFn, v: str, k: int, parents: list[str], psizes: list[int]) -> str:
    head = f"probability ( {v}{' | ' + ', '.join(parents) if parents else ''} ) {{\n"
    def nums() -> str:                             # rows that sum to 1 exactly
        hot = draw(st.integers(0, k - 1))
        if k == 2 and draw(st.booleans()):
            return "0.25, 7.5e-1"
        return ", ".join("1" if j == hot else draw(st.sampled_from(["0", "0.0", "0e0"]))
                         for j in range(k))
    if not parents:
        return head + f"  table {nums()};\n}}"
    rows, cfgs = [], [()]
    for s in psizes:
        cfgs = [c + (j,) for c in cfgs for j in range(s)]
    default = draw(st.booleans())
    for c in cfgs:
        if default and draw(st.booleans()):
            continue
        rows.append(f"  ({', '.join(f's{j}' for j in c)}) {nums()};")
    if default:
        rows.append(f"  default {nums()};")
    return head + "\n".join(rows) + "\n}"


@settings(max_examples=300, deadline=None)
@given(bif_texts())
def test_generated_texts_read_the_same_or_are_handed_back(case: tuple[str, bool]) -> None:
    text, mutated = case
    try:
        want = parse_tokens(text, "g.bif")
    except AtlasError:
        want = None
    try:
        fast = parse_regular(text, "g.bif")
    except AtlasError:
        fast = None
        assert want is None           # validate() raised for both: the same network
    if want is None:
        assert fast is None
    elif fast is not None:
        assert same(fast, want)
    if not mutated:                   # a regular text: read by the fast path, correctly
        assert want is not None and fast is not None


def test_errors_keep_their_positions() -> None:
    text = ("variable A {\n  type discrete [ 2 ] { a, b };\n}\n"
            "probability ( A ) {\n  table 0.5, 0.5, 0.1;\n}\n")
    with pytest.raises(AtlasError) as e:
        parse_bif(text, "m.bif")
    assert "m.bif:5" in str(e.value) or e.value.line == 5


def test_a_long_name_before_a_bad_character_is_read_in_linear_time() -> None:
    """fuzz 1:45303: `{ yes,!!!…!(((… no }` made the names pattern backtrack exponentially
    (a hang); with a mandatory separator it fails at once and the token reader positions it."""
    text = ("network fuzz { }\nvariable A { type discrete [ 2 ] { yes," + "!" * 400
            + "(" * 50 + " no }; }\nprobability ( A ) { table 0.3, 0.7; }\n")
    with pytest.raises(AtlasError) as e:
        parse_bif(text, "m.bif")
    assert "expected a name" in str(e.value)


def test_names_split_on_white_space_and_single_commas() -> None:
    text = ("variable A { type discrete [ 3 ] { a ,b  c }; }\n"
            "probability ( A ) { table 0.2, 0.3, 0.5; }\n")
    net = parse_regular(text, "m.bif")
    assert net is not None
    assert [(v.name, tuple(v.domain)) for v in net.variables] == [("A", ("a", "b", "c"))]
