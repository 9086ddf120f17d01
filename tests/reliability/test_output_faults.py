"""Output faults are user errors naming the path (exit 2), and no temporary file survives an
error or a signal (compiler/atomic.py, compiler/cli.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler import atomic
from atlasc.compiler.cli import main
from atlasc.compiler.errors import OutputError

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "sharpsat.query")


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.tmp")]


def test_compile_into_a_file_is_a_one_line_error(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    for out in ("afile", "afile/sub"):
        r = CliRunner().invoke(main, ["compile", EXAMPLE, "-o", str(tmp_path / out)])
        assert r.exit_code == 2, r.output
        assert "afile" in r.output and "Traceback" not in r.output


def test_show_under_a_file_names_the_path(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    r = CliRunner().invoke(main, ["show", EXAMPLE, "-q", "models", "-o",
                                  str(tmp_path / "afile" / "x.dot")])
    assert r.exit_code == 2
    assert "cannot write" in r.output and "Not a directory" in r.output


def test_unwritable_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def refuse(*a: object, **k: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))
    monkeypatch.setattr(atomic, "temp_beside", refuse)
    with pytest.raises(OutputError, match="Permission denied"):
        atomic.write_atomic_bytes(tmp_path / "ro" / "x.dot", b"data")


def test_full_disk_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OutputError, match="no space left"):
        atomic.write_atomic_bytes(tmp_path / "x.json", b"data" * 1000)
    assert not (tmp_path / "x.json").exists() and not _leftovers(tmp_path)


def test_run_to_dev_full_is_a_user_error():
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "atlasc", "run", EXAMPLE], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == \
        "cannot write the standard output: no space left on the device"


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_signal_during_the_write_leaves_no_temporary_file(tmp_path: Path, sig: str):
    code = f"""
import os, signal
from pathlib import Path
from atlasc.compiler import atomic
atomic.cleanup_on_signals()
real = os.fsync
def interrupted(fd):
    os.kill(os.getpid(), signal.{sig})
    real(fd)
atomic.os.fsync = interrupted
atomic.write_atomic_bytes(Path({str(tmp_path)!r}) / "out.json", b"x" * 100000)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    signum = getattr(signal, sig)
    assert done.returncode in (128 + signum, -signum), done.stderr
    assert not _leftovers(tmp_path) and not (tmp_path / "out.json").exists()


def test_a_temporary_file_is_new_private_and_beside_its_target(tmp_path: Path):
    """atomic.temp_beside (tempfile.mkstemp's contract, without tempfile's imports)."""
    made = [atomic.temp_beside(tmp_path / "x.csv") for _ in range(3)]
    for fd, _ in made:
        os.close(fd)
    names = [Path(n) for _, n in made]
    assert len(set(names)) == 3 and all(n.parent == tmp_path for n in names)
    assert all(n.name.startswith(".x.csv.") and n.suffix == ".tmp" for n in names)
    assert all(n.stat().st_mode & 0o777 == 0o600 for n in names)
