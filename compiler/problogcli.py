"""`atlasc problog FILE`: a ProbLog program's queries answered as ProbLog prints them.

The command is made here and registered by compiler/cli.py (through compiler/commands.py,
when it is named: the ProbLog front end is not loaded by the other commands), which hands over
its plumbing (the guard that renders errors and sets exit codes, the console).
"""
from __future__ import annotations

import json
from typing import Any, Callable

import click

from atlasc.compiler.errors import AtlasError
from atlasc.compiler.program import problog as P
from atlasc.compiler.version import stamped

EXIT_UNDEFINED = 5      # as compiler/cli.py's: some answer is undefined


def commands(guard: Callable[..., Any], console: Callable[[], Any],
             shared: Callable[..., Any]) -> list[click.Command]:
    @click.command(name="problog")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--json", "as_json", is_flag=True, help="Print {\"queries\": {atom: p}} as JSON.")
    @click.option("--mpe", is_flag=True, help="The most probable world given the evidence.")
    @click.option("--map", "over", multiple=True, metavar="ATOMS",
                  help="Marginal MAP over these atoms (comma-separated, repeatable).")
    @click.option("--data", type=click.Path(dir_okay=False), metavar="ROWS.csv",
                  help="One answer per CSV row of evidence (header = atoms, true/false/empty).")
    @click.option("--report", "show_report", is_flag=True,
                  help="Print how each answer was made tractable (the operator report).")
    @click.option("--allow-python", is_flag=True,
                  help="Let the program load its Python modules (:- use_module('f.py')), which "
                       "runs their code; refused without this flag.")
    @guard
    def problog_cmd(file: str, as_json: bool, mpe: bool, over: tuple[str, ...], data: str | None,
                    show_report: bool, allow_python: bool) -> int:
        """Answer a ProbLog program's queries (query/1, evidence/1,2) as ProbLog prints them."""
        progress = console().compile_progress()
        try:
            s, answers = P.run(file, mpe=mpe, over=P.map_atoms(over), data=data, progress=progress,
                               allow_python=allow_python, report=show_report)
        finally:
            progress.close()
        if show_report:
            click.echo(P.report_text(s))
        batch = data is not None
        if not batch and answers[0].undefined:
            raise AtlasError(f"{file}: {answers[0].undefined}")
        if as_json:
            click.echo(json.dumps(stamped("problog-results", P.json_value(answers, batch)),
                                  indent=2))
        else:
            click.echo(P.text(answers, batch))
        return EXIT_UNDEFINED if any(a.undefined for a in answers) else 0

    return [problog_cmd]
