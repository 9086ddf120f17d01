"""Packaging: the wheel installs one namespace (`atlasc`), and pyproject names every package.

The fresh-environment test (about 20 s) builds the wheel from the tracked files, installs it into a fresh virtual
environment and runs `import atlasc`, `python -m atlasc` and the `atlasc` command there.  The
dependencies come from this environment through a path entry (no download), and the fresh
site-packages must hold nothing named compiler, runtime or grammar.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import sysconfig
import tomllib
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE_DIRS = {"atlasc": "atlasc", "atlasc.compiler": "compiler", "atlasc.runtime": "runtime",
                "atlasc.grammar": "grammar"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _tree_packages() -> set[str]:
    """Every folder under the mapped roots that holds Python or grammar files, as a dotted name."""
    out = set()
    for name, folder in PACKAGE_DIRS.items():
        for d in (ROOT / folder).rglob("*"):
            if d.is_dir() and "__pycache__" not in d.parts and _has_files(d):
                out.add(name + "." + ".".join(d.relative_to(ROOT / folder).parts))
        out.add(name)
    return out


def _has_files(d: pathlib.Path) -> bool:
    return any(f.suffix in (".py", ".lark") for f in d.iterdir())


def test_pyproject_names_every_package() -> None:
    tool = _pyproject()["tool"]["setuptools"]
    assert tool["package-dir"] == PACKAGE_DIRS
    assert set(tool["packages"]) == _tree_packages()


def test_metadata() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "Apache-2.0" and (ROOT / "LICENSE").is_file()
    assert (ROOT / "CITATION.cff").is_file()
    assert {"Homepage", "Source", "Documentation"} <= set(project["urls"])
    for folder in ("atlasc", "compiler", "runtime"):
        assert (ROOT / folder / "py.typed").is_file()


def _tracked_copy(dst: pathlib.Path) -> pathlib.Path:
    """The tracked files (and the uncommitted edits to them) copied to `dst`."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for f in files:
        src = ROOT / f
        if src.is_file() and not f.startswith("tests/"):
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            (dst / f).write_bytes(src.read_bytes())
    return dst


def _build_wheel(src: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(src)], check=True)
    return next(out.glob("atlasc-*.whl"))


def _fresh_env(d: pathlib.Path, wheel: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A fresh venv with the wheel; this environment's site-packages appended for the deps."""
    venv.create(d, with_pip=False)
    py = d / "bin" / "python"
    site = pathlib.Path(subprocess.run([str(py), "-c", "import sysconfig; print("
                                        "sysconfig.get_paths()['purelib'])"], check=True,
                                       capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--no-deps", str(wheel)], check=True)
    return py, site


def _run(cmd: list[str], cwd: pathlib.Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_wheel_in_a_fresh_environment(tmp_path: pathlib.Path) -> None:
    wheel = _build_wheel(_tracked_copy(tmp_path / "src"), tmp_path / "dist")
    py, site = _fresh_env(tmp_path / "env", wheel)
    top = {p.name for p in site.iterdir()}
    assert "atlasc" in top and not top & {"compiler", "runtime", "grammar"}, sorted(top)
    away = tmp_path / "elsewhere"          # no checkout on the path: the wheel is what runs
    away.mkdir()
    (away / "runtime.py").write_text("raise SystemExit('the user module was imported')\n")
    where = _run([str(py), "-c", "import atlasc, atlasc.runtime.evaluator as e; "
                  "print(atlasc.__file__); print(e.__file__)"], away)
    assert all(pathlib.Path(p).is_relative_to(site) for p in where.split()), where
    prog = "var A : bool\nmodel m = bayesnet { A: 0.3 }\nquery q = sum[*] m\n"
    (away / "t.query").write_text(prog)
    assert "Usage" in _run([str(py), "-m", "atlasc", "--help"], away)
    assert "q" in _run([str(py), "-m", "atlasc", "run", "t.query"], away)
    assert _run([str(py.parent / "atlasc"), "check", "t.query"], away).strip()
    value = _run([str(py), "-c", "import atlasc; p = atlasc.compile_file('t.query'); "
                  "print(p.queries['q'].run().rows[0].value)"], away)
    assert float(value) == pytest.approx(1.0)
