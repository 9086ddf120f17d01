"""What `atlasc` says on stderr while it works: progress bars with an ETA on a terminal,
`logging` with per-phase timings under -v, nothing under -q or when stderr is not a terminal.

Compilation reports its stages as messages (compiler/sources/limits.py); on a terminal they
drive one bar, whose total is the number of factors of the model being compiled when the
messages say it ("factor 15/37 compiled"), redrawn at most every REDRAW seconds (tqdm
throttles).  Without a terminal, a stage line is logged only under -v.
"""
from __future__ import annotations

import gc
import logging
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, TextIO

from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import tqdm as tqdm_module
else:
    tqdm_module = lazy_module("tqdm")      # the bars' library, loaded when a bar is drawn

LOG = logging.getLogger("atlasc")
REDRAW = 0.5
SHOW_AFTER = 1.0           # seconds of work before a bar appears
_FACTOR = re.compile(r"(?:\] )?(?P<what>[^:]*): factor (?P<i>\d+)/(?P<n>\d+)")

_STARTING: list[bool] = []
# OpenBLAS (numpy's) starts a worker thread per core when numpy is imported, and an idle
# worker spins for 2^28 cycles (OPENBLAS_THREAD_TIMEOUT's default) before it sleeps: about
# 0.05 s of CPU in every `atlasc` process, whose work is not BLAS.  A timeout of 2^4 cycles
# makes an idle worker sleep at once; the number of threads (the parallelism of a large
# product) is unchanged.  The user's own setting wins.
OPENBLAS_SPIN = ("OPENBLAS_THREAD_TIMEOUT", "4")


def starting() -> None:
    """The command line's imports: no garbage collection until `started`, and OpenBLAS's
    idle workers not spinning (atlasc/__main__.py: before numpy is imported)."""
    os.environ.setdefault(*OPENBLAS_SPIN)
    if gc.isenabled():
        gc.disable()
        _STARTING.append(True)


def started() -> None:
    """The imports are done: what they made is frozen out of the collector's way (it lives
    to the end), and the collector runs again for the command."""
    if _STARTING:
        _STARTING.clear()
        gc.freeze()
        gc.enable()


@dataclass
class Console:
    """Where a command's progress bars and -v phase timings go (stderr)."""
    quiet: bool = False
    verbose: int = 0
    start: float = field(default_factory=time.perf_counter)

    @property
    def bars(self) -> bool:
        return not self.quiet and sys.stderr.isatty()

    def setup(self) -> None:
        if not any(isinstance(h, _Stderr) for h in LOG.handlers):
            h = _Stderr()
            h.setFormatter(logging.Formatter("atlasc: %(message)s"))
            LOG.addHandler(h)
        LOG.setLevel({0: logging.WARNING, 1: logging.INFO}.get(self.verbose, logging.DEBUG))

    def compile_progress(self) -> "CompileProgress":
        return CompileProgress(self)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Log how long a phase took, wall clock and CPU (under -v)."""
        t, c = time.perf_counter(), time.process_time()
        yield
        LOG.info("%s: %.3f s (CPU %.3f s)", name, time.perf_counter() - t,
                 time.process_time() - c)

    def rows_bar(self, total: int | None, what: str = "rows") -> Any:
        """A bar over evidence rows (a no-op object when bars are off)."""
        if not self.bars:
            return _NoBar()
        return tqdm_module.tqdm(total=total, unit=" rows", unit_scale=True,
                                mininterval=REDRAW, desc=what, file=sys.stderr, leave=False,
                                dynamic_ncols=True)


class _Stderr(logging.StreamHandler[TextIO]):
    """Log lines to whatever sys.stderr is when they are written."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class CompileProgress:
    """The callable compilation reports to: a bar on a terminal, log lines under -v."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar: Any = None
        self.stage = ""

    def __call__(self, message: str) -> None:
        LOG.debug("%s", message)
        stage = _stage(message)
        if stage != self.stage:
            LOG.info("%s", message)
            self.stage = stage
        if self.console.bars and time.perf_counter() - self.console.start >= SHOW_AFTER:
            self._draw(message)

    def _draw(self, message: str) -> None:
        m = _FACTOR.search(message)
        total = int(m["n"]) if m else None
        if self.bar is None or (total is not None and self.bar.total != total):
            self.close()
            self.bar = tqdm_module.tqdm(total=total, mininterval=REDRAW, file=sys.stderr,
                                        leave=False, dynamic_ncols=True,
                                        unit=" factors" if total else " steps")
        self.bar.set_description(_stage(message)[:40], refresh=False)
        if m:
            self.bar.update(int(m["i"]) - self.bar.n)
        else:
            self.bar.update(0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _stage(message: str) -> str:
    """The stage a message belongs to: its text before the first ':' without the elapsed
    time stamp ("[   0.74s] bn: factor 1/37" is stage "bn")."""
    text = message.split("] ", 1)[1] if message.startswith("[") else message
    return text.split(":")[0]
