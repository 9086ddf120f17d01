"""The exit codes (docs/language.md, *Exit codes*; `atlasc --help`): 0 success, 2 bad input,
3 a query refused, 5 an answer with undefined entries, the lowest non-zero code winning; and
the one rule of `compile -o` for a file where some queries are refused."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from atlasc.compiler.cli import main

NET = """var A, B : bool
model bn = bayesnet { A: 0.0  B | A: {false: 0.5, true: 0.5} } with vtree constrained {A}
model b_first = bayesnet { A: 0.3  B | A: {false: 0.5, true: 0.9} } with vtree constrained {B}
"""
FINE = "query fine = normalize(sum[A] bn)\n"
ZERO = "query zero = normalize(sum[B] (bn | A))\n"          # p(A = true) = 0: undefined
REFUSED = "query refused = mmap(A; b_first)\n"                # needs {A}-determinism


def _run(tmp_path: Path, text: str, *extra: str) -> int:
    f = tmp_path / "t.query"
    f.write_text(NET + text)
    return CliRunner().invoke(main, ["run", str(f), *extra]).exit_code


def test_help_lists_the_exit_codes() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for code in ("0 success", "2 bad input", "3 a query refused", "5 an answer with undefined"):
        assert code in " ".join(out.split()), out


def test_run_exit_codes(tmp_path: Path) -> None:
    assert _run(tmp_path, FINE) == 0
    assert _run(tmp_path, ZERO) == 5
    assert _run(tmp_path, FINE + REFUSED) == 3
    assert _run(tmp_path, ZERO + REFUSED) == 3          # refused wins over undefined
    assert _run(tmp_path, FINE + "query bad = sum[C] bn\n") == 2
    assert _run(tmp_path, FINE, "-e", "A=maybe") == 2


def test_compile_writes_reports_for_all_and_circuits_for_the_certified(tmp_path: Path) -> None:
    out = tmp_path / "out"
    f = tmp_path / "t.query"
    f.write_text(NET + FINE + "query later = mmap(A; bn)\n")
    assert CliRunner().invoke(main, ["compile", str(f), "-o", str(out)]).exit_code == 0
    assert (out / "later.circuit.json").exists()
    f.write_text(NET + FINE + "query later = mmap(A; b_first)\n")   # now refused
    assert CliRunner().invoke(main, ["compile", str(f), "-o", str(out)]).exit_code == 3
    assert (out / "later.report.txt").exists() and (out / "fine.circuit.json").exists()
    assert "NOT certified" in (out / "later.report.txt").read_text()
    for suffix in (".circuit.json", ".ll", ".program.npz"):    # no stale circuit remains
        assert not (out / f"later{suffix}").exists()
