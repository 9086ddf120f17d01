"""Per-file namespaces: two model files whose variable names coincide (UAI's v0.., CNF's
x1..) are distinct variables (a.v0, b.v0) unless the query file says they are one (`var`,
`as {...}`, or the same file twice); a bare ambiguous name is an error naming both; answers
against brute force over each file on its own."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import atlasc
from atlasc.compiler.errors import AtlasError
from atlasc.compiler.sources.uai import load_uai_model
from atlasc.compiler.sources.dimacs import load_dimacs

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
HEAD = 'model a = uai "tiny.uai"\nmodel b = uai "chain.uai"\n'


def _compile(text: str) -> atlasc.Program:
    return atlasc.compile_string(text, filename="ns.query", base_dir=str(DATA))


def _brute(path: Path, fixed: dict[str, int]) -> float:
    """P(fixed) of a UAI network by enumerating every assignment."""
    m = load_uai_model(path)
    total = 0.0
    for x in itertools.product(*(range(v.size) for v in m.variables)):
        at = {v.name: i for v, i in zip(m.variables, x)}
        if all(at[k] == i for k, i in fixed.items()):
            p = 1.0
            for f in m.factors():
                p *= f.table[tuple(at[v.name] for v in f.vars)]
            total += p
    return total


def _value(p: atlasc.Program, q: str) -> float:
    return p.queries[q].run().rows[0].value


def test_clashing_names_are_distinct_variables() -> None:
    p = _compile(HEAD + "query q = sum[*] (a * b | a.v0 = 1, b.v2 = 0)\n"
                        "query r = sum[* \\ {a.v1}] (a * b | b.v0 = 0)\n")
    want = _brute(DATA / "tiny.uai", {"v0": 1}) * _brute(DATA / "chain.uai", {"v2": 0})
    assert _value(p, "q") == pytest.approx(want)
    table = {e.assignment["a.v1"]: e.value for e in p.queries["r"].run().rows[0].entries}
    for i in range(2):
        assert table[str(i)] == pytest.approx(_brute(DATA / "tiny.uai", {"v1": i}) *
                                              _brute(DATA / "chain.uai", {"v0": 0}))


def test_a_bare_ambiguous_name_is_an_error_naming_both() -> None:
    with pytest.raises(AtlasError) as e:
        _compile(HEAD + "query q = sum[*] (a | v0 = 1)\n")
    text = e.value.render()
    assert "'v0' is ambiguous" in text and "a.v0 or b.v0" in text and "ns.query:3:" in text


def test_evidence_from_outside_uses_qualified_names() -> None:
    p = _compile(HEAD + "query q = sum[*] (a * b)\n")
    got = p.queries["q"].run({"a.v0": "1", "b.v2": "0"}).rows[0].value
    assert got == pytest.approx(_brute(DATA / "tiny.uai", {"v0": 1}) *
                                _brute(DATA / "chain.uai", {"v2": 0}))
    with pytest.raises(AtlasError, match="ambiguous"):
        p.queries["q"].run({"v0": "1"})


def test_a_name_only_one_file_has_stays_bare_and_qualified_too() -> None:
    p = _compile('model a = uai "tiny.uai"\nmodel c = cnf "weighted.cnf"\n'
                 "query q = sum[*] (a | v0 = 1)\nquery r = sum[*] (a | a.v0 = 1)\n"
                 "query s = sum[*] (c | c.x1 = true)\n")
    assert _value(p, "q") == _value(p, "r") == pytest.approx(_brute(DATA / "tiny.uai",
                                                                    {"v0": 1}))
    assert [e.assignment for e in p.queries["q"].run().rows[0].entries] == [{}]
    assert _value(p, "s") > 0


def test_as_renames_and_files_renamed_to_one_name_share_it() -> None:
    p = _compile('model a = uai "tiny.uai" as {v0: S}\n'
                 'model b = uai "chain.uai" as {v0: S}\n'
                 "query q = sum[* \\ {S}] (a * b)\nquery r = sum[*] (b | b.S = 1)\n")
    table = {e.assignment["S"]: e.value for e in p.queries["q"].run().rows[0].entries}
    for i in range(2):
        assert table[str(i)] == pytest.approx(_brute(DATA / "tiny.uai", {"v0": i}) *
                                              _brute(DATA / "chain.uai", {"v0": i}))
    assert _value(p, "r") == pytest.approx(_brute(DATA / "chain.uai", {"v0": 1}))


def test_declared_variables_and_one_file_twice_are_shared() -> None:
    p = _compile('model a = uai "tiny.uai"\nmodel a2 = uai "tiny.uai"\n'
                 "query q = sum[*] (a * a2 | v0 = 1)\n")
    m = load_uai_model(DATA / "tiny.uai")          # one variable set: the square of each term
    total = 0.0
    for x in itertools.product(*(range(v.size) for v in m.variables)):
        if x[0] == 1:
            p1 = 1.0
            for f in m.factors():
                p1 *= f.table[tuple(x[int(v.name[1:])] for v in f.vars)]
            total += p1 * p1
    assert _value(p, "q") == pytest.approx(total)
    declared = _compile("var v0, v1 : {\"0\", \"1\"}\n" + HEAD +
                        "query q = sum[*] (a * b | v0 = 1)\n")       # v2 still clashes
    want = sum(_brute(DATA / "tiny.uai", {"v0": 1, "v1": j}) *
               _brute(DATA / "chain.uai", {"v0": 1, "v1": j}) for j in range(2))
    assert _value(declared, "q") == pytest.approx(want)


def test_cnf_counts_multiply_when_names_clash(tmp_path: Path) -> None:
    (tmp_path / "one.cnf").write_text("p cnf 2 1\n1 2 0\n")
    (tmp_path / "two.cnf").write_text("p cnf 2 1\n-1 -2 0\n")
    p = atlasc.compile_string('model a = cnf "one.cnf"\nmodel b = cnf "two.cnf"\n'
                              "query n = sum[*] map[indicator: bool -> count] (a * b)\n",
                              base_dir=str(tmp_path))
    assert _value(p, "n") == 3 * 3       # independent copies, not the conjunction (2)
    assert load_dimacs(tmp_path / "one.cnf").nvars == 2


@pytest.mark.parametrize("clause, words", [
    ("as {v9: S}", "has no variable 'v9'"),
    ("as {v0: S, v1: S}", "renamed twice"),
    ("as {v0: v1}", "already has a variable 'v1'"),
    ("as {v0: a.S}", "cannot name a variable"),
])
def test_bad_renames(clause: str, words: str) -> None:
    with pytest.raises(AtlasError, match=words):
        _compile(f'model a = uai "tiny.uai" {clause}\nquery q = sum[*] a\n')


def test_a_dotted_name_cannot_be_declared() -> None:
    with pytest.raises(AtlasError, match="cannot name a variable"):
        _compile("var m.x : bool\n")


def test_circuit_files_are_renamed_too(tmp_path: Path) -> None:
    for n in ("g1", "g2"):
        (tmp_path / f"{n}.nnf").write_text((DATA / "good.nnf").read_text())
    p = atlasc.compile_string('model a = nnf "g1.nnf"\nmodel b = nnf "g2.nnf"\n'
                              "query n = sum[*] map[indicator: bool -> count] (a * b)\n"
                              "query m = sum[*] map[indicator: bool -> count] a\n",
                              base_dir=str(tmp_path))
    assert _value(p, "n") == _value(p, "m") ** 2
    assert "renamed x1 -> a.x1" in p.queries["n"].report.render()
