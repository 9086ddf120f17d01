"""`fit` on every network format: UAI (BAYES) and XMLBIF files like BIF, a Markov network
refused, the fitted network written as BIF whatever the source."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atlasc
from atlasc.compiler.errors import QueryError
from atlasc.compiler.sources import load_model
from atlasc.compiler.sources.bif import parse_bif

from tests.learn.helpers import hide, sample

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"


@pytest.mark.parametrize("name", ["tiny.uai", "tiny.xmlbif"])
def test_other_formats(name: str, tmp_path: Path) -> None:
    bn = load_model(DATA / name)
    rng = np.random.default_rng(7)
    cols = sample(bn, 400, rng)
    frame = pd.DataFrame({v.name: np.asarray(v.domain, dtype=object)[cols[v]]
                          for v in bn.variables})
    f = atlasc.fit(str(DATA / name), frame)
    assert f.method == "counts"
    for c, fc in zip(bn.cpts, f.model.cpts):
        n = np.zeros(c.table.shape)
        for b in range(400):
            n[tuple(cols[v][b] for v in c.family)] += 1
        tot = n.sum(axis=-1, keepdims=True)
        want = np.where(tot > 0, n / np.where(tot > 0, tot, 1), 1.0 / c.child.size)
        np.testing.assert_allclose(fc.table, want)
    missing = hide(cols, 0.3, rng)
    frame = pd.DataFrame({v.name: [v.domain[i] if i >= 0 else None for i in missing[v]]
                          for v in bn.variables})
    g = atlasc.fit(str(DATA / name), frame, max_iter=10, tol=0.0)
    lls = [it.log_likelihood for it in g.history]
    assert g.method == "em" and lls == sorted(lls)
    g.write(str(tmp_path / "out.bif"))
    back = parse_bif((tmp_path / "out.bif").read_text())
    for a, b in zip(back.cpts, g.model.cpts):
        np.testing.assert_array_equal(a.table, b.table)


def test_a_markov_network_is_refused() -> None:
    with pytest.raises(QueryError, match="Markov network"):
        atlasc.fit(str(DATA / "tiny_markov.uai"), {"v0": np.array(["0"])})
