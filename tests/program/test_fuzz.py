"""Property tests: random well-formed queries parse and type; random mutations of a program
give a positioned error, never a traceback."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import AtlasError, QueryError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.parse import parse

HEADER = """var A, B, C : bool
model p = bayesnet { A: 0.3  B | A: {false: 0.2, true: 0.9}  C | B: {false: 0.5, true: 0.1} }
  with vtree constrained {A}
model f = logic (A | B) & !C
model w = weights {A: 0.5, !A: 0.5, B: 0.25, !B: 0.75}
mapping half : prob -> prob = x -> x / 2
"""
VARS = ("A", "B", "C")


@st.composite
def scopes(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["all", "but", "list"]))
    names = draw(st.lists(st.sampled_from(VARS), min_size=1, max_size=3, unique=True))
    if kind == "all":
        return "*"
    if kind == "but":
        return "* \\ {" + ", ".join(names) + "}"
    return ", ".join(names)


def prob_exprs() -> st.SearchStrategy[str]:
    """Well-formed prob expressions (they parse and type; some may not be tractable)."""
    atoms = st.sampled_from(["p", "w", "map[indicator: bool -> prob] f", "map[half] p",
                             "(p | A = true)", "(p | !B, C)"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: f"({t[0]} * {t[1]})"),
            inner.map(lambda e: f"sum[*] {e}"),
            inner.map(lambda e: f"(map[twice] {e})"),
        )
    return st.recursive(atoms, extend, max_leaves=4)


@given(prob_exprs(), scopes())
def test_random_queries_parse(e: str, scope: str) -> None:
    text = HEADER + f"mapping twice : prob -> prob = x -> 2 * x\nquery q = sum[{scope}] ({e})\n"
    mod = parse(text, "fuzz.query")
    q = mod.stmts[-1]
    assert isinstance(q, A.QueryDecl)
    assert text[q.span.start:q.span.end] == f"query q = sum[{scope}] ({e})"


@given(prob_exprs())
def test_random_queries_compile_or_report(e: str) -> None:
    text = HEADER + f"mapping twice : prob -> prob = x -> 2 * x\nquery q = sum[*] ({e})\n"
    try:
        prog = compile_string(text, filename="fuzz.query")
    except QueryError as err:        # e.g. a scope that no longer has the variable
        assert err.span is not None
        return
    assert prog.queries["q"].report.render()


BASE = HEADER + """query a = sum[* \\ {A}] (p | C = true)
query b = max[*] map[id: prob -> maxprod] p
query c = sum[*] (map[indicator: bool -> prob] f * w)
query d = mmap(A; p)
"""
PIECES = ["*", "|", "(", ")", "[", "]", "{", "}", "=", "!", ",", ";", "\\", "->", "sum", "max",
          "map", "X", "true", "0.5", "#", "\n", "query", " ", "A", "@", "\"x\"", "1/0"]


@st.composite
def mutations(draw: st.DrawFn) -> str:
    text = BASE
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(len(HEADER) - 40, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(PIECES))
        j = min(len(text), i + draw(st.integers(1, 6)))
        if op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "delete":
            text = text[:i] + text[j:]
        else:
            text = text[:i] + piece + text[j:]
    return text


@given(mutations())
def test_mutations_give_positioned_errors(text: str) -> None:
    try:
        compile_string(text, filename="mut.query")
    except QueryError as err:
        assert err.span is not None, err.render()
        rendered = err.render()
        assert rendered.startswith("mut.query:") and "^" in rendered
    except AtlasError as err:        # e.g. a limit: still a user-facing error
        assert err.render()


# ---- every format, from its grammar, then broken (tests/fuzz/inputs.py) ------------------------
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.fuzz.inputs import GENERATORS, case  # noqa: E402
from tests.fuzz.oracle import outcome  # noqa: E402


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False), st.sampled_from(sorted(GENERATORS)))
def test_every_format_ends_in_an_answer_or_a_positioned_error(r, kind: str) -> None:
    """Compiled and run: values, a refusal, a limit, or a user error with its position;
    never an internal error, a NaN, or an error without a place (the long campaign is
    `make fuzz`)."""
    o = outcome(case(r, kind, fast=True))
    assert o.kind in ("ok", "user", "limit"), o.detail
