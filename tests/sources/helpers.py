"""Test helpers: a tiny circuit evaluator and brute-force network semantics."""
from __future__ import annotations

import gzip
import itertools
import os
from typing import Any

import numpy as np

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.model import Model


def evaluate(c: Circuit, evidence: dict[Var, Any] | None = None) -> float:
    """The circuit summed over all assignments consistent with `evidence` (var -> value index
    or a set of indices): each leaf's weights are masked by the evidence and summed, which is
    right for smooth, decomposable, deterministic-or-not circuits with + and x."""
    ev = evidence or {}
    val: dict[int, Any] = {}
    for n in c.nodes():
        if n.op is Op.INPUT:
            keep = _keep(ev.get(n.arg.var), n.arg.var)
            ws = [w for i, w in enumerate(n.arg.weights) if i in keep]
            val[n.uid] = _total(ws, n.sr.name)
        elif n.op is Op.CONST:
            val[n.uid] = n.arg
        elif n.op is Op.SUM:
            val[n.uid] = _total([val[k.uid] for k in n.children], n.sr.name)
        elif n.op is Op.PROD:
            out: Any = 1
            for k in n.children:
                out = out * val[k.uid] if n.sr.name != "bool" else (out and val[k.uid])
            val[n.uid] = out
        else:
            raise AssertionError(n.op)
    return val[c.root.uid]


def _keep(e: Any, v: Var) -> set[int]:
    if e is None:
        return set(range(v.size))
    return {e} if isinstance(e, int) else set(e)


def _total(ws: list[Any], sr: str) -> Any:
    if sr == "bool":
        return any(ws)
    return sum(ws) if ws else 0


def value_at(c: Circuit, x: dict[Var, int]) -> float:
    return evaluate(c, {v: x.get(v, None) for v in c.vars} | x)


def brute_joint(m: Model, x: dict[Var, int]) -> float:
    p = 1.0
    for f in m.factors():
        p *= float(f.table[tuple(x[v] for v in f.vars)])
    return p


def brute_evidence(m: Model, ev: dict[Var, int]) -> float:
    vs = list(m.variables)
    total = 0.0
    for vals in itertools.product(*(range(v.size) for v in vs)):
        x = dict(zip(vs, vals))
        if all(x[v] == i for v, i in ev.items()):
            total += brute_joint(m, x)
    return total


def all_assignments(vs: list[Var]):
    for vals in itertools.product(*(range(v.size) for v in vs)):
        yield dict(zip(vs, vals))


BNLEARN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                       "bnlearn")


def bnlearn(name: str) -> str:
    """tests/data/bnlearn/NAME.bif.gz: the small bnlearn networks the tests use (copies of
    pgmpy's, which pgmpy >= 1.3 no longer ships but downloads)."""
    return os.path.join(BNLEARN, f"{name}.bif.gz")


def pgmpy_model(name: str) -> Any:
    """pgmpy's model of the same file (its BIF reader; never a download)."""
    from pgmpy.readwrite import BIFReader
    with gzip.open(bnlearn(name), "rt") as f:
        return BIFReader(string=f.read()).get_model()


def close(a: float, b: float, rel: float = 1e-7, abs_: float = 1e-12) -> bool:
    return bool(np.isclose(a, b, rtol=rel, atol=abs_))


def same_network(a: Any, b: Any, atol: float = 1e-6, rtol: float = 1e-7) -> None:
    """Same variables with the same values, and the same tables up to the parents' order."""
    assert {v.name for v in a.variables} == {v.name for v in b.variables}
    theirs = {c.child.name: c for c in b.cpts}
    assert set(theirs) == {c.child.name for c in a.cpts}
    for c in a.cpts:
        d = theirs[c.child.name]
        assert d.child.domain == c.child.domain
        names = [p.name for p in d.parents]
        assert sorted(names) == sorted(p.name for p in c.parents)
        perm = [names.index(p.name) for p in c.parents] + [len(names)]
        np.testing.assert_allclose(np.transpose(d.table, perm), c.table, atol=atol, rtol=rtol)
