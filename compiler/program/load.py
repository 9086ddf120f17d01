"""A program from a `.query` file or text: through the compiled-program cache (cache.py, and
its direct mode, manifest.py) and the front end's seam (frontend.py).  What the command line
imports to run a program: nothing here imports the parser, which only a compile loads."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Collection

from atlasc.compiler.errors import QueryError
from atlasc.compiler.program import cache as program_cache
from atlasc.compiler.program import manifest
from atlasc.compiler.program.frontend import front_end
from atlasc.compiler.program.program import Program, Progress
from atlasc.compiler.source import decode_utf8


def compile_file(path: str | os.PathLike[str], *, progress: Progress | None = None,
                 repair: bool = False, strict: bool = False, cache: bool = False,
                 max_nodes: int | None = None, timeout: float | None = None,
                 queries: Collection[str] | None = None, lean: bool = False) -> Program:
    """Compile a `.query` file; model file paths in it are relative to its directory.  With
    `repair=True`, a model that lacks a property a query needs (X-determinism,
    compatibility) is recompiled with a vtree that establishes it; the report says so.
    A model declared without a vtree clause is compiled as the views its queries need (an
    X-constrained or a shared vtree, once per requirement, docs/language.md); `strict=True`
    compiles no view and refuses those queries instead.  With `cache=True` an unchanged file
    with unchanged models is loaded from the compiled-program cache
    (compiler/program/cache.py); with `lean=True` too, a run image may be loaded instead
    (manifest.py: the queries, their circuits and reports, but no syntax tree and no
    models: what `atlasc run` needs).  `max_nodes` and `timeout` (seconds) bound the
    compilation (LimitExceeded past them).  `queries` compiles only those queries (and the
    models, views and earlier queries they use); the whole file is still checked."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise QueryError(f"cannot read {os.fspath(path)}: {e.strerror or e}") from None
    text, bad = decode_utf8(data, os.fspath(path))
    if bad is not None:
        raise QueryError(bad.message, bad.span, "save the file as UTF-8")
    file, base = os.fspath(path), p.resolve().parent
    options: dict[str, Any] = {"repair": repair, "strict": strict, "max_nodes": max_nodes}
    if queries:
        options["queries"] = sorted(queries)
    k = program_cache.key(text, file, base, options)
    return manifest.compiled(data, file, k, options, lambda: front_end().build_file(
        text, file, base, progress, repair, strict, queries, max_nodes, timeout), cache, lean)


def compile_string(text: str, *, filename: str = "<string>", base_dir: str | None = None,
                   progress: Progress | None = None, repair: bool = False,
                   strict: bool = False) -> Program:
    """Compile query text; model file paths are relative to `base_dir` (default: the current
    directory)."""
    return front_end().build(text, filename, Path(base_dir or os.getcwd()).resolve(),
                             progress, repair, strict)
