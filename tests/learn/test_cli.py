"""`atlasc fit` end to end: the fitted BIF reads back in atlasc and pgmpy with the learnt
numbers, a .query file's inline network, progress lines, JSON, and the errors (exit 2, no
traceback): a bad column, unseen parent configurations refused, a zero-probability row,
overwriting an input, a wrong output suffix."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import atlasc
from atlasc.compiler.cli import main
from atlasc.compiler.sources import load_model
from atlasc.compiler.sources.bif import parse_bif

from tests.learn.helpers import hide, sample

ROOT = Path(__file__).resolve().parents[2]
ASIA = ROOT / "examples" / "asia.bif"


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exc_info
    return r.exit_code, r.stdout, r.stderr


def write_rows(path: Path, cols: dict, names: list) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([v.name for v in names])
        for b in range(len(next(iter(cols.values())))):
            w.writerow([v.domain[cols[v][b]] if cols[v][b] >= 0 else "" for v in names])


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    bn = load_model(ASIA)
    rng = np.random.default_rng(4)
    p = tmp_path / "rows.csv"
    write_rows(p, hide(sample(bn, 300, rng), 0.25, rng), list(bn.variables))
    return p


def test_fit_writes_a_bif_that_reads_back(rows: Path, tmp_path: Path) -> None:
    out = tmp_path / "fitted.bif"
    code, stdout, stderr = run("fit", str(ASIA), "--data", str(rows), "-o", str(out),
                               "--max-iter", "30")
    assert code == 0, stderr
    assert "EM iteration 1: log-likelihood" in stderr and f"wrote {out}" in stdout
    back = parse_bif(out.read_text())
    f = atlasc.fit(str(ASIA), str(rows), max_iter=30)
    for a, b in zip(back.cpts, f.model.cpts):
        np.testing.assert_array_equal(a.table, b.table)
    from pgmpy.readwrite import BIFReader
    pg = BIFReader(str(out)).get_model()
    cpd = pg.get_cpds("either")
    ours = f.model.cpt("either")
    assert cpd.get_value(either="yes", lung="no", tub="yes") == \
        pytest.approx(ours.table[1, 0, 0], abs=1e-15)


def test_json_summary_and_quiet(rows: Path, tmp_path: Path) -> None:
    code, stdout, stderr = run("fit", str(ASIA), "--data", str(rows), "-o",
                               str(tmp_path / "f.bif"), "--json", "--quiet", "--max-iter", "4")
    data = json.loads(stdout)
    assert code == 0 and stderr == ""
    assert data["method"] == "em" and data["iterations"] == 4 and len(data["history"]) == 5
    lls = [h["log_likelihood"] for h in data["history"]]
    assert lls == sorted(lls)


def test_inline_network_of_a_query_file(tmp_path: Path) -> None:
    q = tmp_path / "m.query"
    q.write_text("var A, B : bool\nmodel p = bayesnet {\n  A: 0.5\n  B | A: {false: 0.5, "
                 "true: 0.5}\n}\nquery z = sum[*] p\n")
    data = tmp_path / "d.csv"
    data.write_text("A,B\ntrue,true\ntrue,false\nfalse,false\ntrue,true\n")
    code, stdout, stderr = run("fit", str(q), "--data", str(data))
    assert code == 0, stderr
    bn = parse_bif(stdout)
    np.testing.assert_allclose(bn.cpt("A").table, [0.25, 0.75])
    np.testing.assert_allclose(bn.cpt("B").table, [[1, 0], [1 / 3, 2 / 3]])


def test_errors_exit_2_with_a_caret(rows: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("smoke,lugn\nyes,no\n")
    code, _, err = run("fit", str(ASIA), "--data", str(bad))
    assert code == 2 and "bad.csv:1:7: the column 'lugn'" in err and "^" in err
    assert "did you mean 'lung'" in err
    few = tmp_path / "few.csv"
    few.write_text("asia,tub,smoke,lung,bronc,either,xray,dysp\n"
                   "yes,no,no,no,no,no,no,no\n")
    code, _, err = run("fit", str(ASIA), "--data", str(few), "--unseen", "error")
    assert code == 2 and "no data for" in err and "0/0" in err and "pseudo-count" in err
    code, _, err = run("fit", str(ASIA), "--data", str(few), "-o", str(ASIA))
    assert code == 2 and "refusing to overwrite" in err
    code, _, err = run("fit", str(ASIA), "--data", str(rows), "-o", str(tmp_path / "x.uai"))
    assert code == 2 and "must end in .bif" in err


def test_unseen_configurations_are_uniform_and_said(tmp_path: Path) -> None:
    few = tmp_path / "few.csv"
    few.write_text("asia,tub,smoke,lung,bronc,either,xray,dysp\n"
                   "yes,no,no,no,no,no,no,no\n")
    f = atlasc.fit(str(ASIA), str(few))
    assert f.unseen and "uniform rows" in f.summary()
    assert all(np.isfinite(c.table).all() for c in f.model.cpts)
    t = f.model.cpt("either").table
    np.testing.assert_array_equal(t[1, 1], [0.0, 1.0])     # lung=no, tub=no: seen once
    np.testing.assert_array_equal(t[0, 0], [0.5, 0.5])     # lung=yes, tub=yes: unseen
    assert "either | lung=yes, tub=yes" in [u.describe() for u in f.unseen]


def test_a_row_of_probability_zero_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("A,B\ntrue,\n,true\n")
    q = tmp_path / "m.query"
    q.write_text("var A, B : bool\nmodel p = bayesnet {\n  A: 1.0\n  B | A: {false: 1.0, "
                 "true: 0.0}\n}\nquery z = sum[*] p\n")
    code, _, err = run("fit", str(q), "--data", str(data), "--init", "model")
    assert code == 2 and "data row 2 has probability 0" in err
