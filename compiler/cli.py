"""`atlasc`: check, run, compile and draw `.query` programs (a thin layer over atlasc.compiler.api).

Exit codes (EXIT_CODES, also in `atlasc --help` and docs/language.md): 0 success; 2 a user
mistake (file:line:col, the line, a caret, what was expected); 3 a query that is not
certified tractable (refused, never evaluated); 4 an internal compiler error; 5 every query
ran but some answer has undefined entries (null / `undefined`, with the reason).  When
several apply, the lowest non-zero code wins.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
import warnings
from pathlib import Path
from typing import Any, Callable

import click

from atlasc.compiler.version import __version__, stamped
from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.errors import OutputError, QueryError
from atlasc.compiler.program.load import compile_file
from atlasc.compiler.commands import Commands
from atlasc.compiler.console import Console, started
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.serialize import dumps
from atlasc.compiler.paths import object_cache_dir
from atlasc.compiler.program import cache as program_cache
from atlasc.compiler.program.manifest import refresh as keep_made
from atlasc.compiler.program import evidence as ev
from atlasc.compiler.program.textout import result_text
from atlasc.compiler.tablerun import (EXIT_INTRACTABLE, EXIT_UNDEFINED, TABLE_FORMATS, guard,
                                      inputs, protect, run_table, runnable, show_warning)
from atlasc import dask as adask
from atlasc.compiler.ir import picture
from atlasc.compiler.ir.raster import FORMATS, render

LOG = logging.getLogger("atlasc")
EXIT_CODES = ("Exit codes: 0 success; 2 bad input (file:line:col, the line, a caret); 3 a "
              "query refused (not certified tractable, never evaluated); 4 internal error; 5 "
              "an answer with undefined entries (null in JSON, `undefined` in text, with the "
              "reason: zero-probability evidence, positivity of an adjustment).  When several "
              "apply, the lowest non-zero code wins.")


# ---- plumbing ---------------------------------------------------------------------------------
@dataclass
class Settings:
    """The options every command shares (given before or after the command name)."""
    quiet: bool = False
    verbose: int = 0
    timeout: float | None = None
    max_nodes: int | None = None
    cache: bool = True
    console: Any = None


def _settings() -> Settings:
    return click.get_current_context().ensure_object(Settings)


def _setter(attr: str, value: Callable[[Any], Any] = lambda x: x) -> Callable[..., None]:
    def set_it(ctx: click.Context, param: click.Parameter, given: Any) -> None:
        if given not in (None, False, 0):
            setattr(ctx.ensure_object(Settings), attr, value(given))
    return set_it


QUIET = click.option("--quiet", is_flag=True, expose_value=False, callback=_setter("quiet"),
                     help="No progress bars.")
VERBOSE = click.option("-v", "--verbose", count=True, expose_value=False,
                       callback=_setter("verbose"),
                       help="Log the phases and their timings on stderr (-vv: every stage).")


def shared_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--timeout, --max-nodes, --no-cache, --quiet, -v on a command."""
    return _shared(fn, QUIET)


def _shared(fn: Callable[..., Any], *more: Any) -> Callable[..., Any]:
    opts = [
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     expose_value=False, callback=_setter("timeout"), metavar="SECONDS",
                     help="Stop compiling after this many seconds (exit 2, with a hint)."),
        click.option("--max-nodes", type=click.IntRange(min=1), expose_value=False,
                     callback=_setter("max_nodes"), metavar="N",
                     help="The node limit of every SDD and circuit compiled."),
        click.option("--no-cache", is_flag=True, expose_value=False,
                     callback=_setter("cache", lambda x: False),
                     help="Compile again instead of loading the compiled-program cache."),
        *more, VERBOSE]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _console() -> Any:
    s = _settings()
    if s.console is None:
        s.console = Console(s.quiet, s.verbose)
        s.console.setup()
    return s.console


def _compile(path: str, repair: bool = False, strict: bool = False,
             queries: tuple[str, ...] = (), lean: bool = False) -> Any:
    """The program; with `queries`, only those are compiled (run -q NAME); `lean`: a run
    image from the cache will do (compiler/program/manifest.py)."""
    s, console = _settings(), _console()
    progress = console.compile_progress()
    try:
        with console.phase("compile"):
            return compile_file(path, progress=progress, repair=repair, strict=strict,
                                cache=s.cache, max_nodes=s.max_nodes, timeout=s.timeout,
                                queries=queries or None, lean=lean)
    finally:
        progress.close()


def _run_dask(program: Any, names: tuple[str, ...], data: str | None, out: str | None,
              scheduler: str, repair: bool) -> int:
    if len(names) != 1 or not data or not out:
        raise QueryError("--dask needs one query (-q NAME), --data ROWS and --out DIR")
    q = program.query(names[0])
    if not q.tractable:
        click.echo(q.report.render(), err=True)
        return EXIT_INTRACTABLE
    rows = adask.run_files(program, names[0], data, out, scheduler)
    click.echo(f"query {names[0]}: {rows} rows written to {out}")
    return 0


DATA_FORMATS = ("csv", "parquet", "arrow", "jsonl")
OUT_FORMATS = ("text", "json") + TABLE_FORMATS


REPAIR_HELP = ("Recompile a model whose declared vtree lacks what a query needs "
               "(X-determinism, compatibility) with one that establishes it; the report says "
               "what changed.")
STRICT_HELP = ("Compile no view: a query that needs a vtree its model was not declared with "
               "is refused (exit 3) instead of getting a view compiled for it.")


def write_atomic(path: Path, data: str | bytes, protected: set[Path]) -> None:
    """Write through a temporary file in the same directory, then rename over `path`.
    Refuses to overwrite an input (the query file or a model file)."""
    protect(path, protected)
    write_atomic_bytes(path.resolve(), data.encode("utf-8") if isinstance(data, str) else data)


def _quiet_too(ctx: click.Context, param: click.Parameter, given: bool) -> bool:
    """check -q: the brief report, and no progress bars (as -q before the command)."""
    _setter("quiet")(ctx, param, given)
    return given


# ---- commands ---------------------------------------------------------------------------------
@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="atlasc")
@click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_setter("quiet"),
              help="No progress bars (also `--quiet` after the command).")
@VERBOSE
def main() -> None:
    """Compile queries over semirings to algebraic circuits, with tractability certificates."""
    started()                   # the imports are done (atlasc/__main__.py)
    warnings.showwarning = show_warning


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, callback=_quiet_too,
              help="One line per query (its verdict) and the summary, no operator trees and "
                   "no progress bars.")
@click.option("--repair", is_flag=True, help=REPAIR_HELP)
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@_shared
@guard
def check(file: str, as_json: bool, quiet: bool, repair: bool, strict: bool) -> int:
    """Print the tractability report of every query (exit 3 if one is not certified)."""
    report = _compile(file, repair, strict).report
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(report.brief() if quiet else report.render())
    return 0 if report.tractable else EXIT_INTRACTABLE


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-q", "--query", "names", multiple=True, help="Run only this query (repeatable).")
@click.option("-e", "--evidence", "evidence", multiple=True, metavar="VAR=VALUE",
              help="Evidence applied to every query run (repeatable).")
@click.option("--data", type=click.Path(dir_okay=False), metavar="ROWS",
              help="One evaluation per row of a .csv, .parquet, .arrow or .jsonl file (header "
                   "= variables; empty, ?, NA or null = unobserved); streamed in chunks.")
@click.option("--data-format", type=click.Choice(DATA_FORMATS), default=None,
              help="The format of --data when its suffix does not say.")
@click.option("-o", "--out", type=click.Path(), metavar="FILE",
              help="Write the results, one row per evidence row, to FILE (.csv, .parquet, "
                   ".arrow, .jsonl by suffix); written in chunks, atomically.  With --dask: "
                   "the directory of Parquet parts to write (must not exist).")
@click.option("--dask", "scheduler", metavar="SCHEDULER|local:N",
              help="Evaluate the --data rows (Parquet or CSV) on Dask: a scheduler address or "
                   "local:N worker processes; one query (-q), results to --out as Parquet.")
@click.option("--format", "fmt", type=click.Choice(OUT_FORMATS), default=None,
              help="The output format (default: text, or the suffix of --out).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--repair", is_flag=True, help=REPAIR_HELP)
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@shared_options
@guard
def run(file: str, names: tuple[str, ...], evidence: tuple[str, ...], data: str | None,
        data_format: str | None, out: str | None, scheduler: str | None, fmt: str | None,
        as_json: bool, repair: bool, strict: bool) -> int:
    """Evaluate the queries (all of them, or those named with -q).  Exit 3 if one is
    refused, else 5 if an answer has undefined entries (null / `undefined`, with the reason)."""
    if scheduler is not None:
        return _run_dask(_compile(file, repair, strict, names), names, data, out, scheduler,
                         repair)
    fmt = "json" if as_json and fmt is None else fmt
    if out is not None or fmt in TABLE_FORMATS:
        return run_table(lambda: _compile(file, repair, strict, names, lean=True), _console(),
                         file, names, evidence, data, data_format, out, fmt)
    program = _compile(file, repair, strict, names, lean=True)
    with _console().phase("read"):
        picked, common, rows = ev.run_inputs(program, names, evidence,
                                              Path(data) if data else None, data_format)
    queries, code = runnable(picked)
    results = []
    with _console().phase("evaluate"):
        for q in queries:
            results.append(q.run_rows(ev.rows_for(q, common, rows)))
            if not results[-1].defined and not code:
                code = EXIT_UNDEFINED
    with _console().phase("write"):
        _print_results(results, fmt or "text", rows is not None)
    keep_made(program)          # what the run built, kept in the cache for the next run
    return code


def _print_results(results: list[Any], fmt: str, with_rows: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps(stamped("results", {"queries": [r.to_json() for r in results]}),
                              indent=2))
    else:
        click.echo("\n\n".join(result_text(r, with_rows=with_rows) for r in results))


def _object_caches() -> tuple[tuple[str, Path | None], ...]:
    return (("LLVM objects", object_cache_dir()),)


@main.group(name="cache")
def cache_cmd() -> None:
    """The compiled-program and LLVM object caches (ATLASC_CACHE_DIR moves them)."""


@cache_cmd.command(name="info")
@guard
def cache_info() -> int:
    """Where the caches are, their entries and sizes."""
    for what, where, n, size in program_cache.info(_object_caches()):
        place = str(where) if where is not None else "off"
        click.echo(f"{what}: {place}: {n} entr{'y' if n == 1 else 'ies'}, "
                   f"{size / 1e6:.1f} MB")
    return 0


@cache_cmd.command(name="clear")
@guard
def cache_clear() -> int:
    """Remove every entry (the next runs compile again)."""
    click.echo(f"removed {program_cache.clear(_object_caches())} cache entries")
    return 0


@main.command(name="compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="The output directory (created if needed).")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@shared_options
@guard
def compile_cmd(file: str, out: str, strict: bool) -> int:
    """Write every query's report, and each certified query's circuit (JSON) and LLVM IR.

    A refused query gets its report only (an earlier circuit of it in OUTPUT is removed), the
    others are written all the same, and the exit code is 3."""
    program = _compile(file, strict=strict)
    protected, outdir = inputs(program, file), Path(out)
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"cannot write to {out}: it exists and is not a directory")
    report = program.report
    for q in program.queries.values():
        rep = q.report
        write_atomic(outdir / f"{q.name}.report.txt", rep.render() + "\n", protected)
        write_atomic(outdir / f"{q.name}.report.json",
                     json.dumps(stamped("query-report", rep.to_json()), indent=2) + "\n",
                     protected)
        if q.circuit is not None:
            write_atomic(outdir / f"{q.name}.circuit.json", dumps(q.circuit, indent=1) + "\n",
                         protected)
            _write_llvm(q, outdir, protected)
        else:
            _remove_stale(outdir, q.name, protected)
    write_atomic(outdir / "report.txt", report.render() + "\n", protected)
    click.echo(f"wrote {len(program.queries)} queries to {out}")
    return 0 if report.tractable else EXIT_INTRACTABLE


CIRCUIT_FILES = (".circuit.json", ".ll", ".program.npz")


def _remove_stale(outdir: Path, name: str, protected: set[Path]) -> None:
    """A refused query has no circuit: remove the one an earlier compile left in DIR, so DIR
    never holds a circuit next to a report that refuses it."""
    for suffix in CIRCUIT_FILES:
        path = (outdir / f"{name}{suffix}").resolve()
        if path.is_file() and path not in protected:
            path.unlink()


def _write_llvm(q: Any, outdir: Path, protected: set[Path]) -> None:
    """The kernels' optimised LLVM IR and the program tables they interpret."""
    argmax = bool(q.argmax_vars())
    code, tables = evaluator().export(q.circuit, argmax)
    write_atomic(outdir / f"{q.name}.ll", code, protected)
    write_atomic(outdir / f"{q.name}.program.npz", tables, protected)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-q", "--query", "name", required=True, help="The query to draw.")
@click.option("-o", "--output", "out", required=True,
              type=click.Path(dir_okay=False, allow_dash=True),
              help="OUT.dot, OUT.svg or OUT.png, or - for stdout (DOT unless --format).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="The picture's format (default: the suffix of -o).")
@click.option("--circuit", "show_circuit", is_flag=True,
              help="Draw the compiled circuit instead of the operator tree (a circuit of "
                   f"more than {picture.MAX_DRAWN} nodes is summarised layer by layer).")
@shared_options
@guard
def show(file: str, name: str, out: str, fmt: str | None, show_circuit: bool) -> int:
    """Draw a query's operator tree with its report, or its circuit (no graphviz needed)."""
    program = _compile(file, queries=(name,))
    q = program.query(name)
    fmt = fmt or _picture_format(out)
    if show_circuit and q.circuit is None:
        click.echo(q.report.render(), err=True)
        return EXIT_INTRACTABLE
    g = picture.circuit_graph(q.circuit) if show_circuit else \
        picture.operator_graph(q.report.step, q.report.headline())
    data = render(g, fmt)
    if out == "-":
        _stdout(data)
    else:
        write_atomic(Path(out), data, inputs(program, file))
        click.echo(f"wrote {out}")
    return 0 if q.tractable else EXIT_INTRACTABLE


def _picture_format(out: str) -> str:
    fmt = "dot" if out == "-" else Path(out).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise QueryError(f"cannot write '{out}': the output must end in .dot, .svg or .png",
                         None, "or name the format with --format")
    return fmt


def _stdout(data: str | bytes) -> None:
    if isinstance(data, bytes):
        sys.stdout.flush()       # click 8.5 deprecates get_binary_stream: the text stream's buffer
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        click.echo(data, nl=False)


main.plumbing = (guard, _console, shared_options)


if __name__ == "__main__":
    main()
