"""Test oracles: brute-force X-determinism and value comparison."""
from __future__ import annotations

from itertools import combinations
from typing import Any, Iterable

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Op
from atlasc.compiler.ir.traverse import topo
from atlasc.compiler.ir.variables import Var
from atlasc.runtime import brute
from atlasc.runtime.reference import evaluate


def xsupport(c: Circuit, n: Any, scope: frozenset[Var], X: frozenset[Var]) -> set[tuple]:
    t = brute.table_of(n, scope)
    keep = sorted(X & scope)
    out = set()
    for a, val in t.items():
        if not _zero(n.sr, val):
            out.add(tuple(a[v] for v in keep))
    return out


def _zero(sr: Any, val: Any) -> bool:
    return bool(sr.is_zero(sr.array([val]))[0])


def brute_xdet(c: Circuit, X: frozenset[Var] | None) -> bool:
    """X=None: full determinism (empty-scope sums included)."""
    for n in topo(c.root):
        if n.op is not Op.SUM:
            continue
        scope = c.scope(n)
        Xs = scope if X is None else (X & scope)
        if X is not None and not Xs:
            continue
        sups = [xsupport(c, ch, scope, Xs) for ch in n.children]
        if any(s1 & s2 for s1, s2 in combinations(sups, 2)):
            return False
    return True


def assert_matches(c: Circuit, table: brute.Table, evidence: dict | None = None) -> None:
    """The circuit, evaluated at every assignment of its free variables, equals the table."""
    assert c.vars == frozenset(table.vars), (c.vars, table.vars)
    rows = [a for a, _ in table.items()]
    res = evaluate(c, assignment=rows, evidence=[evidence or {}])
    for a, got in zip(rows, res.values):
        want = table.at(a)
        assert c.sr.close(got, want, rel=1e-7, abs_=1e-9), (a, got, want)


def close_all(sr: Any, xs: Iterable[Any], ys: Iterable[Any]) -> bool:
    return all(sr.close(x, y, rel=1e-7, abs_=1e-9) for x, y in zip(xs, ys))
