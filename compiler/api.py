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

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlasc.compiler.program.frontend import front_end
from atlasc.compiler.program.load import compile_file, compile_string
from atlasc.compiler.program.program import Program, ProgramReport, Query, QueryReport
from atlasc.compiler.program.results import Entry, QueryResult, ResultRow
from atlasc.compiler.sources import converters
from atlasc.compiler.sources.model import BayesNet

__all__ = ["compile_file", "compile_string", "from_pgmpy", "from_pyagrum", "Network", "Program", "Query", "ProgramReport",
           "QueryReport", "QueryResult", "ResultRow", "Entry"]


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
            return front_end().build(head + queries, f"<{self.name}>", Path(d), None, repair)


def from_pgmpy(model: Any, name: str = "bn") -> Network:
    """A pgmpy discrete Bayesian network (pip install 'atlasc[pgmpy]')."""
    return Network(converters.from_pgmpy(model, name), name)


def from_pyagrum(bn: Any, name: str = "bn") -> Network:
    """A pyAgrum BayesNet (pip install 'atlasc[pyagrum]')."""
    return Network(converters.from_pyagrum(bn, name), name)

