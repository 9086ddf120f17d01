"""The direct mode of `atlasc problog` (compiler/problogdirect.py): an unchanged program prints
what it printed before without loading ProbLog; any change of the program, of a file it read,
of the options, or a damaged entry, takes the full path again."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("problog")

from atlasc.compiler import problogdirect as D  # noqa: E402

HERE = Path(__file__).parent
PROGRAMS = HERE / "programs"

PROBE = textwrap.dedent("""
    import runpy, sys
    sys.argv = ["atlasc", *sys.argv[1:]]
    try:
        runpy.run_module("atlasc", run_name="__main__")
    finally:
        loaded = sorted(m for m in ("problog", "pysdd", "click", "lark", "sympy", "llvmlite")
                        if m in sys.modules)
        print("loaded:", " ".join(loaded), file=sys.stderr)
""")


def atlasc(cache: Path, cwd: Path, *args: str) -> tuple[str, str, int]:
    """`atlasc ARGS` in a fresh interpreter with its program cache in `cache`: (stdout, which
    of ProbLog, pysdd, click, lark, sympy and llvmlite it loaded, exit code)."""
    env = dict(os.environ, ATLASC_PROGRAM_CACHE=str(cache))
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, cwd=cwd, env=env)
    loaded = [ln for ln in done.stderr.splitlines() if ln.startswith("loaded:")]
    return done.stdout, loaded[-1].strip() if loaded else "", done.returncode


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in ("consult_main.pl", "consult_part.pl"):
        shutil.copy(PROGRAMS / name, tmp_path / name)
    return tmp_path


def test_an_unchanged_program_answers_without_problog(work: Path) -> None:
    """The first run loads what answering needs (not the parser of the query language, the
    mapping compiler or the LLVM back end: the answers are libsdd's model counts)."""
    cache = work / "cache"
    first = atlasc(cache, work, "problog", "consult_main.pl", "--json")
    assert first[1] == "loaded: click problog pysdd" and first[2] == 0
    again = atlasc(cache, work, "problog", "consult_main.pl", "--json")
    assert again == (first[0], "loaded:", 0)
    assert len(list(cache.glob("*.answers"))) == 1


def test_a_changed_consulted_file_is_computed_again(work: Path) -> None:
    cache = work / "cache"
    before = atlasc(cache, work, "problog", "consult_main.pl")
    (work / "consult_part.pl").write_text("0.9::part.\n")
    after = atlasc(cache, work, "problog", "consult_main.pl")
    assert after[1].startswith("loaded: click") and after[0] != before[0]
    assert after[0] == atlasc(work / "other", work, "problog", "consult_main.pl")[0]
    assert "part:\t0.9" in after[0].replace(" ", "\t")


def test_options_and_the_program_are_in_the_key(work: Path) -> None:
    cache = work / "cache"
    text = atlasc(cache, work, "problog", "consult_main.pl")[0]
    js = atlasc(cache, work, "problog", "consult_main.pl", "--json")
    assert js[1].startswith("loaded: click") and js[0] != text
    main = work / "consult_main.pl"
    main.write_text(main.read_text().replace("0.2::extra", "0.5::extra"))
    changed = atlasc(cache, work, "problog", "consult_main.pl")
    assert changed[1].startswith("loaded: click") and changed[0] != text


def test_a_damaged_entry_is_computed_again(work: Path) -> None:
    cache = work / "cache"
    first = atlasc(cache, work, "problog", "consult_main.pl")
    (entry,) = cache.glob("*.answers")
    entry.write_bytes(entry.read_bytes()[:-3])
    again = atlasc(cache, work, "problog", "consult_main.pl")
    assert again[0] == first[0] and again[1].startswith("loaded: click")
    assert atlasc(cache, work, "problog", "consult_main.pl")[1] == "loaded:"


def test_errors_are_not_kept(tmp_path: Path) -> None:
    shutil.copy(HERE / "golden" / "parse_error.pl", tmp_path / "bad.pl")
    for _ in range(2):
        assert atlasc(tmp_path / "cache", tmp_path, "problog", "bad.pl")[2] == 2
    assert not list((tmp_path / "cache").glob("*.answers"))


def test_which_command_lines_are_kept() -> None:
    assert D.request(["problog", "f.pl", "--json", "--map", "a,b"]) == \
        ("f.pl", ("--json", "--map", "a,b"))
    assert D.request(["problog", "--data=rows.csv", "f.pl"]) == ("f.pl", ("--data=rows.csv",))
    for argv in (["problog", "f.pl", "--allow-python"], ["-v", "problog", "f.pl"],
                 ["problog", "f.pl", "g.pl"], ["problog", "--help"], ["run", "f.pl"], []):
        assert D.request(argv) is None
