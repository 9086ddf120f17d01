"""The command group of `atlasc`: the commands whose modules are heavy (ProbLog, learning,
compression) are imported when they are named, as click's lazy subcommands are, so that
`atlasc run` and `atlasc check` do not load them (tests/test_startup.py).

Each lazy module is in a layer below compiler.cli (pyproject.toml) and has
`commands(guard, console, shared) -> list[click.Command]`; cli.py hands over its plumbing
(`plumbing`: the guard that renders errors, the console, the shared options) as it does for
the commands it defines itself.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

import click

LAZY = {"fit": "atlasc.compiler.fitcli", "compress": "atlasc.compiler.compresscli",
        "decompress": "atlasc.compiler.compresscli", "problog": "atlasc.compiler.problogcli"}


class Commands(click.Group):
    """A click group whose LAZY commands are made by their modules when first named."""

    plumbing: tuple[Callable[..., Any], Callable[[], Any], Callable[..., Any]] | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY and name not in self.commands:
            self.load(LAZY[name])
        return super().get_command(ctx, name)

    def load(self, module: str) -> None:
        """Register every command `module` makes."""
        assert self.plumbing is not None, "compiler/cli.py sets the plumbing"
        for c in importlib.import_module(module).commands(*self.plumbing):
            self.add_command(c)
