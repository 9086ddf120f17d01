"""Evidence tables in (compiler/program/tables.py) against files written by pandas and pyarrow,
and results out (frames.py, writers.py): each checked against the per-row `run` path."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import atlasc
from atlasc.compiler.cli import main
from atlasc.compiler.errors import QueryError
from atlasc.compiler.program import evidence as ev
from atlasc.compiler.program import tables

SOURCE = '''
var Rain, Sprinkler : bool
var Road : {"dry road", "wet & slick", "a,b"}
model bn = bayesnet {
  Rain: 0.2
  Sprinkler | Rain: {false: 0.4, true: 0.01}
  Road | Rain: {false: [0.7, 0.2, 0.1], true: [0.1, 0.6, 0.3]}
}
query pe = sum[*] bn
query road = sum[Rain, Sprinkler] bn
query marg = marginals(bn)
'''
ROWS = [{"Rain": True, "Sprinkler": None, "Road": "wet & slick"},
        {"Rain": False, "Sprinkler": True, "Road": None},
        {"Rain": None, "Sprinkler": False, "Road": "a,b"},
        {"Rain": None, "Sprinkler": None, "Road": "dry road"}]


@pytest.fixture(scope="module")
def prog() -> atlasc.Program:
    return atlasc.compile_string(SOURCE)


def _want(prog: atlasc.Program) -> list[float]:
    res = prog.queries["pe"].run(ROWS)
    return [r.value for r in res.rows]


def _codes(prog: atlasc.Program, path: Path) -> dict[str, list[int]]:
    chunks = list(tables.read_file(ev.column_lookup(prog), path))
    return {v.name: np.concatenate([c.columns[v] for c in chunks]).tolist()
            for v in chunks[0].columns}


WANT_CODES = {"Rain": [1, 0, -1, -1], "Sprinkler": [-1, 1, 0, -1], "Road": [1, -1, 2, 0]}


@pytest.mark.parametrize("true, false, missing", [
    ("True", "False", ""), ("true", "false", "?"), ("1", "0", "NA"), ("TRUE", "FALSE", "")])
def test_csv_spellings(prog: atlasc.Program, tmp_path: Path, true: str, false: str,
                       missing: str) -> None:
    def cell(x: object) -> str:
        return missing if x is None else (true if x is True else false if x is False else
                                          f'"{x}"' if "," in str(x) else str(x))
    lines = ["Rain,Sprinkler,Road"] + [",".join(cell(r[k]) for k in ("Rain", "Sprinkler",
                                                                      "Road")) for r in ROWS]
    p = tmp_path / "rows.csv"
    p.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())   # BOM, CRLF
    assert _codes(prog, p) == WANT_CODES


def _frame() -> pd.DataFrame:
    return pd.DataFrame({k: [r[k] for r in ROWS] for k in ("Rain", "Sprinkler", "Road")})


@pytest.mark.parametrize("writer", ["pandas_csv", "pandas_parquet", "pandas_categorical",
                                    "arrow_ipc", "arrow_csv", "pandas_jsonl"])
def test_files_written_by_pandas_and_pyarrow(prog: atlasc.Program, tmp_path: Path,
                                             writer: str) -> None:
    df = _frame()
    if writer == "pandas_csv":
        p = tmp_path / "rows.csv"
        df.to_csv(p, index=False)                    # True/False, empty for missing
    elif writer == "pandas_parquet":
        p = tmp_path / "rows.parquet"
        df.to_parquet(p)
    elif writer == "pandas_categorical":
        p = tmp_path / "rows.parquet"
        df.assign(Road=df["Road"].astype("category")).to_parquet(p)
    elif writer == "arrow_ipc":
        p = tmp_path / "rows.arrow"
        with pa.ipc.new_file(p, pa.Table.from_pandas(df).schema) as w:
            w.write_table(pa.Table.from_pandas(df))
    elif writer == "arrow_csv":
        p = tmp_path / "rows.csv"
        pcsv.write_csv(pa.Table.from_pandas(df), p)   # true/false, quoted strings
    else:
        p = tmp_path / "rows.jsonl"
        df.to_json(p, orient="records", lines=True)
    assert _codes(prog, p) == WANT_CODES


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow", "dict", "records"])
def test_python_tables_run_like_rows(prog: atlasc.Program, kind: str) -> None:
    df = _frame()
    data = {"pandas": df, "polars": pl.from_pandas(df), "arrow": pa.Table.from_pandas(df),
            "dict": {k: np.asarray(df[k].tolist(), dtype=object) for k in df.columns},
            "records": ROWS}[kind]
    got = prog.queries["pe"].run(data)
    assert [r.value for r in got.rows] == pytest.approx(_want(prog))
    batch = prog.queries["pe"].run_table(data)
    assert batch.to_numpy()[:, 0] == pytest.approx(_want(prog))


def test_a_table_of_several_record_batches_runs_whole(prog: atlasc.Program) -> None:
    """An Arrow table in chunks (read_csv of a large file, concat_tables): every chunk is
    read, in order (only the first was, and the batch failed on the lengths)."""
    one = pa.Table.from_pandas(_frame())
    table = pa.concat_tables([one.slice(0, 1), one.slice(1, 2), one.slice(3)])
    assert table.column(0).num_chunks == 3
    batch = prog.queries["pe"].run_table(table)
    assert batch.to_numpy()[:, 0] == pytest.approx(_want(prog))
    marg, per_row = prog.queries["marg"].run_table(table), prog.queries["marg"].run(ROWS)
    for v in ("Rain", "Road"):
        assert np.allclose(marg.conditional[v], per_row.conditional[v], equal_nan=True)


def test_results_to_pandas_round_trip(prog: atlasc.Program) -> None:
    res = prog.queries["road"].run_table(_frame())
    df = res.to_pandas()
    assert list(df["row"]) == [1, 2, 3, 4]
    cols = [c for c in df.columns if c.startswith("road[")]
    assert cols == ["road[Road=dry road]", "road[Road=wet & slick]", "road[Road=a,b]"]
    assert np.allclose(df[cols].to_numpy(), res.to_numpy())
    back = pa.Table.from_pandas(df)
    assert back.column("road[Road=a,b]").to_pylist() == res.to_arrow().column(
        "road[Road=a,b]").to_pylist()
    marg = prog.queries["marg"].run_table(_frame())
    per_row = prog.queries["marg"].run(ROWS)
    for v in ("Rain", "Road"):
        assert np.allclose(marg.conditional[v], per_row.conditional[v], equal_nan=True)


def test_bad_value_names_row_column_and_domain(prog: atlasc.Program, tmp_path: Path) -> None:
    p = tmp_path / "rows.csv"
    p.write_text("Rain,Road\ntrue,dry road\nfalse,wet and slick\n")
    with pytest.raises(QueryError) as e:
        _codes(prog, p)
    text = e.value.render()
    assert f"{p}:3:7:" in text and "row 2, column Road" in text
    assert "did you mean wet & slick" in text and "^" in text
    df = pd.DataFrame({"Rain": ["yes"]})
    with pytest.raises(QueryError, match="row 1, column Rain"):
        prog.queries["pe"].run_table(df)


def test_unknown_column(prog: atlasc.Program, tmp_path: Path) -> None:
    p = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"Rainn": ["true"]}), p)
    with pytest.raises(QueryError, match="unknown variable 'Rainn'") as e:
        _codes(prog, p)
    assert "Rain" in (e.value.hint or "")


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".arrow", ".jsonl"])
def test_cli_out_formats(prog: atlasc.Program, tmp_path: Path, suffix: str) -> None:
    q = tmp_path / "p.query"
    q.write_text(SOURCE)
    data = tmp_path / "rows.parquet"
    _frame().to_parquet(data)
    out = tmp_path / f"res{suffix}"
    code, _, err = _cli("run", str(q), "-q", "pe", "-q", "marg", "--data", str(data),
                        "--out", str(out))
    assert code == 0, err
    if suffix == ".csv":
        got = pd.read_csv(out)
    elif suffix == ".parquet":
        got = pd.read_parquet(out)
    elif suffix == ".arrow":
        got = pa.ipc.open_file(out).read_all().to_pandas()
    else:
        got = pd.DataFrame([json.loads(line) for line in out.read_text().splitlines()])
    assert got["pe"].tolist() == pytest.approx(_want(prog))
    assert len(got) == len(ROWS) and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def _read_any(out: Path) -> list[dict]:
    if out.suffix == ".csv":
        return pcsv.read_csv(out).to_pylist()
    if out.suffix == ".parquet":
        return pq.read_table(out).to_pylist()
    if out.suffix == ".arrow":
        return pa.ipc.open_file(out).read_all().to_pylist()
    return [json.loads(x) for x in out.read_text().splitlines()]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".arrow", ".jsonl"])
def test_cli_undefined_entries_are_null_in_every_format(tmp_path: Path, suffix: str) -> None:
    """examples/positivity.query: the row X = hi has probability 0 under Z = false, so its
    y_given entries are undefined: null with the reason, the row X = lo defined (exit 5)."""
    root = Path(__file__).resolve().parents[2]
    data = tmp_path / "rows.csv"
    data.write_text("X\nlo\nhi\n")
    out = tmp_path / f"o{suffix}"
    code, _, err = _cli("run", str(root / "examples" / "positivity.query"), "-q", "y_given",
                        "--data", str(data), "--out", str(out))
    assert code == 5, err
    lo, hi = _read_any(out)
    want = atlasc.compile_file(root / "examples" / "positivity.query").queries[
        "y_given"].run({"X": "lo"}).rows[0]
    assert [lo[f"y_given[Y={e.assignment['Y']}]"] for e in want.entries] == \
        pytest.approx([e.value for e in want.entries])
    assert lo["y_given.why"] in (None, "") and hi["y_given.why"]
    assert hi["y_given[Y=true]"] is None and hi["y_given[Y=false]"] is None


def test_cli_zero_probability_marginals_are_null(tmp_path: Path) -> None:
    q = tmp_path / "z.query"
    q.write_text('var A, B, C : bool\nmodel bn = bayesnet {\n  A: 0.5\n  B | A: {false: 0.0, '
                 'true: 0.5}\n  C: 0.3\n}\nquery m = marginals(bn)\n')
    data = tmp_path / "rows.csv"          # C's table is P(C, e): zero when P(e) = 0
    data.write_text("A,B\nfalse,true\n,true\n")
    out = tmp_path / "m.parquet"
    code, _, err = _cli("run", str(q), "--data", str(data), "--out", str(out))
    assert code == 5, err
    zero, fine = _read_any(out)
    assert zero["m[C=true]"] is None and zero["m.why"] and fine["m.why"] is None
    assert fine["m[A=true]"] == pytest.approx(1.0) and fine["m.joint[A=true]"] == \
        pytest.approx(0.25) and fine["m[C=true]"] == pytest.approx(0.3)


def test_cli_bad_row_leaves_no_output(tmp_path: Path) -> None:
    q = tmp_path / "p.query"
    q.write_text(SOURCE)
    data = tmp_path / "rows.csv"
    data.write_text("Rain\n" + "true\n" * 5 + "maybe\n")
    out = tmp_path / "res.parquet"
    code, _, err = _cli("run", str(q), "--data", str(data), "--out", str(out))
    assert code == 2 and "row 6, column Rain" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == sorted([q, data]) or not out.exists()
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_cli_refuses_to_overwrite_the_data(tmp_path: Path) -> None:
    q = tmp_path / "p.query"
    q.write_text(SOURCE)
    data = tmp_path / "rows.csv"
    data.write_text("Rain\ntrue\n")
    code, _, err = _cli("run", str(q), "--data", str(data), "--out", str(data))
    assert code == 2 and "refusing to overwrite" in err and data.read_text() == "Rain\ntrue\n"


def test_streaming_in_small_chunks_equals_one_chunk(prog: atlasc.Program,
                                                    tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 1000
    df = pd.DataFrame({"Rain": rng.choice(["true", "false", ""], n),
                       "Road": rng.choice(["dry road", "wet & slick", "a,b", "?"], n)})
    p = tmp_path / "rows.csv"
    df.to_csv(p, index=False)
    small = list(tables.read_file(ev.column_lookup(prog), p, chunk_rows=64))
    whole = list(tables.read_file(ev.column_lookup(prog), p))
    for v in whole[0].columns:
        assert np.concatenate([c.columns[v] for c in small]).tolist() == \
            whole[0].columns[v].tolist()


def test_run_results_to_pandas(prog: atlasc.Program) -> None:
    res = prog.queries["road"].run(ROWS)
    df = res.to_pandas()
    assert list(df.columns) == ["row", "Road", "value", "why"]
    assert len(df) == sum(len(r.entries) for r in res.rows)
    assert df["value"].tolist() == pytest.approx(res.to_numpy().tolist())
    marg = prog.queries["marg"].run(ROWS)
    wide = marg.to_pandas()
    assert wide["marg[Rain=true]"].tolist() == pytest.approx(marg.conditional["Rain"][:, 1])


def test_marginals_batch_equals_per_row_evaluation(prog: atlasc.Program) -> None:
    """Every evidence combination of the model (36 rows, observed or not per variable) in one
    batch, by the table path and by `run` on the list, against one `run` per row."""
    import itertools
    rain, road = [True, False, None], ["dry road", "wet & slick", "a,b", None]
    rows = [{"Rain": a, "Sprinkler": b, "Road": c}
            for a, b, c in itertools.product(rain, rain, road)]
    q = prog.queries["marg"]
    table = q.run_table(pd.DataFrame(rows))
    listed = q.run(rows)
    for b, row in enumerate(rows):
        one = q.run(row)
        for v in ("Rain", "Sprinkler", "Road"):
            assert np.allclose(table.joint[v][b], one.joint[v][0], rtol=1e-12, atol=0)
            assert np.allclose(listed.joint[v][b], one.joint[v][0], rtol=1e-12, atol=0)
            assert np.allclose(table.conditional[v][b], one.conditional[v][0], equal_nan=True)
    flat = table.to_numpy()
    assert flat.shape == (len(rows), 2 + 2 + 3)
