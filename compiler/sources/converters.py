"""Networks from the libraries users already have: a pgmpy `DiscreteBayesianNetwork` (or
`BayesianNetwork`) or a pyAgrum `BayesNet` as our `BayesNet`, and any `BayesNet` as BIF text.

Neither library is imported here (the extras `atlasc[pgmpy]` and `atlasc[pyagrum]` install
them); the objects are read through their public accessors.  Values are written as the library
names them (pgmpy's state names, pyAgrum's labels), so evidence uses the same words.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.bifwrite import posterior_line
from atlasc.compiler.sources.model import CPT, BayesNet, bayesnet


def from_pgmpy(model: Any, name: str = "") -> BayesNet:
    """pgmpy's CPDs: the child's axis first, then `cpd.variables[1:]` (not get_evidence(),
    which pgmpy returns reversed)."""
    cpds = {c.variable: c for c in model.get_cpds()}
    vs = {n: Var(str(n), tuple(str(s) for s in c.state_names[n])) for n, c in cpds.items()}
    out = []
    for n in model.nodes():
        c = cpds[n]
        parents = tuple(vs[p] for p in c.variables[1:])
        out.append(CPT(vs[n], parents, np.moveaxis(np.asarray(c.get_values(), float)
                                                   .reshape(c.cardinality), 0, -1)))
    return bayesnet(out, name)


def from_pyagrum(bn: Any, name: str = "") -> BayesNet:
    """pyAgrum's CPTs: `cpt.toarray()`'s axes are `cpt.names` reversed (the child is first in
    `names`, so its axis comes last already; the parents are reordered to match)."""
    vs = {n: Var(str(n), tuple(str(s) for s in bn.variable(n).labels())) for n in bn.names()}
    out = []
    for n in _pyagrum_order(bn):
        pot = bn.cpt(n)
        axes = list(pot.names)[::-1]
        table = np.moveaxis(np.asarray(pot.toarray(), float), axes.index(n), -1)
        parents = tuple(vs[a] for a in axes if a != n)
        out.append(CPT(vs[n], parents, table))
    return bayesnet(out, name)


def _pyagrum_order(bn: Any) -> list[str]:
    return [bn.variable(i).name() for i in sorted(bn.nodes())]


def to_bif(bn: BayesNet) -> str:
    """The network as BIF text (parse_bif reads it back to the same tables)."""
    lines = [f"network {quote(bn.name or 'atlasc')} {{ }}"]
    lines += [f"variable {quote(v.name)} {{ type discrete [ {v.size} ] "
              f"{{ {', '.join(quote(x) for x in v.domain)} }}; }}" for v in bn.variables]
    for c in bn.cpts:
        lines += _cpt_bif(c)
    return "\n".join(lines) + "\n"


def _cpt_bif(c: CPT) -> list[str]:
    if not c.parents:
        return [f"probability ( {quote(c.child.name)} ) {{", *_alpha(c),
                f"  table {_row(c.table)}; }}"] if c.alpha is not None else \
            [f"probability ( {quote(c.child.name)} ) {{ table {_row(c.table)}; }}"]
    given = ", ".join(quote(p.name) for p in c.parents)
    out = [f"probability ( {quote(c.child.name)} | {given} ) {{", *_alpha(c)]
    for idx in np.ndindex(*c.table.shape[:-1]):
        cfg = ", ".join(quote(p.domain[i]) for p, i in zip(c.parents, idx))
        out.append(f"  ({cfg}) {_row(c.table[idx])};")
    return out + ["}"]


def _alpha(c: CPT) -> list[str]:
    """The CPT's Dirichlet posterior line, if it carries one (bifwrite.posterior_line)."""
    return [posterior_line(c).rstrip()] if c.alpha is not None else []


def quote(word: str) -> str:
    """BIF words are written as they are (names from BIF, pgmpy or pyAgrum are BIF words)."""
    return word


def _row(xs: np.ndarray) -> str:
    return ", ".join(repr(float(x)) for x in xs)
