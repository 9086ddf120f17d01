"""--mpe against ProbLog's mpe task (its probability, P(world, e)), and --map against an
exhaustive search scored by ProbLog's exact P(q, e) (a rule per assignment, one ProbLog run)."""
from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("problog")

from atlasc.compiler.problog import roots  # noqa: E402
from atlasc.compiler.program import problog as P  # noqa: E402
from tests.problog.oracle import problog_text  # noqa: E402

HERE = Path(__file__).parent / "programs"


def problog_mpe(path: Path, cwd: Path) -> float:
    """ProbLog's mpe task (its MaxSAT solver writes a `resulttable` file into the directory)."""
    out = subprocess.run([sys.executable, "-m", "problog", "mpe", str(path)], cwd=cwd,
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"% Probability: (\S+)", out).group(1))   # type: ignore[union-attr]


@pytest.mark.parametrize("overlap", [0.0, float("inf")], ids=["joint", "roots"])
@pytest.mark.parametrize("name", ["facts.pl", "negation.pl", "cycles.pl", "ad.pl"])
def test_mpe_probability_matches_problog(name: str, overlap: float, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roots, "OVERLAP", overlap)
    s, answers = P.run(str(HERE / name), mpe=True)
    a = answers[0]
    assert abs(a.probability - problog_mpe(HERE / name, tmp_path)) <= 1e-6
    # the world shown is a completion of the most probable one: P(world, e) >= P(mpe, e)
    shown = joint((HERE / name).read_text(), [a.world], s.prog.evidence)[0]
    assert shown >= a.probability - 1e-9


def joint(text: str, lits: list[dict[str, bool]], evidence: dict[str, bool]) -> list[float]:
    """P(lits, e) for each row: ProbLog's query of one rule per row, no evidence."""
    body = [re.sub(r"^(query|evidence)\(.*$", "", ln) for ln in text.splitlines()]
    extra = []
    for i, row in enumerate(lits):
        conj = [a if v else f"\\+{a}" for a, v in {**row, **evidence}.items()] or ["true"]
        extra += [f"oracle_q{i} :- {', '.join(conj)}.", f"query(oracle_q{i})."]
    res = problog_text("\n".join(body + extra) + "\n")
    return [res[f"oracle_q{i}"] for i in range(len(lits))]


@pytest.mark.parametrize("name,atoms", [("facts.pl", ["burglary", "earthquake"]),
                                        ("ad.pl", ["red", "coin(h)"]),
                                        ("cycles.pl", ["edge(a,b)", "path(a,c)"])])
def test_map_matches_exhaustive_problog(name: str, atoms: list[str]) -> None:
    s, answers = P.run(str(HERE / name), over=atoms)
    rows = [dict(zip(atoms, vals)) for vals in itertools.product([False, True],
                                                                 repeat=len(atoms))]
    scores = joint((HERE / name).read_text(), rows, s.prog.evidence)
    best = max(scores)
    assert abs(answers[0].probability - best) <= 1e-6
    assert abs(scores[rows.index(answers[0].world)] - best) <= 1e-6
