"""Room for deeply nested user input.

The front end's passes (typing, model checks, lowering, the sympy bridge) are recursive over the
AST, whose depth is the nesting depth the user wrote.  `deep(fn, depth)` runs `fn` where it is
when the recursion limit leaves room, else in a thread with a large stack and a recursion
limit to match (sympy's time guard is then off: it needs the main thread), so MAX_DEPTH
levels of nesting (10^5 and more) compile; past that, the RecursionError becomes a `LimitExceeded` naming the limit, never a
crash.  The parse tree is built without recursion (lark's LALR parser and a non-recursive
transformer), so the nesting is known before any recursive pass runs; `parse` refuses input
nested deeper than MAX_DEPTH with a positioned error.
"""
from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

from atlasc.compiler.errors import LimitExceeded

T = TypeVar("T")

MAX_DEPTH = 200_000            # nesting levels of one expression or formula
FRAMES_PER_LEVEL = 12          # Python frames a recursive pass may use per nesting level
RESERVE = 400                  # frames the compiler itself uses below the nesting
STACK_BYTES = 1 << 30          # virtual: pages are touched only as deep as the recursion goes
_local = threading.local()


def deep(fn: Callable[[], T], depth: int = MAX_DEPTH) -> T:
    """`fn()` with room for `depth` levels of nesting: in this thread when its recursion limit
    leaves room (so the main thread keeps its signal-based time guards), else in a helper
    thread with a large stack."""
    if getattr(_local, "inside", False) or \
            (depth + 1) * FRAMES_PER_LEVEL + RESERVE < sys.getrecursionlimit():
        return fn()
    value: list[T] = []
    error: list[BaseException] = []

    def body() -> None:
        _local.inside = True
        try:
            value.append(fn())
        except RecursionError:
            error.append(LimitExceeded(
                f"the input nests more deeply than this compiler can follow "
                f"(about {MAX_DEPTH} levels)", hint="flatten the expression"))
        except BaseException as e:    # handed to the caller's thread, re-raised there
            error.append(e)
    _run_thread(body)
    if error:
        raise error[0]
    return value[0]


def _run_thread(body: Callable[[], None]) -> None:
    """The recursion limit is process-wide: it is raised only while the helper thread runs
    (the caller waits for it) and restored after, so a thread with the default 8 MB stack
    never runs under it (C code that recurses, such as json, would overflow the stack)."""
    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    threading.stack_size(STACK_BYTES)
    try:
        t = threading.Thread(target=body, name="atlasc-deep", daemon=True)
        sys.setrecursionlimit(max(old_limit, MAX_DEPTH * FRAMES_PER_LEVEL))
        t.start()
        t.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
