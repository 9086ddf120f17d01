"""Golden text of `atlasc problog`: the output formats (ProbLog's for marginals and mpe, JSON,
batch rows) and each error, with the exit code.  ATLASC_UPDATE_GOLDEN=1 rewrites them."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.cli import main

HERE = Path(__file__).parent / "golden"
ERRORS = ["parse_error", "unknown_clause", "negative_cycle", "contradiction", "zero_evidence",
          "nonground", "python_refused", "csv_missing", "ad_sum"]
CASES: dict[str, list[str]] = {
    "format": ["format.pl"],
    "format_json": ["format.pl", "--json"],
    "format_mpe": ["format.pl", "--mpe"],
    "format_map": ["format.pl", "--map", "a,c"],
    "format_data": ["format.pl", "--data", "rows.csv"],
    "format_data_json": ["format.pl", "--data", "rows.csv", "--json"],
    "unknown_atom": ["format.pl", "--map", "a,zz"],
    "unknown_column": ["format.pl", "--data", "bad_rows.csv"],
    **{e: [f"{e}.pl"] for e in ERRORS},
}


def _rounded(text: str) -> str:
    """JSON keeps full precision; the golden text keeps 10 significant digits (the last bits
    depend on the circuit's shape)."""
    return re.sub(r"\d+\.\d{10,}", lambda m: f"{float(m.group()):.10g}", text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    res = CliRunner().invoke(main, ["problog", *CASES[case]])
    got = _rounded(f"exit {res.exit_code}\n{res.stdout}{res.stderr}")
    path = HERE / f"{case}.out"
    if os.environ.get("ATLASC_UPDATE_GOLDEN"):
        path.write_text(got)
    assert got == path.read_text()


def test_errors_have_no_traceback() -> None:
    for e in ERRORS:
        text = (HERE / f"{e}.out").read_text()
        assert text.startswith("exit 2\n") and "Traceback" not in text
        assert text.count("\n") == 2, text            # one line of error
