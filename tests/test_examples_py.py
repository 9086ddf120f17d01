"""Every examples/*.py runs as a script (smoke test)."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EX = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("path", sorted(EX.glob("*.py")), ids=lambda p: p.stem)
def test_example_script_runs(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
