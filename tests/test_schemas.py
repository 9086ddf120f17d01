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
RUN_EXAMPLES = ["mmap", "marginals", "pasp", "positivity", "backdoor", "moments"]


def _validate(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "atlasc/1", doc.get("schema")
    jsonschema.validate(doc, SCHEMAS[doc["kind"]],
                        cls=jsonschema.Draft202012Validator)


def _cli(*args: str) -> str:
    r = CliRunner().invoke(main, list(args))
    assert r.exit_code in (0, 3, 5), r.output
    return r.stdout


def test_the_schemas_are_valid_and_one_per_kind() -> None:
    assert set(SCHEMAS) == {"report", "query-report", "results", "circuit", "problog-results",
                           "fit"}
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


PROGRAM = """0.3::a. 0.6::b.
c :- a. c :- b.
evidence(b, true).
query(c). query(a).
"""


@pytest.mark.parametrize("flags", [(), ("--mpe",), ("--map", "a"), ("--data", "rows")],
                         ids=["marginals", "mpe", "map", "data"])
def test_problog_json(tmp_path: Path, flags: tuple[str, ...]) -> None:
    pl = tmp_path / "p.pl"
    pl.write_text(PROGRAM)
    (tmp_path / "rows.csv").write_text("b\ntrue\nfalse\n")
    args = [str(tmp_path / "rows.csv") if f == "rows" else f for f in flags]
    doc = json.loads(_cli("problog", "--json", *args, str(pl)))
    _validate(doc)
    if "--data" in flags:
        assert doc["rows"][1]["queries"] is None and doc["rows"][1]["undefined"]


def test_fit_json(tmp_path: Path) -> None:
    doc = json.loads(_cli("fit", str(ROOT / "examples" / "asia.bif"), "--data",
                          str(ROOT / "examples" / "asia_rows.csv"), "-o",
                          str(tmp_path / "f.bif"), "--json"))
    _validate(doc)
    assert doc["method"] == "em" and doc["history"]


def test_a_wrong_problog_document_is_rejected(tmp_path: Path) -> None:
    pl = tmp_path / "p.pl"
    pl.write_text(PROGRAM)
    doc = json.loads(_cli("problog", "--json", str(pl)))
    doc["queries"]["c"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        _validate(doc)


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "problog" / "golden").glob("*_json.out")),
                         ids=lambda p: p.stem)
def test_golden_problog_json(path: Path) -> None:
    _validate(json.loads(path.read_text().split("\n", 1)[1]))
