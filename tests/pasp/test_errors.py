"""PASP mistakes are errors at the program's own line and column (inline: in the .query file;
a program file: in that file), and unsupported constructs are named."""
from __future__ import annotations

import pytest

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError


def error(text: str, tmp_path: object = None) -> QueryError:
    with pytest.raises(QueryError) as info:
        compile_string(text, base_dir=str(tmp_path) if tmp_path else None)
    return info.value


def test_clingo_syntax_error_inline_points_into_the_query_file() -> None:
    e = error("var z\nmodel p = pasp { 0.3::a.\n  b ;; c :- a. }\n")
    assert e.span is not None and (e.span.line, e.span.col) == (3, 6)
    assert "clingo" in e.message


def test_clingo_syntax_error_in_a_program_file(tmp_path: object) -> None:
    from pathlib import Path
    Path(str(tmp_path), "bad.lp").write_text("0.5::a.\nb :- a\nc.\n")
    e = error('model p = pasp "bad.lp"\n', tmp_path)
    assert e.span is not None and e.span.file.endswith("bad.lp") and e.span.line == 3


@pytest.mark.parametrize("program, words", [
    ("0.5::a. 0.5::c. b :- #count{ 1 : a; 2 : c } >= 2.", "aggregates"),
    ("0.5::a. b :- a. :~ b. [1]", "weak constraints"),
    ("0.5::a. b ; c :- a. b :- c. c :- b.", "head-cycle-free"),
    ("0.5::a; 0.5::b.", "annotated disjunctions"),
    ("1.5::a.", "not a probability"),
    ("0.5::a. a :- b. b.", "also the head of a rule"),
])
def test_unsupported_constructs_are_named(program: str, words: str) -> None:
    assert words in error(f"model p = pasp {{ {program} }}\n").message


def test_maxent_needs_a_pasp_model() -> None:
    e = error("var a\nmodel w = weights {a: 0.5, !a: 0.5}\nquery q = maxent(a; w)\n")
    assert "pasp model" in e.message
