"""mypy --strict on the package ([tool.mypy] in pyproject.toml), run on the tree staged as the
package installs (tests/stage.py: mypy, like import-linter, cannot follow setuptools' package-dir
mapping), and a user's file type-checked against `import atlasc`: the public API carries its
types (py.typed), not the Any of the lazy module __getattr__."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.stage import ROOT, stage

STAGE = ROOT / "build" / "typing-stage"      # fixed paths: mypy's cache stays warm across runs
CACHE = ROOT / "build" / "mypy-cache"


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
           "--cache-dir", str(CACHE), "--no-color-output", "--no-error-summary", *args]
    return subprocess.run(cmd, cwd=STAGE, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module", autouse=True)
def staged() -> None:
    stage(STAGE)


def test_the_package_is_clean_under_strict_mypy() -> None:
    out = _mypy("-p", "atlasc")
    assert out.returncode == 0, out.stdout + out.stderr


USER = '''\
import atlasc

prog = atlasc.compile_file("examples/sprinkler.query")
ok: bool = prog.report.tractable
wrong: int = prog.report
atlasc.compile_string(3)
'''


def test_a_users_mistakes_with_the_public_api_are_found(tmp_path: Path) -> None:
    user = tmp_path / "user.py"
    user.write_text(USER)
    out = _mypy("--follow-imports=silent", str(user))
    errors = [ln.split(":")[1] + ln.split("error:")[1] for ln in out.stdout.splitlines()
              if ": error:" in ln]
    assert out.returncode == 1, out.stdout + out.stderr
    assert len(errors) == 2, errors
    assert errors[0].startswith("5 ") and '"ProgramReport"' in errors[0], errors
    assert errors[1].startswith("6 ") and '"compile_string"' in errors[1], errors
