"""The compiled code of the methods `@dataclass` writes, kept between processes like bytecode.

`dataclasses` writes each class's `__init__`, `__repr__`, `__eq__`, `__hash__` and, for frozen
classes, `__setattr__` and `__delattr__` as source text, and compiles that text with `exec`:
about 0.1 ms a method.  atlasc defines ~180 dataclasses, so a run that loads the compiler
compiled ~720 methods (~60 ms of CPU) before doing any work of its own.  The text depends only
on a class's fields and options (defaults and types are passed in as arguments), so the same
text always compiles to the same code: like a module's bytecode in `__pycache__`, the compiled
code is kept in a file next to this module's bytecode, keyed by the text itself.

`install()` (the first thing `import atlasc` does) shadows the name `exec` in the `dataclasses`
module with `cached_exec`, which takes the compiled code from that file and compiles only what
is not there.  Nothing else changes: the code is exactly what `exec` would have compiled (same
file name `<string>`, no inherited `__future__` flags), run with the same globals and locals.
The file is written at exit when a process compiled something new, under the rules Python uses
for bytecode (not when PYTHONDONTWRITEBYTECODE / `-B` is set, skipped where the folder is not
writable); `make setup` writes it for the whole package (`main()`),
as it byte-compiles the modules.  A file from another Python (its bytecode magic number), or
one that is truncated or corrupt (a CRC-32 of its content), is ignored: it costs only the
compiling it would have saved.
"""
import atexit
import builtins
import dataclasses
import importlib.util
import marshal
import os
import sys
import zlib
from types import CodeType
from typing import Any

_HEADER = b"atlasc-dataclass-code\n" + importlib.util.MAGIC_NUMBER
_LIMIT = 5_000                      # texts kept (atlasc has ~720); past it, compiled as before
_codes: dict[str, CodeType] = {}
_fresh: list[str] = []              # compiled by this process, not yet in the file


def code_file() -> str:
    """The file, in this package's `__pycache__` next to the modules' bytecode."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "__pycache__", f"dataclass-code.{sys.implementation.cache_tag}.bin")


def cached_exec(source: str, globals: dict[str, Any], locals: dict[str, Any]) -> None:
    """`exec` as `dataclasses` calls it (its only caller), with the code of a text compiled
    before taken from the file.  The text is the one `dataclasses` writes from the field names
    of a class defined in Python source, never text a user gave: what it runs is what
    `dataclasses` would run without this module."""
    code = _codes.get(source)
    if code is None:
        code = compile(source, "<string>", "exec", dont_inherit=True)
        if len(_codes) < _LIMIT:
            _codes[source] = code
            _fresh.append(source)
    builtins.exec(code, globals, locals)


def _decode(blob: bytes) -> dict[str, CodeType]:
    """The texts and codes of a file's content; empty unless it is whole and of this Python."""
    body = blob[len(_HEADER) + 4:]
    if not blob.startswith(_HEADER) or blob[len(_HEADER):len(_HEADER) + 4] != _crc(body):
        return {}
    try:
        table = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}
    return table if isinstance(table, dict) else {}


def _crc(body: bytes) -> bytes:
    return zlib.crc32(body).to_bytes(4, "little")


def _read() -> dict[str, CodeType]:
    try:
        with open(code_file(), "rb") as fh:
            return _decode(fh.read())
    except OSError:
        return {}


def write() -> bool:
    """Write the file with every code known to this process, atomically; False if it could
    not be written (a read-only install): the next process compiles again, nothing else."""
    body = marshal.dumps(_codes)
    path = code_file()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(_HEADER + _crc(body) + body)
        os.replace(tmp, path)
    except OSError:
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fresh.clear()
    return True


def _write_at_exit() -> None:
    if _fresh and not sys.dont_write_bytecode:
        write()


def install() -> None:
    """Route `dataclasses`' compiling through the kept code (once per process)."""
    if getattr(dataclasses, "exec", None) is cached_exec:
        return
    _codes.update(_read())
    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
    atexit.register(_write_at_exit)


_PACKAGES = ("atlasc", "atlasc.compiler", "atlasc.runtime", "atlasc.grammar")


def _try_import(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError:             # an optional dependency that is not installed
        pass


def main() -> int:
    """`make setup`: import every module of atlasc, so that each dataclass is compiled once,
    and write the file; 1 if it could not be written."""
    import pkgutil                  # only here: no start-up of atlasc needs it
    for top in _PACKAGES:           # installed from separate folders: walked one by one
        package = importlib.import_module(top)
        for info in pkgutil.walk_packages(package.__path__, top + "."):
            if not info.name.endswith("__main__"):
                _try_import(info.name)
    if write():
        return 0
    print(f"could not write {code_file()}", file=sys.stderr)
    return 1

