"""Every JSON output carries `"schema": "atlasc/1"` and its kind, and validates against
docs/schemas/<kind>.schema.json: the golden run outputs, `check --json` and `run --json` of the
examples the golden tests use, and the reports and circuits `compile -o` writes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from atlasc.compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
           for p in (ROOT / "docs" / "schemas").glob("*.schema.json")}
GOLDEN_EXAMPLES = sorted(p.stem for p in (ROOT / "tests" / "golden" / "reports").glob("*.txt"))
RUN_EXAMPLES = ["mmap", "marginals", "pasp", "positivity", "backdoor"]


def _validate(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "atlasc/1", doc.get("schema")
    jsonschema.validate(doc, SCHEMAS[doc["kind"]],
                        cls=jsonschema.Draft202012Validator)


def _cli(*args: str) -> str:
    r = CliRunner().invoke(main, list(args))
    assert r.exit_code in (0, 3, 5), r.output
    return r.stdout


def test_the_schemas_are_valid_and_one_per_kind() -> None:
    assert set(SCHEMAS) == {"report", "query-report", "results", "circuit"}
    for s in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(s)


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "golden" / "runs").glob("*_json.expected")),
                         ids=lambda p: p.stem)
def test_golden_json_runs(path: Path) -> None:
    _validate(json.loads(path.read_text().split("\n", 1)[1]))


@pytest.mark.parametrize("name", GOLDEN_EXAMPLES)
def test_check_json(name: str) -> None:
    _validate(json.loads(_cli("check", "--json", str(ROOT / "examples" / f"{name}.query"))))


@pytest.mark.parametrize("name", RUN_EXAMPLES)
def test_run_json(name: str) -> None:
    _validate(json.loads(_cli("run", "--json", str(ROOT / "examples" / f"{name}.query"))))


def test_compile_outputs(tmp_path: Path) -> None:
    _cli("compile", str(ROOT / "examples" / "mmap.query"), "-o", str(tmp_path))
    written = sorted(tmp_path.glob("*.json"))
    assert {p.name for p in written} >= {"mmap.report.json", "mmap.circuit.json",
                                          "mmap_b.report.json"}
    for p in written:
        _validate(json.loads(p.read_text()))


def test_a_wrong_document_is_rejected() -> None:
    doc = json.loads(_cli("check", "--json", str(ROOT / "examples" / "mmap.query")))
    doc["queries"][0]["tractable"] = "yes"
    with pytest.raises(jsonschema.ValidationError):
        _validate(doc)
