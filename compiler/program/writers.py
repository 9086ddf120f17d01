"""Result tables out, chunk by chunk: CSV, Parquet, Arrow IPC, JSON lines (docs/data.md).

A writer takes Arrow tables of one schema (compiler/program/frames.py) as they are made and
writes them through a temporary file in the target's directory, renamed over the target only
when every chunk is written (`close`); an error on the way removes the temporary file, so the
target is the old file or the whole new one.  Nulls (undefined entries) are empty cells in
CSV, nulls in Parquet and Arrow, `null` in JSON lines.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

from atlasc.compiler.atomic import file_mode, temp_beside
from atlasc.compiler.errors import QueryError
from atlasc.compiler.ir.serialize import encode_value
from atlasc.compiler.program.tables import SUFFIXES
from atlasc.compiler.program.arrow import ipc, pa, pcsv, pq


FORMATS = ("csv", "parquet", "arrow", "jsonl")
BINARY = ("parquet", "arrow")


def out_format(path: str | None, given: str | None) -> str:
    if given:
        return given
    fmt = SUFFIXES.get(Path(path).suffix.lower()) if path else None
    if fmt is None:
        raise QueryError(f"cannot tell the output format of '{path}' from its suffix", None,
                         "use .csv, .parquet, .arrow or .jsonl, or say --format")
    return fmt


class TableWriter:
    """Chunks of one schema into one file (or a byte stream), atomically."""

    def __init__(self, fmt: str, path: Path | None = None, stream: BinaryIO | None = None
                 ) -> None:
        self.fmt, self.path = fmt, path
        self.schema: pa.Schema | None = None
        self.rows = 0
        self._tmp: str | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, self._tmp = temp_beside(path)
            os.fchmod(fd, file_mode(path))      # mkstemp makes 0600: use what open() would
            self.sink: Any = os.fdopen(fd, "wb")
        else:
            self.sink = stream if stream is not None else io.BytesIO()
        self._w: Any = None

    def write(self, t: pa.Table) -> None:
        if self.schema is None:
            self.schema = _nullable(t.schema)
            self._w = _open(self.fmt, self.sink, self.schema)
        t = t.cast(self.schema) if t.schema != self.schema else t
        if self.fmt == "jsonl":
            _jsonl(self.sink, t)
        else:
            self._w.write_table(t)
        self.rows += t.num_rows

    def close(self) -> None:
        """Finish the file and put it in place."""
        if self._w is not None and self.fmt != "jsonl":
            self._w.close()
        if self._tmp is None:
            return
        self.sink.flush()
        os.fsync(self.sink.fileno())
        self.sink.close()
        assert self.path is not None
        os.replace(self._tmp, self.path)
        self._tmp = None

    def abort(self) -> None:
        """Remove the temporary file (the target is left as it was)."""
        if self._tmp is not None:
            try:
                self.sink.close()
            finally:
                if os.path.exists(self._tmp):
                    os.unlink(self._tmp)
                self._tmp = None

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def _nullable(schema: pa.Schema) -> pa.Schema:
    """Every column may hold nulls (an undefined entry can appear in any later chunk); a
    column that was all null in the first chunk is text."""
    return pa.schema([pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type,
                               nullable=True) for f in schema])


def _labels(schema: pa.Schema) -> list[str]:
    """The text columns, which Parquet stores dictionary-encoded; the numbers are stored plain
    (dictionary-encoding a column of probabilities costs half the write, and the file is
    larger for it: 212 columns of alarm's marginals, bench/RESULTS-data.md)."""
    return [f.name for f in schema
            if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)]


def _codecs(schema: pa.Schema) -> dict[str, str]:
    """Each column's Parquet compression: the floating-point columns (probabilities,
    marginals) stored uncompressed, every other column zstd.  zstd takes a quarter off a
    column of probabilities and costs three times the rest of the write: alarm's 212 columns of
    marginals over 20,000 rows, 0.10 s with zstd for 26 MB, 0.03 s without for 34 MB."""
    return {f.name: "none" if pa.types.is_floating(f.type) else "zstd" for f in schema}


def _open(fmt: str, sink: Any, schema: pa.Schema) -> Any:
    if fmt == "csv":
        return pcsv.CSVWriter(sink, schema)
    if fmt == "parquet":
        return pq.ParquetWriter(sink, schema, compression=_codecs(schema),
                                use_dictionary=_labels(schema))
    if fmt == "arrow":
        return ipc.new_file(sink, schema)
    if fmt == "jsonl":
        return None
    raise QueryError(f"unknown output format '{fmt}'", None, ", ".join(FORMATS))


def _json(x: Any) -> Any:
    """As the JSON output writes values: +-inf as "inf" / "-inf" (no NaN: those are null)."""
    return encode_value(x) if isinstance(x, (float, list)) else x


def _jsonl(sink: Any, t: pa.Table) -> None:
    names = t.column_names
    cols = [c.to_pylist() for c in t.columns]
    lines = [json.dumps(dict(zip(names, map(_json, row))), allow_nan=False)
             for row in zip(*cols)]
    sink.write(("\n".join(lines) + "\n").encode("utf-8") if lines else b"")
