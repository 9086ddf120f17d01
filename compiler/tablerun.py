"""The body of `atlasc run ... --out FILE` (rows streamed in chunks into one result table) and
the guard every command runs under, without click: compiler/cli.py calls them after parsing,
and so does the direct mode of a cached run (compiler/fastrun.py), which never loads click.

Messages go through `echo` (a line to stdout or stderr, flushed: what click.echo does with
text that has no terminal styles, the only text atlasc writes)."""
from __future__ import annotations

import errno
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, NoReturn

from atlasc.compiler.atomic import cleanup_on_signals, output_error
from atlasc.compiler.console import Console
from atlasc.compiler.errors import AtlasError, QueryError, SourceWarning
from atlasc.compiler.program import arrow, stream, tables
from atlasc.compiler.program import evidence as ev
from atlasc.compiler.program.manifest import refresh as keep_made
from atlasc.compiler.program.writers import BINARY, TableWriter, out_format

LOG = logging.getLogger("atlasc")
EXIT_USER, EXIT_INTRACTABLE, EXIT_INTERNAL, EXIT_UNDEFINED = 2, 3, 4, 5
TABLE_FORMATS = ("csv", "parquet", "arrow", "jsonl")


def echo(message: str, err: bool = False, nl: bool = True) -> None:
    out = sys.stderr if err else sys.stdout
    out.write(message + ("\n" if nl else ""))
    out.flush()


# ---- the guard ---------------------------------------------------------------------------------
def die(e: AtlasError) -> NoReturn:
    echo(e.render(), err=True)
    sys.exit(e.exit_code)


def guard(fn: Callable[..., int]) -> Callable[..., None]:
    """Run a command: user errors are rendered (never a traceback) and set the exit code; a
    fault writing the standard output (a full disk, a closed pipe) is a one-line error."""
    def run(*args: Any, **kw: Any) -> None:
        cleanup_on_signals()
        try:
            code = fn(*args, **kw)
            sys.stdout.flush()
        except AtlasError as e:
            die(e)
        except OSError as e:
            if e.errno == errno.EPIPE:
                quiet_stdout()
                sys.exit(130)
            die(stdout_error(e))
        except (KeyboardInterrupt, BrokenPipeError):
            sys.exit(130)
        except Exception as e:  # an internal error: say so, without a traceback by default
            if os.environ.get("ATLASC_DEBUG"):
                raise
            echo(f"atlasc: internal compiler error: {type(e).__name__}: {e}\n"
                 "(set ATLASC_DEBUG=1 for the traceback)", err=True)
            sys.exit(EXIT_INTERNAL)
        sys.exit(code)
    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def stdout_error(e: OSError) -> AtlasError:
    """An I/O fault that escaped a command: the standard output unless the error names a
    file."""
    quiet_stdout()
    name = e.filename if isinstance(e.filename, str) else "the standard output"
    return output_error(name, e)


def quiet_stdout() -> None:
    """Nothing more goes to a standard output that failed (not even the flush at exit)."""
    sys.stdout = open(os.devnull, "w")


_SHOW = warnings.showwarning


def show_warning(message: Warning | str, category: type[Warning], *args: Any,
                 **kw: Any) -> None:
    """Our warnings as they are written (file:line: warning: ...), others as Python shows them."""
    if issubclass(category, SourceWarning):
        echo(str(message), err=True)
    else:
        _SHOW(message, category, *args, **kw)


# ---- run --out -----------------------------------------------------------------------------------
def runnable(queries: list[Any]) -> tuple[list[Any], int]:
    """The queries to run; a refused one is reported on stderr (exit 3)."""
    ok = [q for q in queries if q.tractable]
    for q in queries:
        if not q.tractable:
            echo(q.report.render(), err=True)
    return ok, (EXIT_INTRACTABLE if len(ok) < len(queries) else 0)


def inputs(program: Any, path: str) -> set[Path]:
    return program.inputs | {Path(path).resolve()}


def protect(path: Path, protected: set[Path]) -> None:
    if path.resolve() in protected:
        raise QueryError(f"refusing to overwrite the input file {path}", None,
                         "choose another output path")


def run_table(program: Callable[[], Any], console: Console, file: str,
              names: tuple[str, ...], evidence: tuple[str, ...], data: str | None,
              data_format: str | None, out: str | None, fmt: str | None) -> int:
    """--out / a table format: rows streamed in chunks into one result table (`program()`
    compiles or loads the program)."""
    fmt = out_format(out, fmt if fmt in TABLE_FORMATS else None)
    if out is None and fmt in BINARY:
        raise QueryError(f"--format {fmt} writes a binary file: give it with --out FILE")
    prog = program()
    picked, common, _ = ev.run_inputs(prog, names, evidence, None)
    queries, code = runnable(picked)
    if out is not None:
        protect(Path(out), inputs(prog, file) | ({Path(data).resolve()} if data else set()))
    summary = stream_table(console, prog, queries, common, data, data_format, out, fmt)
    keep_made(prog)
    if summary.undefined and not code:
        code = EXIT_UNDEFINED
    return code


def stream_table(console: Console, program: Any, queries: list[Any], common: list[Any],
                 data: str | None, data_format: str | None, out: str | None, fmt: str
                 ) -> Any:
    spans: dict[Any, Any] = {}
    with console.phase("import"):
        arrow.load(tables.file_format(data, data_format) if data else None, fmt)
    if data:
        chunks = tables.read_file(ev.column_lookup(program, spans), data, data_format)
    else:
        chunks = iter([tables.Chunk(0, 1, {})])
    bar = console.rows_bar(tables.count_rows(data, data_format) if data and console.bars
                           else None)
    writer = TableWriter(fmt, Path(out).resolve() if out else None)
    try:
        with writer:
            summary = stream.stream(queries, common, chunks, writer, spans, bar.update)
    finally:
        bar.close()
    for phase, sec in summary.seconds.items():
        LOG.info("%s: %.3f s (CPU %.3f s) (%d rows)", phase, sec, summary.cpu[phase],
                 summary.rows)
    if out is None:
        echo(writer.sink.getvalue().decode("utf-8"), nl=False)
    return summary
