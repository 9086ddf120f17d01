"""Small random Bayesian networks for the query tests: inline `bayesnet` text, the joint
table by brute force (numpy), the truncated factorisation p(. | do(x)), and the pgmpy model."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

PROBS = st.integers(5, 95).map(lambda k: k / 100)
# with zero CPT entries (and ones): positivity fails, evidence can have probability 0
ZERO_PROBS = st.one_of(st.sampled_from([0.0, 1.0]), PROBS)


@dataclass
class RandomBN:
    names: list[str]                      # topological order; every variable is Boolean
    parents: dict[str, list[str]]
    p_true: dict[str, dict[tuple[int, ...], float]]   # P(child = true | parent values)

    def text(self, name: str = "bn", options: str = "") -> str:
        rows = []
        for v in self.names:
            ps = self.parents[v]
            if not ps:
                rows.append(f"  {v}: {self.p_true[v][()]}")
                continue
            cells = ", ".join(f"({', '.join(_b(x) for x in key)}): {p}"
                              for key, p in self.p_true[v].items())
            rows.append(f"  {v} | {', '.join(ps)}: {{{cells}}}")
        body = "\n".join(rows)
        return f"var {', '.join(self.names)} : bool\nmodel {name} = bayesnet {{\n{body}\n}}" \
               + (f" with {options}" if options else "") + "\n"

    def factor(self, v: str, a: dict[str, int]) -> float:
        p = self.p_true[v][tuple(a[q] for q in self.parents[v])]
        return p if a[v] else 1.0 - p

    def joint(self, do: dict[str, int] | None = None) -> np.ndarray:
        """p(all variables) (axes in `names` order); with `do`, the truncated factorisation."""
        do = do or {}
        out = np.zeros((2,) * len(self.names))
        for idx in itertools.product((0, 1), repeat=len(self.names)):
            a = dict(zip(self.names, idx))
            if any(a[x] != val for x, val in do.items()):
                continue
            out[idx] = np.prod([self.factor(v, a) for v in self.names if v not in do])
        return out

    def marginal(self, table: np.ndarray, keep: list[str]) -> np.ndarray:
        """Sum out every variable not in `keep`; the axes follow `keep`."""
        drop = tuple(i for i, v in enumerate(self.names) if v not in keep)
        kept = [v for v in self.names if v in keep]
        m = table.sum(axis=drop)
        return np.transpose(m, [kept.index(v) for v in keep])

    def pgmpy(self):  # type: ignore[no-untyped-def]
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.models import DiscreteBayesianNetwork
        m = DiscreteBayesianNetwork([(p, v) for v in self.names for p in self.parents[v]])
        m.add_nodes_from(self.names)
        for v in self.names:
            ps = self.parents[v]
            keys = list(itertools.product((0, 1), repeat=len(ps)))
            true = [self.p_true[v][k] for k in keys]
            m.add_cpds(TabularCPD(v, 2, [[1 - t for t in true], true], evidence=ps or None,
                                 evidence_card=[2] * len(ps) or None))
        return m


def _b(x: int) -> str:
    return "true" if x else "false"


@st.composite
def random_bn(draw: st.DrawFn, n_min: int = 3, n_max: int = 5, max_parents: int = 2,
              probs: st.SearchStrategy[float] = PROBS) -> RandomBN:
    n = draw(st.integers(n_min, n_max))
    names = [f"V{i}" for i in range(n)]
    parents: dict[str, list[str]] = {}
    p_true: dict[str, dict[tuple[int, ...], float]] = {}
    for i, v in enumerate(names):
        ps = draw(st.lists(st.sampled_from(names[:i]), max_size=min(i, max_parents),
                           unique=True)) if i else []
        parents[v] = sorted(ps, key=names.index)
        p_true[v] = {k: draw(probs) for k in itertools.product((0, 1), repeat=len(ps))}
    return RandomBN(names, parents, p_true)


def constrained(*sets: list[str]) -> str:
    """`vtree constrained {...}, ...` for the non-empty nested sets."""
    parts = [f"vtree constrained {{{', '.join(s)}}}" for s in sets if s]
    return ", ".join(parts)
