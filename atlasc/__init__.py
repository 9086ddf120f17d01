"""atlasc: compile queries over semirings to algebraic circuits, with tractability certificates.

    import atlasc
    prog = atlasc.compile_file("examples/sprinkler.query")
    print(prog.report)                       # the tractability report, operator by operator
    res = prog.queries["marg"].run(evidence={"Sprinkler": "true"})

The packages below are `atlasc.compiler` (language, sources, IR, properties, operators,
program), `atlasc.runtime` (the LLVM evaluators) and `atlasc.grammar` (the lark grammar); see
docs/architecture.md.
"""
from atlasc.compiler.version import __version__
from atlasc.compiler.ir.evaluation import install
from atlasc.runtime.evaluator import LLVM
from atlasc.compiler.api import (Entry, Program, ProgramReport, Query, QueryReport, QueryResult,
                                 ResultRow, compile_file, compile_string)
from atlasc.compiler.errors import (AtlasError, QueryError, SourceError,
                                    StructuralPropertyError)

install(LLVM)   # the composition root: the compiler evaluates through the runtime's evaluator

__all__ = ["__version__", "compile_file", "compile_string", "Program", "Query", "ProgramReport",
           "QueryReport", "QueryResult", "ResultRow", "Entry", "AtlasError", "QueryError",
           "SourceError", "StructuralPropertyError"]
