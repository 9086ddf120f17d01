"""The data-access predicates of ProbLog's library, against the `problog` package: CSV and
sqlite through library(db), Python externals (`:- use_module('f.py')` with @problog_export).
A Python module runs user code, so it is refused unless allowed (`--allow-python`), and the
refusal happens before the module runs."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("problog")

from click.testing import CliRunner  # noqa: E402

import atlasc  # noqa: E402

from atlasc.compiler.cli import main  # noqa: E402
from atlasc.compiler.errors import SourceError  # noqa: E402
from atlasc.compiler.program import problog as P  # noqa: E402
from tests.problog.oracle import close, problog_file  # noqa: E402

HERE = Path(__file__).parent / "data"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for f in HERE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    with sqlite3.connect(tmp_path / "friends.sqlite") as c:
        c.execute("create table friend(a text, b text)")
        c.executemany("insert into friend values (?, ?)",
                      [("ann", "bob"), ("bob", "cy"), ("cy", "ann"), ("cy", "dan")])
    return tmp_path


def test_csv_and_sqlite_match_problog(data: Path) -> None:
    _, answers = P.run(str(data / "db.pl"))
    theirs = problog_file(str(data / "db.pl"))
    assert len(theirs) == 3 and close(answers[0].values, theirs), (answers[0].values, theirs)


def test_python_module_refused_without_running(data: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    marker = data / "ran"
    monkeypatch.setenv("ATLASC_TEST_MARKER", str(marker))
    for prog in ("py.pl", "py_consult.pl"):
        with pytest.raises(SourceError) as e:
            P.run(str(data / prog))
        assert "'ext.py', which would run its code: refused (only `atlasc problog " \
            "--allow-python`" in e.value.message
        assert e.value.line == 1
    assert not marker.exists()


def test_library_path_does_not_admit_a_user_module(data: Path) -> None:
    (data / "lib.pl").write_text(f":- use_module(library('{data / 'ext.py'}')).\n"
                                 "0.5::a.\nquery(a).\n")
    with pytest.raises(SourceError, match="refused .only `atlasc problog --allow-python`"):
        P.run(str(data / "lib.pl"))


def test_python_module_allowed_matches_problog(data: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLASC_TEST_MARKER", str(data / "ran"))
    _, answers = P.run(str(data / "py.pl"), allow_python=True)
    assert (data / "ran").exists()
    theirs = problog_file(str(data / "py.pl"))
    assert len(theirs) == 3 and close(answers[0].values, theirs)


def test_allow_python_flag(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data)
    refused = CliRunner().invoke(main, ["problog", "py.pl"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    allowed = CliRunner().invoke(main, ["problog", "py.pl", "--allow-python"])
    assert allowed.exit_code == 0 and "b(10):\t0.5" in allowed.stdout


def test_query_file_model_refuses_python(data: Path) -> None:
    text = f'model m = problog "{data / "py.pl"}"\nquery q = marginals(m)\n'
    with pytest.raises(Exception, match="refused .only `atlasc problog --allow-python`"):
        atlasc.compile_string(text).queries["q"].run()
