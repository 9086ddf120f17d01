"""The front end behind a seam, as the evaluator is (compiler/ir/evaluation.py): what compiles
a program (compiler/program/build.py: the parser, name resolution, the models' readers, the
operators) is installed by the composition root (atlasc/__init__.py) and imported at the
first compile.  A run of a program loaded from the compiled-program cache
(compiler/program/cache.py) never compiles, so it never imports the front end.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Protocol

from atlasc.compiler.errors import InternalCompilerError

if TYPE_CHECKING:
    from atlasc.compiler.program.program import Program

Progress = Callable[[str], None]


class FrontEnd(Protocol):
    def build(self, text: str, file: str, base_dir: Path, progress: Progress | None = None,
              repair: bool = False, strict: bool = False,
              only: Collection[str] | None = None) -> Program: ...

    def build_file(self, text: str, file: str, base_dir: Path,
                   progress: Progress | None = None, repair: bool = False,
                   strict: bool = False, only: Collection[str] | None = None,
                   max_nodes: int | None = None, timeout: float | None = None) -> Program: ...


_INSTALLED: list[FrontEnd] = []


def install(front: FrontEnd) -> None:
    """The front end every compile uses from now on (the composition root's choice)."""
    _INSTALLED[:] = [front]


def front_end() -> FrontEnd:
    if not _INSTALLED:
        raise InternalCompilerError("no front end installed: import atlasc (its __init__ "
                                    "installs compiler/program/build.py)")
    return _INSTALLED[0]
