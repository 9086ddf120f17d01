"""Small things a user meets: check -q, the built-in mappings listed for an unknown one,
credal intervals rounded like other numbers, marginals in the order the query lists them,
PASP inconsistent mass shown only when it is not zero, output files with the user's umask."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import atlasc
from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.cli import main

EX = Path(__file__).resolve().parents[2] / "examples"


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_check_quiet_prints_one_line_per_query() -> None:
    code, out, _ = _run("check", "-q", str(EX / "mmap.query"))
    assert code == 3 and out.splitlines()[-1] == "3 queries: 1 not certified"
    assert len(out.splitlines()) == 4 and "condition:" not in out


def test_unknown_mapping_lists_the_built_in_ones(tmp_path: Path) -> None:
    f = tmp_path / "m.query"
    f.write_text("var A : bool\nmodel m = bayesnet { A: 0.3 }\n"
                 "query q = map[frobnicate: prob -> maxprod] m\n")
    code, _, err = _run("check", str(f))
    assert code == 2 and "built-in mappings: id, support" in err and "recip" in err


def test_credal_intervals_are_rounded_like_numbers() -> None:
    code, out, _ = _run("run", str(EX / "pasp_credal.query"), "-q", "bounds")
    assert code == 0 and "(0, 0.3)" in out and "0.30000000000000004" not in out


def test_marginals_in_the_order_the_query_lists_them() -> None:
    r = atlasc.compile_file(EX / "marginals.query").queries["patient"].run()
    assert r.free == ("tub", "lung", "bronc")
    assert [line.split()[0] for line in repr(r).splitlines()[2::2]] == ["tub", "lung", "bronc"]


def test_inconsistent_mass_only_when_it_is_not_zero(tmp_path: Path) -> None:
    f = tmp_path / "p.query"
    f.write_text('model g = pasp { 0.5::a.  b :- a.  c :- not a. }\n'
                 "query q = maxent(g, b)\n")
    code, out, _ = _run("run", str(f))
    assert code == 0 and "inconsistent" not in out
    assert "inconsistent total choices: mass" not in _run("check", str(f))[1]


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    old = os.umask(mask)
    try:
        write_atomic_bytes(tmp_path / "out.txt", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_streamed_tables_follow_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    import pyarrow as pa
    from atlasc.compiler.program.writers import TableWriter
    old = os.umask(mask)
    try:
        with TableWriter("csv", tmp_path / "out.csv") as w:
            w.write(pa.table({"x": [1, 2]}))
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == mode


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    p = tmp_path / "out.txt"
    p.write_bytes(b"old")
    p.chmod(0o640)
    write_atomic_bytes(p, b"new")
    assert p.read_bytes() == b"new" and p.stat().st_mode & 0o777 == 0o640
