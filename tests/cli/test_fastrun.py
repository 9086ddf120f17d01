"""The direct mode of a cached `atlasc run --data --out` (compiler/fastrun.py) against the
full command line (click, compiler/cli.py): on a table of command lines, the same standard
output, standard error, exit code and output file, byte for byte, with the direct mode
having taken the run (no click loaded) wherever the cache holds the program; what it does
not parse goes to click.

The runs get a program cache of their own: tests/conftest.py turns it off for the suite
(ATLASC_PROGRAM_CACHE=off), and without it every run would be click's."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from atlasc.compiler import fastrun

BIF = """network n { }
variable A { type discrete [ 2 ] { yes, no }; }
variable B { type discrete [ 3 ] { lo, mid, hi }; }
probability ( A ) { table 0.3, 0.7; }
variable C { type discrete [ 2 ] { on, off }; }
probability ( B | A ) { (yes) 0.5, 0.5, 0.0; (no) 0.2, 0.3, 0.5; }
probability ( C ) { table 0.4, 0.6; }
"""
ROWS = "A,B\nyes,\n,hi\nyes,hi\n,\nno,lo\n"   # yes,hi: P(e) = 0, m's C table undefined
FULL = "import sys; from atlasc.compiler.cli import main; sys.argv[0] = 'atlasc'; main()"
TOOK = ("import atexit, sys; atexit.register(lambda: open('took', 'w').write("
        "'click' if 'click' in sys.modules else 'direct')); ")
DIRECT = TOOK + "import runpy; runpy.run_module('atlasc', run_name='__main__')"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: Any) -> Path:
    return _files(tmp_path_factory.mktemp("fastrun"))


def _files(d: Path) -> Path:
    (d / "n.bif").write_text(BIF)
    (d / "q.query").write_text('model bn = bif "n.bif"\nquery pe = sum[*] bn\n'
                               "query m = marginals(bn)\n")
    (d / "rows.csv").write_text(ROWS)
    (d / "bad.csv").write_text("A,C\nyes,1\n")
    return d


def atlasc(d: Path, how: str, args: list[str], out: str | None) -> tuple[Any, ...]:
    """(exit code, stdout, stderr, the output file's bytes) of a run, and which path took
    it ("direct" or "click", from DIRECT's probe; None for FULL)."""
    env = dict(os.environ, ATLASC_CACHE_DIR=str(d / "cache"),
               ATLASC_PROGRAM_CACHE=str(d / "programs"))
    done = subprocess.run([sys.executable, "-c", how, *args], cwd=d, env=env,
                          capture_output=True, text=True)
    written = (d / out).read_bytes() if out and (d / out).exists() else None
    if out and (d / out).exists():
        (d / out).unlink()
    took = (d / "took").read_text() if (d / "took").exists() else None
    (d / "took").unlink(missing_ok=True)
    err = re.sub(r"[0-9]+\.[0-9]+ ?s", "T s", done.stderr)       # -v's times
    return (done.returncode, done.stdout, err, written), took


D, C = "direct", "click"
CASES = [    # (command line, output file, the path that takes it once the cache holds it)
    (["run", "q.query", "--data", "rows.csv", "--out", "o.csv"], "o.csv", D),
    (["run", "q.query", "-q", "m", "--data", "rows.csv", "--out", "o.parquet"], "o.parquet", D),
    (["run", "--query=pe", "q.query", "--data=rows.csv", "--out=o.jsonl", "-q", "pe"],
     "o.jsonl", D),
    (["run", "q.query", "-q", "pe", "-o", "o.arrow", "--data", "rows.csv", "-vv"], "o.arrow",
     D),
    (["run", "q.query", "-q", "m", "--data", "rows.csv", "--out", "o.csv", "-v", "--quiet"],
     "o.csv", D),
    (["run", "q.query", "-q", "nope", "--data", "rows.csv", "--out", "o.csv"], "o.csv", D),
    (["run", "q.query", "--data", "bad.csv", "--out", "o.csv"], "o.csv", D),
    (["run", "q.query", "--data", "rows.csv", "--out", "o.txt"], "o.txt", D),
    (["run", "q.query", "--data", "rows.csv", "--out", "rows.csv"], None, D),
    (["run", "q.query", "--data", "missing.csv", "--out", "o.csv"], "o.csv", D),
    (["run", "q.query", "--data", "rows.csv", "--out", "no/such/dir/o.csv"], None, D),
    (["run", "q.query", "--data", "rows.csv", "--out", "o.csv", "--timeout", "30"], "o.csv",
     C),
    (["run", "q.query", "--data", "rows.csv", "--out", "o.csv", "-e", "C=on"], "o.csv", C),
]


@pytest.mark.parametrize("args,out,path", CASES,
                         ids=lambda a: " ".join(a[1:]) if isinstance(a, list) else None)
def test_the_direct_mode_answers_as_the_command_line(folder: Path, args: list[str],
                                                     out: str | None, path: str) -> None:
    atlasc(folder, FULL, args, out)                   # fills the cache (the run image)
    direct, took = atlasc(folder, DIRECT, args, out)
    full, _ = atlasc(folder, FULL, args, out)
    assert took == path
    assert direct == full
    assert (folder / "rows.csv").read_text() == ROWS


def test_the_direct_mode_writes_the_undefined_entries_with_their_reason(folder: Path) -> None:
    """What the user gets: m's C table is undefined on the row of probability 0 (exit 5,
    the reason in m.why), the other rows defined; the conditionals as per-row brute force."""
    args = ["run", "q.query", "-q", "m", "--data", "rows.csv", "--out", "x.csv"]
    atlasc(folder, FULL, args, "x.csv")
    (code, _, err, written), took = atlasc(folder, DIRECT, args, "x.csv")
    assert (took, code) == (D, 5), err
    rows = list(csv.DictReader(io.StringIO(written.decode())))
    assert [r["m[C=on]"] == "" for r in rows] == [False, False, True, False, False]
    assert rows[2]["m.why"] and not any(r["m.why"] for i, r in enumerate(rows) if i != 2)
    pa = {"yes": 0.3, "no": 0.7}
    pb = {"yes": {"lo": 0.5, "mid": 0.5, "hi": 0.0}, "no": {"lo": 0.2, "mid": 0.3, "hi": 0.5}}
    for r, line in zip(rows, ROWS.splitlines()[1:]):      # brute force, leaving X out for X
        a, b = line.split(",")
        w = {x: pa[x] * (pb[x][b] if b else 1.0) for x in pa}   # P(A = x, B = b)
        assert float(r["m[A=yes]"]) == pytest.approx(w["yes"] / sum(w.values()))
        pe = w[a] if a else sum(w.values())                       # P(A = a, B = b)
        assert (float(r["m[C=on]"]) if pe else r["m[C=on]"]) == (pytest.approx(0.4) if pe
                                                                 else "")


def test_a_failed_direct_run_leaves_the_output_as_it_was(folder: Path) -> None:
    args = ["run", "q.query", "--data", "bad.csv", "--out", "kept.csv"]
    atlasc(folder, FULL, args, None)
    (folder / "kept.csv").write_text("mine\n")
    (code, _, err, _), took = atlasc(folder, DIRECT, args, None)
    assert (took, code) == (D, 2) and "bad.csv" in err and "^" in err
    assert (folder / "kept.csv").read_text() == "mine\n"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".kept")] == []


KILL = ("import os, signal; from atlasc.compiler.program import writers; "
        "w = writers.TableWriter.write; writers.TableWriter.write = lambda self, t: "
        "(w(self, t), os.kill(os.getpid(), signal.SIG{sig})); ")


@pytest.mark.parametrize("sig", ["TERM", "INT"])
def test_a_signal_mid_write_leaves_no_file_in_either_path(folder: Path, sig: str) -> None:
    """SIGTERM or SIGINT once the first chunk is written: exit 128 + 15 or 130, the file
    that was there left as it was and no temporary file, the direct mode as the full
    command line."""
    args = ["run", "q.query", "--data", "rows.csv", "--out", "sig.csv"]
    atlasc(folder, FULL, args, "sig.csv")
    killed = KILL.format(sig=sig)
    (folder / "sig.csv").write_text("mine\n")
    (code, _, _, kept), took = atlasc(folder, killed + DIRECT, args, "sig.csv")
    (folder / "sig.csv").write_text("mine\n")
    full, _ = atlasc(folder, killed + FULL, args, "sig.csv")
    assert (took, code, kept) == (D, 143 if sig == "TERM" else 130, b"mine\n")
    assert full[0] == code and full[3] == kept
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".sig.csv")]


def test_the_direct_mode_takes_a_cached_run_without_click(tmp_path: Path) -> None:
    folder = _files(tmp_path)           # a cache of its own: empty at first
    args = ["run", "q.query", "-q", "pe", "--data", "rows.csv", "--out", "x.csv"]
    assert atlasc(folder, DIRECT, [*args, "--no-cache"], "x.csv")[1] == C
    assert atlasc(folder, DIRECT, args, "x.csv")[1] == C         # compiles, fills the cache
    (code, _, _, written), took = atlasc(folder, DIRECT, args, "x.csv")
    assert (took, code) == (D, 0) and written
    (folder / "n.bif").write_text(BIF.replace("0.3, 0.7", "0.4, 0.6"))   # an edited model
    (code, _, _, again), took = atlasc(folder, DIRECT, args, "x.csv")
    assert (took, code) == (C, 0) and again != written


@pytest.mark.parametrize("argv", [
    ["check", "q.query"], ["run", "q.query", "--data", "r.csv"],
    ["run", "q.query", "--out", "o.csv"], ["run", "q.query", "--data", "r.csv", "--out"],
    ["run", "q.query", "--data", "r.csv", "--out", "o.csv", "--no-cache"],
    ["run", "q.query", "--data", "r.csv", "--out", "o.csv", "-e", "A=yes"],
    ["run", "q.query", "--data", "r.csv", "--out", "o.csv", "--data", "s.csv"],
    ["run", "q.query", "--data", "r.csv", "--out", "-x"], ["run", "a", "b", "--data", "r",
                                                            "--out", "o"],
    ["run", "q.query", "--data=", "--out", "o.csv"], ["run", "q.query", "-vq", "pe"],
    ["run", "q.query", "--data", "r.csv", "--out", "o.csv", "--"],
    ["run", "q.query", "--data", "r.csv", "--out", "o.csv", "-h"]])
def test_what_the_direct_mode_does_not_parse_goes_to_click(argv: list[str]) -> None:
    assert fastrun.request(argv) is None


def test_the_direct_mode_parses_its_grammar() -> None:
    r = fastrun.request(["run", "-vv", "f.query", "--query=a", "-q", "b", "--data", "r.csv",
                         "--out=o.csv", "--verbose", "--quiet", "-q", "a"])
    assert r is not None
    assert (r.file, r.names, r.data, r.out, r.verbose, r.quiet) == \
        ("f.query", ["a", "b", "a"], ["r.csv"], ["o.csv"], 3, True)
