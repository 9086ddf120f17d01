"""mkdocs hooks of the docs site (mkdocs.yml): the package staged for the API reference, and the
pictures drawn by `atlasc show` when the site is built, so they never go stale.

mkdocstrings reads the docstrings with griffe, which finds a package by its folders; ours is
assembled by setuptools' package-dir mapping (compiler/ is installed as atlasc.compiler), so
griffe is pointed at the tree tests/stage.py lays out (links to the real files, in build/)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "docs-stage"     # mkdocs.yml: the python handler's paths

# picture (under the site) -> (query file, query, extra `atlasc show` options)
PICTURES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "img/mmap-report.svg": ("examples/mmap.query", "mmap", ()),
    "img/mmap_b-report.svg": ("examples/mmap.query", "mmap_b", ()),
    "img/mmap-circuit.svg": ("examples/mmap.query", "mmap", ("--circuit",)),
    "img/mpe-circuit.png": ("examples/mmap.query", "mpe", ("--circuit",)),
}


def _stage_module() -> Any:
    spec = importlib.util.spec_from_file_location("atlasc_docs_stage", ROOT / "tests" / "stage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_startup(command: str, dirty: bool) -> None:
    """Before mkdocstrings sets up its handler, which drops a search path that does not exist
    (and would then read atlasc/ itself, where atlasc.compiler is not)."""
    _stage_module().stage(STAGE)


def _draw(uri: str) -> bytes:
    query_file, name, extra = PICTURES[uri]
    fmt = Path(uri).suffix[1:]
    cmd = [sys.executable, "-m", "atlasc", "show", query_file, "-q", name, "-o", "-",
           "--format", fmt, *extra]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300)
    if out.returncode not in (0, 3) or not out.stdout:    # 3: the query is refused, drawn so
        raise PluginError(f"{' '.join(cmd[1:])} failed ({out.returncode}): "
                          f"{out.stderr.decode(errors='replace')}")
    return out.stdout


def on_files(files: Files, config: MkDocsConfig) -> Files:
    with ThreadPoolExecutor(max_workers=2) as pool:
        drawn = dict(zip(PICTURES, pool.map(_draw, PICTURES)))
    for uri, data in drawn.items():
        files.append(File.generated(config, uri, content=data))
    return files
