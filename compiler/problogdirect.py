"""The direct mode of `atlasc problog` (as ccache's): an unchanged ProbLog program prints the
answers it printed before, without loading ProbLog, pysdd or the compiler.

An entry is keyed by the bytes of the `.pl` file, its path, the command's options and the
working folder they are relative to, atlasc itself (its version, the hash of its sources, the
Python version) and the installed `problog` and `pysdd` (their package files' sizes and
times).  It holds every other file the run read (consulted programs, CSV data, `--data` rows:
compiler/program/manifest.py's `inputs`) with its content hash, then what the command wrote
on the standard output and its exit code.  `atlasc/__main__.py` asks `answer` before it loads
the command line: it prints the entry and exits only if the key is found, the entry is whole
(the SHA-256 seal of compiler/atomic.py) and every file of it hashes as it did; anything else
takes the full path, which writes the entry again (compiler/problogcli.py).

Only plain runs are kept: `atlasc problog FILE` with `--json`, `--mpe`, `--map`, `--data`,
`--report` (no option given before the command, no `--allow-python`: Python externals may
read anything), with caching on (ATLASC_CACHE_DIR / ATLASC_PROGRAM_CACHE not `off`), exit 0
or 5, and no SQLite database opened (its reads are not seen).  Errors are never kept.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from atlasc.compiler import atomic
from atlasc.compiler.errors import OutputError
from atlasc.compiler.paths import program_dir
from atlasc.compiler.version import __version__, source_hash

MAGIC = b"ATLASC-PLA\x01"
FLAGS = frozenset({"--json", "--mpe", "--report"})
VALUED = frozenset({"--map", "--data"})
_UNSEEN: list[str] = []        # audit events of reads the manifest cannot see (sqlite3)


def request(argv: Sequence[str]) -> tuple[str, tuple[str, ...]] | None:
    """The file and the options of a run whose answers may be kept; None for any other."""
    if not argv or argv[0] != "problog":
        return None
    files, opts, it = [], [], iter(argv[1:])
    for a in it:
        if a in FLAGS or a.split("=", 1)[0] in VALUED and "=" in a:
            opts.append(a)
        elif a in VALUED:
            opts += [a, next(it, "")]
        elif a.startswith("-"):
            return None
        else:
            files.append(a)
    return (files[0], tuple(opts)) if len(files) == 1 else None


def _installed(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name}: none"
    st = os.stat(spec.origin)
    return f"{name}: {spec.origin} {st.st_size} {st.st_mtime_ns}"


def key(data: bytes, file: str, opts: tuple[str, ...]) -> str:
    parts = [__version__, source_hash(), sys.version, "problog", os.path.abspath(file),
             str(Path(file).resolve()), os.getcwd(), repr(opts), _installed("problog"),
             _installed("pysdd")]
    h = hashlib.sha256("\x00".join(parts).encode() + b"\x00")
    h.update(data)
    return h.hexdigest()[:40]


def _entry(argv: Sequence[str]) -> Path | None:
    """The entry's path for this command line, None if it is not kept."""
    req, d = request(argv), program_dir()
    if req is None or d is None:
        return None
    try:
        data = Path(req[0]).read_bytes()
    except OSError:
        return None
    return d / f"{key(data, *req)}.answers"


def _hash(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def lookup(argv: Sequence[str]) -> tuple[str, int] | None:
    """(what the run printed, its exit code) if its entry is current."""
    path = _entry(argv)
    try:
        payload = atomic.unseal(MAGIC, path.read_bytes()) if path is not None else None
        got = json.loads(payload) if payload is not None else None
        if not (isinstance(got, dict) and all(_hash(p) == h for p, h in got["deps"])):
            return None
        out, code = got["out"], got["code"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (out, code) if isinstance(out, str) and code in (0, 5) else None


def answer(argv: Sequence[str]) -> None:
    """Print the kept answers of this command line and exit; return if there are none."""
    hit = lookup(argv)
    if hit is None:
        return
    try:
        sys.stdout.write(hit[0])
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")
        sys.exit(130)
    sys.exit(hit[1])


def watch() -> None:
    """Note the reads the manifest cannot see (an SQLite database) from now on."""
    if not _UNSEEN:
        sys.addaudithook(_audit)
        _UNSEEN.append("watching")


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "sqlite3.connect":
        _UNSEEN.append(event)


def store(argv: Sequence[str], deps: list[tuple[str, str | None]], out: str, code: int) -> None:
    """Keep what this run printed (a run whose reads were all seen and hashed)."""
    path = _entry(argv)
    if path is None or len(_UNSEEN) > 1 or code not in (0, 5) or \
            any(h is None for _, h in deps):
        return
    body = json.dumps({"deps": deps, "out": out, "code": code}).encode()
    try:
        atomic.write_atomic_bytes(path, atomic.seal(MAGIC, body))
    except (OSError, OutputError):
        pass                    # what cannot be kept is computed again next time
