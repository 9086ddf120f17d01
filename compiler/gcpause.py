"""The cyclic garbage collector paused around work that allocates millions of objects and frees
none (parsing a huge formula, unpickling a cached program, linearising a circuit): the
collector would rescan the growing heap again and again, for nothing (such objects hold no
cycles to collect).  The collector's previous state is restored on exit."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
