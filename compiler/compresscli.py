"""`atlasc compress MODEL DATA -o out.atz` and `atlasc decompress MODEL out.atz -o rows.csv`.

Made here and registered by compiler/cli.py with its guard (errors rendered, exit codes) and
shared options; the codec is compiler/compress (docs/compression.md).  Outputs are written
atomically and never over the model or the data.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from atlasc.compiler.compress import CONDITIONALS, compress, decompress
from atlasc.compiler.fitcli import DATA_FORMATS, _protect


def commands(guard: Callable[..., Any], console: Callable[[], Any],
             shared: Callable[..., Any]) -> list[click.Command]:
    @click.command(name="compress")
    @click.argument("model", type=click.Path(dir_okay=False))
    @click.argument("data", type=click.Path(dir_okay=False))
    @click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
                  metavar="FILE.atz", help="The compressed file.")
    @click.option("--model", "model_name", metavar="NAME",
                  help="The network of a .query file (if it declares several).")
    @click.option("--format", "fmt", type=click.Choice(DATA_FORMATS),
                  help="The data format (default: from the suffix).")
    @click.option("--conditionals", type=click.Choice(CONDITIONALS), default="cpt",
                  show_default=True, help="Where p(x_i | x_<i) comes from: the CPT rows in a "
                  "topological order, or one batched pass of the compiled circuit per "
                  "variable (decompress reads the route from the file).")
    @shared
    @guard
    def compress_cmd(model: str, data: str, out: str, model_name: str | None,
                     fmt: str | None, conditionals: str) -> int:
        """Code the complete rows of DATA with the conditionals of MODEL (rANS)."""
        _protect(Path(out), [Path(model), Path(data)])
        with console().phase("compress"):
            r = compress(model, data, out, model_name=model_name, fmt=fmt,
                         conditionals=conditionals)
        click.echo(f"{r.summary()}\nwrote {out}")
        return 0

    @click.command(name="decompress")
    @click.argument("model", type=click.Path(dir_okay=False))
    @click.argument("atz", type=click.Path(dir_okay=False))
    @click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
                  metavar="ROWS.csv", help="The rows, as CSV.")
    @click.option("--model", "model_name", metavar="NAME",
                  help="The network of a .query file (if it declares several).")
    @shared
    @guard
    def decompress_cmd(model: str, atz: str, out: str, model_name: str | None) -> int:
        """Decode an .atz file that MODEL compressed back to its rows (CSV)."""
        _protect(Path(out), [Path(model), Path(atz)])
        with console().phase("decompress"):
            named = decompress(model, atz, out, model_name=model_name)
        rows = len(next(iter(named.values()), []))
        click.echo(f"{rows} rows\nwrote {out}")
        return 0
    return [compress_cmd, decompress_cmd]


__all__ = ["commands"]
