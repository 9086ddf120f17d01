"""The JIT: one LLVM execution engine per process, kernels compiled at O3 for the host CPU
(AVX-512 where present) and kept on disk.

Cache entries are object files keyed by a hash of everything the machine code depends on: the
kernel's semiring spec and `KERNEL_VERSION`, atlasc's version, llvmlite's and LLVM's versions,
the target triple, CPU name and features.  An entry is written atomically (a temporary file in
the same directory, then `os.replace`) with a header carrying the payload's length and SHA-256;
a truncated, corrupt or foreign entry fails that check and is rebuilt and rewritten, never
loaded.  Set ATLASC_CACHE_DIR to move the cache, ATLASC_CACHE_DIR=off to disable it.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import llvmlite
import llvmlite.binding as llvm
from llvmlite import ir

from atlasc.compiler.atomic import seal, unseal, write_atomic_bytes
from atlasc.compiler.paths import object_cache_dir as cache_dir
from atlasc.runtime.llvm.elems import Spec
from atlasc.runtime.llvm.kernels import (KERNEL_VERSION, allocate_module, backtrack_module,
                                  backward_module, stage_module)
from atlasc.compiler.version import __version__

MAGIC = b"ATLASC-OBJ\x01"
_LOCK = threading.RLock()


@dataclass
class CacheStats:
    """The LLVM object cache's counts in this process."""
    hits: int = 0
    builds: int = 0
    rejected: int = 0        # entries that failed the integrity check and were rebuilt


class Engine:
    def __init__(self) -> None:
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
        self.fns: dict[str, int] = {}
        self.stats = CacheStats()

    # ---- keys and cache files -------------------------------------------------------------
    def key(self, what: str) -> str:
        parts = [what, KERNEL_VERSION, __version__, llvmlite.__version__,
                 ".".join(map(str, llvm.llvm_version_info)), self.triple, self.cpu,
                 self.features]
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
                self.ee.add_object_file(llvm.ObjectFileRef.from_data(obj))
                self.ee.finalize_object()
                addr = self.ee.get_function_address(name)
                if not addr:
                    raise RuntimeError(f"compiled kernel {name} has no address")
                self.fns[name] = addr
            return self.fns[name]

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
