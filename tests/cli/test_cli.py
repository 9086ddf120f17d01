"""The `atlasc` command line, through click's runner."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from atlasc.compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"
SPRINKLER = str(EX / "sprinkler.query")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exc_info
    return r.exit_code, r.stdout, r.stderr


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and "atlasc" in out and "0.1.0" in out
    code, out, _ = run("--help")
    assert code == 0 and all(c in out for c in ("check", "run", "compile", "show"))


def test_check_tractable_and_json() -> None:
    code, out, _ = run("check", SPRINKLER)
    assert code == 0 and "all certified tractable" in out
    code, out, _ = run("check", SPRINKLER, "--json")
    data = json.loads(out)
    assert code == 0 and data["tractable"] and len(data["queries"]) == 8


def test_check_intractable_exits_3() -> None:
    code, out, _ = run("check", str(EX / "incompatible.query"))
    assert code == 3
    assert "NOT certified" in out and "compatib" in out and "fix:" in out and "^" in out


def test_run_json_shapes() -> None:
    code, out, _ = run("run", SPRINKLER, "-q", "pe", "-q", "marg", "-q", "mpe", "-q", "count",
                       "--json")
    assert code == 0
    q = {x["name"]: x for x in json.loads(out)["queries"]}
    assert q["pe"]["rows"][0]["value"] == pytest.approx(0.44838)
    table = q["marg"]["rows"][0]["table"]
    assert [e["assignment"] for e in table] == [{"Rain": "false"}, {"Rain": "true"}]
    assert table[1]["value"] == pytest.approx(0.16038)
    assert q["mpe"]["rows"][0]["argmax"] == {"Rain": "false", "Sprinkler": "true",
                                             "Wet": "true"}
    assert q["count"]["rows"][0]["value"] == 3 and isinstance(q["count"]["rows"][0]["value"],
                                                               int)
    assert q["count"]["semiring"] == "count"


def test_run_evidence_conditions_and_selects() -> None:
    code, out, _ = run("run", SPRINKLER, "-q", "marg", "-e", "Sprinkler=true", "-e",
                       "Rain=true", "--json")
    table = json.loads(out)["queries"][0]["rows"][0]["table"]
    assert code == 0 and len(table) == 1
    assert table[0]["value"] == pytest.approx(0.2 * 0.01 * 0.99)


def test_run_data_batch(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("Rain,Sprinkler\ntrue,\n,false\n\nfalse,true\n")
    code, out, _ = run("run", SPRINKLER, "-q", "pe", "--data", str(csv), "--json")
    rows = json.loads(out)["queries"][0]["rows"]
    assert code == 0 and len(rows) == 3
    assert rows[0]["value"] == pytest.approx(0.16038)
    assert rows[1]["value"] == pytest.approx(0.8 * 0.6 * 0.0 + 0.2 * 0.99 * 0.8)
    assert rows[2]["value"] == pytest.approx(0.8 * 0.4 * 0.9)


def test_run_text_table() -> None:
    code, out, _ = run("run", SPRINKLER, "-q", "marg")
    assert code == 0 and "Rain" in out and "0.16038" in out


@pytest.mark.parametrize("args, needle", [
    (("-e", "Rain=maybe"), "<command line>:1:6: Rain has no value 'maybe'"),
    (("-e", "Rainn=true"), "unknown variable 'Rainn'"),
    (("-e", "Rain"), "VAR=VALUE"),
    (("-q", "nope"), "no query named 'nope'"),
])
def test_run_user_errors(args: tuple[str, ...], needle: str) -> None:
    code, _, err = run("run", SPRINKLER, *args)
    assert code == 2 and needle in err and "Traceback" not in err


def test_bad_csv_cell_has_position(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("Rain,Wet\ntrue,soaked\n")
    code, _, err = run("run", SPRINKLER, "--data", str(csv))
    assert code == 2 and f"{csv}:2:6: Wet has no value 'soaked'" in err and "^^^^^^" in err


def test_evidence_on_summed_free_variable_is_an_error() -> None:
    code, _, err = run("run", str(EX / "backdoor.query"), "-q", "do", "-e", "X=true")
    assert code == 2 and "meaningless" in err and "aggregated here" in err


def test_run_refuses_intractable() -> None:
    code, out, err = run("run", str(EX / "incompatible.query"))
    assert code == 3 and "NOT certified" in err and '"both"' not in out


def test_syntax_error_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "bad.query"
    f.write_text("var A : bool\nquery q = sum[*] (\n")
    code, _, err = run("check", str(f))
    assert code == 2 and err.startswith(f"{f}:2:") and "^" in err


def test_missing_file() -> None:
    code, _, err = run("check", "no/such/file.query")
    assert code == 2 and "cannot read" in err


def test_compile_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, _ = run("compile", SPRINKLER, "-o", str(out))
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"pe.circuit.json", "pe.report.txt", "pe.report.json", "report.txt"} <= names
    assert json.loads((out / "pe.circuit.json").read_text())["semiring"] == "prob"
    assert not any(n.endswith(".tmp") for n in names)
    ll = (out / "pe.ll").read_text()
    assert "define" in ll and "@stage_prob" in ll and "x double>" in ll    # vectorised
    assert "@backtrack" in (out / "mpe.ll").read_text()      # argmax decoding
    tables = np.load(out / "pe.program.npz")
    assert tables["op"].shape == tables["slot"].shape and list(tables["semirings"]) == ["prob"]


def test_compile_intractable_exit_3(tmp_path: Path) -> None:
    code, _, _ = run("compile", str(EX / "incompatible.query"), "-o", str(tmp_path))
    assert code == 3 and (tmp_path / "both.report.txt").exists()
    assert not (tmp_path / "both.circuit.json").exists()


def test_show_dot(tmp_path: Path) -> None:
    out = tmp_path / "mmap.dot"
    code, _, _ = run("show", SPRINKLER, "-q", "mmap", "-o", str(out))
    assert code == 0 and out.read_text().startswith("digraph query")
    code, _, _ = run("show", SPRINKLER, "-q", "mmap", "--circuit", "-o", str(out))
    assert code == 0 and out.read_text().startswith("digraph circuit")


def test_show_refuses_to_overwrite_input(tmp_path: Path) -> None:
    q = tmp_path / "x.dot"
    q.write_text((EX / "sprinkler.query").read_text())
    code, _, err = run("show", str(q), "-q", "pe", "-o", str(q))
    assert code == 2 and "refusing to overwrite" in err
    assert q.read_text() == (EX / "sprinkler.query").read_text()


def test_show_svg_and_png_without_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    svg, png = tmp_path / "x.svg", tmp_path / "x.png"
    code, _, _ = run("show", SPRINKLER, "-q", "pe", "-o", str(svg))
    assert code == 0 and svg.read_text().startswith("<svg") and "sum[" in svg.read_text()
    code, _, _ = run("show", SPRINKLER, "-q", "pe", "--circuit", "-o", str(png))
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_to_stdout(tmp_path: Path) -> None:
    code, out, _ = run("show", SPRINKLER, "-q", "pe", "-o", "-")
    assert code == 0 and out.startswith("digraph query")
    code, out, _ = run("show", SPRINKLER, "-q", "pe", "--circuit", "-o", "-", "--format", "svg")
    assert code == 0 and out.startswith("<svg") and out.rstrip().endswith("</svg>")
    code, _, err = run("show", SPRINKLER, "-q", "pe", "-o", str(tmp_path / "x.gif"))
    assert code == 2 and "--format" in err