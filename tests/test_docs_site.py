"""`make docs`: the site builds with mkdocs --strict (no broken link, no unresolved API
reference), the API page documents every public name of `import atlasc`, and the pictures are
drawn by `atlasc show` at build time."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import atlasc
from tests.stage import ROOT


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                          str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def test_every_public_name_is_documented_in_order(site: Path) -> None:
    page = (site / "api" / "index.html").read_text()
    assert re.findall(r'<h2 id="atlasc\.(\w+)"', page) == atlasc.__all__


def test_documented_classes_show_their_members(site: Path) -> None:
    page = (site / "api" / "index.html").read_text()
    assert 'id="atlasc.Query.run"' in page and 'id="atlasc.compile_file"' in page


def test_the_pictures_are_drawn(site: Path) -> None:
    pictures = sorted((site / "img").iterdir())
    assert [p.name for p in pictures if p.suffix == ".svg"] == [
        "mmap-circuit.svg", "mmap-report.svg", "mmap_b-report.svg"]
    for p in pictures:
        head = p.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if p.suffix == ".png" else b"<svg" in head, p
    page = (site / "pictures" / "index.html").read_text()
    assert all(f'src="../img/{p.name}"' in page for p in pictures), page
