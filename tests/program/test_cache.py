"""The compiled-program cache (compiler/program/cache.py): hits give the same answers as a
fresh compile; corrupt, truncated, stale (a model file changed) and foreign (another atlasc
version) entries are rebuilt, never loaded; 8 processes (3 in the fast tier) sharing one cache all succeed and
leave whole entries."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from atlasc.compiler.api import compile_file
from atlasc.compiler import version
from atlasc.compiler.program import cache
from atlasc.runtime.llvm import run as llvm_run

from tests.program.conftest import EXAMPLES, copy_examples, damaged


def _values(prog) -> dict[str, list]:
    out = {}
    for name, q in prog.queries.items():
        if q.tractable:
            r = q.run()
            out[name] = r.to_json()
    return out


@pytest.mark.parametrize("name", ["sprinkler.query", "mmap.query", "pasp.query",
                                  "positivity.query", "meu.query"])
def test_hit_answers_as_a_fresh_compile(cache_dir: Path, name: str) -> None:
    fresh = compile_file(EXAMPLES / name)
    compile_file(EXAMPLES / name, cache=True)
    hit = compile_file(EXAMPLES / name, cache=True)
    assert cache.STATS.hits == 1 and cache.STATS.builds == 1
    assert all(llvm_run.programs(q.circuit) for q in hit.queries.values()
               if q.tractable)                   # loaded with the entry, not linearised again
    assert _values(hit) == _values(fresh)
    assert hit.report.render() == fresh.report.render()


def _entry(cache_dir: Path) -> Path:
    (entry,) = cache_dir.glob("*.prog")
    return entry


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_damaged_entry_is_rebuilt(cache_dir: Path, damage: str) -> None:
    path = EXAMPLES / "sprinkler.query"
    compile_file(path, cache=True)
    entry = _entry(cache_dir)
    entry.write_bytes(damaged(entry.read_bytes(), damage))
    prog = compile_file(path, cache=True)
    assert cache.STATS.rejected == 1 and cache.STATS.builds == 2
    assert _values(prog) == _values(compile_file(path))
    compile_file(path, cache=True)                     # the rebuilt entry is whole again
    assert cache.STATS.hits == 1


def test_changed_model_file_is_rebuilt(cache_dir: Path, tmp_path: Path) -> None:
    q = copy_examples(tmp_path, "core.query")
    before = _values(compile_file(q, cache=True))
    bif = tmp_path / "sprinkler.bif"
    bif.write_text(bif.read_text().replace("table 0.8, 0.2;", "table 0.7, 0.3;"))
    after = compile_file(q, cache=True)
    assert cache.STATS.rejected == 1 and cache.STATS.builds == 2
    assert _values(after) == _values(compile_file(q)) != before


def test_version_change_is_a_miss(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = EXAMPLES / "sprinkler.query"
    compile_file(path, cache=True)
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    compile_file(path, cache=True)
    assert cache.STATS.builds == 2 and cache.STATS.hits == 0
    assert len(list(cache_dir.glob("*.prog"))) == 2
    monkeypatch.setattr(version, "_SOURCE_HASH", ["another atlasc"])
    compile_file(path, cache=True)
    assert cache.STATS.builds == 3


def test_options_are_part_of_the_key(cache_dir: Path) -> None:
    path = EXAMPLES / "mmap.query"
    compile_file(path, cache=True)
    repaired = compile_file(path, cache=True, repair=True)
    assert cache.STATS.builds == 2 and repaired.queries["mmap_b"].tractable


CHILD = """
import sys
from atlasc.compiler.api import compile_file
p = compile_file(sys.argv[1], cache=True)
print(p.queries["pe"].run().rows[0].value)
"""


@pytest.mark.parametrize("n", [3, pytest.param(8, marks=pytest.mark.slow)])
def test_processes_share_one_cache(cache_dir: Path, tmp_path: Path, n: int) -> None:
    """n processes start together on an empty cache: each compiles and stores, or loads a
    whole entry; all answer alike, and what is left is one whole entry."""
    env = dict(os.environ, ATLASC_PROGRAM_CACHE=str(cache_dir))
    path = str(EXAMPLES / "sprinkler.query")
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, path], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    want = compile_file(path).queries["pe"].run().rows[0].value
    assert all(float(o) == pytest.approx(want) for o, _ in outs)
    assert not list(cache_dir.glob("*.tmp"))
    assert cache.unseal(_entry(cache_dir).read_bytes()) is not None
    assert cache.load(cache.key((EXAMPLES / "sprinkler.query").read_text(), path,
                                EXAMPLES.resolve(), {"repair": False, "strict": False,
                                                    "max_nodes": None}))


def test_cache_info_and_clear(cache_dir: Path) -> None:
    from click.testing import CliRunner
    from atlasc.compiler.cli import main
    compile_file(EXAMPLES / "sprinkler.query", cache=True)
    r = CliRunner().invoke(main, ["cache", "info"])
    assert r.exit_code == 0 and "compiled programs" in r.stdout and "1 entr" in r.stdout
    r = CliRunner().invoke(main, ["cache", "clear"])
    assert r.exit_code == 0 and not list(cache_dir.glob("*.prog"))


def test_cli_warm_run_loads_from_cache(cache_dir: Path) -> None:
    from click.testing import CliRunner
    from atlasc.compiler.cli import main
    args = ["run", str(EXAMPLES / "sprinkler.query"), "-q", "pe", "--json"]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    third = CliRunner().invoke(main, args + ["--no-cache"])
    assert first.stdout == second.stdout == third.stdout
    assert cache.STATS.hits == 1 and cache.STATS.builds == 1     # --no-cache: neither
    assert np.isfinite(float(__import__("json").loads(first.stdout)["queries"][0]["rows"][0]
                             ["value"]))


def test_a_loaded_circuit_can_be_built_on(cache_dir: Path) -> None:
    """The builder of a loaded circuit rebuilds its hash-cons table when asked: new nodes are
    shared with the old ones, as in a fresh compile."""
    compile_file(EXAMPLES / "sprinkler.query", cache=True)
    hit = compile_file(EXAMPLES / "sprinkler.query", cache=True)
    c = hit.queries["pe"].circuit
    r = c.root
    assert c.builder.owns(r)
    assert c.builder._make(r.op, r.children, r.arg, r.sr) is r      # found, not made anew
