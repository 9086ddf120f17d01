"""Elimination orders (compiler/sources/orders.py): every heuristic gives a permutation with the
constrained variables last, whose width and cells are those of eliminating along it (recomputed
here on a plain adjacency map); the order kept past TRY_MORE_CELLS is the one of fewest cells."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources import orders as O


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[Var], list[tuple[Var, ...]], frozenset[Var]]:
    n = draw(st.integers(1, 9))
    vs = [Var(f"V{i}", tuple(f"s{j}" for j in range(draw(st.integers(1, 5))))) for i in range(n)]
    fams = [tuple(draw(st.lists(st.sampled_from(vs), min_size=1, max_size=4, unique=True)))
            for _ in range(draw(st.integers(0, 8)))]
    X = frozenset(draw(st.lists(st.sampled_from(vs), max_size=3, unique=True)))
    return vs, fams, X


def _along(vs: list[Var], fams: list[tuple[Var, ...]], order: tuple[Var, ...]
           ) -> tuple[int, int, float]:
    """(width, cells, log2 of the largest cluster) of eliminating along `order`."""
    nb: dict[Var, set[Var]] = {v: set() for v in vs}
    for f in fams:
        for a in f:
            nb[a] |= set(f) - {a}
    width, cells, big = 0, 0, 0
    for v in order:
        around = nb.pop(v)
        for a in around:
            nb[a] = (nb[a] | around) - {a, v}
        size = v.size * math.prod(u.size for u in around)
        width, cells, big = max(width, len(around)), cells + size, max(big, size)
    return width, cells, math.log2(big)


@settings(max_examples=80, deadline=None)
@given(graphs())
def test_every_heuristic_gives_a_constrained_order_with_its_true_size(case) -> None:
    vs, fams, X = case
    for h in O.HEURISTICS:
        od = O.greedy_order(vs, fams, X, h)
        assert sorted(od.order) == sorted(vs) and od.heuristic == h
        assert set(od.order[len(vs) - len(X):]) == X
        width, cells, logw = _along(vs, fams, od.order)
        assert (od.width, od.total_cells) == (width, cells) and math.isclose(od.log2_weight, logw)


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_past_the_threshold_the_order_of_fewest_cells_is_kept(case) -> None:
    vs, fams, X = case
    old = O.TRY_MORE_CELLS
    O.TRY_MORE_CELLS = 0
    try:
        od = O.elimination_order(vs, fams, last=X)
    finally:
        O.TRY_MORE_CELLS = old
    assert od.total_cells == min(O.greedy_order(vs, fams, X, h).total_cells
                                 for h in O.HEURISTICS)
    assert O.elimination_order(vs, fams, last=X).heuristic == "min-fill" or \
        O.greedy_order(vs, fams, X, "min-fill").total_cells > old
