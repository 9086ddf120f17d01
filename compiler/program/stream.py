"""Evidence rows streamed through queries into a result file, a chunk at a time (`atlasc run
--data ROWS --out FILE`): memory is bounded by the chunk, whatever the number of rows.

Each chunk of the data (compiler/program/tables.py: value indices per column) gets the
command line's evidence where its cells are unobserved, runs through every query's batch path
(compiler/program/batch.py: no Python per row), becomes an Arrow table of one output row per
evidence row (compiler/program/frames.py) and is written (compiler/program/writers.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.program import frames
from atlasc.compiler.program.batch import run_columns
from atlasc.compiler.program.evidence import Observed, check_conflicts
from atlasc.compiler.program.program import Query
from atlasc.compiler.program.tables import Chunk, Columns
from atlasc.compiler.program.writers import TableWriter
from atlasc.compiler.source import Span


@dataclass
class Summary:
    """What a streamed run did: rows, undefined entries, time per phase."""
    rows: int = 0
    undefined: bool = False                 # some entry is undefined (null, with its reason)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("read", "evaluate", "write"), 0.0))
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("read", "evaluate", "write"), 0.0))

    def spend(self, phase: str, t0: tuple[float, float]) -> tuple[float, float]:
        """Add the wall and CPU time since t0 to `phase`; the clocks now."""
        now = (time.perf_counter(), time.process_time())
        self.seconds[phase] += now[0] - t0[0]
        self.cpu[phase] += now[1] - t0[1]
        return now


def with_common(common: Sequence[Observed], cols: Columns, B: int) -> Columns:
    """The command line's evidence fills the cells a row leaves unobserved."""
    out = dict(cols)
    for ob in common:
        if ob.value is None:
            continue
        col = out.get(ob.var)
        out[ob.var] = np.full(B, ob.value, np.int32) if col is None else \
            np.where(col < 0, np.int32(ob.value), col)
    return out


def run_chunk(queries: Sequence[Query], common: Sequence[Observed], chunk: Chunk,
              spans: dict[Var, Span]) -> list[Any]:
    cols = with_common(common, chunk.columns, chunk.rows)
    out = []
    for q in queries:
        check_conflicts(q, list(common), list(chunk.columns),
                        lambda v: bool((chunk.columns[v] >= 0).any()), spans)
        out.append(run_columns(q, cols, chunk.rows))
    return out


def undefined_in(results: Iterable[Any]) -> bool:
    for r in results:
        if hasattr(r, "joint"):
            if any((~np.isfinite(t)).any() for t in r.conditional.values()):
                return True
        elif r.undefined is not None and r.undefined.any():
            return True
    return False


def stream(queries: Sequence[Query], common: Sequence[Observed], chunks: Iterable[Chunk],
           writer: TableWriter, spans: dict[Var, Span] | None = None,
           tick: Callable[[int], None] | None = None) -> Summary:
    """Every chunk through every query into `writer`; the caller closes the writer."""
    s = Summary()
    it = iter(chunks)
    while True:
        t = (time.perf_counter(), time.process_time())
        chunk = next(it, None)
        t = s.spend("read", t)
        if chunk is None:
            return s
        results = run_chunk(queries, common, chunk, spans or {})
        table = frames.table(chunk.start, chunk.rows, results)
        t = s.spend("evaluate", t)
        writer.write(table)
        s.spend("write", t)
        s.rows += chunk.rows
        s.undefined = s.undefined or undefined_in(results)
        if tick is not None:
            tick(chunk.rows)
