"""Every operator x semiring against brute-force enumeration on random small circuits."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.mappings import builtin as M
from atlasc.compiler.properties.factors import domain_violation
from atlasc.compiler.ops import aggregate, apply_mapping, condition, multiply

from atlasc.compiler.semirings import registry as R
from atlasc.runtime import brute
from atlasc.runtime.reference import evaluate
from tests.core.gen import ALL, SCALAR, VARS, circuits, shared_vtree
from tests.core.oracle import assert_matches, brute_xdet

ids = [s.name for s in ALL]


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_reference_evaluator_is_pointwise(sr, data):
    c = data.draw(circuits(sr, gaps=True))
    assert_matches(c, brute.table_of(c))


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_aggregation(sr, data):
    c = data.draw(circuits(sr, gaps=True))
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
    out = aggregate(c, W)
    assert_matches(out, brute.aggregate(brute.table_of(c), W))


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_aggregation_with_runtime_evidence(sr, data):
    c = data.draw(circuits(sr))
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS), min_size=1)))
    ev = {v: data.draw(st.integers(0, v.size - 1))
          for v in data.draw(st.sets(st.sampled_from(VARS)))}
    out = aggregate(c, W)
    want = brute.aggregate(brute.condition(brute.table_of(c), ev), W)
    free_ev = {v: x for v, x in ev.items() if v not in W}
    rows = [a for a, _ in want.items() if all(a[v] == x for v, x in free_ev.items())]
    got = evaluate(out, assignment=rows, evidence=[ev]).values
    for a, g in zip(rows, got):
        assert sr.close(g, want.at(a), rel=1e-7, abs_=1e-9)


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_condition(sr, data):
    c = data.draw(circuits(sr, gaps=True))
    ev = {v: data.draw(st.integers(0, 1)) for v in data.draw(st.sets(st.sampled_from(VARS)))}
    assert_matches(condition(c, ev), brute.condition(brute.table_of(c), ev))


def _mappings_from(sr):
    out = [M.support(sr)] if sr.name not in ("bool",) else []
    named = {"prob": [M.identity(R.PROB, R.MAXPROD), M.recip(R.PROB), M.power(2, R.PROB),
                      M.power(0.5, R.PROB), M.log(R.PROB), M.neglog(R.PROB),
                      M.identity(R.PROB, R.PROB)],
             "maxprod": [M.neglog(R.MAXPROD), M.log(R.MAXPROD), M.recip(R.MAXPROD),
                         M.identity(R.MAXPROD, R.PROB)],
             "log": [M.identity(R.LOG, R.MAXLOG)],
             "count": [M.identity(R.COUNT, R.PROB), M.identity(R.COUNT, R.MAXPROD)],
             "bool": [M.indicator(R.COUNT), M.indicator(R.PROB), M.indicator(R.MAXPROD),
                      M.indicator(R.COUNT2)],
             "pair(count,count)": [M.maxent(), M.credal_lower(), M.credal_upper()]}
    return out + named.get(sr.name, [])


MAPPED = [s for s in ALL if _mappings_from(s)]


@pytest.mark.parametrize("sr", MAPPED, ids=[s.name for s in MAPPED])
@given(data=st.data())
def test_mapping_never_wrong(sr, data):
    """After an aggregation (P1), a mapping either is certified and matches brute force, or is
    rejected for a property that brute force confirms is missing."""
    c = data.draw(circuits(sr))
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
    tau = data.draw(st.sampled_from(_mappings_from(sr)))
    view = aggregate(c, W)
    want = brute.apply(brute.aggregate(brute.table_of(c), W), tau)
    try:
        out = apply_mapping(view, tau)
    except StructuralPropertyError as e:
        assert not tau.props.homomorphism
        outside = tau.domain is not None and domain_violation(view, tau.domain) is not None
        if tau.props.multiplicative and tau.props.zero_preserving and not outside:
            assert not brute_xdet(view, view.vars), e.render()
        return
    assert_matches(out, want)        # credal_lower too: pairs a > b are refused, not mapped


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_compatible_product(sr, data):
    vt = shared_vtree()
    b = Builder()
    c1 = data.draw(circuits(sr, vars=tuple(data.draw(st.sets(st.sampled_from(VARS), min_size=1))),
                            vtree=vt, b=b))
    c2 = data.draw(circuits(sr, vars=tuple(data.draw(st.sets(st.sampled_from(VARS), min_size=1))),
                            vtree=vt, b=b))
    out = multiply(c1, c2)
    assert_matches(out, brute.multiply(brute.table_of(c1), brute.table_of(c2)))


@pytest.mark.parametrize("sr", [R.PROB, R.COUNT, R.MAXPROD], ids=["prob", "count", "maxprod"])
@given(data=st.data())
def test_any_product_never_wrong(sr, data):
    """Circuits with unrelated structure: the product is certified (and right) or rejected."""
    b = Builder()
    c1 = data.draw(circuits(sr, vars=tuple(data.draw(st.sets(st.sampled_from(VARS), min_size=1))), b=b))
    c2 = data.draw(circuits(sr, vars=tuple(data.draw(st.sets(st.sampled_from(VARS), min_size=1))), b=b))
    try:
        out = multiply(c1, c2)
    except StructuralPropertyError:
        return
    assert_matches(out, brute.multiply(brute.table_of(c1), brute.table_of(c2)))


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_support_compatible_product_of_views(sr, data):
    c = data.draw(circuits(sr))
    views = []
    for _ in range(data.draw(st.integers(2, 3))):
        W = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
        views.append(aggregate(c, W))
    tables = [brute.aggregate(brute.table_of(c), v_W) for v_W in
              [c.vars - v.vars for v in views]]
    try:
        out = multiply(*views)
    except StructuralPropertyError:
        return
    assert_matches(out, brute.multiply(*tables))


@given(data=st.data())
def test_views_with_reciprocal(data):
    """Backdoor-shaped products: p (x) (+)_W1 p (x) recip((+)_W2 p), on random p."""
    c = data.draw(circuits(R.PROB, decide=frozenset(data.draw(st.sets(st.sampled_from(VARS))))))
    W1 = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
    W2 = frozenset(data.draw(st.sets(st.sampled_from(VARS))))
    t = brute.table_of(c)
    want = brute.multiply(t, brute.aggregate(t, W1), brute.apply(brute.aggregate(t, W2),
                                                                   M.recip()))
    try:
        r = apply_mapping(aggregate(c, W2), M.recip())
        out = multiply(c, aggregate(c, W1), r)
    except StructuralPropertyError:
        return
    assert_matches(out, want)


@pytest.mark.parametrize("sr", [R.PROB, R.COUNT, R.BOOL, R.COUNT2], ids=["prob", "count", "bool", "count2"])
@given(data=st.data())
def test_determinism_checker_matches_brute_force(sr, data):
    c = data.draw(circuits(sr, gaps=True))
    X = data.draw(st.one_of(st.none(), st.sets(st.sampled_from(VARS)).map(frozenset)))
    from atlasc.compiler.properties.determinism import check_deterministic
    res = check_deterministic(c, X)
    truth = brute_xdet(c, X)
    if res.holds is True:
        assert truth
    elif res.holds is False:
        assert not truth, res.witness.describe()
    else:
        assert not sr.no_zero_divisors or not sr.zero_sum_free


@pytest.mark.parametrize("sr", [R.MAXPROD, R.MAXLOG, R.MINSUM], ids=["maxprod", "maxlog", "minsum"])
@given(data=st.data())
def test_argmax_attains_the_value(sr, data):
    c = data.draw(circuits(sr))
    W = frozenset(data.draw(st.sets(st.sampled_from(VARS), min_size=1)))
    out = aggregate(c, W)
    t = brute.table_of(c)
    rows = [a for a, _ in brute.aggregate(t, W).items()]
    res = evaluate(out, assignment=rows, argmax=True)
    for a, val, am in zip(rows, res.values, res.argmax):
        full = {**a, **am}
        assert sr.close(t.at(full), val), (full, t.at(full), val)


@pytest.mark.parametrize("sr", ALL, ids=ids)
@given(data=st.data())
def test_diagonal_product_is_taken_and_right(sr, data):
    """Views that keep prefixes of the split order of a circuit that decides A, B, C, D
    first are support-compatible: the linear product must be used, and be right."""
    from tests.core.gen import Gen
    from atlasc.compiler.ir.circuit import Circuit
    b = Builder()
    g = Gen(data.draw, b, sr, frozenset(VARS), mix=data.draw(st.booleans()))
    c = Circuit(g.split_chain(list(VARS)), b, "C")
    ks = data.draw(st.lists(st.integers(0, 4), min_size=2, max_size=3))
    views = [aggregate(c, VARS[k:]) for k in ks]
    out = multiply(*views)
    assert out.step.condition.startswith(("support-compatible", "the operands share no"))
    t = brute.table_of(c)
    assert_matches(out, brute.multiply(*[brute.aggregate(t, VARS[k:]) for k in ks]))
