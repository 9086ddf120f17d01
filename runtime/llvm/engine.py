"""The JIT: one LLVM execution engine per process, kernels compiled at O3 for the host CPU
(AVX-512 where present) and kept on disk.

Cache entries are object files keyed by a hash of everything the machine code depends on: the
kernel's semiring spec and `KERNEL_VERSION`, atlasc's version, llvmlite's and LLVM's versions,
the target triple, CPU name and features.  An entry is written atomically (a temporary file in
the same directory, then `os.replace`) with a header carrying the payload's length and SHA-256;
a truncated, corrupt or foreign entry fails that check and is rebuilt and rewritten, never
loaded.  Set ATLASC_CACHE_DIR to move the cache, ATLASC_CACHE_DIR=off to disable it.

A cached object is loaded by atlasc's own loader (native.py), with the key computed from the
host facts the JIT recorded, so a run whose kernels are all cached loads no llvmlite.binding
(~40 ms); the JIT (`Jit`: target machine and MCJIT) is made at its first use: a kernel to
compile, an object the loader does not support, no host record yet.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import llvmlite

from atlasc.compiler.atomic import seal, unseal, write_atomic_bytes
from atlasc.compiler.paths import object_cache_dir as cache_dir
from atlasc.runtime.llvm import native
from atlasc.runtime.llvm.elems import Spec
from atlasc.runtime.llvm.kernels import (KERNEL_VERSION, allocate_module, backtrack_module,
                                  backward_module, stage_module)
from atlasc.compiler.version import __version__

if TYPE_CHECKING:
    import llvmlite.binding as llvm
    from llvmlite import ir

MAGIC = b"ATLASC-OBJ\x01"
_LOCK = threading.RLock()


@dataclass
class CacheStats:
    """The LLVM object cache's counts in this process."""
    hits: int = 0
    builds: int = 0
    rejected: int = 0        # entries that failed the integrity check and were rebuilt
    native: int = 0          # kernels loaded by atlasc's loader (native.py), not by MCJIT


class Jit:
    """LLVM: the host's target machine and one MCJIT engine."""

    def __init__(self) -> None:
        import llvmlite.binding as llvm      # ~40 ms: only when something needs LLVM itself
        self.llvm = llvm
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        self.triple = llvm.get_process_triple()
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        target = llvm.Target.from_triple(self.triple)
        self.tm = target.create_target_machine(cpu=self.cpu, features=self.features, opt=3,
                                               codemodel="jitdefault")
        backing = llvm.parse_assembly("")
        backing.triple = self.triple
        self.ee = llvm.create_mcjit_compiler(backing, self.tm)
        self.facts = {"llvm": ".".join(map(str, llvm.llvm_version_info)),
                      "triple": self.triple, "cpu": self.cpu, "features": self.features}
        native.record(cache_dir(), self.facts)


class Engine:
    def __init__(self) -> None:
        self.fns: dict[str, int] = {}
        self.stats = CacheStats()
        self.native = native.supported()     # False: every kernel through MCJIT (tests)
        self._jit: Jit | None = None
        self._facts: dict[str, str] | None = None

    @property
    def jit(self) -> Jit:
        if self._jit is None:
            self._jit = Jit()
        return self._jit

    @property
    def triple(self) -> str:
        return self.jit.triple

    @property
    def tm(self) -> llvm.TargetMachine:
        return self.jit.tm

    def facts(self) -> dict[str, str]:
        """The host's LLVM, triple, CPU and features: recorded by an earlier JIT, or the JIT's."""
        if self._facts is None:
            found = native.recorded(cache_dir()) if self.native and self._jit is None else None
            self._facts = found or self.jit.facts
        return self._facts

    # ---- keys and cache files -------------------------------------------------------------
    def key(self, what: str) -> str:
        f = self.facts()
        parts = [what, KERNEL_VERSION, __version__, llvmlite.__version__, f["llvm"],
                 f["triple"], f["cpu"], f["features"]]
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]

    def _load(self, path: Path) -> bytes | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        payload = unseal(MAGIC, data)
        if payload is None:
            self.stats.rejected += 1
        return payload

    @staticmethod
    def _store(path: Path, payload: bytes) -> None:
        try:
            write_atomic_bytes(path, seal(MAGIC, payload))
        except OSError:
            pass    # an unwritable cache only costs a rebuild next time

    # ---- compiling --------------------------------------------------------------------------
    def object_code(self, key: str, make: Callable[[], ir.Module]) -> bytes:
        d = cache_dir()
        path = d / f"{key}.o" if d is not None else None
        if path is not None:
            payload = self._load(path)
            if payload is not None:
                self.stats.hits += 1
                return payload
        self.stats.builds += 1
        obj = self.compile_ir(make())
        if path is not None:
            self._store(path, obj)
        return obj

    def optimise(self, mod: ir.Module) -> llvm.ModuleRef:
        llvm = self.jit.llvm
        m = llvm.parse_assembly(str(mod))
        m.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=3)
        pto.loop_vectorization = True
        pto.slp_vectorization = True
        pb = llvm.create_pass_builder(self.tm, pto)
        pb.getModulePassManager().run(m, pb)
        return m

    def compile_ir(self, mod: ir.Module) -> bytes:
        return self.tm.emit_object(self.optimise(mod))

    def function(self, name: str, key: str, make: Callable[[], ir.Module]) -> int:
        with _LOCK:
            if name not in self.fns:
                obj = self.object_code(key, make)
                addr = self._native(obj, name) or self._mcjit(obj, name)
                if not addr:
                    raise RuntimeError(f"compiled kernel {name} has no address")
                self.fns[name] = addr
            return self.fns[name]

    def _native(self, obj: bytes, name: str) -> int | None:
        if not self.native:
            return None
        try:
            addr = native.load(obj).get(name)
        except native.Unsupported:
            return None
        self.stats.native += addr is not None
        return addr

    def _mcjit(self, obj: bytes, name: str) -> int:
        jit = self.jit
        jit.ee.add_object_file(jit.llvm.ObjectFileRef.from_data(obj))
        jit.ee.finalize_object()
        return int(jit.ee.get_function_address(name))

    # ---- the kernels ------------------------------------------------------------------------
    def _kernel(self, what: str, fname: str, build: Callable[[], ir.Module]) -> int:
        """The address of kernel `fname`, renamed per key so several can live in one engine."""
        key = self.key(what)
        name = f"{fname}_{key[:16]}"

        def make() -> ir.Module:
            mod = build()
            mod.get_global(fname).name = name
            return mod
        return self.function(name, key, make)

    def stage(self, sp: Spec) -> Callable[..., int]:
        return STAGE_T(self._kernel("stage:" + sp.key, "stage",
                                    lambda: stage_module(sp, self.triple)))

    def backtrack(self) -> Callable[..., None]:
        return BACKTRACK_T(self._kernel("backtrack", "backtrack",
                                        lambda: backtrack_module(self.triple)))

    def allocate(self) -> Callable[..., None]:
        return ALLOCATE_T(self._kernel("allocate", "allocate",
                                       lambda: allocate_module(self.triple)))

    def backward(self) -> Callable[..., None]:
        return BACKWARD_T(self._kernel("backward", "backward",
                                       lambda: backward_module(self.triple)))

    def stage_ir(self, sp: Spec) -> str:
        """The kernel's LLVM IR, optimised, as text (what `atlasc compile` writes)."""
        return str(self.optimise(stage_module(sp, self.triple)))


P, I64 = ctypes.c_void_p, ctypes.c_int64
STAGE_T = ctypes.CFUNCTYPE(ctypes.c_int32, P)
BACKWARD_T = ctypes.CFUNCTYPE(None, I64, P, P, ctypes.c_int32, P, P, P, P, P, I64, I64, P, P)
ALLOCATE_T = ctypes.CFUNCTYPE(None, I64, P, P, P, P, P, I64, P, P)
BACKTRACK_T = ctypes.CFUNCTYPE(None, I64, P, P, P, P, P, I64, I64, P, P, P, P, P, I64, P, P, P,
                               ctypes.c_int32)

_ENGINE: Engine | None = None


def engine() -> Engine:
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = Engine()
        return _ENGINE
