"""The architecture rule (docs/architecture.md): imports point down the pipeline, the compiler
reaches the runtime only through the seam, no import cycles, no function-local imports.

import-linter reads a package from disk, and ours is assembled by setuptools' package-dir
mapping (compiler/ -> atlasc.compiler, ...), so the contracts of pyproject.toml are checked on a
staged copy laid out as the installed package."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stage import stage

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"compiler": "atlasc.compiler", "runtime": "atlasc.runtime",
           "grammar": "atlasc.grammar", "atlasc": "atlasc"}
LINT = Path(sys.executable).with_name("lint-imports")


def _stage(dst: Path) -> Path:
    stage(dst, copy=True)        # copies: a test below edits the staged tree
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def _lint(staged: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(staged))
    return subprocess.run([str(LINT), "pyproject.toml"], cwd=staged, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _stage(tmp_path_factory.mktemp("staged"))


def test_import_contracts_kept(staged: Path) -> None:
    out = _lint(staged)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_an_upward_import_breaks_the_build(tmp_path: Path) -> None:
    staged = _stage(tmp_path)
    nodes = staged / "atlasc" / "compiler" / "ir" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\nimport atlasc.compiler.properties.establish\n")
    out = _lint(staged)
    assert out.returncode != 0
    assert "the pipeline's layers point down BROKEN" in out.stdout


def _modules() -> list[tuple[str, Path]]:
    out = []
    for folder, pkg in FOLDERS.items():
        for p in sorted((ROOT / folder).rglob("*.py")):
            rel = p.relative_to(ROOT / folder).with_suffix("")
            parts = [x for x in rel.parts if x != "__init__"]
            out.append((".".join([pkg, *parts]), p))
    return out


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.Module) -> tuple[list[ast.AST], list[ast.ImportFrom | ast.Import]]:
    """(function-local imports of atlasc, TYPE_CHECKING imports of atlasc)."""
    local: list[ast.AST] = []
    typing: list[ast.ImportFrom | ast.Import] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local += [n for n in ast.walk(node) if _names_atlasc(n)]
        if isinstance(node, ast.If) and _is_type_checking(node):
            typing += [n for n in node.body if _names_atlasc(n)]  # type: ignore[misc]
    return local, typing


def _names_atlasc(n: ast.AST) -> bool:
    if isinstance(n, ast.ImportFrom):
        return (n.module or "").startswith("atlasc")
    if isinstance(n, ast.Import):
        return any(a.name.startswith("atlasc") for a in n.names)
    return False


def test_no_function_local_imports() -> None:
    found = []
    for mod, path in _modules():
        local, _ = _imports(ast.parse(path.read_text()))
        found += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in local]  # type: ignore[attr-defined]
    assert not found, "function-local imports (move them to the top, or fix the layering): " \
        + ", ".join(found)


def test_type_only_imports_stay_in_their_package() -> None:
    """A TYPE_CHECKING import may name a sibling module's type (for an annotation), never a
    module of another package: that would hide an upward dependency."""
    found = []
    for mod, path in _modules():
        _, typing = _imports(ast.parse(path.read_text()))
        pkg = mod.rsplit(".", 1)[0] if not path.name == "__init__.py" else mod
        for n in typing:
            target = n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
            if not (target or "").startswith(pkg + "."):
                found.append(f"{path.relative_to(ROOT)}:{n.lineno} imports {target}")
    assert not found, ", ".join(found)


def test_every_compiler_package_and_module_is_in_a_layer() -> None:
    """A new top-level module or package of compiler/ must be placed in a layer, or the layers
    contract says nothing about it."""
    text = (ROOT / "pyproject.toml").read_text()
    layers = text.split("[[tool.importlinter.contracts]]")[1]
    missing = [p.stem for p in sorted((ROOT / "compiler").iterdir())
               if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()]
    missing = [m for m in missing if f"atlasc.compiler.{m}" not in layers]
    assert not missing, f"not in a layer of pyproject.toml: {missing}"
