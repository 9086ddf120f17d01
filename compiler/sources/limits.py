"""Compilation limits: a node budget, a time budget and a progress callback.

A `Limits` is a frozen value; `Budget` is the running clock one compilation carries.  Every
limit ends in `LimitExceeded` with a hint (another vtree, a weaker constraint), never in an
out-of-memory crash: the SDD size is checked after every apply.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from atlasc.compiler.errors import LimitExceeded

DEFAULT_MAX_NODES = 20_000_000
MAX_DOMAIN = 1 << 16            # values of one variable, as a file header declares them
MAX_TABLE = DEFAULT_MAX_NODES   # entries of one table, checked before it is read
MAX_VARIABLES = DEFAULT_MAX_NODES   # variables a header declares, checked before any is made

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Limits:
    max_nodes: int | None = DEFAULT_MAX_NODES   # SDD size and circuit nodes
    max_seconds: float | None = None
    progress: Progress | None = None
    max_memory_mb: float | None = None          # resident memory of the process


def resident_mb() -> float:
    """The process's resident memory in MiB (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def available_bytes(max_memory_mb: float | None = None) -> int | None:
    """Bytes a compilation may still allocate: the kernel's MemAvailable (Linux /proc), or
    what `max_memory_mb` leaves above the resident memory, whichever is smaller; None where
    neither is known."""
    room = []
    try:
        with open("/proc/meminfo") as fh:
            room += [int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    if max_memory_mb is not None:
        room.append(int((max_memory_mb - resident_mb()) * 2**20))
    return max(min(room), 0) if room else None


class Budget:
    """The clock and counters of one compilation."""

    def __init__(self, limits: Limits | None, what: str, hint: str, unit: str = "the SDD"
                 ) -> None:
        self.limits = limits or Limits()
        self.what, self.hint, self.unit = what, hint, unit
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def check(self, size: int) -> None:
        lim = self.limits
        if lim.max_nodes is not None and size > lim.max_nodes:
            raise LimitExceeded(f"compiling {self.what}: {self.unit} passed the node limit of "
                                f"{lim.max_nodes} (size {size})", hint=self.hint)
        if lim.max_seconds is not None and self.elapsed > lim.max_seconds:
            raise LimitExceeded(f"compiling {self.what}: passed the time limit of "
                                f"{lim.max_seconds:g}s", hint=self.hint)
        if lim.max_memory_mb is not None and resident_mb() > lim.max_memory_mb:
            raise LimitExceeded(f"compiling {self.what}: passed the memory limit of "
                                f"{lim.max_memory_mb:g} MiB", hint=self.hint)

    def report(self, message: str) -> None:
        if self.limits.progress is not None:
            self.limits.progress(f"[{self.elapsed:7.2f}s] {self.what}: {message}")


class Monitor:
    """A progress callback that also carries the limits of a whole compilation (`atlasc
    --timeout/--max-nodes`): every model compiled under it gets the nodes limit and the time
    left, and every progress message checks the deadline, so lowering and checking stop too."""

    def __init__(self, show: Progress | None = None, max_nodes: int | None = None,
                 max_seconds: float | None = None) -> None:
        self.show, self.max_nodes, self.max_seconds = show, max_nodes, max_seconds
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.check()
        if self.show is not None:
            self.show(message)

    def left(self) -> float | None:
        if self.max_seconds is None:
            return None
        return self.max_seconds - (time.perf_counter() - self.start)

    def check(self) -> None:
        left = self.left()
        if left is not None and left < 0:
            raise LimitExceeded(f"compilation passed the time limit of {self.max_seconds:g}s "
                                "(--timeout)", hint=TIME_HINT)

    def limits(self) -> Limits:
        left = self.left()
        return Limits(max_nodes=self.max_nodes or DEFAULT_MAX_NODES,
                      max_seconds=None if left is None else max(left, 0.0), progress=self)


TIME_HINT = ("give it more time (--timeout SECONDS), or make the problem smaller: another "
             "vtree, a weaker `constrained`, fewer queries")


def limits_of(progress: Progress | None) -> Limits | None:
    """The limits a progress callback carries (a Monitor), or plain progress."""
    if isinstance(progress, Monitor):
        return progress.limits()
    return Limits(progress=progress) if progress is not None else None
