"""The compiled-program cache's direct mode (as ccache's): `atlasc run` of an unchanged
`.query` file loads what running needs without parsing or resolving anything.

A direct entry is keyed by the bytes of the query file, its path, the compile options and
atlasc itself (its version, a hash of its sources, the Python version).  It holds a manifest,
every file the compile read with its content hash (the model files; and whatever else was
opened for reading while it compiled, outside Python's and atlasc's own trees and the caches:
included files, a PASP program's modules), and then the program's *run image*: the program
without its syntax tree, models and views (their report lines kept), its circuits and the
linear programs the back end runs for them.  A run hashes the query file, finds the entry,
re-hashes every file of the manifest and, only if each matches, unpickles the image (whose
classes import neither the parser nor a model reader).  Any mismatch (an edited model or
query, a deleted dependency), a truncated or corrupt entry (the SHA-256 seal of
compiler/atomic.py), an entry of another atlasc, or a dependency that could not be hashed
when the program compiled, falls back to the full path (cache.py), which compiles again if
it must.  Entries are written as the full ones are: whole, through a rename.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from atlasc.compiler import atomic
from atlasc.compiler.atomic import write_atomic_bytes
from atlasc.compiler.errors import InternalCompilerError
from atlasc.compiler.gcpause import gc_paused
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.flat import FlatCircuit, FlatView
from atlasc.compiler.paths import object_cache_dir, program_dir
from atlasc.compiler.program import cache
from atlasc.compiler.program.program import Program
from atlasc.compiler.source import Span
from atlasc.compiler.version import __version__, source_hash

MAGIC = b"ATLASC-RUN\x01"


@dataclass(frozen=True)
class Located:
    """What a run image keeps of a declaration: where it is (for the report)."""
    span: Span


@dataclass
class FixedViews:
    """The report lines and JSON of the views compiled for each query (views.Views), as
    they were when the program compiled."""
    shown: dict[str, tuple[tuple[str, ...], list[dict[str, Any]]]]

    def lines(self, name: str) -> tuple[str, ...]:
        return self.shown.get(name, ((), []))[0]

    def to_json(self, name: str) -> list[dict[str, Any]]:
        return list(self.shown.get(name, ((), []))[1])


def run_image(p: Program) -> Program:
    """The program as a run needs it: its names, queries, circuits and reports; no syntax
    tree, no models (their files are in `files`), the views' report lines fixed."""
    shown = {n: (tuple(p.views.lines(n)), list(p.views.to_json(n))) for n in p.queries}
    image = Program(p.file, p.text, p.env.names_only(), {}, FixedViews(shown), {}, p.files)
    for n, q in p.queries.items():
        image.queries[n] = dataclasses.replace(q, decl=Located(q.decl.span), program=image,
                                               repaired=[])
    return image


def key(data: bytes, file: str, options: dict[str, Any]) -> str:
    parts = [__version__, source_hash(), sys.version, "direct", os.path.abspath(file),
             str(Path(file).resolve()), repr(sorted(options.items()))]
    h = hashlib.sha256("\x00".join(parts).encode() + b"\x00")
    h.update(data)
    return h.hexdigest()[:40]


# ---- what a compile reads -----------------------------------------------------------------------
_RECORDING: list[set[str]] = []
_HOOKED: list[bool] = []
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """sys.addaudithook: every file opened for reading while a compile is recorded."""
    if event != "open" or not _RECORDING:
        return
    path, mode, flags = args
    if isinstance(path, int) or path is None:
        return
    if (mode and any(c in mode for c in "wax+")) or (not mode and flags & _WRITE_FLAGS):
        return
    _RECORDING[-1].add(os.path.abspath(os.fsdecode(path)))


class recording:
    """`with recording() as files:` collects the files opened for reading inside."""

    def __enter__(self) -> set[str]:
        if not _HOOKED:
            sys.addaudithook(_audit)
            _HOOKED.append(True)
        _RECORDING.append(set())
        return _RECORDING[-1]

    def __exit__(self, *exc: Any) -> None:
        _RECORDING.pop()


def _ignored() -> tuple[str, ...]:
    """Folders whose files are not a program's inputs: Python's, atlasc's own (its sources
    are in every key), the caches, the kernel's."""
    here = Path(cache.__file__).resolve().parents[2]
    folders = [sys.prefix, sys.base_prefix, sys.exec_prefix, "/proc", "/sys", "/dev"]
    folders += [str(here / sub) for sub in ("compiler", "runtime", "grammar", "atlasc")]
    folders += [str(d) for d in (cache.root_dir(), program_dir(), object_cache_dir())
                if d is not None]
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders)


def dependencies(program: Program, read: set[str]) -> cache.Deps:
    """The manifest: the model files and the other files read, with their content hashes
    (None for one that cannot be hashed: then no direct entry is written)."""
    return inputs(program.file, program.files, read)


def inputs(file: str, files: Any, read: set[str]) -> cache.Deps:
    """The files `files` and those `read` but `file` itself (whose bytes are in the key), with
    their content hashes.  A file read that is gone when the compile ends (a temporary file of
    pysdd's), or is in one of the _ignored folders, is not one of them."""
    skip = _ignored()
    query = str(Path(file).resolve())
    paths = set(files) | {str(Path(p).resolve()) for p in read
                          if os.path.isfile(p) and not os.path.realpath(p).startswith(skip)}
    return [(p, cache.file_hash(Path(p))) for p in sorted(paths - {query})]


# ---- entries ------------------------------------------------------------------------------------
def _path(k: str) -> Path | None:
    d = program_dir()
    return d / f"{k}.run" if d is not None else None


def store(k: str, program: Program, deps: Any) -> None:
    """Write the direct entry of a program, with the files it read and their hashes."""
    path = _path(k)
    if path is None:
        return
    buf = io.BytesIO()
    try:
        pickle.dump(deps, buf, protocol=5)
        image = run_image(program)
        linear = cache.linearised(image)
        cache.pickler(_ImageRules)(buf, {id(c) for c, _ in linear}, protocol=5).dump(
            (image, linear))
        write_atomic_bytes(path, atomic.seal(MAGIC, buf.getvalue()))
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        pass                    # what cannot be cached is compiled again next time
    _STORED[id(program)] = (program, k, deps, _made(linear))


COMPILE_ONLY = ("model",)      # Circuit.info kept for recompiling (sources/repair.py)


def _rebuilt(cls: type, state: dict[str, Any]) -> Any:
    obj: Any = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _no_recipe() -> Circuit:
    raise InternalCompilerError("a run image keeps no model to build this view's node "
                                "circuit from")


class _ImageRules(cache.Rules):
    """The cache's pickler, leaving out what only a compile reads: a source circuit's
    model (a run image never recompiles), whose classes would load the model readers.  A
    flat view whose node circuit a run built (a batch past the break-even,
    runtime/evaluator.py) keeps it, and no longer its recipe (which holds the model); nor
    does a flat view that no query runs (a view's source)."""

    def __init__(self, f: Any, runs: set[int], protocol: int) -> None:
        super().__init__(f, protocol=protocol)  # type: ignore[call-arg]
        self.runs = runs

    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        if t in (Circuit, FlatCircuit) and any(k in obj.info for k in COMPILE_ONLY):
            return _rebuilt, (t, _run_state(obj))
        if t is FlatView:
            state = _run_state(obj)
            if obj.materialised or id(obj) not in self.runs:
                state["recipe"] = _no_recipe
            return _rebuilt, (t, state)
        return super().reducer_override(obj)


def _run_state(c: Circuit | FlatCircuit) -> dict[str, Any]:
    return dict(vars(c), info={k: v for k, v in c.info.items() if k not in COMPILE_ONLY})


# ---- what runs made: kept for the next run ------------------------------------------------------
_STORED: dict[int, tuple[Program, str, Any, list[tuple[str, ...]]]] = {}


def _made(linear: list[tuple[Any, Any]]) -> list[tuple[str, ...]]:
    return [tuple(sorted(prepared)) for _, prepared in linear]


def refresh(program: Program) -> None:
    """After a run: if it made something the program's direct entry lacks (the node circuit
    of a flat view and its kernels' programs, a log-space twin), the entry is written again
    with it, so the next run loads it instead of building it."""
    found = _STORED.get(id(program))
    if found is None or found[0] is not program:
        return
    _, k, deps, made = found
    if _made(cache.linearised(program)) != made:
        with cache.deep_recursion():
            store(k, program, deps)


def _unchanged(deps: Any) -> bool:
    return isinstance(deps, list) and all(
        isinstance(d, tuple) and len(d) == 2 and cache.file_hash(Path(d[0])) == d[1]
        for d in deps)


def load(k: str) -> Program | None:
    """The run image under key k if its entry is intact and every file it read is
    unchanged; None otherwise (the caller takes the full path)."""
    path = _path(k)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    payload = atomic.unseal(MAGIC, data)
    image = _image(payload) if payload is not None else None
    if image is None:
        cache.STATS.rejected += 1
        return None
    deps, program, linear = image
    for c, prepared in linear:
        evaluator().adopt(c, prepared)
    cache.STATS.hits += 1
    _STORED[id(program)] = (program, k, deps, _made(linear))
    return program


def _image(payload: bytes) -> tuple[Any, Program, list[tuple[Any, Any]]] | None:
    f = io.BytesIO(payload)
    try:
        deps = pickle.Unpickler(f).load()
        if not _unchanged(deps):
            return None
        with gc_paused():
            program, linear = cache._Unpickler(f).load()
    except Exception:           # an entry of another atlasc: never trusted
        return None
    return (deps, program, linear) if isinstance(program, Program) else None


def compiled(data: bytes, file: str, k: str, options: dict[str, Any],
             build: Callable[[], Program], use: bool = True, lean: bool = False) -> Program:
    """The program under the full key k (cache.py), or `build()` stored; with `lean`, the
    run image of the direct entry when it is current (`data`: the query file's bytes).  A
    program compiled or loaded here leaves its direct entry for the next run."""
    if not use:
        return build()
    dk = key(data, file, options)
    hit = load(dk) if lean else None
    if hit is not None:
        return hit
    found = cache.entry(k)
    if found is not None:
        deps, program = found
    else:
        cache.STATS.builds += 1
        with recording() as read:
            program = build()
        deps = dependencies(program, read)
        with cache.deep_recursion():
            cache.store(k, program, deps)
    if all(h is not None for _, h in deps):
        with cache.deep_recursion():
            store(dk, program, deps)
    return program
