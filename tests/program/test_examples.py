"""Every examples/*.query compiles and runs; the docs/atlas.md section 5 numbers come out."""
from __future__ import annotations

from pathlib import Path

import pytest

from atlasc.compiler.api import compile_file

EX = Path(__file__).resolve().parents[2] / "examples"
INTRACTABLE = {"incompatible": {"both"}, "mmap": {"mmap_b"}, 
               "sdp": {"sdp_refused"}, "twoamc": {"naive"}}


@pytest.mark.parametrize("path", sorted(EX.glob("*.query")), ids=lambda p: p.stem)
def test_example_runs(path: Path) -> None:
    prog = compile_file(path)
    bad = {n for n, q in prog.queries.items() if not q.tractable}
    assert bad == INTRACTABLE.get(path.stem, set())
    for q in prog.queries.values():
        if q.tractable:
            assert q.run().rows


def _table(prog, name: str) -> dict[tuple[str, ...], float]:
    row = prog.queries[name].run().rows[0]
    return {tuple(e.assignment.values()): e.value for e in row.entries}


def test_mmap_vs_mpe() -> None:
    prog = compile_file(EX / "mmap.query")
    mmap = prog.queries["mmap"].run().rows[0].entries[0]
    mpe = prog.queries["mpe"].run().rows[0].entries[0]
    assert mmap.value == pytest.approx(0.55) and mmap.argmax == {"A": "false"}
    assert mpe.value == pytest.approx(0.40) and mpe.argmax == {"A": "true", "B": "false"}


def test_mmap_on_b_first_circuit_is_refused() -> None:
    prog = compile_file(EX / "mmap.query")
    assert not prog.queries["mmap_b"].tractable


def test_sharpsat() -> None:
    prog = compile_file(EX / "sharpsat.query")
    assert prog.queries["models"].run().rows[0].value == 3
    assert prog.queries["sat"].run().rows[0].value is True


def test_backdoor() -> None:
    t = _table(compile_file(EX / "backdoor.query"), "do")
    assert t[("true", "true")] == pytest.approx(0.62)
    assert t[("false", "true")] == pytest.approx(0.18)


def test_frontdoor() -> None:
    t = _table(compile_file(EX / "frontdoor.query"), "do")
    assert t[("true", "true")] == pytest.approx(0.665)
    assert t[("false", "true")] == pytest.approx(0.42)


def test_pasp_maxent() -> None:
    prog = compile_file(EX / "pasp.query")
    assert prog.queries["p_b"].run().rows[0].value == pytest.approx(0.15)


def test_sprinkler_numbers() -> None:
    prog = compile_file(EX / "sprinkler.query")
    assert prog.queries["pe"].run().rows[0].value == pytest.approx(0.44838)
    assert prog.queries["wmc"].run().rows[0].value == pytest.approx(0.72)
    assert prog.queries["count"].run().rows[0].value == 3
    assert prog.queries["sunny"].run().rows[0].value == pytest.approx(0.5)
