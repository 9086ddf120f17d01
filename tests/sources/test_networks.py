"""Compiled networks compute the network polynomial, with their properties by construction."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, STRUCTURED, How, xdet
from atlasc.compiler.properties.structural import check_decomposable, check_smooth, check_structured
from atlasc.compiler.sources import (Limits, bayesnet, compile_bayesnet, cpt, load_bif, load_uai,
                              load_xmlbif, recompile)
from atlasc.compiler.ir.vtree import is_constrained
from atlasc.compiler.sources.networks import compile_model
from conftest import DATA
from helpers import all_assignments, brute_evidence, brute_joint, close, evaluate, value_at


def _assert_props(c, X=None) -> None:
    assert check_smooth(c) is None
    assert check_decomposable(c) is None
    assert check_structured(c, c.vtree) is None
    assert check_deterministic(c).holds is True
    if X:
        assert check_deterministic(c, frozenset(X)).holds is True
        assert is_constrained(c.vtree, X)
        assert c.facts[xdet(X)].how is How.CONSTRUCTION
    for p in (SMOOTH, DEC, DET, STRUCTURED):
        assert c.facts[p].holds and c.facts[p].how is How.CONSTRUCTION


def _assert_poly(c, m) -> None:
    for x in all_assignments(list(m.variables)):
        assert close(value_at(c, x), brute_joint(m, x)), x


# ---- random small networks (hypothesis) ---------------------------------------------------
@st.composite
def small_bns(draw):
    n = draw(st.integers(1, 5))
    vs = [Var(f"V{i}", tuple(f"s{k}" for k in range(draw(st.integers(2, 3)))))
          for i in range(n)]
    pool = [0.0, 0.1, 0.25, 0.5, 1.0]
    cpts = []
    for i, v in enumerate(vs):
        parents = draw(st.lists(st.sampled_from(vs[:i]), max_size=2, unique=True)) if i else []
        rows = int(np.prod([p.size for p in parents])) if parents else 1
        table = []
        for _ in range(rows):
            raw = [draw(st.sampled_from(pool)) for _ in range(v.size)]
            if sum(raw) == 0:
                raw[draw(st.integers(0, v.size - 1))] = 1.0
            table.append([r / sum(raw) for r in raw])
        cpts.append(cpt(v, parents, table))
    return bayesnet(cpts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_random_networks_match_brute_force(bn, data) -> None:
    X = data.draw(st.lists(st.sampled_from(list(bn.variables)), max_size=2, unique=True))
    c = compile_bayesnet(bn, constrained=X)
    _assert_poly(c, bn)
    _assert_props(c, X)
    ev = {v: data.draw(st.integers(0, v.size - 1)) for v in
          data.draw(st.lists(st.sampled_from(list(bn.variables)), max_size=2, unique=True))}
    assert close(evaluate(c, ev), brute_evidence(bn, ev))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_bns(), st.data())
def test_nested_constraints_give_every_set(bn, data) -> None:
    """A vtree constrained for X1 within X2 makes the circuit X1- and X2-deterministic by
    construction; the exact checker agrees."""
    order = list(bn.variables)
    X2 = frozenset(data.draw(st.lists(st.sampled_from(order), min_size=1, unique=True)))
    X1 = frozenset(data.draw(st.lists(st.sampled_from(sorted(X2)), min_size=1, unique=True)))
    c = compile_model(bn, constrained=X2, nested=[X1, X2])
    _assert_poly(c, bn)
    for X in (X1, X2):
        assert c.facts[xdet(X)].how is How.CONSTRUCTION
        assert check_deterministic(c, X).holds is True, sorted(v.name for v in X)


@pytest.mark.parametrize("vt", ["minfill", "balanced", "right", "right-natural"])
def test_vtree_kinds(vt) -> None:
    c = load_bif(os.path.join(DATA, "small.bif"), vtree=vt)
    from atlasc.compiler.sources.bif import load_bif_model
    _assert_poly(c, load_bif_model(os.path.join(DATA, "small.bif")))
    _assert_props(c)


def test_without_vtree_search() -> None:
    from atlasc.compiler.sources.bif import load_bif_model
    from atlasc.compiler.sources.networks import compile_model
    bn = load_bif_model(os.path.join(DATA, "small.bif"))
    c = compile_model(bn, minimize=False)
    _assert_poly(c, bn)


def test_bif_defaults_and_multivalued() -> None:
    c = load_bif(os.path.join(DATA, "small.bif"))
    grass = next(v for v in c.vars if v.name == "Grass")
    assert grass.domain == ("wet", "damp", "dry")
    assert close(evaluate(c), 1.0)
    rain = next(v for v in c.vars if v.name == "Rain")
    # p(Grass=dry, Rain=no) = 0.8 * 0.9 (the default row)
    assert close(evaluate(c, {grass: 2, rain: 1}), 0.72)


def test_uai_bayes_and_markov() -> None:
    from atlasc.compiler.sources.uai import load_uai_model
    for f in ("tiny.uai", "tiny_markov.uai"):
        m = load_uai_model(os.path.join(DATA, f))
        c = load_uai(os.path.join(DATA, f))
        _assert_poly(c, m)
        _assert_props(c)
    m = load_uai_model(os.path.join(DATA, "tiny_markov.uai"))
    assert m.kind == "markov"


def test_xmlbif() -> None:
    from atlasc.compiler.sources.xmlbif import load_xmlbif_model
    m = load_xmlbif_model(os.path.join(DATA, "tiny.xmlbif"))
    c = load_xmlbif(os.path.join(DATA, "tiny.xmlbif"))
    _assert_poly(c, m)
    assert close(evaluate(c), 1.0)


def test_recompile_with_constraint_and_info() -> None:
    c = load_bif(os.path.join(DATA, "small.bif"))
    assert c.info["source"] == "bayes" and c.info["path"].endswith("small.bif")
    grass = next(v for v in c.vars if v.name == "Grass")
    c2 = recompile(c, constrained=[grass])
    _assert_props(c2, [grass])
    _assert_poly(c2, c.info["model"])


def test_progress_and_limits() -> None:
    from atlasc.compiler.errors import LimitExceeded
    msgs: list[str] = []
    load_bif(os.path.join(DATA, "small.bif"), limits=Limits(progress=msgs.append))
    assert any("factor 3/3" in m for m in msgs)
    with pytest.raises(LimitExceeded) as e:
        load_bif(os.path.join(DATA, "small.bif"), limits=Limits(max_nodes=3))
    assert e.value.hint


def test_placement_audit_catches_a_parameter_above_the_constraint() -> None:
    """X-determinism by construction needs parameters above the V - X node to belong to
    families inside X; a parameter of a family straddling X placed there is caught."""
    from atlasc.compiler.sources.knowledge import make_layout
    from atlasc.compiler.sources.networks import placement_respects
    from atlasc.compiler.sources.sddfiles import VtreeTable
    A, B = Var("A"), Var("B")
    lay = make_layout([A, B])             # SDD vars 1 (A), 2 (B); parameter 3
    fam = {3: frozenset({1, 2})}          # the family {A, B} straddles X = {A}

    def table(shape):                     # nested pairs of SDD variable ids -> VtreeTable
        t, stack, ids = VtreeTable(), [(shape, None, 0)], iter(range(100))
        order = []
        while stack:
            s, parent, side = stack.pop()
            i = next(ids)
            order.append((i, s, parent, side))
            if isinstance(s, tuple):
                stack += [(s[1], i, 1), (s[0], i, 0)]
            else:
                t.var[i] = s
        kids: dict = {}
        for i, s, parent, side in order:
            if parent is not None:
                kids.setdefault(parent, [None, None])[side] = i
        t.kids = {k: (v[0], v[1]) for k, v in kids.items()}
        return t.finish("<test>", 1)
    good = table((1, (2, 3)))             # A | (B, theta): theta below the V - X node {B}
    bad = table(((1, 3), 2))              # (A, theta) | B: theta above it
    assert placement_respects(good, fam, lay, frozenset({A}))
    assert not placement_respects(bad, fam, lay, frozenset({A}))
