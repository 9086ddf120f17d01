"""`atlasc` on stderr: limits (--timeout, --max-nodes) end in a clear error, -v logs the
phases with their timings, progress is silent without a terminal, stages are throttled by
name (not by their time stamps)."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler import console
from atlasc.compiler.cli import main

EX = Path(__file__).resolve().parents[2] / "examples"


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_max_nodes_is_a_clear_error() -> None:
    code, _, err = _run("run", str(EX / "sprinkler.query"), "--max-nodes", "3")
    assert code == 2 and "node limit of 3" in err and "Traceback" not in err


def test_timeout_is_a_clear_error() -> None:
    code, _, err = _run("check", str(EX / "core.query"), "--timeout", "1e-9")
    assert code == 2 and "time limit" in err and "--timeout" in err and "hint:" in err


def test_verbose_logs_phases_and_quiet_is_silent() -> None:
    code, out, err = _run("run", str(EX / "sprinkler.query"), "-q", "pe", "-v")
    assert code == 0 and "0.44838" in out
    for phase in ("compile:", "read:", "evaluate:", "write:"):
        assert f"atlasc: {phase}" in err
    code, _, err = _run("--quiet", "run", str(EX / "sprinkler.query"), "-q", "pe")
    assert code == 0 and err == ""


def test_no_progress_without_a_terminal() -> None:
    code, _, err = _run("run", str(EX / "marginals.query"))
    assert code == 0 and err == ""


def test_stages_are_named_without_their_time_stamps() -> None:
    assert console._stage("[   0.74s] bn: factor 1/37 compiled") == "bn"
    assert console._stage("[  12.01s] bn: factor 2/37 compiled") == "bn"
    assert console._stage("compiling query pe") == "compiling query pe"


def test_compile_progress_logs_each_stage_once(caplog: pytest.LogCaptureFixture) -> None:
    c = console.Console(quiet=True, verbose=1)
    p = c.compile_progress()
    with caplog.at_level("INFO", logger="atlasc"):
        for i in range(1, 101):
            p(f"[{i * 0.01:7.2f}s] bn: factor {i}/100 compiled, SDD size {i}")
        p("compiling query pe")
    infos = [r for r in caplog.records if r.levelname == "INFO"]
    assert len(infos) == 2
