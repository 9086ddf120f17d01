"""`run --data ... --out` never imports pandas: pyarrow imports it at the first `pa.array` of
a numpy array (its pandas shim), about 0.4 s of CPU, more than the data path of 20,000 rows
(compiler/program/arrays.py builds the output columns from buffers instead).  Checked in a
fresh interpreter; the written table is checked too, so the test fails if the path breaks."""
from __future__ import annotations

import subprocess
import sys
import textwrap

QUERY = ("var Rain, Wet : bool\n"
         "model bn = bayesnet {\n  Rain: 0.2\n  Wet | Rain: {false: 0.1, true: 0.9}\n}\n"
         "query pe = sum[*] bn\nquery marg = marginals(bn)\n")


def test_run_data_out_does_not_import_pandas(tmp_path):
    (tmp_path / "q.query").write_text(QUERY)
    (tmp_path / "rows.csv").write_text("Rain,Wet\ntrue,\n,false\nfalse,true\n")
    for name, out in (("pe", "o.csv"), ("marg", "m.parquet")):
        probe = textwrap.dedent(f"""
            import sys
            from atlasc.compiler.cli import main
            try:
                main(["run", "q.query", "-q", "{name}", "--data", "rows.csv", "--out", "{out}",
                      "--no-cache"])
            except SystemExit as e:
                assert not e.code, e.code
            print("pandas" in sys.modules)
        """)
        done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, text=True,
                              capture_output=True, check=True)
        assert done.stdout.split()[-1] == "False", done.stderr
    import pyarrow.csv as pcsv
    t = pcsv.read_csv(tmp_path / "o.csv")
    assert t.column("row").to_pylist() == [1, 2, 3]
    assert abs(t.column("pe").to_pylist()[0] - 0.2) < 1e-12
