"""Model files in .query programs: every format, verified circuits, and file errors."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.api import compile_file, compile_string
from atlasc.compiler.cli import main
from tests.sources.helpers import bnlearn

ROOT = Path(__file__).resolve().parents[2]
EX, DATA = ROOT / "examples", ROOT / "tests" / "data" / "sources"


def _prog(tmp_path: Path, text: str, *files: str, **kw):
    for f in files:
        shutil.copy(DATA / f, tmp_path / f)
    q = tmp_path / "m.query"
    q.write_text(text)
    return compile_file(q, **kw)


def test_the_language_core_from_the_specification():
    prog = compile_file(EX / "core.query", repair=True)
    assert prog.report.tractable
    assert prog.queries["pe"].run().rows[0].value == pytest.approx(0.44838)
    assert prog.queries["php"].run().rows[0].value is False
    assert prog.queries["count"].run().rows[0].value == 3
    plain = compile_file(EX / "core.query")          # bn has no vtree clause: views
    assert plain.report.tractable
    strict = compile_file(EX / "core.query", strict=True)
    assert {n for n, q in strict.queries.items() if not q.tractable} == {"mmap", "both"}


def test_bif_with_multivalued_variables(tmp_path: Path):
    prog = _prog(tmp_path, 'model g = bif "small.bif"\n'
                           "query p = sum[* \\ {Grass}] (g | Rain = yes)\n", "small.bif")
    table = {e.assignment["Grass"]: e.value for e in prog.queries["p"].run().rows[0].entries}
    # p(Rain=yes) = 0.2; Sprinkler on .01 -> (.9,.1,0), off .99 -> (.7,.2,.1)
    assert table["wet"] == pytest.approx(0.2 * (0.01 * 0.9 + 0.99 * 0.7))
    assert table["dry"] == pytest.approx(0.2 * 0.99 * 0.1)


def test_uai_and_xmlbif_and_weighted_cnf(tmp_path: Path):
    prog = _prog(tmp_path, 'model u = uai "tiny.uai"\nmodel x = xmlbif "tiny.xmlbif"\n'
                           'model c = cnf "weighted.cnf"\n'
                           "query zu = sum[*] u\nquery zx = sum[*] x\nquery wmc = sum[*] c\n",
                 "tiny.uai", "tiny.xmlbif", "weighted.cnf")
    assert prog.queries["zu"].run().rows[0].value == pytest.approx(1.0)
    assert prog.queries["zx"].run().rows[0].value == pytest.approx(1.0)
    # brute force over the 4 variables of weighted.cnf (x4 unweighted: 1 for both literals)
    import itertools
    w = {1: (0.7, 0.3), 2: (1.0, 0.6), 3: (1.0, 2.5), 4: (1.0, 1.0)}
    total = 0.0
    for xs in itertools.product((0, 1), repeat=4):
        x = dict(zip((1, 2, 3, 4), xs))
        if (x[1] or not x[2]) and (x[2] or x[3]) and (not x[1] or not x[3] or x[4]):
            p = 1.0
            for v in x:
                p *= w[v][x[v]]
            total += p
    assert prog.queries["wmc"].run().rows[0].value == pytest.approx(total)


def test_nnf_is_verified_and_a_broken_one_is_refused(tmp_path: Path):
    prog = _prog(tmp_path, 'model g = nnf "good.nnf"\nmodel n = nnf "nondet.nnf"\n'
                           "query cg = sum[*] map[indicator: bool -> count] g\n"
                           "query cn = sum[*] map[indicator: bool -> count] n\n",
                 "good.nnf", "nondet.nnf")
    assert prog.queries["cg"].run().rows[0].value == 3          # x1 or x2
    cn = prog.queries["cn"]
    assert not cn.tractable and "deterministic" in cn.error.prop
    assert "verified" in prog.queries["cg"].report.render()


def test_sdd_files_with_their_vtree(tmp_path: Path):
    from pysdd.sdd import SddManager, Vtree
    mgr = SddManager.from_vtree(Vtree(var_count=3, vtree_type="balanced"))
    a, b, c = mgr.vars
    f = (a & b) | ~c
    mgr.save(str(tmp_path / "f.sdd").encode(), f)
    mgr.vtree().save(str(tmp_path / "f.vtree").encode())
    (tmp_path / "m.query").write_text('model f = sdd "f.sdd" "f.vtree"\n'
                                      "query n = sum[*] map[indicator: bool -> count] f\n")
    assert compile_file(tmp_path / "m.query").queries["n"].run().rows[0].value == \
        f.model_count()


@pytest.mark.parametrize("name,needle", [("bad_rows.bif", "sum to 1"), ("cycle.bif", "cycle"),
                                         ("unknown_parent.bif", "unknown"),
                                         ("wrong_size.bif", "")])
def test_bad_model_files_are_user_errors_with_positions(tmp_path: Path, name: str, needle: str):
    shutil.copy(DATA / name, tmp_path / name)
    q = tmp_path / "m.query"
    q.write_text(f'model b = bif "{name}"\nquery z = sum[*] b\n')
    r = CliRunner().invoke(main, ["check", str(q)])
    assert r.exit_code == 2, r.output
    out = r.output + (r.stderr if r.stderr_bytes is not None else "")
    assert "Traceback" not in out and f"{name}:" in out and needle in out.lower()
    assert "the model is read from here" in out


def test_missing_model_file(tmp_path: Path):
    with pytest.raises(Exception) as e:
        compile_string('model b = bif "nope.bif"\n', base_dir=str(tmp_path))
    assert "cannot read the model file 'nope.bif'" in str(e.value)


def test_marginal_map_on_alarm_matches_pgmpy(tmp_path: Path):
    """MMAP over two root causes of ALARM with evidence, certified through an
    {LVFAILURE, HYPOVOLEMIA}-constrained compile, against pgmpy's variable elimination."""
    import gzip
    from pgmpy.inference import VariableElimination
    from pgmpy.readwrite import BIFReader
    src = bnlearn("alarm")
    shutil.copy(src, tmp_path / "alarm.bif.gz")
    (tmp_path / "m.query").write_text(
        'model alarm = bif "alarm.bif.gz" with vtree constrained {LVFAILURE, HYPOVOLEMIA}\n'
        "query mmap = mmap(LVFAILURE, HYPOVOLEMIA; alarm | HRBP = HIGH)\n")
    entry = compile_file(tmp_path / "m.query").queries["mmap"].run().rows[0].entries[0]
    with gzip.open(src, "rt") as f:
        ve = VariableElimination(BIFReader(string=f.read()).get_model())
    j = ve.query(["LVFAILURE", "HYPOVOLEMIA", "HRBP"], joint=True, show_progress=False)
    best = max((j.get_value(LVFAILURE=a, HYPOVOLEMIA=b, HRBP="HIGH"), a, b)
               for a in ("TRUE", "FALSE") for b in ("TRUE", "FALSE"))
    assert entry.value == pytest.approx(best[0])
    assert entry.argmax == {"LVFAILURE": best[1], "HYPOVOLEMIA": best[2]}
