"""pyarrow and the parts of it the data path uses, loaded when data is first read or written
(compiler/lazy.py: about 0.1 s of start-up that most runs do not need)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import pyarrow.ipc as ipc
    import pyarrow.json as pj
    import pyarrow.parquet as pq
else:
    pa = lazy_module("pyarrow")
    pc = lazy_module("pyarrow.compute")
    pcsv = lazy_module("pyarrow.csv")
    ipc = lazy_module("pyarrow.ipc")
    pj = lazy_module("pyarrow.json")
    pq = lazy_module("pyarrow.parquet")

_BY_FORMAT = {"csv": (pcsv, "open_csv"), "parquet": (pq, "ParquetFile"),
              "arrow": (ipc, "open_file"), "jsonl": (pj, "open_json")}


def load(*formats: str | None) -> None:
    """Import now the parts of pyarrow that reading and writing these formats use: a run
    with --data or --out pays for pyarrow's import (about 0.04 s of CPU) at start-up, not
    in the first chunk's read, so -v's read / evaluate / write time the data alone."""
    for fmt in formats:
        mod, attr = _BY_FORMAT.get(fmt or "", (pa, "Table"))
        getattr(mod, attr)


__all__ = ["pa", "pc", "pcsv", "ipc", "pj", "pq", "load"]
