"""Every error of a file at once (docs/language.md, "Errors"): k independently broken
statements give k errors, in source order, each at its statement; errors caused by an
earlier one are not repeated."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError, QueryErrors

PRELUDE = "var A, B : bool\nvar C : {lo, hi}\nmodel p = logic A & B\n"
GOOD = ["query ok{k} = or[*] p", "var D{k} : {{x, y}}", "model m{k} = logic A | B",
        "query t{k} = or[A] (p | B)"]
# each line is broken on its own, with names of its own (k), so no two errors are related
BROKEN = [
    "query s{k} = or[*] (p | A = )",                 # syntax: a value is missing
    "query s{k} = or[A] $ p",                        # syntax: a character
    "var V{k} : {{x y}}",                            # syntax: a comma is missing
    "query s{k} = or[A, B",                          # syntax: the statement ends early
    "query s{k} = or[*] (p | Z{k} = true)",          # an unknown variable
    "query s{k} = or[*] nosuch{k}",                  # an unknown model
    "query s{k} = sum[*] p",                         # the wrong aggregation word
    "query s{k} = or[*] (p | C = mid)",              # a value outside the domain
    "var U{k} : {{a, a}}",                           # a value twice
    "model n{k} = logic A & W{k}",                   # an unknown variable in a model
    "query s{k} = or[*] map[nomap{k}] p",            # an unknown mapping
    "var A",                                         # a duplicate name
    "model n{k} = weights {{A: 0.3}}",               # a weight missing
    'model n{k} = bif "missing{k}.bif"',             # a model file that is not there
    "model n{k} = bayesnet {{ A: 1.5 }}",            # not a probability
    "model n{k} = pasp {{ a b. }}",                  # clingo's syntax error, in this file
    "mapping f{k} : prob -> prob = x -> y",          # an unknown name in a mapping
]


@st.composite
def files(draw: st.DrawFn) -> tuple[str, list[int]]:
    """A file of good and broken statements; the lines of the broken ones."""
    kinds = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 99)), max_size=9))
    lines, bad = PRELUDE.splitlines(), []
    for k, (broken, pick) in enumerate(kinds):
        pool = BROKEN if broken else GOOD
        lines.append(pool[pick % len(pool)].format(k=k))
        if broken:
            bad.append(len(lines))
    return "\n".join(lines) + "\n", bad


def errors_of(text: str) -> list[QueryError]:
    try:
        compile_string(text, filename="f.query")
    except QueryErrors as e:
        return list(e.errors)
    except QueryError as e:
        return [e]
    return []


@settings(max_examples=40, deadline=None)
@given(files())
def test_k_broken_statements_give_k_errors_in_source_order(case: tuple[str, list[int]]) -> None:
    text, bad = case
    errs = errors_of(text)
    assert [e.span.line for e in errs] == bad, (text, [e.render() for e in errs])
    for e in errs:
        assert e.render().startswith(f"f.query:{e.span.line}:{e.span.col}: ")
        assert "^" in e.render()


def test_one_error_is_raised_as_itself_and_several_as_query_errors() -> None:
    with pytest.raises(QueryError) as one:
        compile_string(PRELUDE + "query q = or[*] nosuch\n")
    assert not isinstance(one.value, QueryErrors)
    with pytest.raises(QueryErrors) as two:
        compile_string(PRELUDE + "query q = or[*] nosuch\nquery r = sum[*] p\n")
    assert two.value.exit_code == 2 and len(two.value.errors) == 2
    assert two.value.render().endswith("\n\n2 errors")
    assert two.value.span == two.value.errors[0].span     # as a QueryError: the first


@pytest.mark.parametrize("broken, uses", [
    ("var W : {x y}", "(p | W = x)"),                  # a declaration that does not parse
    ("var W : {x, x}", "(p | W = x)"),                 # a declaration with a bad domain
    ("model m = logic A & Nope", "m"),                 # a model with an error
    ("query m = sum[*] p", "m"),                       # a query with an error
])
def test_uses_of_a_failed_declaration_are_not_reported(broken: str, uses: str) -> None:
    text = PRELUDE + broken + "\n" + "".join(f"query u{k} = or[*] {uses}\n" for k in range(3))
    errs = errors_of(text)
    assert [e.span.line for e in errs] == [4], [e.render() for e in errs]


def test_an_unknown_name_is_reported_once_with_its_uses() -> None:
    text = PRELUDE + "".join(f"query u{k} = or[*] (p | Z{'' if k % 2 else ' = true'})\n"
                             for k in range(6))
    (err,) = errors_of(text)
    assert err.span.line == 4 and err.message == "unknown variable 'Z'"
    assert [s.line for s, n in err.notes] == [5, 6, 7]
    assert err.hint == "'Z' is used 2 more times after these"


def test_every_bad_argument_and_cell_of_the_evidence(tmp_path) -> None:
    from click.testing import CliRunner

    from atlasc.compiler.cli import main
    (tmp_path / "f.query").write_text(PRELUDE + "query q = or[*] p\n")
    (tmp_path / "rows.csv").write_text("A,Nope,C\ntrue,1,mid\nmaybe,,lo\ntrue\n")
    r = CliRunner().invoke(main, ["run", str(tmp_path / "f.query"), "-e", "C=mid", "-e",
                                  "B=maybe"])
    carets = [line for line in r.stderr.splitlines() if set(line) == {" ", "^"}]
    assert r.exit_code == 2 and len(carets) == 2 and r.stderr.endswith("2 errors\n")
    r = CliRunner().invoke(main, ["run", str(tmp_path / "f.query"), "--data",
                                  str(tmp_path / "rows.csv")])
    assert r.exit_code == 2 and r.stderr.endswith("4 errors\n")
    at = [line.split(": ")[0].rsplit(":", 2)[1:] for line in r.stderr.splitlines()
          if line.startswith(str(tmp_path / "rows.csv"))]
    assert at == [["1", "3"], ["2", "8"], ["3", "1"], ["4", "1"]]


def test_run_reports_bad_query_names_arguments_and_rows_together(tmp_path) -> None:
    from click.testing import CliRunner

    from atlasc.compiler.cli import main
    (tmp_path / "f.query").write_text(PRELUDE + "query q = or[*] p\n")
    (tmp_path / "rows.csv").write_text("A,Nope\ntrue,1\n")
    r = CliRunner().invoke(main, ["run", str(tmp_path / "f.query"), "-q", "q", "-q", "nosuch",
                                  "-e", "C=mid", "--data", str(tmp_path / "rows.csv")])
    assert r.exit_code == 2 and r.stderr.endswith("3 errors\n")
    assert "no query named 'nosuch'" in r.stderr and "C has no value 'mid'" in r.stderr
    assert "unknown variable 'Nope'" in r.stderr
