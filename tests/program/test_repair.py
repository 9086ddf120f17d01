"""--repair: models are recompiled with a vtree that establishes what a query needs."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.api import compile_file, compile_string
from atlasc.compiler.cli import main

EX = Path(__file__).resolve().parents[2] / "examples"

BACKDOOR_Y_FIRST = """
var Z, X, Y : bool
model bn = bayesnet {
  Z: 0.4
  X | Z: {false: 0.2, true: 0.7}
  Y | X, Z: {(false, false): 0.1, (true, false): 0.5, (false, true): 0.3, (true, true): 0.8}
} with vtree constrained {Y}
query do = backdoor(X; Y; Z; bn)
"""


def _value(prog, name, **assign):
    row = prog.queries[name].run().rows[0]
    for e in row.entries:
        if all(e.assignment[k] == v for k, v in assign.items()):
            return e.value
    raise AssertionError(assign)


def test_without_repair_the_query_is_refused_with_the_suggestion():
    prog = compile_string(BACKDOOR_Y_FIRST)
    q = prog.queries["do"]
    assert not q.tractable
    assert "--repair" in q.error.fix and "constrained {X, Z}" in q.error.fix


def test_repair_recompiles_for_x_determinism():
    prog = compile_string(BACKDOOR_Y_FIRST, repair=True)
    q = prog.queries["do"]
    assert q.tractable
    assert any("recompiled model bn" in r and "{X, Z}" in r for r in q.report.repairs)
    assert _value(prog, "do", X="true", Y="true") == pytest.approx(0.62)
    assert _value(prog, "do", X="false", Y="true") == pytest.approx(0.18)


def test_repair_mmap_replaces_a_conflicting_constraint():
    prog = compile_file(EX / "mmap.query", repair=True)
    q = prog.queries["mmap_b"]
    assert q.tractable and "replacing its constrained {B}" in q.report.repairs[0]
    e = q.run().rows[0].entries[0]
    assert e.value == pytest.approx(0.55) and e.argmax == {"A": "false"}


def test_repair_for_compatibility():
    prog = compile_file(EX / "incompatible.query", repair=True)
    q = prog.queries["both"]
    assert q.tractable and "compatible with a" in q.report.repairs[0]
    assert q.run().rows[0].value == pytest.approx(0.3410306408)


def test_cli_repair_flag():
    r = CliRunner().invoke(main, ["check", str(EX / "incompatible.query")])
    assert r.exit_code == 3
    r = CliRunner().invoke(main, ["check", "--repair", str(EX / "incompatible.query")])
    assert r.exit_code == 0 and "repair: recompiled model b" in r.output
    r = CliRunner().invoke(main, ["run", "--repair", "--json", str(EX / "incompatible.query")])
    assert r.exit_code == 0 and '"both"' in r.output
