"""Small random networks, rows with missing values, and brute-force learning semantics."""
from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.model import CPT, BayesNet, bayesnet, forward_sample

Columns = dict[Var, np.ndarray]


@st.composite
def networks(draw: st.DrawFn, max_vars: int = 4) -> BayesNet:
    """A random DAG over 1..max_vars variables of 2-3 values, random CPTs (zeros allowed)."""
    n = draw(st.integers(1, max_vars))
    vs = [Var(f"V{i}", tuple(f"s{j}" for j in range(draw(st.integers(2, 3)))))
          for i in range(n)]
    cpts = []
    for i, v in enumerate(vs):
        parents = [vs[j] for j in range(i) if draw(st.booleans())][:2]
        shape = tuple(p.size for p in parents) + (v.size,)
        raw = np.asarray(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]),
                                       min_size=int(np.prod(shape)),
                                       max_size=int(np.prod(shape))))).reshape(shape) + 0.0
        raw[..., 0] += (raw.sum(axis=-1) == 0)          # every row has some mass
        cpts.append(CPT(v, tuple(parents), raw / raw.sum(axis=-1, keepdims=True)))
    return bayesnet(cpts)


def sample(bn: BayesNet, rows: int, rng: np.random.Generator) -> Columns:
    """Forward samples, value indices per variable."""
    return forward_sample(bn, rows, rng)


def hide(cols: Columns, share: float, rng: np.random.Generator) -> Columns:
    return {v: np.where(rng.random(len(a)) < share, -1, a).astype(np.int32)
            for v, a in cols.items()}


def joint(bn: BayesNet, tables: list[np.ndarray], x: dict[Var, int]) -> float:
    p = 1.0
    for c, t in zip(bn.cpts, tables):
        p *= float(t[tuple(x[v] for v in c.family)])
    return p


def brute_expected(bn: BayesNet, tables: list[np.ndarray], cols: Columns, rows: int
                   ) -> tuple[list[np.ndarray], float]:
    """Σ_rows P(family cell | row) per CPT and Σ_rows log P(row), by enumerating every
    assignment."""
    vs = list(bn.variables)
    worlds = [dict(zip(vs, vals)) for vals in itertools.product(*(range(v.size) for v in vs))]
    pw = np.array([joint(bn, tables, x) for x in worlds])
    counts = [np.zeros(c.table.size) for c in bn.cpts]
    ll = 0.0
    for b in range(rows):
        ok = np.array([all(cols[v][b] < 0 or cols[v][b] == x[v] for v in cols) for x in worlds])
        pe = float(pw[ok].sum())
        ll += np.log(pe)
        for i, c in enumerate(bn.cpts):
            for x, p in zip(np.array(worlds)[ok], pw[ok]):
                counts[i][np.ravel_multi_index([x[v] for v in c.family], c.table.shape)] += p / pe
    return counts, ll
