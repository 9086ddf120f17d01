"""`atlasc problog FILE`: a ProbLog program's queries answered as ProbLog prints them.

The command is made here and registered by compiler/cli.py (through compiler/commands.py,
when it is named: the ProbLog front end is not loaded by the other commands), which hands over
its plumbing (the guard that renders errors and sets exit codes, the console).
"""
from __future__ import annotations

import json
import sys
from typing import Any, Callable

import click

from atlasc.compiler import problogdirect
from atlasc.compiler.errors import AtlasError
from atlasc.compiler.program import manifest
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
        problogdirect.watch()
        try:
            with manifest.recording() as read:
                s, answers = P.run(file, mpe=mpe, over=P.map_atoms(over), data=data,
                                   progress=progress, allow_python=allow_python,
                                   report=show_report)
        finally:
            progress.close()
        out = P.report_text(s) + "\n" if show_report else ""
        click.echo(out, nl=False)
        batch = data is not None
        if not batch and answers[0].undefined:
            raise AtlasError(f"{file}: {answers[0].undefined}")
        shown = (json.dumps(stamped("problog-results", P.json_value(answers, batch)), indent=2)
                 if as_json else P.text(answers, batch)) + "\n"
        click.echo(shown, nl=False)
        out += shown
        code = EXIT_UNDEFINED if any(a.undefined for a in answers) else 0
        problogdirect.store(sys.argv[1:], manifest.inputs(file, (), read), out, code)
        return code

    return [problog_cmd]
