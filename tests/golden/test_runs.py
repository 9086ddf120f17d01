"""Golden outputs of `atlasc run` (text and JSON) where entries are undefined: positivity of
an adjustment fails for some treatment values, and a row of --data has probability 0
(examples/positivity.query).  The exit code is 5.  And the moments of P(e) under random
parameters (examples/moments.query).  Regenerate with ATLASC_GOLDEN_UPDATE=1 and
review the diff."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.cli import main
from tests.golden.test_golden import ROOT, _compare

HERE = Path(__file__).parent / "runs"
EXAMPLE = ROOT / "examples" / "positivity.query"
ROWS = HERE / "positivity_rows.csv"
MOMENTS = ROOT / "examples" / "moments.query"
CASES = {
    "positivity": ["run", str(EXAMPLE)],
    "positivity_json": ["run", str(EXAMPLE), "--json", "-q", "adjusted"],
    "zero_rows": ["run", str(EXAMPLE), "-q", "y_given", "--data", str(ROWS)],
    "zero_rows_json": ["run", str(EXAMPLE), "-q", "y_given", "--data", str(ROWS), "--json"],
    # moments: E, Var and std of P(e) (docs/moments.md); the last row has probability 0
    "moments": ["run", str(MOMENTS), "-e", "Wet=true"],
    "moments_json": ["run", str(MOMENTS), "--json", "-q", "wet_dropout"],
    "moments_rows": ["run", str(MOMENTS), "-q", "posterior", "--data",
                     str(HERE / "moments_rows.csv")],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_undefined_output(name: str) -> None:
    r = CliRunner().invoke(main, CASES[name])
    _compare(f"exit {r.exit_code}\n{r.stdout}", HERE / f"{name}.expected")
