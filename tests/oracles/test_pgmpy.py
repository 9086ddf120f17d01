"""pgmpy as an independent oracle on bnlearn networks (tests/data/bnlearn), with random evidence:

* every single-variable marginal from our one-pass `marginals(bn)` against pgmpy's variable
  elimination, one query per variable;
* marginal MAP over three variables (compiled with a vtree constrained on them) against
  pgmpy's `map_query` and against the joint P(Q, E) that variable elimination tabulates.
  Trap: `map_query` ignores the evidence unless `variables` is given, so it always is;
* MPE (max over every variable) against pgmpy's `map_query` over every unobserved variable and
  the joint probability of each answer, on the small networks only: pgmpy's MPE builds the
  joint table (out of memory on ALARM).
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pgmpy")

from atlasc.compiler.api import compile_string  # noqa: E402
from tests.sources.helpers import BNLEARN, pgmpy_model  # noqa: E402

FAST = ["asia", "sachs", "child"]
SLOW = ["alarm", "hailfinder", "win95pts"]
MPE_NETS = {"asia", "sachs"}
ROWS = 3


def models_dir() -> str:
    return BNLEARN


class Case:
    """One network: our compiled program, pgmpy's model and its variable elimination, the
    MMAP variables Q and the random evidence rows (names -> value names)."""

    def __init__(self, name: str, seed: int = 0) -> None:
        from pgmpy.inference import VariableElimination
        self.model = pgmpy_model(name)
        self.ve = VariableElimination(self.model)
        rng = random.Random(seed)
        names = sorted(self.model.nodes())
        self.Q = sorted(rng.sample(names, 3))
        others = [n for n in names if n not in self.Q]
        self.rows = [self._row(rng, others) for _ in range(ROWS)]
        q = ", ".join(self.Q)
        text = (f'model bn = bif "{name}.bif.gz" with vtree constrained {{{q}}}\n'
                f"query marg = marginals(bn)\nquery mmap = mmap({q}; bn)\n")
        if name in MPE_NETS:
            text += "query mpe = max[*] map[id: prob -> maxprod] bn\n"
        self.prog = compile_string(text, filename=f"{name}.query", base_dir=models_dir())

    def _row(self, rng: random.Random, names: list[str]) -> dict[str, str]:
        out = {}
        for n in rng.sample(names, rng.randint(1, 3)):
            out[n] = rng.choice(self.model.get_cpds(n).state_names[n])
        return out

    def joint(self, assignment: dict[str, str]) -> float:
        """P(assignment) for a full assignment: the product of the CPT entries."""
        p = 1.0
        for cpd in self.model.get_cpds():
            p *= float(cpd.get_value(**{v: assignment[v] for v in cpd.variables}))
        return p


@pytest.fixture(scope="module", params=FAST)
def case(request: Any) -> Case:
    return Case(request.param)


def check_marginals(c: Case) -> None:
    r = c.prog.queries["marg"].run(c.rows)
    for b, ev in enumerate(c.rows):
        for var in r.free:
            if var in ev:
                continue
            theirs = c.ve.query([var], evidence=ev, show_progress=False)
            for value, (_, cond) in r.table(var, b).items():
                want = float(theirs.get_value(**{var: value}))
                assert cond == pytest.approx(want, rel=1e-6, abs=1e-9), (var, value, ev)


def check_mmap(c: Case) -> None:
    res = c.prog.queries["mmap"].run(c.rows)
    for b, ev in enumerate(c.rows):
        entry = res.rows[b].entries[0]
        table = c.ve.query(c.Q + sorted(ev), joint=True, show_progress=False)
        best = max(float(table.get_value(**dict(zip(c.Q, q)), **ev))
                   for q in _assignments(c, c.Q))
        assert entry.value == pytest.approx(best, rel=1e-6, abs=1e-12)
        ours = float(table.get_value(**entry.argmax, **ev))
        assert ours == pytest.approx(best, rel=1e-6, abs=1e-12)
        theirs = c.ve.map_query(variables=c.Q, evidence=ev, show_progress=False)
        assert float(table.get_value(**theirs, **ev)) == pytest.approx(best, rel=1e-6)


def _assignments(c: Case, vs: list[str]) -> list[tuple[str, ...]]:
    import itertools
    return list(itertools.product(*(c.model.get_cpds(v).state_names[v] for v in vs)))


def check_mpe(c: Case) -> None:
    res = c.prog.queries["mpe"].run(c.rows)
    for b, ev in enumerate(c.rows):
        entry = res.rows[b].entries[0]
        assert c.joint(entry.argmax) == pytest.approx(entry.value, rel=1e-9)
        free = [v for v in sorted(c.model.nodes()) if v not in ev]
        theirs = c.ve.map_query(variables=free, evidence=ev, show_progress=False)
        assert c.joint({**theirs, **ev}) == pytest.approx(entry.value, rel=1e-6)


def test_marginals_match_variable_elimination(case: Case) -> None:
    check_marginals(case)


def test_mmap_matches_variable_elimination(case: Case) -> None:
    check_mmap(case)


def test_mpe_matches_pgmpy_map_query(case: Case) -> None:
    if "mpe" not in case.prog.queries:
        pytest.skip("pgmpy's MPE tabulates the joint: small networks only")
    check_mpe(case)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_large_networks(name: str) -> None:
    c = Case(name, seed=1)
    check_marginals(c)
    check_mmap(c)


def test_one_pass_is_all_marginals_at_once() -> None:
    """The marginals of child from one pass equal those of one aggregation per variable."""
    c = Case("child")
    r = c.prog.queries["marg"].run(c.rows[:1])
    text = "".join(f"query s_{v} = sum[* \\ {{{v}}}] bn\n" for v in r.free)
    prog = compile_string('model bn = bif "child.bif.gz"\n' + text, base_dir=models_dir())
    for v in r.free:
        if v in c.rows[0]:
            continue
        one = np.array([e.value for e in prog.queries[f"s_{v}"].run(c.rows[0]).rows[0].entries])
        np.testing.assert_allclose(r.joint[v][0], one, rtol=1e-9, atol=1e-15)
