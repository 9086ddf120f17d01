"""Total choices without an answer set: each maxent/credal query flags their mass (given the
evidence on probabilistic facts, the query's and the run's) in its report, in `atlasc check`
and `atlasc run` (text and JSON) and in the Python result rows; the numbers are checked against
clingo's answer sets for every total choice (atlasc.compiler.pasp.enumerate)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.api import compile_string
from atlasc.compiler.cli import main
from atlasc.compiler.program.textout import result_text
from atlasc.compiler.pasp.enumerate import choices, semantics

# f without a, or g with both a and h, has no answer set; so does every choice with k and not a
PROGRAM = ("0.4::a. 0.5::f. 0.3::g. 0.7::h. 0.2::k. b ; c :- a. :- f, not a. "
           ":- g, a, h. d :- not b, not a. :- k, d.")
QUERIES = ("query me = maxent(p, b)\nquery cr = credal(p, b)\n"
           "query me_e = maxent(p, b | f)\nquery cr_e = credal(p, b | !g, h)\n"
           "query me_d = maxent(p, c | d)\nquery both = me * me_e\n")
SRC = f"model p = pasp {{ {PROGRAM} }}\n{QUERIES}"
MAXENT = "dropped and renormalised (MaxEnt)"
CREDAL = "reported, counted in neither bound (credal)"


@pytest.fixture(scope="module")
def cs() -> list:
    return list(choices(PROGRAM))


@pytest.fixture(scope="module")
def prog():
    return compile_string(SRC)


def inconsistent(cs: list, facts: tuple[tuple[str, bool], ...] = ()) -> float:
    return semantics(cs, (("b", True),), facts).inconsistent


# query -> (evidence on facts it is conditioned on, treatment)
EXPECT = {"me": ((), MAXENT), "cr": ((), CREDAL), "me_e": ((("f", True),), MAXENT),
          "cr_e": ((("g", False), ("h", True)), CREDAL), "me_d": ((), MAXENT)}


def test_the_flagged_mass_is_the_brute_force_mass(prog, cs) -> None:
    assert inconsistent(cs) > 0.3                   # the program does have such choices
    for name, (facts, treatment) in EXPECT.items():
        (flag,) = prog.query(name).report.inconsistent
        assert math.isclose(flag.mass, inconsistent(cs, facts), abs_tol=1e-12), name
        assert flag.treatment == treatment
        assert flag.semantics == ("maxent" if treatment == MAXENT else "credal")
        (row,) = prog.query(name).run().rows
        assert row.inconsistent == [flag]


def test_values_still_match_the_definitions(prog, cs) -> None:
    assert math.isclose(prog.query("me").run().rows[0].value,
                        semantics(cs, (("b", True),)).maxent)
    assert math.isclose(prog.query("me_d").run().rows[0].value,
                        semantics(cs, (("c", True),), (("d", True),)).maxent)
    want = semantics(cs, (("b", True),), (("g", False), ("h", True)))
    assert tuple(prog.query("cr_e").run().rows[0].value) == pytest.approx(
        (want.lower, want.upper))


def test_run_time_evidence_on_facts_conditions_the_mass_per_row(prog, cs) -> None:
    rows = [{"f": "true"}, {"f": "false", "k": "true"}, {}, {"a": "true"}]
    for name in ("me", "cr"):
        res = prog.query(name).run(rows)
        for row, ev in zip(res.rows, rows):
            facts = tuple((k, v == "true") for k, v in ev.items())
            (flag,) = row.inconsistent
            assert math.isclose(flag.mass, inconsistent(cs, facts), abs_tol=1e-12)
        text = result_text(res, with_rows=True)
        masses = [f"mass {r.inconsistent[0].mass:.6g}" for r in res.rows]
        assert len(set(masses)) > 1 and all(f"row {k}: PASP" in text for k in (1, 2, 3, 4))
        assert all(m in text for m in masses)


def test_a_query_of_queries_carries_their_flags(prog, cs) -> None:
    flags = prog.query("both").report.inconsistent
    assert [f.query for f in flags] == ["maxent({b})", "maxent({b})"]
    assert sorted(f.mass for f in flags) == pytest.approx(
        sorted([inconsistent(cs), inconsistent(cs, (("f", True),))]))


def test_report_text_and_tree(prog, cs) -> None:
    text = prog.query("cr").report.render()
    line = f"PASP credal({{b}}): inconsistent total choices: mass {inconsistent(cs):.6g}, " \
        + CREDAL
    assert line in text.splitlines()[1]
    assert f"note: inconsistent total choices: mass {inconsistent(cs):.6g}, {CREDAL}" in text


def test_cli_check_and_run_show_it(tmp_path: Path, cs) -> None:
    f = tmp_path / "p.query"
    f.write_text(SRC)
    r = CliRunner().invoke(main, ["check", str(f)])
    assert r.exit_code == 0 and r.stdout.count("inconsistent total choices: mass") >= 6
    r = CliRunner().invoke(main, ["run", str(f), "-q", "me_e", "--json"])
    data = json.loads(r.stdout)
    (row,) = data["queries"][0]["rows"]
    (flag,) = row["inconsistent"]
    assert flag["semantics"] == "maxent" and flag["treatment"] == MAXENT
    assert math.isclose(flag["mass"], inconsistent(cs, (("f", True),)), abs_tol=1e-12)
    r = CliRunner().invoke(main, ["run", str(f), "-q", "cr"])
    assert f"PASP credal({{b}}): inconsistent total choices: mass {inconsistent(cs):.6g}" \
        in r.stdout
    r = CliRunner().invoke(main, ["check", str(f), "--json"])
    reports = {q["name"]: q for q in json.loads(r.stdout)["queries"]}
    assert math.isclose(reports["me"]["inconsistent"][0]["mass"], inconsistent(cs))


def test_no_flag_outside_pasp() -> None:
    prog = compile_string("var x\nmodel w = weights {x: 0.5, !x: 0.5}\nquery q = sum[x] w\n")
    assert prog.query("q").report.inconsistent == ()
    row = prog.query("q").run().rows[0]
    assert row.inconsistent == [] and "inconsistent" not in row.to_json()
