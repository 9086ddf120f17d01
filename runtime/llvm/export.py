"""What `atlasc compile` writes for the back end: the kernels' optimised LLVM IR, linked into
one module (one `stage_*` function per semiring of the circuit, plus `backtrack_*` when the
query maximises), and the program tables they interpret (`.npz`)."""
from __future__ import annotations

import io

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.runtime.llvm.elems import spec
from atlasc.runtime.llvm.engine import engine
from atlasc.runtime.llvm.kernels import backtrack_module, stage_module
from atlasc.runtime.llvm.linear import linearize


def emit_module(c: Circuit, argmax: bool = False) -> str:
    eng = engine()
    prog = linearize(c.root, argmax)
    mods = []
    for sr in prog.semirings:
        m = stage_module(spec(sr), eng.triple)
        m.get_global("stage").name = f"stage_{spec(sr).key}"
        mods.append(m)
    if prog.n_arg:
        mods.append(backtrack_module(eng.triple))
    linked = eng.optimise(mods[0])
    for m in mods[1:]:
        linked.link_in(eng.optimise(m))
    return str(linked)


def program_npz(c: Circuit, argmax: bool = False) -> bytes:
    p = linearize(c.root, argmax)
    arrays = {k: getattr(p, k) for k in ("op", "sr_id", "slot", "cptr", "cslot", "cinstr",
                                         "lrow", "wbase", "arank", "lvar", "best")}
    for i, w in enumerate(p.weights):
        arrays[f"weights_{i}"] = w
    arrays["nslots"] = np.asarray(p.nslots)
    arrays["stages"] = np.asarray([(s.start, s.end, s.level) for s in p.stages]).reshape(-1, 3)
    arrays["semirings"] = np.asarray([s.name for s in p.semirings])
    arrays["vars"] = np.asarray([v.name for v in p.vars])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


__all__ = ["emit_module", "program_npz"]
