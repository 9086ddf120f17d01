"""The kept code of @dataclass's methods (compiler/classcode.py): the same classes as without
it, a corrupt or foreign file ignored, nothing written where Python writes no bytecode."""
from __future__ import annotations

import builtins
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from atlasc.compiler import classcode


@pytest.fixture
def code_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "__pycache__" / "dataclass-code.bin"
    monkeypatch.setattr(classcode, "code_file", lambda: str(path))
    monkeypatch.setattr(classcode, "_codes", {})
    monkeypatch.setattr(classcode, "_fresh", [])
    return path


def _make(tag: str) -> type:
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        label: str = tag
        tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    return Point


def _with_plain_exec(monkeypatch: pytest.MonkeyPatch) -> type:
    with monkeypatch.context() as m:
        m.setattr(dataclasses, "exec", builtins.exec, raising=False)
        return _make("p")


def test_import_atlasc_installs_it() -> None:
    assert getattr(dataclasses, "exec", None) is classcode.cached_exec


def test_a_class_from_kept_code_behaves_as_one_compiled_afresh(
        code_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _with_plain_exec(monkeypatch)
    _make("p")                                  # compiles, keeps the texts
    assert classcode.write() and code_file.exists()
    monkeypatch.setattr(classcode, "_codes", classcode._read())
    monkeypatch.setattr(classcode, "compile", _no_compile, raising=False)
    kept = _make("p")                           # every method from the file
    a, b = plain(1), kept(1)
    assert repr(a).split("(", 1)[1] == repr(b).split("(", 1)[1] == "x=1, label='p', tags=())"
    assert kept(1) == kept(1) and hash(kept(1)) == hash(kept(1)) and kept(1) != kept(2)
    assert kept.__init__.__annotations__ == plain.__init__.__annotations__   # no __future__
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.x = 3                                 # type: ignore[misc]


def _no_compile(*args: object, **kw: object) -> None:
    raise AssertionError("compiled although the code was kept")


@pytest.mark.parametrize("damage", ["flip", "truncate", "other python", "empty"])
def test_a_damaged_or_foreign_file_is_ignored(code_file: Path, damage: str) -> None:
    _make("d")
    assert classcode.write()
    blob = code_file.read_bytes()
    bad = {"flip": blob[:-10] + bytes([blob[-10] ^ 1]) + blob[-9:],
           "truncate": blob[: len(blob) // 2],
           "other python": blob.replace(classcode._HEADER, classcode._HEADER[:-4] + b"\0\0\r\n"),
           "empty": b""}[damage]
    code_file.write_bytes(bad)
    assert classcode._read() == {}
    assert len(classcode._decode(blob)) >= 3    # the undamaged file holds the methods


def test_an_unwritable_place_costs_only_the_compiling(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(classcode, "code_file", lambda: str(blocker / "x" / "code.bin"))
    assert classcode.write() is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_nothing_is_written_where_python_writes_no_bytecode(
        code_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make("w")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    classcode._write_at_exit()
    assert not code_file.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    classcode._write_at_exit()
    assert code_file.exists() and classcode._fresh == []


def test_a_process_writes_what_it_compiled_at_exit(tmp_path: Path) -> None:
    """A child process with bytecode writing on: its new dataclass's methods are in the file
    it leaves, and a second process compiles none of them."""
    target = tmp_path / "kept.bin"
    body = ("import atlasc, dataclasses, sys; from atlasc.compiler import classcode as c; "
            f"c.code_file = lambda: {str(target)!r}; c._codes.clear(); c._codes.update(c._read()); "
            "n = len(c._codes); "
            "exec('@dataclasses.dataclass(frozen=True)\\nclass Q:\\n    zz_unique_field: int'); "
            "print(len(c._codes) - n)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    first = subprocess.run([sys.executable, "-c", body], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", body], env=env, capture_output=True, text=True)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert int(first.stdout) >= 4 and int(second.stdout) == 0
