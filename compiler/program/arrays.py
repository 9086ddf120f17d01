"""numpy columns to Arrow arrays from their buffers, for the `--out` tables (frames.py).

`pa.array(ndarray)` and `pa.array(list)` ask pyarrow's pandas shim whether the input is a
pandas object, and that first question imports pandas (about 0.4 s of CPU, more than the whole
data path of 20,000 rows; bench/RESULTS-data.md).  These build the same arrays from the raw
buffers instead: no copy for contiguous numeric columns, nulls from a boolean mask.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from atlasc.compiler.program.arrow import pa


def _validity(mask: np.ndarray | None, n: int) -> tuple[pa.Buffer | None, int]:
    if mask is None or not mask.any():
        return None, 0
    return pa.py_buffer(np.packbits(~mask.astype(bool), bitorder="little")), int(mask.sum())


def numeric(col: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A 1-d numeric or bool column; entries under `mask` are null."""
    col = np.ascontiguousarray(col)
    n = len(col)
    valid, nulls = _validity(mask, n)
    if col.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), n, [valid, pa.py_buffer(
            np.packbits(col, bitorder="little"))], null_count=nulls)
    return pa.Array.from_buffers(pa.from_numpy_dtype(col.dtype), n,
                                 [valid, pa.py_buffer(col)], null_count=nulls)


def strings(items: Sequence[str | None]) -> pa.Array:
    """A string column; None is null."""
    data = [b"" if s is None else s.encode() for s in items]
    offsets = np.zeros(len(data) + 1, np.int64)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    if offsets[-1] < 2 ** 31:
        kind, offsets = pa.string(), offsets.astype(np.int32)
    else:
        kind = pa.large_string()
    valid, nulls = _validity(np.fromiter((s is None for s in items), bool, len(items)),
                             len(items))
    return pa.Array.from_buffers(kind, len(data), [valid, pa.py_buffer(offsets),
                                                   pa.py_buffer(b"".join(data))],
                                 null_count=nulls)
