"""The BIF writer: every bnlearn network pgmpy ships reads back (atlasc and pgmpy) with the
same numbers; names BIF cannot hold are refused."""
from __future__ import annotations

import numpy as np
import pytest

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources import bayesnet, cpt, load_model
from atlasc.compiler.sources.bif import parse_bif
from atlasc.compiler.sources.bifwrite import bif_text

from tests.sources.helpers import bnlearn


@pytest.mark.parametrize("name", ["asia", "sachs", "child", "alarm", "insurance"])
def test_round_trip(name: str, tmp_path) -> None:
    m = load_model(bnlearn(name))
    text = bif_text(m)
    back = parse_bif(text)
    assert [v for v in back.variables] == list(m.variables)
    for a, b in zip(m.cpts, back.cpts):
        assert a.parents == b.parents
        np.testing.assert_array_equal(a.table, b.table)
    from pgmpy.readwrite import BIFReader
    p = tmp_path / f"{name}.bif"
    p.write_text(text)
    pg = BIFReader(str(p)).get_model()
    assert set(pg.nodes()) == {v.name for v in m.variables}
    c = m.cpts[-1]
    cpd = pg.get_cpds(c.child.name)
    ix = tuple(s - 1 for s in c.table.shape)
    at = {v.name: v.domain[i] for v, i in zip(c.family, ix)}
    assert cpd.get_value(**at) == c.table[ix]


def test_names_bif_cannot_hold_are_refused() -> None:
    bn = bayesnet([cpt(Var("A b"), [], [0.5, 0.5])])
    with pytest.raises(SourceError, match="cannot write 'A b' in BIF"):
        bif_text(bn)


def test_pyagrum_reads_it_back(tmp_path) -> None:
    gum = pytest.importorskip("pyagrum")     # the bench extra; skipped where it is absent
    m = load_model(bnlearn("alarm"))
    p = tmp_path / "alarm.bif"
    p.write_text(bif_text(m))
    bn = gum.loadBN(str(p))
    for c in m.cpts:
        inst = gum.Instantiation(bn.cpt(c.child.name))
        inst.setFirst()
        while not inst.end():
            ix = tuple(inst.val(v.name) for v in c.family)
            assert abs(bn.cpt(c.child.name).get(inst) - c.table[ix]) < 1e-6
            inst.inc()
