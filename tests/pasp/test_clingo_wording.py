"""clingo's messages never show the `#external` declarations and marker atoms the PASP
encoding appends: a missing final '.' reads as the end of the program, at the user's text."""
from __future__ import annotations

import pytest

import atlasc
from atlasc.compiler.errors import AtlasError


def _error(program: str) -> str:
    with pytest.raises(AtlasError) as e:
        atlasc.compile_string(f"model g = pasp {{ {program} }}\nquery q = or[*] g\n",
                              filename="p.query")
    return e.value.render()


@pytest.mark.parametrize("program, col", [
    ("0.3::a. b :- a, not c", 40),
    ("0.3::a.  #show b/0", 37),
    ("0.3::a. b :- a.  #external", 45),
])
def test_a_missing_period_is_the_end_of_the_program(program: str, col: int) -> None:
    text = _error(program)
    assert "#external" not in text.split("\n")[0] and "__pasp" not in text
    assert text.startswith(f"p.query:1:{col}: clingo: syntax error, unexpected end of the "
                           "program (is a '.' missing?)")


def test_a_pool_of_probabilistic_facts_is_no_internal_error() -> None:
    p = atlasc.compile_string("model g = pasp { 0.5::p(1..2). both :- p(1), p(2). }\n"
                              "query s = or[*] (g | both = true)\n")
    assert p.queries["s"].run().rows[0].value is True       # was a RuntimeError (exit 4)
