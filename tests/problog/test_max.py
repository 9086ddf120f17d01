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

from atlasc.compiler.program import problog as P  # noqa: E402
from tests.problog.oracle import problog_text  # noqa: E402

HERE = Path(__file__).parent / "programs"


def problog_mpe(path: Path, cwd: Path) -> float:
    """ProbLog's mpe task (its MaxSAT solver writes a `resulttable` file into the directory)."""
    out = subprocess.run([sys.executable, "-m", "problog", "mpe", str(path)], cwd=cwd,
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"% Probability: (\S+)", out).group(1))   # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["facts.pl", "negation.pl", "cycles.pl"])
def test_mpe_probability_matches_problog(name: str, tmp_path: Path) -> None:
    _, answers = P.run(str(HERE / name), mpe=True)
    assert abs(answers[0].probability - problog_mpe(HERE / name, tmp_path)) <= 1e-6


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
