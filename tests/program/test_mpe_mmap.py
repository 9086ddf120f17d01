"""MPE and marginal MAP end to end: the report says MMAP needs Q-determinism and how it holds
(by construction, or after --repair), the refusal without it, and the printed assignment."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import atlasc
from atlasc.compiler.cli import main

EX = Path(__file__).resolve().parents[2] / "examples"

B_FIRST = """var A, B : bool
model p = bayesnet {
  A: 0.45
  B | A: {false: 0.25/0.55, true: 0.05/0.45}
} with vtree constrained {B}
query m = mmap(A; p)
"""


def test_mmap_report_names_q_determinism_and_how_it_holds() -> None:
    text = atlasc.compile_file(EX / "mmap.query").queries["mmap"].report.render()
    assert "mmap({A})" in text and "marginal MAP needs Q-determinism" in text
    assert "needs {A}-deterministic: holds" in text
    assert "established by construction: compiled with an {A}-constrained vtree" in text


def test_without_q_determinism_mmap_is_refused_and_repair_says_what_it_did() -> None:
    q = atlasc.compile_string(B_FIRST, filename="b.query").queries["m"]
    assert not q.tractable and "{A}-deterministic" in q.report.render()
    q = atlasc.compile_string(B_FIRST, filename="b.query", repair=True).queries["m"]
    text = q.report.render()
    assert q.tractable and "repair: recompiled model p with constrained {A}" in text
    entry = q.run().rows[0].entries[0]
    assert abs(entry.value - 0.55) < 1e-12 and entry.argmax == {"A": "false"}


def test_run_prints_the_maximising_assignments() -> None:
    r = CliRunner().invoke(main, ["run", str(EX / "mmap.query"), "-q", "mmap", "-q", "mpe"])
    assert r.exit_code == 0 and "A=false" in r.stdout and "A=true, B=false" in r.stdout
    r = CliRunner().invoke(main, ["run", str(EX / "mpe.query"), "-q", "mpe"])
    assert r.exit_code == 0
    assert "asia=no, bronc=no, dysp=no, either=no, lung=no, smoke=no, tub=no, xray=no" in r.stdout


def test_mpe_report_needs_full_determinism_by_construction() -> None:
    text = atlasc.compile_file(EX / "mpe.query").queries["patient"].report.render()
    assert "-deterministic: holds" in text and "SDD primes are disjoint" in text
