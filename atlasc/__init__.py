"""atlasc: compile queries over semirings to algebraic circuits, with tractability certificates.

    import atlasc
    prog = atlasc.compile_file("examples/sprinkler.query")
    print(prog.report)                       # the tractability report, operator by operator
    res = prog.queries["marg"].run(evidence={"Sprinkler": "true"})

The packages below are `atlasc.compiler` (language, sources, IR, properties, operators,
program), `atlasc.runtime` (the LLVM evaluators) and `atlasc.grammar` (the lark grammar); see
docs/architecture.md.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from atlasc.compiler import classcode

classcode.install()  # first: the dataclasses below are built from kept code (compiler/classcode.py)

from atlasc.compiler.version import __version__  # noqa: E402
from atlasc.compiler.ir.evaluation import Evaluator, install  # noqa: E402
from atlasc.compiler.program.frontend import FrontEnd, install as install_front_end  # noqa: E402
from atlasc.compiler.errors import (AtlasError, QueryError, SourceError,  # noqa: E402
                                    StructuralPropertyError)


class _Runtime:
    """The runtime's evaluator (atlasc.runtime.evaluator.LLVM), imported at the first
    evaluation: it loads llvmlite, which `import atlasc`, `atlasc --help` and `atlasc check`
    do not need (tests/test_startup_llvm.py)."""

    def __getattr__(self, name: str) -> Any:
        llvm: Evaluator = importlib.import_module("atlasc.runtime.evaluator").LLVM
        install(llvm)
        return getattr(llvm, name)


install(_Runtime())  # the composition root: the compiler evaluates through the runtime's evaluator


class _FrontEnd:
    """The front end (atlasc.compiler.program.build: the parser, the models' readers, the
    operators), imported at the first compile: a run of a cached program never compiles, so
    `atlasc run` on a cache hit does not load it (compiler/program/manifest.py)."""

    def __getattr__(self, name: str) -> Any:
        front: FrontEnd = importlib.import_module("atlasc.compiler.program.build")
        install_front_end(front)
        return getattr(front, name)


install_front_end(_FrontEnd())

if TYPE_CHECKING:   # what __getattr__ returns, for type checkers and the API reference (docs/api.md)
    from atlasc.compiler.api import (Entry, Network, Program, ProgramReport, Query, QueryReport,
                                     QueryResult, ResultRow, compile_file, compile_string,
                                     from_pgmpy, from_pyagrum)
    from atlasc.compiler.learn import fit
    from atlasc.compiler.compress import compress, decompress

_API = ("compile_file", "compile_string", "from_pgmpy", "from_pyagrum", "Network", "Program",
        "Query", "ProgramReport", "QueryReport", "QueryResult", "ResultRow", "Entry")


def __getattr__(name: str) -> Any:
    """The API is imported on first use, so `import atlasc.compiler.x` (and the command line)
    does not pay for the whole front end (sympy among it) when it does not need it."""
    if name in _API:
        return getattr(importlib.import_module("atlasc.compiler.api"), name)
    if name == "fit":       # parameter learning (compiler/learn, docs/learning.md)
        return importlib.import_module("atlasc.compiler.learn").fit
    if name in ("compress", "decompress"):     # compiler/compress, docs/compression.md
        return getattr(importlib.import_module("atlasc.compiler.compress"), name)
    raise AttributeError(f"module 'atlasc' has no attribute {name!r}")

__all__ = ["__version__", "fit", "compress", "decompress", "compile_file", "compile_string", "from_pgmpy", "from_pyagrum",
           "Network", "Program", "Query", "ProgramReport", "QueryReport", "QueryResult",
           "ResultRow", "Entry", "AtlasError", "QueryError",
           "SourceError", "StructuralPropertyError"]
