"""The failing inputs of issue 18, each now an answer or a positioned user error (exit 2)."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from atlasc.compiler.api import compile_file, compile_string
from atlasc.compiler.errors import AtlasError, QueryError, SourceError

from tests.fuzz.oracle import classify_error


def _outcome(tmp_path: Path, query: str | bytes, files: dict[str, bytes] | None = None) -> str:
    for name, data in (files or {}).items():
        (tmp_path / name).write_bytes(data)
    q = tmp_path / "t.query"
    q.write_bytes(query if isinstance(query, bytes) else query.encode())
    try:
        prog = compile_file(q)
        for qq in prog.queries.values():
            if qq.tractable:
                qq.run()
    except AtlasError as e:
        o = classify_error(e)
        assert o.kind in ("user", "limit"), o.detail
        return e.render().replace(str(tmp_path) + "/", "")
    return "ok"


COUNT = "query q = sum[*] map[indicator: bool -> count] m\n"


@pytest.mark.parametrize("formula", ["!" * 3000 + "A", "(A & " * 10_000 + "B" + ")" * 10_000,
                                     "(" * 10_000 + "A" + ")" * 10_000])
def test_deep_nesting_compiles(formula: str):
    prog = compile_string(f"var A, B : bool\nmodel m = logic {formula}\n{COUNT}")
    assert prog.queries["q"].run().rows[0].entries[0].value in (1, 2)


def test_nesting_past_the_limit_is_positioned(monkeypatch: pytest.MonkeyPatch):
    from atlasc.compiler.language import parse
    monkeypatch.setattr(parse, "MAX_DEPTH", 500)
    with pytest.raises(QueryError) as e:
        compile_string("var A : bool\nmodel m = logic " + "!" * 600 + "A\n" + COUNT)
    assert e.value.span is not None and "nests more than 500" in e.value.render()


@pytest.mark.parametrize("weight", ["1" + "0" * 400, "1" + "0" * 400 + "/3", "1e999",
                                    "1e-400", "inf"])
def test_weights_beyond_double_range_are_positioned(tmp_path: Path, weight: str):
    msg = _outcome(tmp_path, f"var A : bool\nmodel w = weights {{A: {weight}, !A: 1}}\n"
                             "query q = sum[*] w\n")
    assert msg.startswith("t.query:2:23:")


def test_huge_integers_stay_exact_in_count(tmp_path: Path):
    big = 10 ** 400
    prog = compile_string(f"var A : bool\nmodel w = weights[count] {{A: {big}, !A: 1}}\n"
                          "query q = sum[*] w\n")
    assert prog.queries["q"].run().rows[0].entries[0].value == big + 1


@pytest.mark.parametrize("body", ["p cnf 2 1\nc p show 3 0\n1 2 0\n", "p cnf 2 1\n--1 2 0\n",
                                  "p cnf -1 1\n1 0\n", "p cnf 2 1\n1 x 0\n",
                                  "p cnf 0 0\n"])      # 0 0: fuzz cases 1:28091, 1:29667
def test_cnf_header_and_literal_faults(tmp_path: Path, body: str):
    msg = _outcome(tmp_path, 'model m = cnf "m.cnf"\n' + COUNT, {"m.cnf": body.encode()})
    assert msg.startswith("m.cnf:")


def test_uai_domain_beyond_the_limit(tmp_path: Path):
    uai = b"MARKOV\n1\n100000000\n1\n1 0\n\n100000000\n1 1\n"
    msg = _outcome(tmp_path, 'model u = uai "m.uai"\nquery q = sum[*] u\n', {"m.uai": uai})
    assert msg.startswith("m.uai:3:") and "limit" in msg


def test_corrupt_gzip(tmp_path: Path):
    data = gzip.compress(b"network x {}\n" * 50)
    for bad in (data[:15] + b"garbage", b"\x1f\x8b" + b"\x00" * 30, data[:-6]):
        msg = _outcome(tmp_path, 'model b = bif "m.bif.gz"\nquery q = sum[*] b\n',
                       {"m.bif.gz": bad})
        assert msg.startswith("m.bif.gz:1:") and "gzip" in msg


def test_invalid_utf8_query_has_byte_offset_and_line(tmp_path: Path):
    msg = _outcome(tmp_path, b"var A : bool\nmodel m = logic A\n# caf\xe9\n" + COUNT.encode())
    assert msg.startswith("t.query:3:6:") and "byte offset 36" in msg


def test_invalid_utf8_program(tmp_path: Path):
    msg = _outcome(tmp_path, 'model g = pasp "m.lp"\nquery q = maxent(g, b)\n',
                   {"m.lp": b"0.5::a.\nb :- a, caf\xe9.\n"})
    assert msg.startswith("m.lp:2:12:") and "byte offset 19" in msg


@pytest.mark.parametrize("program", ["a :- b c.\n", "0.5::a. #external __pasp_prob(0).\n",
                                     "#script (python) x = 1 #end.\n"])
def test_clingo_errors_are_positioned_without_internal_names(tmp_path: Path, program: str):
    msg = _outcome(tmp_path, 'model g = pasp "m.lp"\nquery q = maxent(g, a)\n',
                   {"m.lp": program.encode()})
    first = msg.splitlines()[0]
    assert first.startswith("m.lp:1:") and "__pasp" not in first.split(":", 3)[-1].replace(
        "the name __pasp_prob is reserved", "")


def test_source_errors_carry_a_line():
    e = SourceError("x", "f", 3)
    assert classify_error(e).kind == "user"


def test_the_recursion_limit_is_restored_after_deep_input():
    import sys
    before = sys.getrecursionlimit()
    compile_string("var A : bool\nmodel m = logic " + "!" * 5000 + "A\n" + COUNT)
    assert sys.getrecursionlimit() == before


def test_a_formula_without_variables_is_positioned(tmp_path: Path):
    """Found by the fuzz campaign (seed 1, case 833): `logic true` was an IndexError."""
    msg = _outcome(tmp_path, "var A : bool\nmodel f = logic true\nquery q = or[*] f\n")
    assert msg.startswith("t.query:2:17:") and "no variable" in msg


def test_a_nul_byte_in_a_model_file_name_is_positioned(tmp_path: Path):
    """Found by the fuzz campaign (seed 1, case 2477): ValueError: embedded null byte."""
    msg = _outcome(tmp_path, 'model m = sdd "m.s\x00dd" "m.vtree"\nquery q = or[*] m\n')
    assert msg.startswith("t.query:1:15:") and "cannot read the model file" in msg


def _sparse_cnf(tmp_path, n: int, w: dict[int, float]):
    from atlasc.compiler.api import compile_file
    lines = [f"p cnf {n} 2"] + [f"c p weight {k} {p} 0\nc p weight -{k} {1 - p} 0"
                                for k, p in w.items()] + ["1 -2 0", "2 5 0"]
    (tmp_path / "m.cnf").write_text("\n".join(lines) + "\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\nquery z = sum[*] m\n'
                                      "query q = marginals(x1, x300, x9; m)\n")
    return compile_file(str(tmp_path / "q.query"))


def test_sparse_header_costs_what_its_clauses_cost(tmp_path):
    """`p cnf 100000 ...` with a few clauses: the unused variables are one leaf each beside the
    SDD (formulas._sparse), not SDD variables; the WMC and the marginals against enumeration
    of the mentioned variables times the free ones' factors."""
    import itertools
    import math
    from atlasc.compiler.semirings.wide import Wide
    w = {1: 0.3, 2: 0.6, 5: 0.2, 300: 0.9}
    ws = {k: (1 - p, p) for k, p in w.items() if k in (1, 2, 5)}
    models = [a for a in itertools.product((0, 1), repeat=3) if (a[0] or not a[1]) and
              (a[1] or a[2])]
    wmc = sum(math.prod(ws[k][x] for k, x in zip((1, 2, 5), a)) for a in models)
    p1 = sum(math.prod(ws[k][x] for k, x in zip((1, 2, 5), a)) for a in models if a[0]) / wmc
    for n in (100_000, 400):
        prog = _sparse_cnf(tmp_path, n, w)
        z = prog.queries["z"].run().rows[0].entries[0].value
        lz = z.log if isinstance(z, Wide) else math.log(z)   # the free: 0.9 + 0.1, 1 + 1
        assert math.isclose(lz, math.log(wmc) + (n - 4) * math.log(2), rel_tol=1e-9)
    m = prog.queries["q"].run()
    for var, want in (("x1", p1), ("x300", 0.9), ("x9", 0.5)):
        assert math.isclose(m.table(var)["true"][1], want, rel_tol=1e-9)


@pytest.mark.parametrize("weight", ["5026977816800151014071e999120758061", "1e-999999999",
                                    "1e" + "9" * 5000])
def test_an_exponent_past_the_limit_is_refused_at_once(tmp_path: Path, weight: str):
    """Found by the fuzz campaign (seed 1, cases 4590, 12359, 13629, 14766): Fraction computed
    10^999120758061 (a hang)."""
    for sr in ("", "[count]"):
        out = _outcome(tmp_path, f"var A : bool\nmodel w = weights{sr} {{A: 0.5, !A: {weight}}}\n"
                                 "query q = sum[*] w\n")
        assert out.startswith("t.query:2:") and "exponent is beyond the limit" in out, out


def test_pasp_faults_found_by_the_campaign(tmp_path: Path):
    """Seed 1, case 5368: a NUL in the program's name (ValueError); case 14428: a program that
    is not head-cycle-free had no line."""
    out = _outcome(tmp_path, 'model g = pasp "m.l\0p"\nquery q = maxent(g, a)\n')
    assert out.startswith("t.query:1:16: cannot read the program") and "null byte" in out
    lp = b"0.5::a.\nd :- not a.\nc :- d, not a.\nd ; c :- c.\n"
    out = _outcome(tmp_path, 'model g = pasp "m.lp"\nquery q = maxent(g, a)\n', {"m.lp": lp})
    assert out.startswith("m.lp:4:1: the program is not head-cycle-free"), out


@pytest.mark.parametrize("data, where", [
    (b"A,B\ntrue,false\nfalse,tr\xe9e\n", "t.csv:3:9: the file is not UTF-8 text: byte 0xe9 at "
     "byte offset 23 (line 3, row 2, column 2 (B))"),
    (b"A,\xe9B\ntrue,false\n", "t.csv:1:3: the file is not UTF-8 text: byte 0xe9 at byte "
     "offset 2 (line 1, the header, column 2)"),
    (b'A,B\n"a,\xff",x\n', "t.csv:2:4: the file is not UTF-8 text: byte 0xff at byte offset 7 "
     "(line 2, row 1, column 1 (A))"),
    (b"A,B\n" + b"true,false\n" * 500_000 + b"\xc3(,true\n", "t.csv:500002:1: the file is not "
     "UTF-8 text: byte 0xc3 at byte offset 5500004 (line 500002, row 500001, column 1 (A))")])
def test_csv_that_is_not_utf8_is_positioned(tmp_path: Path, data: bytes, where: str):
    """A bad byte anywhere in a --data CSV (past pyarrow's first block too): line, data row,
    column and byte offset, exit 2 (it was an internal UnicodeDecodeError)."""
    from click.testing import CliRunner
    from atlasc.compiler.cli import main
    (tmp_path / "t.csv").write_bytes(data)
    (tmp_path / "t.query").write_text("var A, B : bool\nmodel m = bayesnet { A: 0.3  B: 0.5 }\n"
                                      "query q = sum[*] (m | A)\n")
    r = CliRunner().invoke(main, ["run", str(tmp_path / "t.query"), "--data",
                                  str(tmp_path / "t.csv")])
    assert r.exit_code == 2, r.output
    assert where in r.output.replace(str(tmp_path) + "/", ""), r.output


def test_an_error_inside_deep_nesting_is_found_in_linear_time(tmp_path: Path):
    """Found by the fuzz campaign (seed 1, case 17835): 20,000 nested `(A & ...)` with an
    unknown name; diagnose.mentioned was a recursive generator (each name passed up through
    every level: a hang)."""
    from atlasc.compiler.language.diagnose import mentioned
    from atlasc.compiler.language.parse import parse_all
    out = _outcome(tmp_path, "var A : bool\nmodel f = logic " + "(A & " * 20_000 + "AA"
                   + ")" * 20_000 + "\nquery q = sum[*] map[indicator: bool -> count] f\n")
    assert out.startswith("t.query:2:100017: unknown variable 'AA'"), out[:200]
    stmts = parse_all("var A, B : bool\nmodel f = logic (A & !B) | B\n").module.stmts
    assert list(mentioned(stmts[-1])) == ["f", "A", "B", "B"]       # in order, as before


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_computed_weight_beyond_the_carrier_is_positioned(tmp_path: Path):
    """Seed 1, cases 79902 and 85467: 1e308 * 1e308 (a product, a mapping) is inf in prob;
    the builder's ValueError was an internal error."""
    w = "var A : bool\nmodel w = weights {A: 0.5, !A: 1e308}\n"
    out = _outcome(tmp_path, w + "query q = w * w\n")
    assert out.startswith("t.query:3:11: a weight of A is not an element of prob"), out
    cube = "mapping c : prob -> prob = x -> x * x * x\nquery q = map[c] w\n"
    out = _outcome(tmp_path, w + cube)
    assert out.startswith("t.query:4:11: a weight of A is not an element of prob"), out


def test_a_mapping_with_a_huge_constant_is_checked_without_overflow(tmp_path: Path):
    """Seed 1, case 69535: x -> x + 10^400 made the additivity check multiply a float by an
    int beyond 1e308 (OverflowError, an internal error)."""
    q = ("var A : bool\nmodel w = weights {A: 0.5, !A: 0.5}\n"
         "mapping h : prob -> prob = x -> x + 1" + "0" * 400 + "\nquery q = map[h] w\n")
    out = _outcome(tmp_path, q)
    assert out == "ok" or out.startswith("t.query:"), out


def test_a_vtree_with_a_bad_variable_names_its_line(tmp_path: Path):
    """Seed 1, case 56749: a leaf of variable -13 was reported without a line."""
    vtree = b"vtree 5\nL 0 1\nL 2 2\nL 4 -13\nI 3 2 4\nI 1 0 3\n"
    sdd = b"sdd 1\nT 0\n"
    out = _outcome(tmp_path, 'model m = sdd "m.sdd" "m.vtree"\nquery q = sum[*] m\n',
                   {"m.vtree": vtree, "m.sdd": sdd})
    assert out.startswith("m.vtree:4:1: the vtree's variables are not exactly 1..2"), out
