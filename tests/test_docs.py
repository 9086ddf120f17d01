"""The docs stand alone: every atlas reference in the code, the examples and the docs (such as
`docs/atlas.md §4.1, P4` or a report's `(3.1)`) names a section or pitfall of docs/atlas.md,
and no file points to a copy of the specification a clone does not have."""
from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
ATLAS = (ROOT / "docs" / "atlas.md").read_text()
SOURCES = [p for d in ("compiler", "runtime", "atlasc", "examples", "docs") for p in
           (ROOT / d).rglob("*") if p.suffix in (".py", ".query", ".md", ".lp", ".pl")]
CITE = re.compile(r"docs/atlas\.md[ ,]*((?:§?[0-9][0-9.]*|P[0-9]+)(?:(?:, | and )"
                  r"(?:§?[0-9][0-9.]*|P[0-9]+))*)")
CONDITION = re.compile(r"\((\d\.\d)(?:, (P\d+))?\)")


def _sections() -> set[str]:
    heads = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", ATLAS, flags=re.M)
    items = re.findall(r"^- \*\*(P\d+)\*\*", ATLAS, flags=re.M)
    examples = [f"5.{n}" for n in re.findall(r"^(\d)\. ", ATLAS.split("## 5.")[1], re.M)]
    return set(heads) | set(items) | set(examples)


def _refs(text: str) -> list[str]:
    out = []
    for m in CITE.finditer(text):
        out += [r.strip("§.") for r in re.split(r", | and ", m.group(1))]
    return out


def test_every_atlas_reference_resolves() -> None:
    known, missing = _sections(), []
    for p in SOURCES:
        text = p.read_text(errors="replace")
        refs = _refs(text) + ([r for m in CONDITION.finditer(text) for r in m.groups() if r]
                              if p.suffix == ".py" else [])
        missing += [f"{p.relative_to(ROOT)}: {r}" for r in refs if r not in known]
    assert not missing, missing


def test_no_file_cites_the_specification_outside_the_clone() -> None:
    assert not [p for p in SOURCES if "ATLAS.md" in p.read_text(errors="replace")]
