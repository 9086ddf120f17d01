"""The direct mode of a cached `atlasc run FILE --data ROWS --out FILE`: when the program's
run image is in the cache (compiler/program/manifest.py, the key of the query file's bytes),
the run goes ahead without click and the command line's modules (~25 ms of a 0.2 s run).

`answer` is asked by atlasc/__main__.py before the command line is imported.  It takes only
the command lines it parses exactly as click does (`request`): `run`, one FILE, any number
of `-q`/`--query NAME`, one `--data ROWS` and one `-o`/`--out FILE` (each also as
`--opt=VALUE`), `-v`/`--verbose` (counted) and `--quiet`, in any order.  Anything else (any
other option, a value that looks like an option, a path that is a folder, a file that cannot
be read or is not UTF-8, no run image in the cache) returns, and the full command line runs
instead: never a different answer, message or exit code (tests/cli/test_fastrun.py runs a
table of command lines both ways).  The run itself is compiler/tablerun.py's, as cli.py's is.
"""
from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

from atlasc.compiler.console import Console, started
from atlasc.compiler.program import manifest
from atlasc.compiler.program.program import Program
from atlasc.compiler.source import decode_utf8
from atlasc.compiler.tablerun import guard, run_table, show_warning

LOG = logging.getLogger("atlasc")
VALUED = {"-q": "names", "--query": "names", "--data": "data", "-o": "out", "--out": "out"}


@dataclass
class Request:
    """A cached run's command line, parsed."""
    file: str = ""
    names: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    out: list[str] = field(default_factory=list)
    verbose: int = 0
    quiet: bool = False


def request(argv: Sequence[str]) -> Request | None:
    """The run this module can take, or None."""
    if not argv or argv[0] != "run":
        return None
    r, files, it = Request(), [], iter(argv[1:])
    for a in it:
        opt, eq, value = a.partition("=")
        if opt in VALUED and a.startswith("--") and eq:
            getattr(r, VALUED[opt]).append(value)
        elif a in VALUED:
            given = next(it, None)
            if given is None or given.startswith("-"):
                return None
            getattr(r, VALUED[a]).append(given)
        elif a in ("-v", "--verbose") or (a.startswith("-v") and set(a[1:]) == {"v"}):
            r.verbose += 1 if a == "--verbose" else len(a) - 1
        elif a == "--quiet":
            r.quiet = True
        elif a.startswith("-") or a == "":
            return None
        else:
            files.append(a)
    if len(files) != 1 or len(r.data) != 1 or len(r.out) != 1 or \
            not all([*r.names, *r.data, *r.out]):
        return None
    r.file = files[0]
    return None if any(os.path.isdir(p) for p in (r.file, r.data[0])) else r


def cached(r: Request) -> Program | None:
    """The run image of r's program when the cache holds it, current; None otherwise (as
    compiler/program/load.py `compile_file` keys it for `run`)."""
    try:
        with open(r.file, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if decode_utf8(data, r.file)[1] is not None:
        return None
    options: dict[str, Any] = {"repair": False, "strict": False, "max_nodes": None}
    if r.names:
        options["queries"] = sorted(r.names)
    return manifest.load(manifest.key(data, r.file, options))


def answer(argv: Sequence[str]) -> None:
    """Run argv and exit if it is a cached run this module takes; else return."""
    r = request(argv)
    if r is None:
        return
    t, c = time.perf_counter(), time.process_time()
    program = cached(r)
    if program is None:
        return
    started()                   # as the command group does (compiler/cli.py `main`)
    warnings.showwarning = show_warning
    console = Console(r.quiet, r.verbose)
    console.setup()
    LOG.info("%s: %.3f s (CPU %.3f s)", "compile", time.perf_counter() - t,
             time.process_time() - c)       # as console.phase logs the cache hit
    guard(run_table)(lambda: program, console, r.file, tuple(r.names), (), r.data[0], None,
                     r.out[0], None)
