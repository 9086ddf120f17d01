"""Loading the kernels' cached object code without LLVM: a cached run loads no llvmlite.

The kernels are compiled for the JIT's large code model (engine.py), so their object files
(ELF relocatable, x86-64) hold only absolute 64-bit relocations (R_X86_64_64: S + A) against
their own sections and a few C library functions (memset, exp, log).  `load` lays the
sections out in fresh pages, applies those relocations, resolves the library functions in
this process (where MCJIT resolves them too: the same functions, so the same bits), then
makes the code pages read-and-execute and the data pages read-only.  Anything else (another
OS or architecture, a relocation kind, a symbol kind, a section it does not know) raises
`Unsupported`, and the engine hands the same bytes to MCJIT instead: never a guess.

The key of a cached object names the host's LLVM, triple, CPU name and features, which only
llvmlite.binding can tell (~40 ms to load).  So the JIT records them, once per host
(`record`), under a fingerprint that is cheap to compute (`fingerprint`: /proc/cpuinfo's CPU
identity and flags, llvmlite's version and the size and time of its shared library); a later
process reads the record (`recorded`) and computes the same key without loading llvmlite.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import struct
import sys
from pathlib import Path
from typing import Any

import llvmlite      # the package's version only: its binding (the LLVM library) is not loaded

from atlasc.compiler.atomic import seal, unseal, write_atomic_bytes

HOST_MAGIC = b"ATLASC-HOST\x01"


class Unsupported(Exception):
    """An object this loader does not handle: MCJIT loads it instead."""


# ---- ELF ---------------------------------------------------------------------------------------
SHDR, SYM, RELA = struct.Struct("<IIQQQQIIQQ"), struct.Struct("<IBBHQQ"), struct.Struct("<QQq")
SHT_SYMTAB, SHT_RELA, SHT_NOBITS, SHT_REL = 2, 4, 8, 9
SHF_WRITE, SHF_ALLOC, SHF_EXEC = 1, 2, 4
R_NONE, R_64 = 0, 1
STT_FUNC, STT_TLS, STT_IFUNC = 2, 6, 10
SHN_UNDEF, SHN_LORESERVE, SHN_ABS = 0, 0xFF00, 0xFFF1
PAGE = 4096


def supported() -> bool:
    return sys.platform.startswith("linux") and os.uname().machine == "x86_64"


class _Section:
    __slots__ = ("name", "type", "flags", "offset", "size", "link", "info", "align", "at")

    def __init__(self, fields: tuple[int, ...]) -> None:
        (self.name, self.type, self.flags, _, self.offset, self.size, self.link, self.info,
         self.align, _) = fields
        self.at = -1                      # its offset in the loaded image; -1: not loaded


def _sections(obj: bytes) -> list[_Section]:
    if obj[:4] != b"\x7fELF" or obj[4:6] != b"\x02\x01":        # 64-bit, little-endian
        raise Unsupported("not a 64-bit little-endian ELF object")
    e_type, machine = struct.unpack_from("<HH", obj, 16)
    if e_type != 1 or machine != 62:                          # ET_REL, EM_X86_64
        raise Unsupported(f"ELF type {e_type}, machine {machine}")
    shoff, = struct.unpack_from("<Q", obj, 0x28)
    entsize, count = struct.unpack_from("<HH", obj, 0x3A)
    if entsize != SHDR.size:
        raise Unsupported("section header size")
    return [_Section(SHDR.unpack_from(obj, shoff + i * entsize)) for i in range(count)]


def _layout(sections: list[_Section]) -> list[tuple[int, int, int]]:
    """Loaded sections' offsets, grouped by protection, each group on its own pages:
    [(start, end, prot)]."""
    groups, at = [], 0
    for prot, want in ((5, SHF_EXEC), (3, SHF_WRITE), (1, 0)):   # r-x, rw-, r--
        start = at
        for s in sections:
            if s.flags & SHF_ALLOC and s.size and (s.flags & (SHF_EXEC | SHF_WRITE)) == want:
                at = -(-at // max(s.align, 1)) * max(s.align, 1)
                s.at, at = at, at + s.size
        at = -(-at // PAGE) * PAGE
        if at > start:
            groups.append((start, at, prot))
    return groups


def _libc() -> Any:
    lib = ctypes.CDLL(None, use_errno=True)
    lib.mmap.restype, lib.mmap.argtypes = ctypes.c_void_p, [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
        ctypes.c_long]
    lib.mprotect.restype = ctypes.c_int
    lib.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return lib


_LIBC: list[Any] = []
KEPT: list[tuple[int, int]] = []      # the loaded images (address, size): they live on


def _process_symbol(name: str) -> int:
    if not _LIBC:
        _LIBC.append(_libc())
    try:
        return int(ctypes.cast(getattr(_LIBC[0], name), ctypes.c_void_p).value or 0)
    except AttributeError:
        raise Unsupported(f"no symbol {name} in this process") from None


def _name(obj: bytes, strtab: _Section, at: int) -> str:
    end = obj.index(b"\0", strtab.offset + at)
    return obj[strtab.offset + at:end].decode()


def _symbols(obj: bytes, sections: list[_Section], base: int
             ) -> tuple[list[int], dict[str, int]]:
    """Every symbol's address, and the functions the object defines by name."""
    tabs = [s for s in sections if s.type == SHT_SYMTAB]
    if len(tabs) != 1:
        raise Unsupported("not one symbol table")
    tab = tabs[0]
    strtab, addrs, funcs = sections[tab.link], [], {}
    for i in range(tab.size // SYM.size):
        st_name, info, _, shndx, value, _ = SYM.unpack_from(obj, tab.offset + i * SYM.size)
        kind, name = info & 0xF, _name(obj, strtab, st_name) if st_name else ""
        if kind in (STT_TLS, STT_IFUNC):
            raise Unsupported(f"symbol kind {kind}")
        if shndx == SHN_UNDEF:
            addrs.append(_process_symbol(name) if name else 0)
        elif shndx == SHN_ABS:
            addrs.append(value)
        elif shndx >= SHN_LORESERVE or sections[shndx].at < 0:
            if kind == STT_FUNC:
                raise Unsupported(f"symbol {name} in section {shndx}")
            addrs.append(0)           # a file symbol, or one of a section never loaded
        else:
            addrs.append(base + sections[shndx].at + value)
            if kind == STT_FUNC and info >> 4 in (1, 2):          # global or weak
                funcs[name] = addrs[-1]
    return addrs, funcs


def _relocate(obj: bytes, sections: list[_Section], image: bytearray, addrs: list[int]
              ) -> None:
    for s in sections:
        if s.type == SHT_REL and sections[s.info].at >= 0:
            raise Unsupported("REL relocations")
        if s.type != SHT_RELA or sections[s.info].at < 0:
            continue
        target = sections[s.info]
        for i in range(s.size // RELA.size):
            offset, info, addend = RELA.unpack_from(obj, s.offset + i * RELA.size)
            kind, sym = info & 0xFFFFFFFF, info >> 32
            if kind == R_NONE:
                continue
            if kind != R_64 or offset + 8 > target.size or sym >= len(addrs):
                raise Unsupported(f"relocation kind {kind} at {offset}")
            struct.pack_into("<Q", image, target.at + offset, (addrs[sym] + addend) % 2 ** 64)


def load(obj: bytes) -> dict[str, int]:
    """The object's functions by name -> their addresses in this process."""
    if not supported():
        raise Unsupported(f"{sys.platform} {os.uname().machine}")
    try:
        return _load(obj)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as e:
        raise Unsupported(f"malformed object: {e}") from None


def _load(obj: bytes) -> dict[str, int]:
    sections = _sections(obj)
    groups = _layout(sections)
    size = groups[-1][1] if groups else 0
    if not size:
        raise Unsupported("nothing to load")
    lib = _LIBC[0] if _LIBC else _libc()
    _LIBC[:] = [lib]
    base = lib.mmap(None, size, 3, 0x22, -1, 0)       # rw-, MAP_PRIVATE | MAP_ANONYMOUS
    if base is None or base == 2 ** 64 - 1:
        raise Unsupported(f"mmap failed (errno {ctypes.get_errno()})")
    KEPT.append((base, size))
    addrs, funcs = _symbols(obj, sections, base)
    image = bytearray(size)
    for s in sections:
        if s.at >= 0 and s.type != SHT_NOBITS:
            image[s.at:s.at + s.size] = obj[s.offset:s.offset + s.size]
    _relocate(obj, sections, image, addrs)
    ctypes.memmove(base, bytes(image), size)
    for start, end, prot in groups:
        if lib.mprotect(base + start, end - start, prot) != 0:
            raise Unsupported(f"mprotect failed (errno {ctypes.get_errno()})")
    return funcs


# ---- the host record ---------------------------------------------------------------------------
_CPU_FIELDS = ("vendor_id", "cpu family", "model", "model name", "stepping", "flags")


def fingerprint() -> str | None:
    """What the host record is valid for; None where it cannot be told cheaply."""
    if not supported():
        return None
    try:
        first = Path("/proc/cpuinfo").read_text().split("\n\n", 1)[0]
        so = (Path(llvmlite.__file__).parent / "binding" / "libllvmlite.so").stat()
    except OSError:
        return None
    cpu = [ln for ln in first.splitlines() if ln.split(":")[0].strip() in _CPU_FIELDS]
    parts = [*cpu, llvmlite.__version__, str(so.st_size), str(so.st_mtime_ns)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _host_path(d: Path | None) -> Path | None:
    fp = fingerprint() if d is not None else None
    return d / f"host-{fp}.json" if d is not None and fp is not None else None


def recorded(d: Path | None) -> dict[str, str] | None:
    """The JIT's host facts (llvm, triple, cpu, features) recorded in cache folder d."""
    path = _host_path(d)
    try:
        payload = unseal(HOST_MAGIC, path.read_bytes()) if path is not None else None
        facts = json.loads(payload) if payload is not None else None
    except (OSError, ValueError):
        return None
    ok = isinstance(facts, dict) and all(isinstance(facts.get(k), str) for k in HOST_FACTS)
    return facts if ok else None


HOST_FACTS = ("llvm", "triple", "cpu", "features")


def record(d: Path | None, facts: dict[str, str]) -> None:
    """The JIT's host facts, kept for the next process (if they are not already)."""
    path = _host_path(d)
    if path is None or recorded(d) == facts:
        return
    try:
        write_atomic_bytes(path, seal(HOST_MAGIC, json.dumps(facts, sort_keys=True).encode()))
    except OSError:
        pass        # an unwritable cache only costs loading llvmlite next time
