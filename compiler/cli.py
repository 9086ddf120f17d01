"""`atlasc`: check, run, compile and draw `.query` programs (a thin layer over atlasc.compiler.api).

Exit codes (EXIT_CODES, also in `atlasc --help` and docs/language.md): 0 success; 2 a user
mistake (file:line:col, the line, a caret, what was expected); 3 a query that is not
certified tractable (refused, never evaluated); 4 an internal compiler error; 5 every query
ran but some answer has undefined entries (null / `undefined`, with the reason).  When
several apply, the lowest non-zero code wins.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

from atlasc.compiler.version import __version__
from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.errors import AtlasError, QueryError
from atlasc.compiler.api import compile_file
from atlasc.compiler.program import evidence as ev
from atlasc.compiler.program.textout import result_text
from atlasc.compiler.ir.serialize import dumps
from atlasc.runtime.llvm.export import emit_module, program_npz
from atlasc.compiler.program import dot
from atlasc import dask as adask

EXIT_USER, EXIT_INTRACTABLE, EXIT_INTERNAL, EXIT_UNDEFINED = 2, 3, 4, 5
EXIT_CODES = ("Exit codes: 0 success; 2 bad input (file:line:col, the line, a caret); 3 a "
              "query refused (not certified tractable, never evaluated); 4 internal error; 5 "
              "an answer with undefined entries (null in JSON, `undefined` in text, with the "
              "reason: zero-probability evidence, positivity of an adjustment).  When several "
              "apply, the lowest non-zero code wins.")
PROGRESS_EVERY = 1.0
PROGRESS_AFTER = 1.0    # seconds before compilation progress is shown on stderr


# ---- plumbing ---------------------------------------------------------------------------------
def _die(e: AtlasError) -> NoReturn:
    click.echo(e.render(), err=True)
    sys.exit(e.exit_code)


def _progress() -> Callable[[str], None]:
    """Progress on stderr once the work has taken PROGRESS_AFTER seconds, at most one line
    every PROGRESS_EVERY seconds (lines naming a new stage always show)."""
    start = time.perf_counter()
    last = [start, ""]

    def show(message: str) -> None:
        now = time.perf_counter()
        stage = message.split(":")[0]
        if now - start >= PROGRESS_AFTER and (now - last[0] >= PROGRESS_EVERY or
                                              stage != last[1]):
            click.echo(f"atlasc: {message}", err=True)
            last[0], last[1] = now, stage
    return show


def _compile(path: str, repair: bool = False, strict: bool = False) -> Any:
    return compile_file(path, progress=_progress(), repair=repair, strict=strict)


REPAIR_HELP = ("Recompile a model whose declared vtree lacks what a query needs "
               "(X-determinism, compatibility) with one that establishes it; the report says "
               "what changed.")
STRICT_HELP = ("Compile no view: a query that needs a vtree its model was not declared with "
               "is refused (exit 3) instead of getting a view compiled for it.")


def _guard(fn: Callable[..., int]) -> Callable[..., None]:
    """Run a command: user errors are rendered (never a traceback) and set the exit code."""
    def run(*args: Any, **kw: Any) -> None:
        try:
            code = fn(*args, **kw)
        except AtlasError as e:
            _die(e)
        except (KeyboardInterrupt, BrokenPipeError):
            sys.exit(130)
        except Exception as e:  # an internal error: say so, without a traceback by default
            if os.environ.get("ATLASC_DEBUG"):
                raise
            click.echo(f"atlasc: internal compiler error: {type(e).__name__}: {e}\n"
                       "(set ATLASC_DEBUG=1 for the traceback)", err=True)
            sys.exit(EXIT_INTERNAL)
        sys.exit(code)
    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def write_atomic(path: Path, data: str | bytes, protected: set[Path]) -> None:
    """Write through a temporary file in the same directory, then rename over `path`.
    Refuses to overwrite an input (the query file or a model file)."""
    target = path.resolve()
    if target in protected:
        raise QueryError(f"refusing to overwrite the input file {path}", None,
                         "choose another output path")
    write_atomic_bytes(target, data.encode("utf-8") if isinstance(data, str) else data)


def _inputs(program: Any, path: str) -> set[Path]:
    out = {Path(path).resolve()}
    for m in program.models.values():
        body = m.decl.body
        if hasattr(body, "path"):
            out.add((program.env.base_dir / body.path).resolve())
    return out


# ---- commands ---------------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="atlasc")
def main() -> None:
    """Compile queries over semirings to algebraic circuits, with tractability certificates."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--repair", is_flag=True, help=REPAIR_HELP)
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@_guard
def check(file: str, as_json: bool, repair: bool, strict: bool) -> int:
    """Print the tractability report of every query (exit 3 if one is not certified)."""
    report = _compile(file, repair, strict).report
    click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.render())
    return 0 if report.tractable else EXIT_INTRACTABLE


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-q", "--query", "names", multiple=True, help="Run only this query (repeatable).")
@click.option("-e", "--evidence", "evidence", multiple=True, metavar="VAR=VALUE",
              help="Evidence applied to every query run (repeatable).")
@click.option("--data", type=click.Path(dir_okay=False), metavar="ROWS.csv",
              help="One evaluation per CSV row (header = variables, empty cell = unobserved).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--repair", is_flag=True, help=REPAIR_HELP)
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@click.option("--dask", "scheduler", metavar="SCHEDULER|local:N",
              help="Evaluate the --data rows (Parquet or CSV) on Dask: a scheduler address or "
                   "local:N worker processes; one query (-q), results to --out as Parquet.")
@click.option("--out", type=click.Path(), metavar="DIR.parquet",
              help="With --dask: the directory of Parquet parts to write (must not exist).")
@_guard
def run(file: str, names: tuple[str, ...], evidence: tuple[str, ...], data: str | None,
        as_json: bool, repair: bool, strict: bool, scheduler: str | None,
        out: str | None) -> int:
    """Evaluate the queries (all of them, or those named with -q).  Exit 3 if one is
    refused, else 5 if an answer has undefined entries (null / `undefined`, with the reason)."""
    program = _compile(file, repair, strict)
    if scheduler is not None:
        return _run_dask(program, names, data, out, scheduler, repair)
    queries = [program.query(n) for n in names] if names else list(program.queries.values())
    common = ev.command_line(program, evidence)
    rows = ev.read_csv(program, Path(data))[1] if data else None
    results, code = [], 0
    for q in queries:
        if not q.tractable:
            click.echo(q.report.render(), err=True)
            code = EXIT_INTRACTABLE
            continue
        results.append(q.run_rows(ev.rows_for(q, common, rows)))
        if not results[-1].defined and not code:
            code = EXIT_UNDEFINED
    if as_json:
        click.echo(json.dumps({"queries": [r.to_json() for r in results]}, indent=2))
    else:
        click.echo("\n\n".join(result_text(r, with_rows=rows is not None) for r in results))
    return code


def _run_dask(program: Any, names: tuple[str, ...], data: str | None, out: str | None,
              scheduler: str, repair: bool) -> int:
    if len(names) != 1 or not data or not out:
        raise QueryError("--dask needs one query (-q NAME), --data ROWS and --out DIR")
    q = program.query(names[0])
    if not q.tractable:
        click.echo(q.report.render(), err=True)
        return EXIT_INTRACTABLE
    rows = adask.run_files(program, names[0], data, out, scheduler, repair)
    click.echo(f"query {names[0]}: {rows} rows written to {out}")
    return 0


@main.command(name="compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="The output directory (created if needed).")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@_guard
def compile_cmd(file: str, out: str, strict: bool) -> int:
    """Write every query's report, and each certified query's circuit (JSON) and LLVM IR.

    A refused query gets its report only (an earlier circuit of it in OUTPUT is removed), the
    others are written all the same, and the exit code is 3."""
    program = _compile(file, strict=strict)
    protected, outdir = _inputs(program, file), Path(out)
    if outdir.exists() and not outdir.is_dir():
        raise QueryError(f"{out} exists and is not a directory")
    report = program.report
    for q in program.queries.values():
        rep = q.report
        write_atomic(outdir / f"{q.name}.report.txt", rep.render() + "\n", protected)
        write_atomic(outdir / f"{q.name}.report.json",
                     json.dumps(rep.to_json(), indent=2) + "\n", protected)
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
    write_atomic(outdir / f"{q.name}.ll", emit_module(q.circuit, argmax), protected)
    write_atomic(outdir / f"{q.name}.program.npz", program_npz(q.circuit, argmax), protected)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-q", "--query", "name", required=True, help="The query to draw.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="OUT.dot, OUT.svg or OUT.png (svg and png need graphviz).")
@click.option("--circuit", "show_circuit", is_flag=True,
              help="Draw the compiled circuit instead of the operator tree.")
@_guard
def show(file: str, name: str, out: str, show_circuit: bool) -> int:
    """Draw a query's operator tree with its report, or its circuit."""
    program = _compile(file)
    q = program.query(name)
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in ("dot", "svg", "png"):
        raise QueryError(f"cannot write '{out}': the output must end in .dot, .svg or .png")
    if show_circuit:
        if q.circuit is None:
            assert q.error is not None
            click.echo(q.report.render(), err=True)
            return EXIT_INTRACTABLE
        try:
            text = dot.circuit(q.circuit)
        except ValueError as e:
            raise QueryError(f"cannot draw query {name}: {e}") from None
    else:
        text = dot.operator_tree(name, q.report.step, q.report.headline())
    data = text if fmt == "dot" else _graphviz(text, fmt)
    write_atomic(Path(out), data, _inputs(program, file))
    click.echo(f"wrote {out}")
    return 0 if q.tractable else EXIT_INTRACTABLE


def _graphviz(text: str, fmt: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise QueryError(f"writing .{fmt} needs graphviz's `dot` program, which is not "
                         "installed", None, "install graphviz, or write a .dot file (-o OUT.dot)"
                         " and convert it elsewhere")
    done = subprocess.run([exe, f"-T{fmt}"], input=text.encode(), capture_output=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise QueryError(f"graphviz failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


if __name__ == "__main__":
    main()
