"""The compiled-program cache: an unchanged `.query` file with unchanged model files loads its
compiled program (circuits, reports, guards) instead of compiling again (docs/data.md).

An entry is keyed by a hash of the query text, its path and directory, the options that
change compilation (--repair, --max-nodes) and atlasc itself (its version and a hash of its
source files, so a changed atlasc never loads an old program).  The entry records the content
hash of every model file the program read; one that changed makes the entry stale, and it is
rebuilt.  An entry holds the program (circuits, reports, run-time checks) and the linear
programs the LLVM kernels run for each of its circuits (runtime/llvm/linear.py), so a warm run
neither compiles nor linearises.  Entries live in `programs/` of the user cache directory
(compiler/paths.py), beside the LLVM
object cache (runtime/llvm/engine.py) whose approach they share: a header with the payload's
length and SHA-256, written to a temporary file and renamed into place, so a reader sees a
whole entry or none, and a truncated, corrupt or foreign entry fails the check and is rebuilt,
never loaded.  Concurrent runs that share a cache each write a whole entry; the last rename
wins, and every entry they leave is complete.

ATLASC_CACHE_DIR moves the cache (programs go in its `programs/` folder), ATLASC_CACHE_DIR=off
or ATLASC_PROGRAM_CACHE=off turns this cache off (ATLASC_PROGRAM_CACHE=DIR moves this cache
alone); `atlasc run --no-cache` skips it once.
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlasc.compiler import atomic
from atlasc.compiler.paths import cache_root, program_dir
from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.errors import AtlasError
from atlasc.compiler.gcpause import gc_paused
from atlasc.compiler.ir.builder import Builder, adopted
from atlasc.compiler.ir.sparse import SparseView
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.ir.nodes import Leaf, Node
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.version import __version__, source_hash

MAGIC = b"ATLASC-PROG\x01"


def root_dir() -> Path | None:
    """The cache's folder (LLVM objects and programs), None when caching is off."""
    return cache_root()


def key(text: str, file: str, base_dir: Path, options: dict[str, Any]) -> str:
    parts = [__version__, source_hash(), sys.version, text, os.path.abspath(file),
             str(base_dir), repr(sorted(options.items()))]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]


# ---- entries ------------------------------------------------------------------------------------
@dataclass
class Stats:
    """The cache's counts in this process (tests read them)."""
    hits: int = 0
    builds: int = 0
    rejected: int = 0          # corrupt, truncated, foreign or stale entries rebuilt


STATS = Stats()


def seal(payload: bytes) -> bytes:
    return atomic.seal(MAGIC, payload)


def unseal(data: bytes) -> bytes | None:
    """The payload of a whole, intact entry; None otherwise."""
    return atomic.unseal(MAGIC, data)


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


Deps = list[tuple[str, "str | None"]]


def dependencies(program: Any) -> Deps:
    """The model files a program read, with their content hashes."""
    return [(p, file_hash(Path(p))) for p in sorted(program.files)]


def load(k: str) -> Any | None:
    """The program under key k, None if there is no intact, current entry."""
    found = entry(k)
    return found[1] if found is not None else None


def entry(k: str) -> tuple[Deps, Any] | None:
    """(the files the program read with their hashes, the program) under key k."""
    d = program_dir()
    if d is None:
        return None
    try:
        data = (d / f"{k}.prog").read_bytes()
    except OSError:
        return None
    found = unpacked(data)
    if found is None:
        STATS.rejected += 1
        return None
    STATS.hits += 1
    return found


def unpack(data: bytes) -> Any | None:
    """The program of a sealed entry, its circuits adopted by the evaluator; None for an entry
    that is truncated, corrupt, of another atlasc, or whose model files changed."""
    found = unpacked(data)
    return found[1] if found is not None else None


def unpacked(data: bytes) -> tuple[Deps, Any] | None:
    """`unpack`, with the files the program read and their hashes."""
    payload = unseal(data)
    empty: tuple[Deps, Any, list[tuple[Any, Any]]] = ([], None, [])
    try:
        with gc_paused():
            deps, program, linear = _Unpickler(io.BytesIO(payload)).load() if payload else empty
    except Exception:           # an entry of another atlasc: rebuilt, never trusted
        deps, program, linear = empty
    if program is None or any(file_hash(Path(p)) != h for p, h in deps):
        return None
    for c, prepared in linear:
        evaluator().adopt(c, prepared)
    return deps, program


def circuits(program: Any) -> list[tuple[Any, bool, bool]]:
    """Every circuit a run of the program evaluates, with its mode (argmax, keep)."""
    out = []
    for q in program.queries.values():
        if q.circuit is not None:
            marg = isinstance(q.typed, Ty.TMarginals)
            c = q.circuit.inner if marg and isinstance(q.circuit, SparseView) else q.circuit
            out.append((c, bool(q.argmax_vars()), marg))    # free variables: closed form
            out += [(g.circuit, False, False) for g in q.guards]
            out += [(f.circuit, False, False) for f in q.inconsistent]
    return out


def linearised(program: Any) -> list[tuple[Any, Any]]:
    """The circuits with what the back end makes to run them (made now, not at the first
    run: runtime/llvm/linear.py's programs for the LLVM back end)."""
    return [(c, evaluator().prepare(c, argmax, keep)) for c, argmax, keep in circuits(program)]


def store(k: str, program: Any, deps: Deps | None = None) -> None:
    """Write the entry of a program just compiled, with the files it read (default: its
    model files)."""
    d = program_dir()
    if d is None:
        return
    try:
        write_atomic_bytes(d / f"{k}.prog", pack(program, deps=deps))
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        pass                    # what cannot be cached is compiled again next time


def pack(program: Any, check_files: bool = True, deps: Deps | None = None) -> bytes:
    """The program as a sealed entry: what `store` writes and what atlasc.dask ships to each
    worker once (check_files=False: the workers need not see the model files); `deps`: the
    files it read with their hashes (default: its model files)."""
    buf = io.BytesIO()
    if not check_files:
        deps = []
    elif deps is None:
        deps = dependencies(program)
    with deep_recursion():
        pickler(Rules)(buf, protocol=5).dump((deps, program, linearised(program)))
    return seal(buf.getvalue())


class deep_recursion:
    """Circuits are deep object graphs: pickle them with room on the stack."""

    def __enter__(self) -> None:
        self.old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(self.old, 200_000))

    def __exit__(self, *exc: Any) -> None:
        sys.setrecursionlimit(self.old)


# ---- pickling ---------------------------------------------------------------------------------
_NEW = object.__new__
_SET_OP, _SET_CHILDREN, _SET_ARG, _SET_SR, _SET_UID = (
    Node.__dict__[f].__set__ for f in ("op", "children", "arg", "sr", "uid"))


def _node(op: Any, children: tuple[Node, ...], arg: Any, sr: Semiring, uid: int) -> Node:
    """A node as the builder made it, through its slots: a cache entry holds 10^5-10^6 of
    them, and the frozen dataclass's __init__ (one object.__setattr__ per field) is 1.6x
    slower."""
    n = _NEW(Node)
    _SET_OP(n, op)
    _SET_CHILDREN(n, children)
    _SET_ARG(n, arg)
    _SET_SR(n, sr)
    _SET_UID(n, uid)
    return n


def _error(cls: type[BaseException], state: dict[str, Any], args: tuple[Any, ...]
           ) -> BaseException:
    e = cls.__new__(cls)
    e.args = args
    e.__dict__.update(state)
    return e


@functools.cache
def pickler(rules: type) -> Any:
    """The pickler of `rules` (Rules or a subclass) over cloudpickle's, made at the first
    store: a run that only loads entries never imports cloudpickle (5-12 ms; an entry's
    stream names cloudpickle's helpers only where it pickled a closure, and unpickling then
    imports them)."""
    import cloudpickle
    return type(rules.__name__, (rules, cloudpickle.Pickler), {})


class Rules:
    """cloudpickle (user mappings are closures) with registered semirings by name, nodes
    and leaves by constructor (far faster to load than dataclass state) and a builder's
    nodes stored without their hash-cons table (rebuilt only if something builds on it).
    A mixin: `pickler(Rules)` is the class that pickles."""

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Semiring):
            try:
                if R.get(obj.name) is obj:
                    return obj.name
            except R.UnknownSemiring:
                pass
        return None

    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        if t is Node:
            return _node, (obj.op, obj.children, obj.arg, obj.sr, obj.uid)
        if t is Leaf:
            return Leaf, (obj.var, obj.weights)
        if isinstance(obj, Builder):
            return adopted, (obj._nodes, obj._scope, obj._interned, obj.max_nodes)
        if isinstance(obj, AtlasError):
            return _error, (t, dict(obj.__dict__), obj.args)
        return super().reducer_override(obj)  # type: ignore[misc]


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        return R.get(pid)


# ---- atlasc cache info | clear ------------------------------------------------------------------
def info(others: tuple[tuple[str, Path | None], ...] = ()
         ) -> list[tuple[str, Path | None, int, int]]:
    """(what, folder, entries, bytes) for the program cache and the caches in `others`
    (the CLI adds the LLVM objects' folder)."""
    out = []
    mine = (("compiled programs", program_dir(), ".prog"),
            ("run images (direct mode)", program_dir(), ".run"),
            ("ProbLog answers (direct mode)", program_dir(), ".answers"))
    for what, d, suffix in mine + tuple((w, d, "") for w, d in others):
        files = [p for p in d.iterdir() if p.is_file() and p.name.endswith(suffix)] \
            if d is not None and d.is_dir() else []
        out.append((what, d, len(files), sum(p.stat().st_size for p in files)))
    return out


def clear(others: tuple[tuple[str, Path | None], ...] = ()) -> int:
    """Remove every entry of the program cache and those in `others`; the number removed."""
    n = 0
    for d in {d for _, d, _, _ in info(others)}:
        if d is not None and d.is_dir():
            for p in d.iterdir():
                if p.is_file() and (p.suffix in (".prog", ".run", ".answers", ".o", ".tmp")):
                    p.unlink(missing_ok=True)
                    n += 1
    return n
