"""The source tree laid out as the installed `atlasc` package.

setuptools' package-dir mapping installs compiler/, runtime/ and grammar/ as atlasc.compiler,
atlasc.runtime and atlasc.grammar, and an editable install resolves them through an import hook.
Tools that read a package from disk by its folders (import-linter, mypy, griffe for the docs)
cannot follow either, so they are pointed at a staged tree: `atlasc/` holding the files of
atlasc/ and the three folders under their installed names.  Symbolic links by default (the
tools then read, and report, the real files); copies for a test that edits the staged tree.

    python -m tests.stage build/stage        # what `make docs` and the mypy test use
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("compiler", "runtime", "grammar")     # installed as atlasc.<folder>


def stage(dst: Path, *, copy: bool = False) -> Path:
    """Lay out the package under `dst` (replacing an earlier staging there); return `dst`,
    the directory to put on the tool's search path."""
    pkg = dst / "atlasc"
    if pkg.is_symlink() or pkg.is_file():
        pkg.unlink()
    elif pkg.exists():
        shutil.rmtree(pkg)
    if copy:
        _copy(pkg)
    else:
        _link(pkg)
    return dst


def _copy(pkg: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "atlasc", pkg, ignore=ignore)
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, pkg / folder, ignore=ignore)


def _link(pkg: Path) -> None:
    pkg.mkdir(parents=True)
    for p in sorted((ROOT / "atlasc").iterdir()):
        if p.name != "__pycache__":
            (pkg / p.name).symlink_to(p)
    for folder in FOLDERS:
        (pkg / folder).symlink_to(ROOT / folder, target_is_directory=True)


if __name__ == "__main__":
    print(stage(Path(sys.argv[1]).resolve()))
