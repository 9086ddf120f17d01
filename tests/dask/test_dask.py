"""atlasc.dask on a LocalCluster of worker processes: the same numbers as a local run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import atlasc
from atlasc.compiler.cli import main
import atlasc.dask as adask

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

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
    assert out.shape[0] == 300 and out.filter(like="value").notna().any(axis=None)


def test_local_frame_against_the_python_api() -> None:
    prog = atlasc.compile_string(TEXT)
    df = _rows(20, seed=3)
    got = adask.local_frame(prog, df, "pe")
    for i, row in df.iterrows():
        ev = {k: v for k, v in row.items() if k != "ignored" and v is not None}
        assert got.loc[i, "value"] == prog.queries["pe"].run(ev).rows[0].value


def test_unknown_query_is_a_clear_error() -> None:
    prog = atlasc.compile_string(TEXT)
    with pytest.raises(atlasc.QueryError, match="no query named 'nope'"):
        adask.recipe(prog, "nope")


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
    got = pd.read_parquet(out).reset_index(drop=True)
    want = adask.local_frame(atlasc.compile_file(q), pd.read_csv(tmp_path / "rows.csv",
                                                                 dtype=str), "post")
    np.testing.assert_array_equal(got.filter(like="value").to_numpy(),
                                  want.filter(like="value").to_numpy())
    again = CliRunner().invoke(main, args)          # nothing the user gave is overwritten
    assert again.exit_code == 2 and "does not overwrite" in again.output
