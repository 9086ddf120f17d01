"""The examples of issue 6 part A run with `atlasc run` and give their numbers (docs/atlas.md §5)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from atlasc.compiler.cli import main

EX = Path(__file__).resolve().parents[2] / "examples"


def run_json(name: str, *args: str) -> tuple[int, dict[str, Any]]:
    r = CliRunner().invoke(main, ["run", str(EX / f"{name}.query"), "--json", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exc_info
    out = json.loads(r.stdout)
    return r.exit_code, {q["name"]: q["rows"][0] for q in out["queries"]}


def table(row: dict[str, Any]) -> dict[tuple[str, ...], float]:
    return {tuple(e["assignment"].values()): e["value"] for e in row["table"]}


def test_backdoor_and_frontdoor_digit_for_digit() -> None:
    code, q = run_json("backdoor")
    assert code == 0
    do, obs = table(q["do"]), table(q["obs"])
    assert do[("true", "true")] == pytest.approx(0.62)
    assert do[("false", "true")] == pytest.approx(0.18)
    assert obs[("true", "true")] / (obs[("true", "true")] + obs[("true", "false")]) == \
        pytest.approx(0.71, abs=5e-3)                   # observational p(Y=1 | X=1) = 0.71
    code, q = run_json("frontdoor")
    do, obs = table(q["do"]), table(q["obs"])
    assert do[("true", "true")] == pytest.approx(0.665)
    assert do[("false", "true")] == pytest.approx(0.42)
    assert obs[("true", "true")] / 0.5 == pytest.approx(0.76)
    assert obs[("false", "true")] / 0.5 == pytest.approx(0.36)


def test_conditional() -> None:
    code, q = run_json("conditional")
    assert code == 0
    assert table(q["rain_wet"])[("true",)] == pytest.approx(0.16038 / 0.44838)
    assert table(q["rain"])[("true",)] == pytest.approx(0.2)
    wet = table(q["wet"])
    assert wet[("false", "true")] == pytest.approx(0.36)
    assert wet[("true", "true")] == pytest.approx(0.8019)
    code, q = run_json("conditional", "-q", "rain", "-e", "Wet=true")
    assert table(q["rain"])[("true",)] == pytest.approx(0.16038 / 0.44838)


def test_zero_evidence_is_undefined_exit_5(tmp_path: Path) -> None:
    f = tmp_path / "zero.query"
    f.write_text("var A, B : bool\nmodel bn = bayesnet { A: 0.0  B | A: {false: 0.5, "
                 "true: 0.5} }\nquery q = normalize(sum[A] bn)\n")
    r = CliRunner().invoke(main, ["run", str(f), "-e", "A=true"])
    assert r.exit_code == 5
    assert "false  undefined" in r.stdout
    assert "undefined, every entry: the evidence has probability 0: {A = true}" in r.stdout


def test_meu() -> None:
    code, q = run_json("meu")
    assert code == 0
    assert q["best"]["value"] == pytest.approx(-2.3)
    assert q["best"]["argmax"] == {"U": "true"}


def test_sdp() -> None:
    code, q = run_json("sdp", "-e", "T1=true")
    assert code == 3                                     # sdp_refused is not certified
    assert table(q["treat"])[("true",)] == pytest.approx(0.27 / 0.41)
    assert q["sdp"]["value"] == pytest.approx(0.271 / 0.41)
    code, q = run_json("sdp", "-q", "sdp")
    assert q["sdp"]["value"] == pytest.approx(0.41)


def test_wmc_in_every_semiring() -> None:
    code, q = run_json("wmc")
    assert code == 0
    assert q["count"]["value"] == 4
    assert q["sat"]["value"] is True
    assert q["wmc"]["value"] == pytest.approx(0.66)
    assert q["best"]["value"] == pytest.approx(0.336)
    assert q["best"]["argmax"] == {"A": "false", "B": "true", "C": "true"}
    assert q["cheap"]["value"] == pytest.approx(2)
    assert q["cheap"]["argmax"] == {"A": "true", "B": "false", "C": "true"}
    assert q["logw"]["value"] == pytest.approx(-0.4155154440)


def test_twoamc() -> None:
    code, q = run_json("twoamc")
    assert code == 3                                     # the naive circuit is refused
    assert "naive" not in q
    assert q["twoamc"]["value"] == pytest.approx(0.54)
    assert q["longhand"]["value"] == pytest.approx(0.54)


def test_moments_posterior_of_the_fitted_example(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the checked-in fitted file is what `atlasc fit` writes (the command in the example)
    out = tmp_path / "fitted.bif"
    r = CliRunner().invoke(main, ["fit", str(EX / "asia.bif"), "--data",
                                  str(EX / "asia_rows.csv"), "--pseudo-count", "1", "-o",
                                  str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    from atlasc.compiler.sources import load_model
    ours, theirs = load_model(out), load_model(EX / "asia_fitted.bif")
    for a, b in zip(ours.cpts, theirs.cpts):
        assert a.alpha == pytest.approx(b.alpha, rel=1e-9)
        assert a.table == pytest.approx(b.table, rel=1e-9)
    code, q = run_json("moments_posterior")
    assert code == 0
    e, var = q["dysp_posterior"]["value"]
    e20, var20 = q["dysp_s20"]["value"]
    assert e == pytest.approx(q["p_dysp"]["value"], rel=1e-5)   # EM: mean = one more M-step
    assert e20 == pytest.approx(q["p_dysp"]["value"], rel=1e-12)
    assert 0 < var < var20                     # 300 rows: more certain than s = 20 here
