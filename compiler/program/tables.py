"""Evidence tables in: CSV, Parquet, Arrow IPC and JSON lines files, and the tables Python
hands over (pandas and polars DataFrames, pyarrow Tables, dicts of numpy arrays, lists of
dicts), read with pyarrow in chunks and turned into value indices column by column.

pyarrow reads all four file formats with one dependency, in bounded memory (record batches),
and hands columns to numpy without a copy; each column is dictionary-encoded, so a value is
looked up once per distinct value, never once per row.

A cell is a value as the domain spells it (quoted or not), or, for a Boolean variable, one of
true/True/TRUE/1 and false/False/FALSE/0; a number reads as the domain value it names (as
evidence from Python does, compiler/program/values.py).  Empty cells, `?`, `NA` and nulls are
unobserved (unless the domain has such a value).  A column that is not a variable, or a value
outside a domain, is an error naming the row, the column and the domain.
"""
from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from atlasc.compiler.errors import QueryError, QueryNameError, QueryTypeError, raise_all
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.names import unquote
from atlasc.compiler.program.values import value_index
from atlasc.compiler.source import Span
from atlasc.compiler.program.arrow import ipc, pa, pc, pcsv, pj, pq
from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import difflib
else:   # for a did-you-mean only: not loaded by a run whose values are all in their domains
    difflib = lazy_module("difflib")


CHUNK_ROWS = 1 << 16
THREADED_CSV_BYTES = 64 << 20     # a larger CSV file is parsed by a pool of threads (_csv)
UNOBSERVED = ("", "?", "NA")
TRUE, FALSE = ("true", "True", "TRUE", "1"), ("false", "False", "FALSE", "0")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow",
            ".feather": "arrow", ".ipc": "arrow", ".jsonl": "jsonl", ".ndjson": "jsonl"}
Columns = dict[Var, np.ndarray]


@dataclass
class Chunk:
    """Evidence rows [start, start + rows) as value indices per variable (-1: unobserved)."""
    start: int
    rows: int
    columns: Columns


def file_format(path: str | Path, given: str | None = None) -> str:
    if given:
        return given
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise QueryError(f"cannot tell the format of '{path}' from its suffix", None,
                         "use .csv, .parquet, .arrow (Arrow IPC) or .jsonl, or say --format")
    return fmt


def count_rows(path: str | Path, fmt: str | None = None) -> int | None:
    """The number of data rows (for a progress bar's ETA): from the metadata of Parquet and
    Arrow files, by counting lines in CSV and JSON lines (blank lines included: an upper
    bound)."""
    path, fmt = Path(path), file_format(path, fmt)
    try:
        if fmt == "parquet":
            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt == "arrow":
            return None
        with open(path, "rb") as f:
            lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b""))
        return max(lines - (fmt == "csv"), 0)
    except (OSError, pa.ArrowException):
        return None


# ---- files --------------------------------------------------------------------------------------
class Errors(list[QueryError]):
    """The mistakes of one table, all reported at once (at most MAX; then reading stops)."""
    MAX = 20

    @property
    def full(self) -> bool:
        return len(self) >= self.MAX

    def raise_all(self) -> None:
        errors = sorted(self, key=_position)
        raise_all(errors)


def _position(e: QueryError) -> tuple[int, int]:
    return (e.span.line, e.span.col) if e.span is not None else (0, 0)


def read_file(lookup: Any, path: str | Path, fmt: str | None = None,
              chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """The chunks of an evidence file; `lookup(name, span)` gives the variable of a column.
    Every mistake of the file is reported at once, at the end; no chunk is given after the
    first one (the caller writes atomically, so what it wrote is discarded)."""
    path = Path(path)
    fmt = file_format(path, fmt)
    errors = Errors()
    try:
        batches = _open(path, fmt, chunk_rows, errors)
        first = next(batches, None)
    except (OSError, pa.ArrowException) as e:
        raise QueryError(f"cannot read {path}: {_reason(e)}") from None
    if first is None:
        raise QueryError(f"{path}: the data file is empty", None,
                         "the first line names the variables")
    header = _header(lookup, path, fmt, first.schema.names, errors)
    yield from _chunks(path, fmt, header, first, batches, errors)
    errors.raise_all()


def _chunks(path: Path, fmt: str, header: list[Var | None], first: pa.RecordBatch,
            rest: Iterator[pa.RecordBatch], errors: Errors) -> Iterator[Chunk]:
    start, batch = 0, first
    while batch is not None and not errors.full:
        if batch.num_rows:
            cols = {v: encode(batch.column(j), v, _Where(path, fmt, v, j, start), errors)
                    for j, v in enumerate(header) if v is not None}
            if not errors:
                yield Chunk(start, batch.num_rows, cols)
            start += batch.num_rows
        try:
            batch = next(rest, None)
        except (OSError, pa.ArrowException) as e:
            raise QueryError(f"cannot read {path} after row {start}: {_reason(e)}") from None


def _reason(e: Exception) -> str:
    return e.strerror if isinstance(e, OSError) and e.strerror else str(e)


def _open(path: Path, fmt: str, chunk_rows: int, errors: Errors) -> Iterator[pa.RecordBatch]:
    block = min(max(chunk_rows * 64, 1 << 12), 1 << 22)     # bytes: about chunk_rows rows
    if fmt == "csv":
        return _csv(path, block, errors)
    if fmt == "parquet":
        return pq.ParquetFile(path).iter_batches(batch_size=chunk_rows)
    if fmt == "arrow":
        return _ipc(path)
    if fmt == "jsonl":
        return iter(pj.open_json(path, read_options=pj.ReadOptions(block_size=block)))
    raise QueryError(f"unknown data format '{fmt}'", None, "csv, parquet, arrow or jsonl")


def _csv(path: Path, block: int, errors: Errors) -> Iterator[pa.RecordBatch]:
    """Every column read as text (a value is looked up in its domain, never guessed),
    dictionary-encoded by the reader (the codes are what `encode` maps, without a pass of
    pyarrow.compute, nor its import); a row with another number of cells than the header is
    reported and skipped.  A file of up to THREADED_CSV_BYTES is parsed on this thread: the
    pool's start and hand-offs cost more CPU than they save there (20,000 rows of alarm, 2.5 MB:
    12 ms CPU alone, 12-75 ms with the pool on a busy machine)."""
    check_utf8(path)
    names = csv_header(path)

    seen: dict[str, int] = {}

    def ragged(row: Any) -> str:
        seen[row.text] = seen.get(row.text, 0) + 1
        line = row.number if row.number and row.number > 0 else \
            _find_line(path, row.text, seen[row.text])
        errors.append(QueryError(f"this row has {row.actual_columns} cells, the header has "
                                 f"{row.expected_columns}",
                                 Span(str(path), line, 1, line, 1 + max(1, len(row.text)),
                                      "\n" * (line - 1) + row.text)))
        return "skip"
    text = pa.dictionary(pa.int32(), pa.string())     # codes per distinct text, as encode reads
    conv = pcsv.ConvertOptions(column_types={n: text for n in names},
                               strings_can_be_null=False, quoted_strings_can_be_null=False,
                               check_utf8=False)        # check_utf8 above read every byte
    threads = path.stat().st_size > THREADED_CSV_BYTES
    return iter(pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=block,
                                                                  use_threads=threads),
                              parse_options=pcsv.ParseOptions(invalid_row_handler=ragged),
                              convert_options=conv))


def check_utf8(path: Path) -> None:
    """A positioned error at the first byte of a CSV file that is not UTF-8 (one pass in
    blocks, C speed: an ASCII block, with no character left open by the one before, is not
    decoded); pyarrow and the csv module would stop with no position."""
    dec = codecs.getincrementaldecoder("utf-8-sig")()
    offset = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            pending = len(dec.getstate()[0])
            if not pending and block.isascii():
                offset += len(block)
                continue
            try:
                dec.decode(block)
            except UnicodeDecodeError as e:
                raise _not_utf8(path, offset - pending + e.start) from None
            offset += len(block)


def _not_utf8(path: Path, at: int) -> QueryError:
    """The error for a bad byte at offset `at`: its line, data row, CSV column and offset."""
    with open(path, "rb") as f:
        head = f.read(at)
        start = head.rfind(b"\n") + 1
        raw = head[start:] + f.read(1 << 16).split(b"\n", 1)[0]
    line_no = head.count(b"\n") + 1
    before = raw[:at - start]
    j = _cells_before(before)
    names = next(csv.reader([_line(path, 1)]), []) if line_no > 1 else []
    where = f"row {line_no - 1}" if line_no > 1 else "the header"
    name = f" ({names[j]})" if j < len(names) else ""
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    col = len(before.decode("utf-8", errors="replace")) + 1
    return QueryError(f"the file is not UTF-8 text: byte 0x{raw[at - start]:02x} at byte offset "
                      f"{at} (line {line_no}, {where}, column {j + 1}{name})",
                      Span(str(path), line_no, col, line_no, col + 1,
                           "\n" * (line_no - 1) + text),
                      "save the file as UTF-8")


def _cells_before(line: bytes) -> int:
    """The index of the CSV cell that the end of `line` (a line's first bytes) is in."""
    quoted, j = False, 0
    for c in line:
        if c == 0x22:
            quoted = not quoted
        elif c == 0x2C and not quoted:
            j += 1
    return j


def csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f), [])


def _ipc(path: Path) -> Iterator[pa.RecordBatch]:
    try:
        reader: Any = ipc.open_file(pa.memory_map(str(path)))
        return (reader.get_batch(i) for i in range(reader.num_record_batches))
    except pa.ArrowInvalid:
        return iter(ipc.open_stream(pa.memory_map(str(path))))


def check_header(lookup: Any, path: str | Path, fmt: str, names: Sequence[str]) -> None:
    """The mistakes of a header (a column that is not a variable, or appears twice), all at
    once, as the local --data path reports them (atlasc.dask checks a file before sending it)."""
    errors = Errors()
    _header(lookup, Path(path), fmt, names, errors)
    errors.raise_all()


def _header(lookup: Any, path: Path, fmt: str, names: Sequence[str], errors: Errors
            ) -> list[Var | None]:
    """The variable of each column; None for a column that names none (reported)."""
    spans = _cell_spans(path, _line(path, 1), 1) if fmt == "csv" else []
    out: list[Var | None] = []
    for j, name in enumerate(names):
        span = spans[j] if j < len(spans) else None
        try:
            v = lookup(name, span)
            if v in out:
                raise QueryNameError(f"the column {v.name} appears twice", span)
        except QueryError as e:
            errors.append(e)
            v = None
        out.append(v)
    return out


def _line(path: Path, line: int) -> str:
    """One line of a text file (for the caret of an error: read only when there is one)."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for no, text in enumerate(f, start=1):
            if no == line:
                return text.rstrip("\r\n")
    return ""


def _data_line(path: Path, row: int) -> tuple[int, str]:
    """The line number and text of data row `row` of a CSV file (blank lines skipped, as the
    reader skips them); read only for an error."""
    seen = 0
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for no, text in enumerate(f, start=1):
            if no > 1 and text.strip():
                seen += 1
                if seen == row:
                    return no, text.rstrip("\r\n")
    return row + 1, ""


def _find_line(path: Path, text: str, nth: int) -> int:
    """The line number of the nth data line reading `text` (for a ragged row's error)."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for no, line in enumerate(f, start=1):
            if no > 1 and line.rstrip("\r\n") == text:
                nth -= 1
                if nth == 0:
                    return no
    return 0


def _cell_span(path: Path, text: str, line: int, j: int, cell: str) -> Span | None:
    """The span of cell j of a CSV line (text is that line); None if it cannot be found."""
    spans = _cell_spans(path, text, line)
    return spans[j] if j < len(spans) else None


def _cell_spans(path: Path, text: str, line: int) -> list[Span]:
    """The span of every cell of a CSV line, in one pass (the header's: one per column)."""
    out, col = [], 1
    for c in next(csv.reader([text]), []):
        at = text.find(c, col - 1) + 1 if c else col
        out.append(Span(str(path), line, max(at, 1), line, max(at, 1) + max(1, len(c)),
                        "\n" * (line - 1) + text))
        col = max(col, at) + len(c) + 1
    return out


@dataclass
class _Where:
    """Where a column came from, to name the row and the cell of a bad value."""
    path: Path | None
    fmt: str
    var: Var
    j: int
    start: int

    def error(self, pos: int, value: Any, why: QueryError) -> QueryError:
        row = self.start + pos + 1
        head = f"row {row}, column {self.var.name}: {why.message}"
        span = None
        if self.path is not None and self.fmt == "csv":
            line, text = _data_line(self.path, row)
            span = _cell_span(self.path, text, line, self.j, str(value))
        tail = f"{why.message} (row {row}, column {self.var.name})"
        return QueryTypeError(head if span is None else tail, span, why.hint)


# ---- columns ----------------------------------------------------------------------------------
def encode(arr: pa.Array | pa.ChunkedArray, v: Var, where: _Where, errors: Errors
           ) -> np.ndarray:
    """A column as int32 value indices of v (-1: unobserved), one lookup per distinct value;
    a value outside the domain is reported (at its first row) and read as unobserved."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_null(arr.type):
        return np.full(len(arr), -1, np.int32)
    d = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    uniq = d.dictionary.to_pylist()
    lut = np.empty(len(uniq) + 1, np.int32)
    lut[-1] = -1
    idx = _indices(d.indices, len(uniq))
    for k, x in enumerate(uniq):
        try:
            lut[k] = cell_index(v, x)
        except QueryError as e:
            errors.append(where.error(int(np.flatnonzero(idx == k)[0]), x, e))
            lut[k] = -1
    return lut[idx]


def _indices(ind: pa.Array, null: int) -> np.ndarray:
    """Dictionary indices as numpy, read from the Arrow buffers (no copy without nulls;
    Array.to_numpy would import pandas), nulls as `null`."""
    n, off = len(ind), ind.offset
    validity, data = ind.buffers()[:2]
    vals = np.frombuffer(data, np.dtype(f"int{ind.type.bit_width}"), count=n + off)[off:]
    if not ind.null_count:
        return vals
    bits = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")[off:off + n]
    return np.where(bits.astype(bool), vals, null)


def cell_index(v: Var, x: Any) -> int:
    """The value index a cell names (-1: unobserved)."""
    if not isinstance(x, str):
        i = value_index(v, x)
        return -1 if i is None else i
    s = x.strip()
    if s in v.domain:
        return v.domain.index(s)
    if len(s) >= 2 and s[0] == s[-1] == '"' and unquote(s) in v.domain:
        return v.domain.index(unquote(s))
    if s in UNOBSERVED:
        return -1
    if v.is_bool and s in TRUE + FALSE:
        return int(s in TRUE)
    return _number_cell(v, s)


def _number_cell(v: Var, s: str) -> int:
    try:
        f = float(s)
    except ValueError:
        f = None
    if f is not None and f == f and any(_reads(d) is not None for d in v.domain):
        i = value_index(v, f)
        return -1 if i is None else i
    close = difflib.get_close_matches(s, v.domain, n=1)
    hint = f"expected one of {', '.join(v.domain)}" + \
        (f"; did you mean {close[0]}?" if close else "")
    raise QueryTypeError(f"{v.name} has no value '{s}'", None, hint)


def _reads(d: str) -> float | None:
    try:
        return float(d)
    except ValueError:
        return None


# ---- tables from Python -------------------------------------------------------------------------
def arrow_table(data: Any) -> pa.Table | None:
    """A pandas or polars DataFrame, a pyarrow Table or RecordBatch, or a dict of arrays, as a
    pyarrow Table (without a copy where the library allows); None for anything else."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    mod = type(data).__module__.split(".")[0]
    if mod == "pandas" and hasattr(data, "columns"):
        return pa.Table.from_pandas(data, preserve_index=False)
    if mod == "polars" and hasattr(data, "to_arrow"):
        return data.to_arrow()
    if isinstance(data, dict) and data and all(_is_column(x) for x in data.values()):
        return pa.table({str(k): _column(x) for k, x in data.items()})
    return None


def _is_column(x: Any) -> bool:
    return isinstance(x, (np.ndarray, pa.Array, pa.ChunkedArray)) or \
        type(x).__module__.split(".")[0] in ("pandas", "polars")


def _column(x: Any) -> Any:
    if isinstance(x, (pa.Array, pa.ChunkedArray)):
        return x
    items = x.tolist() if isinstance(x, np.ndarray) else \
        (x.to_list() if hasattr(x, "to_list") else list(x))
    try:
        return pa.array(items)
    except (pa.ArrowInvalid, pa.ArrowTypeError):      # mixed: every value as its text
        return pa.array([None if _missing(y) else str(y) for y in items], pa.string())


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def table_chunks(lookup: Any, table: pa.Table, chunk_rows: int = CHUNK_ROWS
                 ) -> Iterator[Chunk]:
    header = [lookup(n, None) for n in table.column_names]
    if len(set(header)) != len(header):
        dup = next(v for v in header if header.count(v) > 1)
        raise QueryNameError(f"the column {dup.name} appears twice")
    start, errors = 0, Errors()
    for batch in table.to_batches(max_chunksize=chunk_rows):
        if batch.num_rows:
            cols = {v: encode(batch.column(j), v, _Where(None, "table", v, j, start), errors)
                    for j, v in enumerate(header)}
            errors.raise_all()
            yield Chunk(start, batch.num_rows, cols)
            start += batch.num_rows


def rows_of(chunk: Chunk) -> list[dict[Var, int | None]]:
    """A chunk as rows of value indices (None: unobserved), for the per-row `run` path."""
    vs = list(chunk.columns)
    cells = zip(*(c.tolist() for c in chunk.columns.values())) if vs else \
        iter([()] * chunk.rows)
    return [{v: (x if x >= 0 else None) for v, x in zip(vs, row)} for row in cells]

