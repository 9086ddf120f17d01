"""A CSV read through the Dask path (`atlasc run --dask`, atlasc.dask.read_frame) that is not
UTF-8: the same positioned error as the local --data path (it was Dask's UnicodeDecodeError
from inside a task)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.cli import main
from atlasc.compiler.errors import QueryError

pytest.importorskip("dask.dataframe")

QUERY = "var A, B : bool\nmodel m = bayesnet { A: 0.3  B: 0.5 }\nquery q = sum[*] (m | A)\n"
BAD = b"A,B\ntrue,false\nfalse,tr\xe9e\n"
WHERE = ("t.csv:3:9: the file is not UTF-8 text: byte 0xe9 at byte offset 23 (line 3, row 2, "
         "column 2 (B))")


def _run(tmp_path: Path, *extra: str) -> tuple[int, str]:
    (tmp_path / "t.csv").write_bytes(BAD)
    (tmp_path / "t.query").write_text(QUERY)
    r = CliRunner().invoke(main, ["run", str(tmp_path / "t.query"), "--data",
                                  str(tmp_path / "t.csv"), *extra])
    return r.exit_code, r.output.replace(str(tmp_path) + "/", "")


def test_dask_csv_not_utf8_is_the_local_error(tmp_path: Path):
    local = _run(tmp_path)
    dask = _run(tmp_path, "-q", "q", "--dask", "local:1", "--out", str(tmp_path / "o"))
    assert local[0] == dask[0] == 2
    assert WHERE in local[1] and WHERE in dask[1], dask[1]
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.partial").exists()


def test_every_file_of_a_csv_glob_is_checked(tmp_path: Path):
    from atlasc.dask import read_frame
    (tmp_path / "a.csv").write_bytes(b"A,B\ntrue,false\n")
    (tmp_path / "b.csv").write_bytes(b"A,B\nfalse,\xffx\n")
    with pytest.raises(QueryError) as e:
        read_frame(str(tmp_path / "*.csv"))
    assert e.value.render().startswith(f"{tmp_path}/b.csv:2:7: the file is not UTF-8 text: "
                                       "byte 0xff at byte offset 10")
