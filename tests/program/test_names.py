"""Names as written (docs/language.md): domain values that are not names (`<5`, `0-3_days`,
`Asy/Patchy`) quoted in queries and printed back as the file spells them; PASP atoms
(`edge(1,2)`, `r(c)`, `-a`) in goals, evidence and output as clingo writes them; evidence from
Python is a value, never an index.  Each through check, run (text and JSON), -e, --data and
the Python API."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from atlasc.compiler.api import compile_string
from atlasc.compiler.cli import main
from atlasc.compiler.errors import QueryError
from atlasc.compiler.pasp.enumerate import choices, semantics

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
P_AGE = {"<5": 0.2, "0-3_days": 0.5, "12+": 0.3}
P_XRAY = {"<5": (0.7, 0.2, 0.1), "0-3_days": (0.1, 0.6, 0.3), "12+": (0.3, 0.3, 0.4)}
XRAY = ("Normal", "Asy/Patchy", ">=7.5")


def cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exc_info
    return r.exit_code, r.stdout, r.stderr


# ---- quoted domain values ---------------------------------------------------------------------
ODD = f'''model bn = bif "{DATA / 'odd_values.bif'}"
query xa = sum[* \\ {{Xray}}] (bn | Age = "0-3_days")
query ax = sum[* \\ {{Age}}] (bn | Xray = "Asy/Patchy")
query pe = sum[*] (bn | Age = "<5", Xray = ">=7.5")
'''


@pytest.fixture()
def odd(tmp_path: Path) -> Path:
    path = tmp_path / "odd.query"
    path.write_text(ODD)
    return path


def test_quoted_values_through_check_run_and_json(odd: Path) -> None:
    code, out, _ = cli("check", str(odd))
    assert code == 0 and "Age=0-3_days" in out
    code, out, _ = cli("run", str(odd), "-q", "xa")
    assert code == 0
    for x, p in zip(XRAY, P_XRAY["0-3_days"]):
        line = next(line for line in out.splitlines() if line.split()[:1] == [x])
        assert float(line.split()[1]) == pytest.approx(P_AGE["0-3_days"] * p)
    code, out, _ = cli("run", str(odd), "--json")
    rows = {q["name"]: q["rows"][0] for q in json.loads(out)["queries"]}
    assert [e["assignment"]["Xray"] for e in rows["xa"]["table"]] == list(XRAY)
    ax = {e["assignment"]["Age"]: e["value"] for e in rows["ax"]["table"]}
    assert ax == pytest.approx({a: P_AGE[a] * P_XRAY[a][1] for a in P_AGE})
    assert rows["pe"]["value"] == pytest.approx(0.2 * 0.1)


@pytest.mark.parametrize("arg", ["Xray=>=7.5", 'Xray=">=7.5"', "Xray = >=7.5"])
def test_command_line_values_quoted_or_not(odd: Path, arg: str) -> None:
    code, out, _ = cli("run", str(odd), "-q", "xa", "-e", arg, "--json")
    table = json.loads(out)["queries"][0]["rows"][0]["table"]
    assert code == 0 and [e["assignment"] for e in table] == [{"Xray": ">=7.5"}]
    assert table[0]["value"] == pytest.approx(0.5 * 0.3)


def test_csv_values_as_the_file_spells_them(odd: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text('Xray,Dose\nAsy/Patchy,3\n">=7.5",\n')
    code, out, _ = cli("run", str(odd), "-q", "xa", "--data", str(rows), "--json")
    got = [r["table"][0] for r in json.loads(out)["queries"][0]["rows"]]
    assert code == 0 and [g["assignment"]["Xray"] for g in got] == ["Asy/Patchy", ">=7.5"]
    assert got[0]["value"] == pytest.approx(0.5 * 0.6 * 0.8)
    assert got[1]["value"] == pytest.approx(0.5 * 0.3)


def test_a_value_outside_the_domain_names_it(odd: Path) -> None:
    code, _, err = cli("run", str(odd), "-e", "Xray=Asy/Patch")
    assert code == 2 and "Xray has no value 'Asy/Patch'" in err
    assert "expected one of Normal, Asy/Patchy, >=7.5; did you mean Asy/Patchy?" in err


def test_unquoted_odd_value_in_a_query_says_to_quote_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.query"
    path.write_text(ODD.replace('"0-3_days"', "0-3_days"))
    code, _, err = cli("check", str(path))
    assert code == 2 and f"{path}:2:" in err
    assert 'hint: a value that is not a name or a number is written in quotes: "0-3_days"' in err


def test_in_query_value_errors_show_query_syntax() -> None:
    src = 'var X : {"<5", ok}\nmodel p = bayesnet { X: ["<5": 0.5, ok: 0.5] }\n' \
          'query q = sum[*] (p | X = "< 5")\n'
    with pytest.raises(QueryError) as e:
        compile_string(src, filename="t.query")
    assert e.value.render().endswith('hint: expected one of "<5", ok; did you mean "<5"?')


def test_declared_quoted_and_negative_values_round_trip() -> None:
    src = ('var T : {-1, 0, "1+"}\nmodel p = bayesnet { T: [-1: 0.25, 0: 0.25, "1+": 0.5] }\n'
           'query t = p\nquery hi = sum[*] (p | T = "1+")\nquery lo = sum[*] (p | T = -1)\n')
    prog = compile_string(src)
    assert prog.variables["T"].domain == ("-1", "0", "1+")
    assert [e.assignment["T"] for e in prog.query("t").run().rows[0].entries] == \
        ["-1", "0", "1+"]
    assert prog.query("hi").run().rows[0].value == pytest.approx(0.5)
    assert prog.query("lo").run().rows[0].value == pytest.approx(0.25)
    assert prog.query("t").run({"T": -1}).rows[0].value == pytest.approx(0.25)


# ---- evidence from Python: values, never indices ----------------------------------------------
INT = """var X : {1, 2, 3}
var C : {lo, mid, hi}
var B : bool
model p = bayesnet {
  X: [0.5, 0.3, 0.2]
  C | X: {1: [0.1, 0.2, 0.7], 2: [0.3, 0.3, 0.4], 3: [0.6, 0.2, 0.2]}
  B | C: {lo: 0.9, mid: 0.5, hi: 0.1}
}
query c = sum[* \\ {C}] p
query px = sum[* \\ {X}] p
"""


@pytest.fixture(scope="module")
def ints():
    return compile_string(INT)


@pytest.mark.parametrize("given", [1, "1", 1.0, np.int64(1), np.float32(1.0)])
def test_an_integer_domain_reads_the_value(ints, given: object) -> None:
    got = {e.assignment["C"]: e.value for e in ints.query("c").run({"X": given}).rows[0].entries}
    assert got == pytest.approx({"lo": 0.05, "mid": 0.1, "hi": 0.35})


def test_integer_evidence_through_every_python_path(ints) -> None:
    q = ints.query("px")
    rows = q.run([{"X": 3}, {"X": None}]).rows
    assert [e.assignment["X"] for e in rows[0].entries] == ["3"]
    assert len(rows[1].entries) == 3
    arr = q.run(np.array([[3], [2]]), columns=["X"]).rows
    assert [r.entries[0].assignment["X"] for r in arr] == ["3", "2"]
    st = np.array([(3,)], dtype=[("X", int)])
    assert q.run(st).rows[0].entries[0].assignment["X"] == "3"
    assert ints.run({"X": 2}, queries=["px"])["px"].rows[0].value == pytest.approx(0.3)


@pytest.mark.parametrize("var, given, message", [
    ("X", 4, "X has no value 4; its domain is {1, 2, 3}"),
    ("X", 0, "X has no value 0; its domain is {1, 2, 3}"),
    ("X", -1, "X has no value -1; its domain is {1, 2, 3}"),
    ("X", "4", "X has no value '4'; its domain is {1, 2, 3}"),
    ("C", 2, "C has no value 2: the values of C are not numbers; its domain is {lo, mid, hi}"),
    ("C", "high", "C has no value 'high'; its domain is {lo, mid, hi}"),
    ("C", True, "C has no value True: C is not Boolean"),
    ("B", 2, "B has no value 2"),
])
def test_a_value_outside_the_domain_is_an_error_not_an_index(ints, var: str, given: object,
                                                            message: str) -> None:
    with pytest.raises(QueryError) as e:
        ints.query("c").run({var: given})
    assert message in e.value.render()
    if var == "C" and given == 2:
        assert "never an index" in e.value.render()


def test_close_string_values_get_a_suggestion(ints) -> None:
    with pytest.raises(QueryError, match="did you mean 'mid'"):
        ints.query("c").run({"C": "mdi"})


def test_bool_domains_take_bools_and_zero_one(ints) -> None:
    q = ints.query("c")
    for t, f in ((True, False), (1, 0), ("true", "false"), (1.0, 0.0)):
        assert q.run({"B": t}).rows[0].entries[0].value == pytest.approx(
            q.run({"B": "true"}).rows[0].entries[0].value)
        assert q.run({"B": f}).rows[0].entries[0].value == pytest.approx(
            q.run({"B": "false"}).rows[0].entries[0].value)


def test_run_array_takes_indices_and_indices_converts_values(ints) -> None:
    q = ints.query("c")
    idx = ints.indices(np.array([[1, "lo"], [3, None]], dtype=object), ["X", "C"])
    assert idx.tolist() == [[0, 0], [2, -1]]
    arr = q.run_array(idx[:, :1], ["X"])
    by_run = [[e.value for e in r.entries] for r in
              q.run([{"X": 1}, {"X": 3}]).rows]
    assert arr.values.ravel().tolist() == pytest.approx(sum(by_run, []))
    with pytest.raises(QueryError) as e:
        q.run_array(np.array([[3]]), ["X"])
    assert "not a value index of X (0..2" in e.value.render()
    assert "index 0 is the value 1" in e.value.render()
    with pytest.raises(QueryError, match="X has no value 4"):
        ints.indices([[4]], ["X"])


# ---- PASP atoms as written --------------------------------------------------------------------
PROGRAM = ('0.6::edge(1,2). 0.5::edge(2,3). 0.3::r(c). 0.4::u. -a :- u. p("x y") :- r(c). '
           'path(X,Y) :- edge(X,Y). path(X,Z) :- path(X,Y), edge(Y,Z). '
           'q :- path(1,3), not -a. s :- -a.')
PASP = f"""model g = pasp {{ {PROGRAM} }}
query reach = maxent(g, path(1, 3))
query given = maxent(g, q | edge(1,2), !-a)
query str   = maxent(g, p("x y") | r(c))
query both  = maxent(g, {{path(1,2), path(2,3)}})
query mpe   = max[*] map[indicator: bool -> maxlog] (g | path(1,3))
"""


@pytest.fixture(scope="module")
def pasp():
    return compile_string(PASP)


def test_atoms_are_the_variables_clingo_writes(pasp) -> None:
    names = set(pasp.variables)
    assert {"edge(1,2)", "edge(2,3)", "r(c)", "-a", 'p("x y")', "path(1,3)", "q"} <= names


@pytest.mark.parametrize("query, goal, ev", [
    ("reach", (("path(1,3)", True),), ()),
    ("given", (("q", True),), (("edge(1,2)", True), ("-a", False))),
    ("str", (('p("x y")', True),), (("r(c)", True),)),
    ("both", (("path(1,2)", True), ("path(2,3)", True)), ()),
])
def test_atom_goals_and_evidence_against_the_definitions(pasp, query: str, goal: tuple,
                                                         ev: tuple) -> None:
    want = semantics(list(choices(PROGRAM)), goal, ev).maxent
    assert math.isclose(pasp.query(query).run().rows[0].value, want, abs_tol=1e-12)


def test_atoms_in_run_time_evidence_and_output(tmp_path: Path) -> None:
    path = tmp_path / "g.query"
    path.write_text(PASP)
    want = semantics(list(choices(PROGRAM)), (("path(1,3)", True),),
                     (("edge(1,2)", True),)).maxent
    code, out, _ = cli("run", str(path), "-q", "reach", "-e", "edge(1, 2)=true", "--json")
    assert code == 0
    assert json.loads(out)["queries"][0]["rows"][0]["value"] == pytest.approx(want)
    rows = tmp_path / "rows.csv"
    rows.write_text('"edge(1, 2)",r(c)\ntrue,false\n')
    code, out, _ = cli("run", str(path), "-q", "reach", "--data", str(rows), "--json")
    want = semantics(list(choices(PROGRAM)), (("path(1,3)", True),),
                     (("edge(1,2)", True), ("r(c)", False))).maxent
    assert code == 0
    assert json.loads(out)["queries"][0]["rows"][0]["value"] == pytest.approx(want)
    code, out, _ = cli("run", str(path), "-q", "mpe")
    assert code == 0 and "path(1,3)=true" in out and "edge(1,2)=true" in out


def test_atoms_in_the_report(tmp_path: Path) -> None:
    path = tmp_path / "g.query"
    path.write_text(PASP)
    code, out, _ = cli("check", str(path))
    assert code == 0 and "maxent({path(1,3)})  [prob over {}" in out
    assert "X = {edge(1,2), edge(2,3), r(c), u}" in out
    code, out, _ = cli("check", "--json", str(path))
    steps = json.dumps(json.loads(out)["queries"][0]["report"])
    assert code == 0 and "maxent({path(1,3)})" in steps


def test_atoms_from_python(pasp) -> None:
    want = semantics(list(choices(PROGRAM)), (("path(1,3)", True),), (("edge(2,3)", False),))
    got = pasp.query("reach").run({"edge(2, 3)": False}).rows[0].value
    assert math.isclose(got, want.maxent, abs_tol=1e-12)


def test_the_old_mangled_names_point_to_the_atoms() -> None:
    with pytest.raises(QueryError) as e:
        compile_string(f"model g = pasp {{ {PROGRAM} }}\nquery a = maxent(g, path_1_3)\n",
                       filename="t.query")
    out = e.value.render()
    assert out.startswith("t.query:2:21: unknown variable 'path_1_3'")
    assert "hint: atoms are written as the program writes them: path(1,3)" in out


def test_child_network_values_against_pgmpy(tmp_path: Path) -> None:
    """bnlearn's child network (values <5, 5-12, 12+, >=7.5, Asy/Patchy): a query with quoted
    evidence against pgmpy's variable elimination."""
    pytest.importorskip("pgmpy")
    from pgmpy.inference import VariableElimination
    from tests.sources.helpers import bnlearn, pgmpy_model
    net = bnlearn("child")
    path = tmp_path / "child.query"
    path.write_text(f'model bn = bif "{net}"\nquery x = sum[* \\ {{XrayReport}}] '
                    '(bn | LowerBodyO2 = "<5", CO2Report = ">=7.5")\n')
    code, out, _ = cli("run", str(path), "--json")
    table = json.loads(out)["queries"][0]["rows"][0]["table"]
    ours = {e["assignment"]["XrayReport"]: e["value"] for e in table}
    total = sum(ours.values())
    ve = VariableElimination(pgmpy_model("child"))
    theirs = ve.query(["XrayReport"], evidence={"LowerBodyO2": "<5", "CO2Report": ">=7.5"},
                      show_progress=False)
    names = theirs.state_names["XrayReport"]
    assert code == 0 and set(ours) == set(names) and "Asy/Patchy" in ours
    for k, name in enumerate(names):
        assert ours[name] / total == pytest.approx(float(theirs.values[k]), rel=1e-9)


def test_a_file_variable_with_blanks_is_found_from_python(tmp_path: Path) -> None:
    (tmp_path / "n.xml").write_text(
        '<?xml version="1.0"?><BIF VERSION="0.3"><NETWORK><NAME>n</NAME>'
        '<VARIABLE TYPE="nature"><NAME>Heart Rate</NAME><OUTCOME>low</OUTCOME>'
        '<OUTCOME>high</OUTCOME></VARIABLE>'
        '<DEFINITION><FOR>Heart Rate</FOR><TABLE>0.3 0.7</TABLE></DEFINITION>'
        '</NETWORK></BIF>')
    prog = compile_string('model bn = xmlbif "n.xml"\nquery pe = sum[*] bn\n',
                          base_dir=str(tmp_path))
    assert prog.query("pe").run({"Heart Rate": "high"}).rows[0].value == pytest.approx(0.7)
