"""Every feature program of programs/ against ProbLog (within 1e-6), through `atlasc problog`'s
runner and through `model m = problog "..."` in a .query file."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("problog")

import atlasc  # noqa: E402
from atlasc.compiler.problog import roots  # noqa: E402
from atlasc.compiler.program import problog as P  # noqa: E402
from tests.problog.oracle import close, problog_file  # noqa: E402

HERE = Path(__file__).parent / "programs"
PROGRAMS = sorted(p.name for p in HERE.glob("*.pl") if p.name != "consult_part.pl")


@pytest.mark.parametrize("overlap", [0.0, float("inf")], ids=["joint", "roots"])
@pytest.mark.parametrize("name", PROGRAMS)
def test_marginals_match_problog(name: str, overlap: float,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Both encodings (the joint one, and each query a root: roots.overlapping chooses)."""
    monkeypatch.setattr(roots, "OVERLAP", overlap)
    _, answers = P.run(str(HERE / name))
    theirs = problog_file(str(HERE / name))
    assert theirs, "the program has queries"
    assert close(answers[0].values, theirs), (answers[0].values, theirs)


@pytest.mark.parametrize("name", ["facts.pl", "cycles.pl", "ad.pl", "negation.pl"])
def test_query_file_model_matches_problog(name: str, tmp_path: Path) -> None:
    """Every ground atom is a variable of the model: P(atom | the file's evidence)."""
    s = P.open_program(P.PL.load(str(HERE / name), all_atoms=True))
    ev = " | " + ", ".join(a if v else f"!{a}" for a, v in s.prog.evidence.items()) \
        if s.prog.evidence else ""
    text = f'model m = problog "{HERE / name}"\nquery q = marginals(m{ev})\n'
    prog = atlasc.compile_string(text)
    res = prog.queries["q"].run()
    theirs = problog_file(str(HERE / name))
    for atom, p in theirs.items():
        if atom in s.prog.evidence:
            continue
        got = res.table(atom.replace(" ", ""))["true"][1]
        assert abs(got - p) <= 1e-6, (atom, got, p)
