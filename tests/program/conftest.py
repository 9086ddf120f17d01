"""Fixtures of the compiled-program cache tests (test_cache.py, test_manifest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from atlasc.compiler.program import cache

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh program cache of the test's own, with the hit/build counters at zero."""
    monkeypatch.setenv("ATLASC_PROGRAM_CACHE", str(tmp_path / "programs"))
    monkeypatch.setattr(cache, "STATS", cache.Stats())
    return tmp_path / "programs"


def copy_examples(tmp_path: Path, name: str) -> Path:
    """The examples' query and model files copied to tmp_path (to edit); `name` there."""
    for f in EXAMPLES.iterdir():
        if f.suffix in (".query", ".bif", ".lp", ".cnf", ".nnf"):
            (tmp_path / f.name).write_bytes(f.read_bytes())
    return tmp_path / name


def damaged(data: bytes, how: str) -> bytes:
    """A cache entry's bytes, damaged: a flipped byte, truncated, empty or garbage."""
    if how == "flip":
        out = bytearray(data)
        out[len(out) // 2] ^= 0xFF
        return bytes(out)
    if how == "truncate":
        return data[: len(data) - 100]
    return b"" if how == "empty" else b"not an entry at all" * 10
