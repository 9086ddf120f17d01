"""The parser's fast path for long flat statements (compiler/language/flatparse.py, issue 18
item 4) gives exactly lark's AST, spans and depth, and leaves everything else to lark (so
errors and their positions are lark's)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.errors import QueryError
from atlasc.compiler.language import flatparse, flatscan
from atlasc.compiler.language.parse import Lines, _one, name_keywords, parse_all
from atlasc.compiler.language.runs import LitRun, NameRun

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
    elif isinstance(x, (tuple, list, LitRun, NameRun)):
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


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["A", "B1", "x_2", "m.y"]),
                          st.sampled_from([" ", "", "\n", "  \t"])), min_size=2, max_size=10),
       st.sampled_from(["&", "|"]))
def test_the_array_scan_reads_as_the_regular_expressions(lits, op: str):
    """flatscan.py's arrays and flatparse's literal-by-literal reading give the same run."""
    text = "model m = logic " + f" {op} ".join(("!" + g if neg else "") + x + g
                                             for neg, x, g in lits)
    lines = Lines("f.query", text)
    sp = flatparse.Spans(lines.file, lines.source, lines.starts)
    assert flatscan.literals(text, 16, len(text)) is not None
    fast = flatparse._flat(text, 16, len(text), sp)
    slow = flatparse._flat_slow(text, 16, len(text), sp)
    assert fast is not None and slow is not None
    assert fast[1] == slow[1] and fast[0].names == slow[0].names
    for a, b in zip(("ids", "starts", "negated", "bangs"), ("ids", "starts", "negated", "bangs")):
        assert getattr(fast[0], a).tolist() == getattr(slow[0], b).tolist()
    assert tuple(fast[0]) == tuple(slow[0])


def _long(body: str, op: str) -> str:
    """`body` repeated (and/or are idempotent) past the parser's fast-path threshold."""
    return f" {op} ".join([body] * (flatparse.MIN_CHARS // len(body) + 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from("ABC")), min_size=1, max_size=12),
       st.sampled_from(["&", "|"]))
def test_a_long_run_counts_as_brute_force(lits, op: str):
    """A long flat run (read as arrays, lowered from its first occurrences) has brute
    force's model count: repeated and negated literals, A & !A, A | !A."""
    import itertools
    import atlasc
    body = _long(f" {op} ".join(("!" if neg else "") + x for neg, x in lits), op)
    p = atlasc.compile_string(f"var A, B, C : bool\nmodel m = logic {body}\n"
                              "query q = sum[*] map[indicator: bool -> count] m\n")
    assert isinstance(p.queries["q"].decl, object)
    got = p.queries["q"].run().to_numpy()
    scope = sorted({x for _, x in lits})
    agg = all if op == "&" else any
    want = sum(agg([a[scope.index(x)] != neg for neg, x in lits])
               for a in itertools.product([False, True], repeat=len(scope)))
    assert float(got.ravel()[0]) == want


def test_errors_inside_a_long_run_are_at_their_positions():
    """An unknown name and a non-Boolean `!X` in the middle of long runs: each reported
    where it is (line:col, caret), with the errors of the other statements."""
    import atlasc
    left, right = _long("A & !B", "&"), _long("A | !B", "|")
    text = (f"var A, B : bool\nvar E : {{lo, hi}}\nmodel m = logic {left} & Zed & {left}\n"
            f"model n = logic {right} | !E | {right}\nquery q = sum[*] nope\n")
    with pytest.raises(QueryError) as e:
        atlasc.compile_string(text)
    out = e.value.render()
    lines = text.split("\n")
    assert f"<string>:3:{lines[2].index('Zed') + 1}: unknown variable 'Zed'" in out
    assert f"<string>:4:{lines[3].index('!E') + 2}: E is not Boolean" in out
    assert "<string>:5:" in out and "nope" in out
    assert len(out.split("\n")[1]) < 200                   # the source line is cut to a window


def test_a_syntax_error_elsewhere_leaves_a_long_run_to_the_fast_path(monkeypatch):
    """After a syntax error the statements are parsed one by one: a long flat one still by
    the fast path (lark would take minutes on 50 MB), and its errors are still reported."""
    import atlasc.compiler.language.parse as P
    calls: list[int] = []
    one = P._one
    monkeypatch.setattr(P, "_one", lambda lines, chunk, base: calls.append(len(chunk)) or
                        one(lines, chunk, base))
    body = _long("A & !B", "&")
    text = f"var A, B : bool\nmodel m = logic {body} & Zed\nquery q = sum[*] m &&\n"
    parsed = parse_all(text, "f.query")
    assert [e.span.line for e in parsed.errors] == [3]
    assert max(calls) < 100 and isinstance(parsed.module.stmts[1].body.formula.args, LitRun)


def _errors(text: str) -> list[str]:
    import atlasc
    try:
        atlasc.compile_string(text)
    except QueryError as e:
        return e.render().split("\n\n")
    return []


@pytest.mark.parametrize("extra", [["V7"], ["m"], ["a.b"], ["logic", "V3"], []])
def test_a_long_var_list_declares_as_name_by_name(extra, monkeypatch):
    """A long var list is declared at once (scope.RunNames, by hash); its repeats, names
    declared before, reserved words and dotted names are the errors they are without the
    fast path, at the same positions, and the program answers the same."""
    import atlasc.compiler.language.parse as P
    names = [f"V{i}" for i in range(700)]
    names[350:350] = extra
    text = ("model m = logic V1 | !V2\nvar " + ", ".join(names) + " : bool\n"
            "query q = sum[*] map[indicator: bool -> count] m\nquery r = sum[*] nope\n")
    fast = _errors(text)
    monkeypatch.setattr(P, "MIN_CHARS", 10 ** 9)
    assert fast == _errors(text) and "'nope'" in fast[-2 if extra else -1]
    assert not extra or fast[0].startswith("<string>:2:") and f"'{extra[0]}'" in fast[0]


BREAKS = st.sampled_from([" & &", " & (", " ( ", " A1 A2", " & A1 :", " & !", " | A1 &&",
                          " & A1 = ", ")", " & A1 | (A2 & A3 & A4", ",", " & # c\n &", " & 3",
                          " , ,", " A1", ""])


@settings(max_examples=80, deadline=None)
@given(at=st.integers(0, 1500), bad=BREAKS, op=st.sampled_from(["&", "|", ","]),
       tail=st.sampled_from(["", "\nquery q = sum[*] m\n", "\nquery q = sum[*] nope &&\n"]))
def test_a_syntax_error_inside_a_long_run_is_lark_s(at: int, bad: str, op: str, tail: str):
    """A syntax error anywhere in a long run (a var list, an and/or) is found on the run cut
    short (flatparse.blanked) and is exactly lark's on the whole text: position, message."""
    import atlasc.compiler.language.parse as P
    sep = f" {op} "
    names = [("!" if i % 7 == 3 and op != "," else "") + f"A{i % 50}" for i in range(1500)]
    run = sep.join(names[:at]) + bad + sep + sep.join(names[at:])
    head = "var A0 : bool\nvar " if op == "," else "var A0 : bool\nmodel m = logic "
    text = head + run + tail
    fast = [e.render() for e in parse_all(text, "f.query").errors]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(P, "MIN_CHARS", 10 ** 9)
        mp.setattr(flatparse, "MIN_CHARS", 10 ** 9)
        assert fast == [e.render() for e in parse_all(text, "f.query").errors]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["A", "B1", "m.y", "1x", "a.b.c", "a.", "!", "&", "|", ",",
                                 " ", "\n", "(", ":", "=", "\t", "é", "# c\n"]),
                min_size=1, max_size=14))
def test_the_array_scan_refuses_what_the_regular_expressions_refuse(parts):
    """Where flatscan's verdict is final (ASCII, no comment), the literal-by-literal
    readers agree with it, run or no run."""
    text = "".join(parts)
    lines = Lines("f.query", text)
    sp = flatparse.Spans(lines.file, lines.source, lines.starts)
    if not flatscan.final(text, 0, len(text)):
        return
    assert (flatscan.literals(text, 0, len(text)) is None) == \
        (flatparse._flat_slow(text, 0, len(text), sp) is None)
    assert (flatscan.names(text, 0, len(text)) is None) == \
        (flatparse._items_slow(text, 0, len(text), sp) is None)


def test_a_table_with_a_run_is_a_mapping_in_declaration_order():
    """scope.Table: dict parts and runs of names in order; set, delete, copy and a pickle
    round trip (the hashes are made again) keep what a dict would."""
    import pickle
    import numpy as np
    from atlasc.compiler.language.scope import RunNames, Table
    text = "var B, C, B, D"
    starts, ends = np.array([4, 7, 10, 13]), np.array([5, 8, 11, 14])
    lines = Lines("f.query", text)
    run = RunNames(text, starts, ends, flatparse.Spans(lines.file, lines.source, lines.starts))
    run.dropped.update(run.repeats())
    t: Table[int] = Table()
    t["A"] = 0
    t.add_run(run, lambda r, k: 10 + k)
    t["E"] = 5
    assert list(t) == ["A", "B", "C", "D", "E"] and len(t) == 5 and t["D"] == 13
    t["C"] = 7
    del t["A"]
    assert dict(t) == {"B": 10, "D": 13, "E": 5, "C": 7} and "A" not in t and "Z" not in t
    back = pickle.loads(pickle.dumps(run))
    assert back.find("D") == 3 and back.find("B") == 0 and back.repeats() == [2]
    assert back.span(3).col == 14 and back.dropped == {1, 2}     # C moved to a dict


def test_a_long_var_list_answers_as_name_by_name(monkeypatch):
    import atlasc.compiler.language.parse as P
    import atlasc
    text = ("var " + ", ".join(f"V{i}" for i in range(1500)) + " : bool\n"
            "model m = logic V1 | !V2 | V1400\nquery q = sum[*] map[indicator: bool -> count] m\n")
    fast = atlasc.compile_string(text)
    assert isinstance(P.parse(text).stmts[0].names, NameRun)
    monkeypatch.setattr(P, "MIN_CHARS", 10 ** 9)
    monkeypatch.setattr(flatparse, "MIN_CHARS", 10 ** 9)
    slow = atlasc.compile_string(text)
    assert float(fast.queries["q"].run().to_numpy().ravel()[0]) == 7.0 == \
        float(slow.queries["q"].run().to_numpy().ravel()[0])
    assert list(fast.variables) == list(slow.variables) and len(fast.variables) == 1500


@pytest.mark.parametrize("domain", ["{lo, hi}", "{lo, hi, lo}", "{'a b', \"c\"}", "{}", "bool",
                                    "{lo, hi"])
def test_a_long_var_list_with_any_domain(domain: str, monkeypatch):
    """`var N1, ..., Nk : {lo, hi}`: the names as a run, the domain as lark reads it; the
    module, its errors and its answers as without the fast path."""
    import atlasc.compiler.language.parse as P
    import atlasc
    text = ("var " + ", ".join(f"V{i}" for i in range(1500)) + f" : {domain}\n"
            "model m = logic V1 = lo | V2 = hi\nquery q = sum[*] map[indicator: bool -> count] m\n")
    fast = parse_all(text, "f.query")
    got = _errors(text)
    monkeypatch.setattr(P, "MIN_CHARS", 10 ** 9)
    monkeypatch.setattr(flatparse, "MIN_CHARS", 10 ** 9)
    slow = parse_all(text, "f.query")
    assert [e.render() for e in fast.errors] == [e.render() for e in slow.errors]
    assert fast.module.stmts == slow.module.stmts and fast.module.depth == slow.module.depth
    assert got == _errors(text)
    if domain == "{lo, hi}":
        assert isinstance(fast.module.stmts[0].names, NameRun) and not got


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "bc", "\n", "\r", "\r\n", "\x0c", "\x0b", "\x85",
                                 "\u2028", "\x1c", " "]), max_size=12), st.integers(-1, 14))
def test_a_long_text_s_line_is_splitlines_line(parts, k: int):
    """source._nth_line (a text past BIG_TEXT: its lines are not all cut) is splitlines'."""
    from atlasc.compiler.source import _nth_line
    text = "".join(parts)
    ref = text.splitlines()
    assert _nth_line(text, k) == (ref[k - 1] if 0 < k <= len(ref) else "")


def test_line_starts_count_newlines_only():
    """parse.line_starts (an array, numpy on ASCII text) is where each \\n-line starts."""
    from atlasc.compiler.language.parse import line_starts
    import re
    for text in ["", "a", "a\nb\n", "\n\n", "é\nx\ny", "a\rb\x0cc\nd"]:
        want = [0] + [m.end() for m in re.finditer("\n", text)]
        assert list(line_starts(text)) == want


@pytest.mark.parametrize("domain", ["bool", "boool"])
def test_many_errors_in_a_long_var_list_are_each_reported_once(domain: str, monkeypatch):
    """Every tenth name a repeat (or the whole list broken by its domain, and models that
    use its names): the errors are the ones name by name gives, and the check of what a
    statement mentions is not redone per error (diagnose._Mentions)."""
    import atlasc.compiler.language.parse as P
    names = [f"V{i}" if i % 10 else f"V{i // 10}" for i in range(3000)]
    text = ("var " + ", ".join(names) + f" : {domain}\nmodel m = logic V1 | V2\n"
            "model n = logic V5 & V2999\nquery q = sum[*] map[indicator: bool -> count] m\n")
    fast = _errors(text)
    monkeypatch.setattr(P, "MIN_CHARS", 10 ** 9)
    monkeypatch.setattr(flatparse, "MIN_CHARS", 10 ** 9)
    assert fast == _errors(text) and len(fast) == (21 if domain == "bool" else 1)


def test_a_text_of_many_lines_shows_its_lines_as_splitlines():
    from atlasc.compiler.source import BIG_TEXT, MANY_LINES, Source
    text = "".join(f"line {k}\r\n" if k % 3 else f"xy{k}\x0c" for k in range(MANY_LINES * 2))
    assert len(text) > BIG_TEXT
    ref, src = text.splitlines(), Source("f", text)
    for k in (0, 1, 2, 3, 4, 50_000, len(ref), len(ref) + 1):
        assert src.line(k) == (ref[k - 1] if 0 < k <= len(ref) else "")
    assert isinstance(src._lines, dict)
