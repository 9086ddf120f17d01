"""atlasc's own loader of the kernels' cached object code (runtime/llvm/native.py) against
MCJIT: the same bits on random circuits of every semiring, batches and argmax; a run whose
objects are cached makes no JIT (and, in a fresh process, loads no llvmlite.binding); an
object the loader does not support goes to MCJIT, never crashes."""
from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from atlasc.compiler.semirings import registry as R
from atlasc.runtime.llvm import engine as engine_mod
from atlasc.runtime.llvm import evaluate as jit
from atlasc.runtime.llvm import native
from atlasc.runtime.llvm.elems import spec
from tests.core.gen import ALL, VARS, circuits
from tests.runtime.test_llvm import rows

pytestmark = pytest.mark.skipif(not native.supported(), reason="the loader is x86-64 Linux")


def _both(monkeypatch: Any, run: Any) -> tuple[Any, Any, engine_mod.Engine]:
    """run() under an engine that loads through MCJIT, then under a fresh one with the
    native loader, sharing one cache folder: (MCJIT's result, the loader's, its engine)."""
    mcjit = engine_mod.Engine()
    mcjit.native = False
    monkeypatch.setattr(engine_mod, "_ENGINE", mcjit)
    want = run()
    loaded = engine_mod.Engine()
    monkeypatch.setattr(engine_mod, "_ENGINE", loaded)
    return want, run(), loaded


def _bits(x: Any) -> bytes:
    """Exactly the bits (numbers) or the exact reprs (Python objects: ints, pairs)."""
    a = np.asarray(x)
    return repr(a.tolist()).encode() if a.dtype == object else np.ascontiguousarray(a).tobytes()


@pytest.fixture
def cache(tmp_path: Any, monkeypatch: Any) -> Any:
    monkeypatch.setenv("ATLASC_CACHE_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("sr", ALL, ids=lambda s: s.name)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_loaded_kernels_give_mcjits_bits(sr: Any, data: Any, tmp_path_factory: Any) -> None:
    c = data.draw(circuits(sr))
    ev = rows(data.draw, VARS, data.draw(st.integers(1, 70)))
    asg = rows(data.draw, VARS, len(ev))
    argmax = sr.idempotent and data.draw(st.booleans())
    with pytest.MonkeyPatch.context() as mp:
        objects = tmp_path_factory.getbasetemp() / "native-objects"    # built once
        objects.mkdir(exist_ok=True)
        mp.setenv("ATLASC_CACHE_DIR", str(objects))
        want, got, eng = _both(mp, lambda: jit(c.root, evidence=ev, assignment=asg,
                                               argmax=argmax))
    assert _bits(got.raw) == _bits(want.raw)
    assert got.argmax == want.argmax
    assert eng.stats.native >= 1 and eng._jit is None     # no LLVM in the loading engine


def test_an_unsupported_object_goes_to_mcjit(cache: Any, monkeypatch: Any) -> None:
    engine_mod.Engine().stage(spec(R.PROB))                 # builds, records the host

    def refuse(obj: bytes) -> dict[str, int]:
        raise native.Unsupported("for the test")
    monkeypatch.setattr(native, "load", refuse)
    eng = engine_mod.Engine()
    fn = eng.stage(spec(R.PROB))
    assert fn is not None and eng.stats.native == 0 and eng._jit is not None
    assert (eng.stats.hits, eng.stats.builds) == (1, 0)


def _object(cache: Any) -> bytes:
    engine_mod.Engine().stage(spec(R.LOG))
    from atlasc.compiler.atomic import unseal
    (entry,) = cache.glob("*.o")
    payload = unseal(engine_mod.MAGIC, entry.read_bytes())
    assert payload is not None
    return payload


def _sections(obj: bytes) -> list[native._Section]:
    return native._sections(obj)


def test_the_loader_refuses_what_it_does_not_know(cache: Any) -> None:
    obj = _object(cache)
    assert any(name.startswith("stage_") for name in native.load(obj))
    foreign = bytearray(obj)
    struct.pack_into("<H", foreign, 18, 183)                # EM_AARCH64
    with pytest.raises(native.Unsupported):
        native.load(bytes(foreign))
    rela = next(s for s in _sections(obj) if s.type == native.SHT_RELA)
    pc32 = bytearray(obj)
    off, info, add = native.RELA.unpack_from(obj, rela.offset)
    native.RELA.pack_into(pc32, rela.offset, off, (info >> 32) << 32 | 2, add)
    with pytest.raises(native.Unsupported):
        native.load(bytes(pc32))
    with pytest.raises(native.Unsupported):
        native.load(obj[:100])                              # truncated: malformed


def test_a_symbol_missing_from_the_process_is_unsupported(cache: Any) -> None:
    obj = _object(cache)
    assert b"\0log\0" in obj or b"\0exp\0" in obj
    renamed = obj.replace(b"\0log\0", b"\0lqg\0").replace(b"\0exp\0", b"\0eqp\0")
    with pytest.raises(native.Unsupported):
        native.load(renamed)


def test_a_damaged_host_record_is_ignored(cache: Any) -> None:
    engine_mod.Engine().stage(spec(R.PROB))
    (record,) = cache.glob("host-*.json")
    record.write_bytes(record.read_bytes()[:-3])
    assert native.recorded(cache) is None
    eng = engine_mod.Engine()
    assert eng.stage(spec(R.PROB)) is not None and eng._jit is not None
    assert native.recorded(cache) is not None              # the JIT wrote it again


def test_a_cached_evaluation_loads_no_llvm_binding(cache: Any) -> None:
    code = textwrap.dedent("""
        import sys
        from atlasc.compiler.ir.builder import Builder
        from atlasc.compiler.ir.variables import Var
        from atlasc.compiler.semirings import registry as R
        from atlasc.runtime.llvm import evaluate
        A, b = Var("A", ("x", "y")), Builder()
        root = b.sum([b.input(A, [0.25, 0.75], R.PROB), b.input(A, [0.5, 0.125], R.PROB)])
        print(evaluate(root, evidence=[{A: 1}, {}]).values, "llvmlite.binding" in sys.modules)
    """)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split("] ") for _ in range(2)]
    assert runs[0][0] == runs[1][0] == "[0.875, 1.625"
    assert (runs[0][1].strip(), runs[1][1].strip()) == ("True", "False")
