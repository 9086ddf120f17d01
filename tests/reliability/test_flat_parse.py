"""The parser's fast path for long flat statements (compiler/language/flatparse.py, issue 18
item 4) gives exactly lark's AST, spans and depth, and leaves everything else to lark (so
errors and their positions are lark's)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.errors import QueryError
from atlasc.compiler.language import flatparse
from atlasc.compiler.language.parse import Lines, _one, name_keywords, parse_all

NAMES = st.sampled_from(["A", "B1", "x_2", "_y", "a.b", "true", "var", "with", "logic", "C",
                         "inf", "model", "sum"])
GAPS = st.sampled_from([" ", "", "  ", "\n", " # note\n", "\t", "\r\n"])


@st.composite
def statements(draw: st.DrawFn) -> str:
    """Flat var lists and logic formulas, mostly well formed, some broken."""
    gap = lambda: draw(GAPS)                                          # noqa: E731
    n = draw(st.integers(1, 12))
    names = [draw(NAMES) for _ in range(n)]
    if draw(st.booleans()):
        text = "var" + gap() + " " + (gap() + "," + gap()).join(names)
        if draw(st.booleans()):
            text += gap() + ":" + gap() + draw(st.sampled_from(["bool", "B", "true", "{a, b}"]))
        return text
    ops = [draw(st.sampled_from(["&", "&", "|", "|", "->", "&&"])) for _ in range(n - 1)]
    same = draw(st.booleans())
    lits = [("!" + gap() if draw(st.booleans()) else "") + x for x in names]
    body = lits[0] + "".join(gap() + " " + (ops[0] if same else o) + " " + gap() + lt
                             for o, lt in zip(ops, lits[1:]))
    tail = draw(st.sampled_from(["", "", " with vtree balanced", " &", " (A)"]))
    return f"model{gap()} m {gap()}={gap()}logic {gap()}{body}{tail}"


def _lark(text: str, start: int):
    """lark's statements of text[start:] (spans in the whole text), or its error's name."""
    try:
        return _one(Lines("f.query", text), text[start:], start)
    except Exception as e:                # noqa: BLE001 - compared with the fast path's
        return type(e).__name__


@settings(max_examples=400, deadline=None)
@given(statements(), st.sampled_from(["", "\n", "var Z : bool\n"]))
def test_fast_path_equals_lark(stmt: str, before: str):
    text = before + stmt + "\n"
    old = flatparse.MIN_CHARS
    flatparse.MIN_CHARS = 0
    try:
        start = len(before)
        lines = Lines("f.query", text)
        got = flatparse.statement(text, start, len(text), name_keywords(),
                                  flatparse.Spans(lines.file, lines.source, lines.starts))
    finally:
        flatparse.MIN_CHARS = old
    want = _lark(text, start)
    if got is None:
        return                                          # lark's to read, errors included
    assert not isinstance(want, str), f"the fast path read what lark refuses: {text!r}"
    stmts, depth = got
    assert stmts == want[0] and depth == want[1]
    for a, b in zip(_spans(stmts), _spans(want[0])):
        assert (a.start, a.end, a.line, a.col, a.end_line, a.end_col) == \
            (b.start, b.end, b.line, b.col, b.end_line, b.end_col)


def _spans(x, out=None):
    """Every span in an AST, in order (spans compare by line and column only)."""
    from dataclasses import fields, is_dataclass
    from atlasc.compiler.source import Span
    out = [] if out is None else out
    if isinstance(x, Span):
        out.append(x)
    elif is_dataclass(x):
        for f in fields(x):
            _spans(getattr(x, f.name), out)
    elif isinstance(x, (tuple, list)):
        for y in x:
            _spans(y, out)
    return out


@pytest.mark.parametrize("op", ["&", "|"])
def test_a_long_text_parses_as_lark_parses_it(op: str):
    """Above MIN_CHARS parse_all takes the fast path; the module equals lark's."""
    names = [f"V{i}" for i in range(900)]
    text = ("var " + ", ".join(names) + " : bool\nmapping h : prob -> prob = x -> x\n"
            f"model m = logic {f' {op} '.join(('!' if i % 3 else '') + n for i, n in enumerate(names))}\n"
            "query q = sum[*] m\n")
    fast = parse_all(text, "f.query")
    lark = _one(Lines("f.query", text), text, 0)
    assert not fast.errors and fast.module.stmts == tuple(lark[0])
    assert fast.module.depth == lark[1]
    assert [(s.start, s.end) for s in _spans(fast.module.stmts)] == \
        [(s.start, s.end) for s in _spans(lark[0])]


@pytest.mark.parametrize("tail", [" & \nquery q = sum[*] m\n", " & (V1\n", " && V2\n",
                                  " & true & var\n"])
def test_an_error_in_a_long_statement_is_lark_s(tail: str, monkeypatch):
    """Errors are lark's, at the same positions, with or without the fast path."""
    import atlasc.compiler.language.parse as P
    names = [f"V{i}" for i in range(900)]
    text = "var " + ", ".join(names) + " : bool\nmodel m = logic " + " & ".join(names) + tail
    fast = [e.render() for e in parse_all(text, "f.query").errors]
    monkeypatch.setattr(P, "MIN_CHARS", 10 ** 9)
    assert fast == [e.render() for e in parse_all(text, "f.query").errors]
    assert fast or "true" in tail           # lark's contextual lexer reads `var` as a name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from("ABC")), min_size=1, max_size=12),
       st.sampled_from(["&", "|"]))
def test_repeated_literals_count_as_brute_force(lits, op: str):
    """The lowering reads a repeated literal of an and/or once (models._args): the model
    count is brute force's."""
    import itertools
    import atlasc
    body = f" {op} ".join(("!" if neg else "") + x for neg, x in lits)
    p = atlasc.compile_string(f"var A, B, C : bool\nmodel m = logic {body} {op} A\n"
                              "query q = sum[*] map[indicator: bool -> count] m\n")
    got = p.queries["q"].run().to_numpy()
    scope = sorted({x for _, x in lits} | {"A"})
    agg = all if op == "&" else any
    want = sum(agg([a[scope.index(x)] != neg for neg, x in lits] + [a[scope.index("A")]])
               for a in itertools.product([False, True], repeat=len(scope)))
    assert float(got.ravel()[0]) == want


def test_an_unknown_name_repeated_is_reported_at_its_first_occurrence():
    import atlasc
    with pytest.raises(QueryError) as e:
        atlasc.compile_string("var A : bool\nmodel m = logic A & Z & A & Z\nquery q = sum[*] m\n")
    assert e.value.render().startswith("<string>:2:21:") and "Z" in e.value.render()
