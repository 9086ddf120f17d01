"""The `marginals(...)` query form: one backward pass gives the same tables as one `sum[* \\ {X}]`
query per variable; evidence (in the text, at run time, observed targets); placement errors;
the report, the text and JSON outputs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import atlasc
from atlasc.compiler.cli import main
from atlasc.compiler.errors import QueryError

EX = Path(__file__).resolve().parents[2] / "examples"

SRC = """
var A, B : bool
var C : {lo, mid, hi}
model p = bayesnet {
  A: 0.3
  B | A: {false: 0.2, true: 0.9}
  C | A, B: {(false, false): [0.5, 0.25, 0.25], (false, true): [0.1, 0.1, 0.8],
             (true, false): [0.3, 0.3, 0.4], (true, true): [0.6, 0.2, 0.2]}
}
query all = marginals(p)
query ab  = marginals(A, B; p | C = hi)
query sa  = sum[* \\ {A}] (p | C = hi)
query sb  = sum[* \\ {B}] (p | C = hi)
query sc  = sum[* \\ {C}] p
query part = marginals(A; sum[B] p)
"""


@pytest.fixture(scope="module")
def prog() -> atlasc.Program:
    return atlasc.compile_string(SRC, filename="m.query")


def _single(prog, name: str, evidence=None) -> list[float]:
    return [e.value for e in prog.queries[name].run(evidence).rows[0].entries]


def test_same_tables_as_one_query_per_variable(prog) -> None:
    r = prog.queries["ab"].run()
    for var, q in (("A", "sa"), ("B", "sb")):
        np.testing.assert_allclose(r.joint[var][0], _single(prog, q), rtol=1e-12)
    np.testing.assert_allclose(r.joint["C"][0] if "C" in r.joint else 0, 0)
    allr = prog.queries["all"].run()
    np.testing.assert_allclose(allr.joint["C"][0], _single(prog, "sc"), rtol=1e-12)
    np.testing.assert_allclose(allr.conditional["A"][0], [0.7, 0.3])


def test_conditional_is_normalised(prog) -> None:
    r = prog.queries["ab"].run()
    pa = np.array(_single(prog, "sa"))
    np.testing.assert_allclose(r.conditional["A"][0], pa / pa.sum())
    t = r.rows[0]["B"]
    assert set(t) == {"false", "true"} and sum(c for _, c in t.values()) == pytest.approx(1)


def test_run_time_evidence_and_a_batch(prog) -> None:
    r = prog.queries["all"].run([{"C": "hi"}, {"A": True}, {}])
    np.testing.assert_allclose(r.joint["A"][0], _single(prog, "sa"), rtol=1e-12)
    # A observed: A's table is the retraction P(A = a), B's is P(B, A = true)
    np.testing.assert_allclose(r.joint["A"][1], [0.7, 0.3])
    np.testing.assert_allclose(r.joint["B"][1], [0.03, 0.27])
    assert r.observed[1] == {"A": "true"} and r.observed[2] == {}


def test_evidence_on_an_aggregated_variable_conditions(prog) -> None:
    r = prog.queries["part"].run({"B": True})
    np.testing.assert_allclose(r.joint["A"][0], [0.7 * 0.2, 0.3 * 0.9])


def test_report_says_conditions_and_one_pass(prog) -> None:
    text = prog.queries["ab"].report.render()
    assert "marginals[{A, B}]" in text and "certified tractable" in text
    assert "smooth and decomposable" in text and "docs/atlas.md §2.4 and 3.1" in text
    assert "one upward and one downward pass for all 2 variables" in text


@pytest.mark.parametrize("body, message", [
    ("sum[*] marginals(p)", "must be a whole query"),
    ("marginals(p) | A", "must be a whole query"),
    ("marginals(D; p)", "not a free variable"),
    ("marginals({}; p)", "is empty"),
    ("marginals(A; B; p)", "variable group"),
    ("marginals(map[id: prob -> maxprod] p)", "needs a prob model"),
    ("marginals(sum[*] p)", "no free variable"),
])
def test_mistakes_are_query_errors(body: str, message: str) -> None:
    src = "var A, B, D : bool\nmodel p = bayesnet { A: 0.3  B | A: {false: 0.2, true: 0.9} }\n" \
          "model q = bayesnet { D: 0.5 }\n" f"query bad = {body}\n"
    with pytest.raises(QueryError) as e:
        atlasc.compile_string(src, filename="bad.query")
    assert message in str(e.value) and e.value.span is not None


def test_a_marginals_query_cannot_be_used_by_another() -> None:
    src = "var A : bool\nmodel p = bayesnet { A: 0.3 }\nquery m = marginals(p)\n" \
          "query n = sum[*] m\n"
    with pytest.raises(QueryError) as e:
        atlasc.compile_string(src, filename="bad.query")
    assert "other queries cannot use it" in str(e.value) and e.value.span.line == 4


def test_cli_text_json_and_observed_star() -> None:
    path = str(EX / "marginals.query")
    r = CliRunner().invoke(main, ["run", path, "-q", "prior", "-e", "smoke=yes"])
    assert r.exit_code == 0, r.output
    assert "8 marginals, one upward and one downward pass" in r.stdout
    assert "smoke*" in r.stdout and "evidence on X retracted" in r.stdout
    r = CliRunner().invoke(main, ["run", path, "-q", "patient", "--json"])
    data = json.loads(r.stdout)["queries"][0]
    tub = next(m for m in data["rows"][0]["marginals"] if m["var"] == "tub")
    assert [t["value"] for t in tub["table"]] == ["yes", "no"]
    assert sum(t["conditional"] for t in tub["table"]) == pytest.approx(1)
