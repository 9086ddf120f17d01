"""atlasc.dask on a LocalCluster of worker processes: the same numbers as a local run."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import atlasc
from atlasc.compiler.cli import main
import atlasc.dask as adask

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
delayed = pytest.importorskip("dask.delayed").delayed

TEXT = """
var Rain, Sprinkler, Wet : bool
model bn = bayesnet {
  Rain: 0.2
  Sprinkler | Rain: {false: 0.4, true: 0.01}
  Wet | Rain, Sprinkler: {(false, false): 0.0, (false, true): 0.9,
                          (true, false): 0.8, (true, true): 0.99}
} with vtree constrained {Rain}
query pe = sum[*] bn
query post = sum[Sprinkler, Wet] bn
query best = max[Rain] map[id: prob -> maxprod] (sum[Sprinkler, Wet] bn)
"""


def _rows(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = lambda: rng.choice(np.array(["true", "false", None], dtype=object), n)  # noqa: E731
    return pd.DataFrame({"Rain": pick(), "Sprinkler": pick(), "Wet": pick(),
                         "ignored": np.arange(n)})


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.mark.parametrize("query", ["pe", "post", "best"])
def test_dask_equals_local_bit_for_bit(client, query: str) -> None:
    prog = atlasc.compile_string(TEXT)
    df = _rows(300)
    local = adask.local_frame(prog, df, query)
    out = adask.run(prog, dd.from_pandas(df, npartitions=5), query).compute()
    pd.testing.assert_frame_equal(out, local, check_exact=True)
    values = out.drop(columns=[c for c in out.columns if c.endswith(".why")])
    assert out.shape[0] == 300 and values.notna().any(axis=None)


@pytest.mark.parametrize("query", ["m"])
def test_marginals_on_dask_equal_local(client, query: str) -> None:
    prog = atlasc.compile_string(TEXT + "query m = marginals(bn)\n")
    df = _rows(120, seed=2)
    out = adask.run(prog, dd.from_pandas(df, npartitions=4), query).compute()
    pd.testing.assert_frame_equal(out, adask.local_frame(prog, df, query), check_exact=True)
    assert "m[Rain=true]" in out.columns and "m.joint[Wet=false]" in out.columns


def test_program_is_shipped_once_per_worker_and_needs_no_model_file(client, tmp_path) -> None:
    (tmp_path / "bn.uai").write_text("BAYES\n2\n2 2\n2\n1 0\n2 0 1\n2\n 0.3 0.7\n4\n"
                                     " 0.9 0.1 0.2 0.8\n")
    q = tmp_path / "m.query"
    q.write_text('model bn = uai "bn.uai"\nquery pe = sum[*] bn\n')
    prog = atlasc.compile_file(q)
    (tmp_path / "bn.uai").unlink()               # the workers never read it
    df = pd.DataFrame({"v0": ["0", "1", None] * 10, "v1": [None, "1", "0"] * 10})
    out = adask.run(prog, dd.from_pandas(df, npartitions=6), "pe").compute()
    want = [prog.queries["pe"].run({k: v for k, v in r.items() if v is not None}).rows[0].value
            for r in df.to_dict("records")]
    assert out["pe"].astype(float).tolist() == pytest.approx(want, abs=0, rel=1e-12)
    key = adask.shipment(prog, "pe").key
    held = client.run(lambda: list(__import__("atlasc.dask").dask._PROGRAMS))
    assert any(key in keys for keys in held.values())


def test_local_frame_against_the_python_api() -> None:
    prog = atlasc.compile_string(TEXT)
    df = _rows(20, seed=3)
    got = adask.local_frame(prog, df, "pe")
    for i, row in df.iterrows():
        ev = {k: v for k, v in row.items() if k != "ignored" and v is not None}
        assert got.loc[i, "pe"] == prog.queries["pe"].run(ev).rows[0].value


def test_unknown_query_is_a_clear_error() -> None:
    prog = atlasc.compile_string(TEXT)
    with pytest.raises(atlasc.QueryError, match="no query named 'nope'"):
        adask.shipment(prog, "nope")


def _cli(tmp_path, rows: str, out: str = "res.parquet") -> tuple[int, str]:
    q = tmp_path / "m.query"
    q.write_text(TEXT)
    (tmp_path / "rows.csv").write_bytes(rows.encode("latin-1"))
    args = ["run", str(q), "-q", "post", "--data", str(tmp_path / "rows.csv"),
            "--dask", "local:1", "--out", str(tmp_path / out)]
    res = CliRunner().invoke(main, args)
    return res.exit_code, res.output


def test_cli_writes_partitioned_parquet_equal_to_local(tmp_path) -> None:
    q = tmp_path / "m.query"
    q.write_text(TEXT)
    df = _rows(40, seed=5).drop(columns="ignored")
    df.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "res.parquet"
    args = ["run", str(q), "-q", "post", "--data", str(tmp_path / "rows.csv"),
            "--dask", "local:1", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "40 rows written" in res.output
    got = pq.read_table(out)
    assert sorted(p.name for p in out.iterdir())[0] == "part.000000.parquet"
    local = tmp_path / "local.parquet"
    res = CliRunner().invoke(main, ["run", str(q), "-q", "post", "--data",
                                    str(tmp_path / "rows.csv"), "--out", str(local)])
    assert res.exit_code == 0, res.output
    want = pq.read_table(local).drop(["row"])
    assert [c for c in got.column_names if c in want.column_names] == want.column_names
    for c in want.column_names:
        assert got.column(c).to_pylist() == want.column(c).to_pylist(), c
    again = CliRunner().invoke(main, args)          # nothing the user gave is overwritten
    assert again.exit_code == 2 and "does not overwrite" in again.output


def test_cli_column_errors_are_the_local_ones_all_at_once(tmp_path) -> None:
    code, out = _cli(tmp_path, "Rian,Wet,Sprinkle\ntrue,false,true\n")
    assert code == 2 and "Rian" in out and "Sprinkle" in out and "Rain" in out
    assert not (tmp_path / "res.parquet").exists()
    assert not (tmp_path / "res.parquet.partial").exists()


def test_cli_csv_that_is_not_utf8_is_a_positioned_error(tmp_path) -> None:
    code, out = _cli(tmp_path, "Rain,Wet\ntrue,false\nfalse,caf\xe9\n")
    assert code == 2 and "rows.csv:3:" in out and "not UTF-8" in out, out


def test_cli_value_outside_a_domain_is_a_user_error(tmp_path) -> None:
    code, out = _cli(tmp_path, "Rain,Wet\ntrue,false\nmaybe,true\n")
    assert code == 2 and "maybe" in out and "Traceback" not in out, out
    assert not (tmp_path / "res.parquet").exists()


def test_a_damaged_shipment_is_refused_not_run() -> None:
    s = adask.shipment(atlasc.compile_string(TEXT), "pe")
    bad = s.blob[:-10] + bytes(10)
    with pytest.raises(atlasc.QueryError, match="damaged or was made by another atlasc"):
        adask.unpacked("not-the-key", bad)


def _die_once(df: pd.DataFrame, marker: str, key: str, blob: bytes, query: str) -> pd.DataFrame:
    """A partition whose first attempt kills its worker process (the marker file says 'not
    yet'); Dask's scheduler then runs it again elsewhere."""
    try:
        os.remove(marker)
    except FileNotFoundError:
        return adask.evaluate_frame(df, key, blob, query)
    os._exit(1)


def test_a_dead_workers_partition_is_rerun_and_the_answer_is_unchanged(tmp_path) -> None:
    prog = atlasc.compile_string(TEXT)
    df = _rows(200, seed=7)
    s = adask.shipment(prog, "post")
    marker = tmp_path / "kill-the-first"
    marker.touch()
    frame = dd.from_pandas(df, npartitions=4)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        blob = delayed(s.blob, name=f"atlasc-program-{s.key}", pure=True)
        out = frame.map_partitions(_die_once, str(marker), s.key, blob, "post",
                                   meta=adask.meta(prog, "post")).compute()
    assert not marker.exists()                       # a worker did die
    pd.testing.assert_frame_equal(out, adask.local_frame(prog, df, "post"), check_exact=True)


def test_parts_sort_in_the_inputs_order() -> None:
    """pyarrow and pandas read a folder's files in name order: part.10 must not come before
    part.2 (it did with Dask's default names, and 10^7 rows came back shuffled)."""
    names = [adask.part(i) for i in range(120)]
    assert sorted(names) == names
