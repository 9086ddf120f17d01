"""The compiled-program cache's direct mode (compiler/program/manifest.py): `atlasc run` of an
unchanged query file with unchanged dependencies loads the run image without the parser; an
edited model file or query, a deleted dependency, a corrupt or truncated entry fall back to
the full path and answer as a fresh compile."""
from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.program import cache, manifest
from atlasc.compiler.program.load import compile_file

from tests.program.conftest import EXAMPLES, copy_examples, damaged


def _answers(prog) -> dict[str, object]:
    return {n: q.run().to_json() for n, q in prog.queries.items() if q.tractable}


def _lean(path: Path):
    return compile_file(path, cache=True, lean=True)


@pytest.mark.parametrize("name", ["sprinkler.query", "pasp.query", "positivity.query",
                                  "meu.query", "mmap.query"])
def test_a_run_image_answers_and_reports_as_a_fresh_compile(cache_dir: Path, name: str
                                                            ) -> None:
    fresh = compile_file(EXAMPLES / name)
    _lean(EXAMPLES / name)
    image = _lean(EXAMPLES / name)
    assert image.models == {} and cache.STATS.hits == 1 and cache.STATS.builds == 1
    assert isinstance(image.views, manifest.FixedViews)
    assert _answers(image) == _answers(fresh)
    assert image.report.render() == fresh.report.render()
    assert image.report.to_json() == fresh.report.to_json()
    assert image.inputs == fresh.inputs


def test_the_manifest_lists_the_model_files(cache_dir: Path, tmp_path: Path) -> None:
    q = copy_examples(tmp_path, "core.query")
    _lean(q)
    (entry,) = cache_dir.glob("*.run")
    deps = pickle.Unpickler(io.BytesIO(cache.atomic.unseal(manifest.MAGIC,
                                                           entry.read_bytes()))).load()
    assert str((tmp_path / "sprinkler.bif").resolve()) in {p for p, _ in deps}
    assert all(h is not None for _, h in deps)


def test_an_edited_model_file_falls_back_and_recompiles(cache_dir: Path, tmp_path: Path
                                                         ) -> None:
    q = copy_examples(tmp_path, "core.query")
    before = _answers(_lean(q))
    bif = tmp_path / "sprinkler.bif"
    bif.write_text(bif.read_text().replace("table 0.8, 0.2;", "table 0.7, 0.3;"))
    after = _lean(q)
    assert cache.STATS.rejected == 2 and cache.STATS.builds == 2     # direct, then full
    assert _answers(after) == _answers(compile_file(q)) != before
    assert _answers(_lean(q)) == _answers(after) and cache.STATS.hits == 1


def test_an_edited_query_is_another_entry(cache_dir: Path, tmp_path: Path) -> None:
    q = copy_examples(tmp_path, "sprinkler.query")
    _lean(q)
    q.write_text(q.read_text() + "\nquery extra = sum[*] bn\n")
    edited = _lean(q)
    assert "extra" in edited.queries and cache.STATS.builds == 2 and cache.STATS.hits == 0


def test_a_deleted_dependency_falls_back(cache_dir: Path, tmp_path: Path) -> None:
    q = copy_examples(tmp_path, "core.query")
    _lean(q)
    (tmp_path / "sprinkler.bif").unlink()
    with pytest.raises(Exception):
        _lean(q)                        # the compile fails as a fresh one would
    assert cache.STATS.hits == 0 and cache.STATS.rejected == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage", "deps"])
def test_a_corrupt_direct_entry_falls_back(cache_dir: Path, damage: str) -> None:
    path = EXAMPLES / "sprinkler.query"
    _lean(path)
    (entry,) = cache_dir.glob("*.run")
    if damage == "deps":                # sealed, but not a manifest: never trusted
        entry.write_bytes(cache.atomic.seal(manifest.MAGIC, b"\x80\x05K\x07."))
    else:
        entry.write_bytes(damaged(entry.read_bytes(), damage))
    prog = _lean(path)
    assert cache.STATS.rejected == 1 and cache.STATS.hits == 1      # the full entry
    assert _answers(prog) == _answers(compile_file(path))
    _lean(path)                         # the direct entry was written again, whole
    assert cache.STATS.hits == 2 and cache.STATS.rejected == 1


def test_version_change_misses_the_direct_entry(cache_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = EXAMPLES / "sprinkler.query"
    _lean(path)
    monkeypatch.setattr(manifest, "__version__", "0.0.0-other")
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    _lean(path)
    assert cache.STATS.builds == 2 and cache.STATS.hits == 0


def test_files_read_while_compiling_are_recorded(tmp_path: Path) -> None:
    f = tmp_path / "included.txt"
    f.write_text("x")
    with manifest.recording() as read:
        f.read_text()
        (tmp_path / "written.txt").write_text("y")
    assert str(f) in read and str(tmp_path / "written.txt") not in read


PROBE = """
import sys
from atlasc.compiler.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = [m for m in ("lark", "atlasc.compiler.language.ast", "atlasc.compiler.language.parse",
                     "sympy", "atlasc.compiler.sources", "atlasc.compiler.language.adapters")
         if m in sys.modules]
print("HEAVY", heavy, code, file=sys.stderr)
"""


def test_a_cached_cli_run_loads_no_parser_and_no_reader(cache_dir: Path, tmp_path: Path
                                                       ) -> None:
    env = dict(os.environ, ATLASC_PROGRAM_CACHE=str(cache_dir))
    rows = tmp_path / "rows.csv"
    rows.write_text("Rain,Sprinkler\ntrue,\n,false\n")
    args = ["run", str(EXAMPLES / "sprinkler.query"), "-q", "pe", "--data", str(rows),
            "--out", str(tmp_path / "o.csv")]
    runs = [subprocess.run([sys.executable, "-c", PROBE, *args], env=env, text=True,
                           capture_output=True, timeout=300) for _ in range(2)]
    first, second = (r.stderr.strip().splitlines()[-1] for r in runs)
    assert "lark" in first                              # the first run compiled
    assert second == "HEAVY [] 0", second
    assert first.endswith(" 0")


# ---- what a run builds is kept: the node circuit of a flat view past the break-even ------------
CHAIN = 24                       # variables: past networks.TREE_MIN_VARS, the flat route's


def _chain(tmp_path: Path) -> Path:
    """A chain network on the flat route, with zero CPT cells (zero-probability rows: the
    log-space twin is built for them)."""
    parts = ["network chain { }"]
    parts += [f"variable x{i} {{ type discrete [ 2 ] {{ a, b }}; }}" for i in range(CHAIN)]
    parts.append("probability ( x0 ) { table 0.3, 0.7; }")
    parts += [f"probability ( x{i} | x{i - 1} ) {{ (a) {0.2 if i % 5 else 0.0}, "
              f"{0.8 if i % 5 else 1.0}; (b) 0.6, 0.4; }}" for i in range(1, CHAIN)]
    (tmp_path / "chain.bif").write_text("\n".join(parts) + "\n")
    q = tmp_path / "chain.query"
    q.write_text('model bn = bif "chain.bif"\nquery pe = sum[*] bn\n')
    return q


def _rows(n: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(7)
    E = np.where(rng.random((n, CHAIN)) < 0.2, rng.integers(0, 2, (n, CHAIN)), -1)
    return E, [f"x{i}" for i in range(CHAIN)]


def test_a_node_circuit_a_run_built_is_kept_for_the_next_run(cache_dir: Path,
                                                             tmp_path: Path) -> None:
    q = _chain(tmp_path)
    E, names = _rows(5000)
    prog = compile_file(q, cache=True, lean=True, queries=["pe"])
    view = prog.queries["pe"].circuit
    assert isinstance(view, FlatView) and not view.materialised
    want = prog.queries["pe"].run_array(E, names)
    assert view.materialised                        # the batch ran on the node circuit
    assert (want.values == 0).any()                 # and the zero rows on its log twin
    manifest.refresh(prog)
    image = compile_file(q, cache=True, lean=True, queries=["pe"])
    kept = image.queries["pe"].circuit
    assert cache.STATS.hits == 1 and kept is not view
    assert kept.materialised and kept.recipe is manifest._no_recipe
    assert "model" not in kept.info and "model" not in kept.flat.info
    assert all(prepared for _, prepared in cache.linearised(image))
    got = image.queries["pe"].run_array(E, names)
    assert np.array_equal(got.values, want.values)
    flat_answer = compile_file(q).queries["pe"].run_array(E[:1], names)
    assert np.allclose(image.queries["pe"].run_array(E[:1], names).values, flat_answer.values)


def test_refresh_writes_only_what_is_new(cache_dir: Path, tmp_path: Path) -> None:
    q = _chain(tmp_path)
    prog = compile_file(q, cache=True, lean=True, queries=["pe"])
    (entry,) = cache_dir.glob("*.run")
    before = entry.stat().st_mtime_ns
    prog.queries["pe"].run_array(*_rows(1))          # one row: the flat arrays answer
    manifest.refresh(prog)
    assert entry.stat().st_mtime_ns == before


def test_a_cached_cli_run_past_the_break_even_builds_nothing(cache_dir: Path, tmp_path: Path
                                                             ) -> None:
    env = dict(os.environ, ATLASC_PROGRAM_CACHE=str(cache_dir))
    q = _chain(tmp_path)
    E, names = _rows(3000)
    rows = tmp_path / "rows.csv"
    rows.write_text(",".join(names) + "\n" + "\n".join(
        ",".join("ab"[x] if x >= 0 else "" for x in r) for r in E) + "\n")
    outs = [tmp_path / f"o{i}.csv" for i in range(2)]
    runs = [subprocess.run([sys.executable, "-c", PROBE.replace(
        '"atlasc.compiler.language.adapters")', '"atlasc.compiler.language.adapters", '
        '"atlasc.compiler.ops.aggregate")'), "run", str(q), "-q", "pe", "--data", str(rows),
        "--out", str(o)], env=env, text=True, capture_output=True, timeout=300) for o in outs]
    assert runs[1].stderr.strip().splitlines()[-1] == "HEAVY [] 0", runs[1].stderr
    assert outs[0].read_bytes() == outs[1].read_bytes()
