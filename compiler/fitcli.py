"""`atlasc fit MODEL --data ROWS -o fitted.bif`: parameter learning on the command line.

The command is made here and registered by compiler/cli.py, which hands over its plumbing (the
guard that renders errors and sets exit codes, the console, the shared options).  Each EM
iteration's log-likelihood goes to stderr as it is computed (not under --quiet); the summary
(or --json) goes to stdout; the fitted model is written atomically to -o, or printed to stdout
without it.  docs/learning.md.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import click

from atlasc.compiler.version import stamped
from atlasc.compiler.errors import QueryError
from atlasc.compiler.learn import INITS, UNSEEN, Fit, Iteration, PaspFit, ProbLogFit, fit

DATA_FORMATS = ("csv", "parquet", "arrow", "jsonl")


def commands(guard: Callable[..., Any], console: Callable[[], Any],
             shared: Callable[..., Any]) -> list[click.Command]:
    """`atlasc fit` (compiler/commands.py registers it when it is named)."""
    return [command(guard, console, shared)]


def command(guard: Callable[..., Any], console: Callable[[], Any],
            shared: Callable[..., Any]) -> click.Command:
    @click.command(name="fit")
    @click.argument("model", type=click.Path(dir_okay=False))
    @click.option("--data", required=True, type=click.Path(dir_okay=False), metavar="ROWS",
                  help="Training rows (CSV, Parquet, Arrow, JSON lines; empty cells, ?, NA "
                  "and nulls are missing), or ProbLog examples (evidence/2 facts, examples "
                  "separated by ---); for a PASP program, columns are atoms (true/false/"
                  "empty).")
    @click.option("-o", "--out", type=click.Path(dir_okay=False), metavar="FILE",
                  help="Write the fitted model here (.bif for a network, .pl for a ProbLog "
                  "program, .lp for a PASP program; without it: stdout).")
    @click.option("--model", "model_name", metavar="NAME",
                  help="The network of a .query file to fit (if it declares several).")
    @click.option("--format", "fmt", type=click.Choice(DATA_FORMATS),
                  help="The data format (default: from the suffix).")
    @click.option("--pseudo-count", type=float, default=0.0, show_default=True,
                  metavar="ALPHA", help="Added to every count (1 = Laplace).")
    @click.option("--tol", type=float, default=1e-8, show_default=True,
                  help="EM stops when the objective gains at most TOL times its size.")
    @click.option("--max-iter", type=click.IntRange(min=0), default=100, show_default=True,
                  help="EM's iteration limit.")
    @click.option("--init", type=click.Choice(INITS), default="random", show_default=True,
                  help="EM's start: seeded random rows, uniform rows, or the file's own "
                  "parameters.")
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--unseen", type=click.Choice(UNSEEN), default="uniform", show_default=True,
                  help="A parent configuration without data (and no pseudo-count): a "
                  "uniform row, or an error.")
    @click.option("--json", "as_json", is_flag=True, help="The summary as JSON.")
    @shared
    @guard
    def fit_cmd(model: str, data: str, out: str | None, model_name: str | None,
                fmt: str | None, pseudo_count: float, tol: float, max_iter: int, init: str,
                seed: int, unseen: str, as_json: bool) -> int:
        """Fit the parameters of MODEL (a network, a .query file's network, the t(_)
        probabilities of a ProbLog program or of a PASP program) to rows: closed-form counts
        for complete rows, EM on one compiled circuit otherwise.  A PASP program (.lp) is
        fitted under the MaxEnt semantics: under the credal semantics a row's probability is
        an interval, not one likelihood (docs/learning.md)."""
        if out is not None:
            _protect(Path(out), [Path(model), Path(data)])
        con = console()
        show = _shower(con.quiet)
        with con.phase("fit"):
            f = fit(model, data, model_name=model_name, pseudo_count=pseudo_count, tol=tol,
                    max_iter=max_iter, init=init, seed=seed, unseen=unseen, progress=show,
                    fmt=fmt)
        if out is None:
            click.echo(f.text(), nl=False)
            click.echo(summary_json(f) if as_json else f.summary(), err=True)
            return 0
        f.write(out)
        click.echo(summary_json(f) if as_json else f"{f.summary()}\nwrote {out}")
        return 0
    return fit_cmd


def _shower(quiet: bool) -> Callable[[Iteration], None] | None:
    if quiet:
        return None

    def show(it: Iteration) -> None:
        what = "initial parameters" if it.number == 0 else f"EM iteration {it.number}"
        extra = f", objective {it.objective:.10g}" if it.objective != it.log_likelihood else ""
        click.echo(f"atlasc: {what}: log-likelihood {it.log_likelihood:.10g}{extra} "
                   f"({it.seconds:.3f} s)", err=True)
    return show


def summary_json(f: Fit | ProbLogFit | PaspFit) -> str:
    common = {"method": f.method, "iterations": f.iterations, "converged": f.converged,
              "log_likelihood": f.log_likelihood,
              "history": [{"iteration": it.number, "log_likelihood": it.log_likelihood,
                           "objective": it.objective, "seconds": it.seconds}
                          for it in f.history]}
    if isinstance(f, PaspFit):
        return json.dumps(stamped("fit", {"program": True, "semantics": f.semantics,
                                          "rows": f.rows, **common, "kept": f.kept,
                                          "inconsistent": f.inconsistent}), indent=2)
    if isinstance(f, ProbLogFit):
        return json.dumps(stamped("fit", {"program": True, "examples": f.examples, **common,
                                          "kept": f.kept}), indent=2)
    return json.dumps(stamped("fit", {"model": f.model.name, "rows": f.rows,
                                      "complete_rows": f.complete_rows, **common,
                                      "unseen": [u.describe() for u in f.unseen],
                                      "posterior": f.posterior_kind}), indent=2)


def _protect(out: Path, inputs: list[Path]) -> None:
    for p in inputs:
        if os.path.exists(p) and out.resolve() == p.resolve():
            raise QueryError(f"refusing to overwrite the input {p} with the fitted model", None,
                             "choose another -o file")


__all__ = ["command", "summary_json"]
