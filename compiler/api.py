"""The Python API: compile a `.query` file or string into a `Program`.

    import atlasc
    prog = atlasc.compile_file("examples/sprinkler.query")
    print(prog.report)                      # tractability report (text); .to_json() for JSON
    res = prog.queries["marg"].run(evidence={"Sprinkler": "true"})
    res.rows[0].entries                     # table entries (assignment, value)

`run(evidence=...)` takes one dict (variable -> value name, index or bool), a list of dicts
(a batch, evaluated at once), or a numpy array (structured, or 2-d with `columns=`).  User
mistakes raise `atlasc.compiler.errors.QueryError` (rendered with file:line:col and a caret); a query
whose tractability conditions fail raises `StructuralPropertyError` when run.  An entry the
query's formula does not define under a row's evidence (zero-probability evidence, positivity
of an adjustment) has `value` None and the reason in `Entry.undefined`; `run_array` gives NaN
with the mask `undefined` and `why(b, k)` (docs/language.md, *Undefined entries*).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection

from atlasc.compiler.errors import QueryError
from atlasc.compiler.program import cache as program_cache
from atlasc.compiler.sources.limits import Monitor
from atlasc.compiler.source import decode_utf8
from atlasc.compiler.program.program import (Program, ProgramReport, Progress, Query,
                                             QueryReport, build)
from atlasc.compiler.program.results import Entry, QueryResult, ResultRow
from atlasc.compiler.sources import converters
from atlasc.compiler.sources.model import BayesNet

__all__ = ["compile_file", "compile_string", "from_pgmpy", "from_pyagrum", "Network", "Program", "Query", "ProgramReport",
           "QueryReport", "QueryResult", "ResultRow", "Entry"]


def compile_file(path: str | os.PathLike[str], *, progress: Progress | None = None,
                 repair: bool = False, strict: bool = False, cache: bool = False,
                 max_nodes: int | None = None, timeout: float | None = None,
                 queries: Collection[str] | None = None) -> Program:
    """Compile a `.query` file; model file paths in it are relative to its directory.  With
    `repair=True`, a model that lacks a property a query needs (X-determinism,
    compatibility) is recompiled with a vtree that establishes it; the report says so.
    A model declared without a vtree clause is compiled as the views its queries need (an
    X-constrained or a shared vtree, once per requirement, docs/language.md); `strict=True`
    compiles no view and refuses those queries instead.  With `cache=True` an unchanged file with unchanged models is loaded from the
    compiled-program cache (compiler/program/cache.py).  `max_nodes` and `timeout` (seconds)
    bound the compilation (LimitExceeded past them).  `queries` compiles only those queries
    (and the models, views and earlier queries they use); the whole file is still checked."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise QueryError(f"cannot read {os.fspath(path)}: {e.strerror or e}") from None
    text, bad = decode_utf8(data, os.fspath(path))
    if bad is not None:
        raise QueryError(bad.message, bad.span, "save the file as UTF-8")
    file, base = os.fspath(path), p.resolve().parent
    monitor = Monitor(progress, max_nodes, timeout) if max_nodes or timeout else progress
    options: dict[str, Any] = {"repair": repair, "strict": strict, "max_nodes": max_nodes}
    if queries:
        options["queries"] = sorted(queries)
    k = program_cache.key(text, file, base, options)
    return program_cache.cached(k, lambda: build(text, file, base, monitor, repair, strict,
                                                 queries), cache)


def compile_string(text: str, *, filename: str = "<string>", base_dir: str | None = None,
                   progress: Progress | None = None, repair: bool = False,
                   strict: bool = False) -> Program:
    """Compile query text; model file paths are relative to `base_dir` (default: the current
    directory)."""
    return build(text, filename, Path(base_dir or os.getcwd()).resolve(), progress, repair,
                 strict)


# ---- networks from pgmpy and pyAgrum ----------------------------------------------------------
@dataclass
class Network:
    """A Bayesian network from another library, ready to be a model of a query text.

    ```python
    net = atlasc.from_pgmpy(model)            # or atlasc.from_pyagrum(bn)
    prog = net.compile("query m = marginals(bn)", vtree="constrained {A}")
    ```
    """
    bn: BayesNet
    name: str = "bn"

    def bif(self) -> str:
        """The network as BIF text (what `compile` gives the query as `model NAME = bif`)."""
        return converters.to_bif(self.bn)

    def compile(self, queries: str, *, vtree: str = "", repair: bool = False) -> Program:
        """Compile `queries` with this network declared as `model NAME = bif ...` before them
        (`vtree`: the options after `with vtree`, e.g. "constrained {A}")."""
        with tempfile.TemporaryDirectory(prefix="atlasc-") as d:
            (Path(d) / f"{self.name}.bif").write_text(self.bif())
            head = f'model {self.name} = bif "{self.name}.bif"' + \
                (f" with vtree {vtree}" if vtree else "") + "\n"
            return build(head + queries, f"<{self.name}>", Path(d), None, repair)


def from_pgmpy(model: Any, name: str = "bn") -> Network:
    """A pgmpy discrete Bayesian network (pip install 'atlasc[pgmpy]')."""
    return Network(converters.from_pgmpy(model, name), name)


def from_pyagrum(bn: Any, name: str = "bn") -> Network:
    """A pyAgrum BayesNet (pip install 'atlasc[pyagrum]')."""
    return Network(converters.from_pyagrum(bn, name), name)

