"""Backdoor and frontdoor adjustment (docs/atlas.md §4.4, 4.5): the criteria against pgmpy's on
random graphs, the effects against brute force (the truncated factorisation) on random
networks, with random evidence, and against pgmpy's CausalInference on Asia."""
from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_string
from atlasc.compiler.errors import QueryError
from atlasc.compiler.language.causal import backdoor_violation, frontdoor_violation
from atlasc.compiler.ir.variables import bool_var
from tests.queries.randbn import PROBS, RandomBN, constrained, random_bn

EX = Path(__file__).resolve().parents[2] / "examples"
SETTINGS = settings(max_examples=25, deadline=None)


def _graph(bn: RandomBN) -> dict:
    vs = {n: bool_var(n) for n in bn.names}
    return {vs[n]: tuple(vs[p] for p in bn.parents[n]) for n in bn.names}, vs


def _causal_inference(bn: RandomBN):  # type: ignore[no-untyped-def]
    from pgmpy.inference import CausalInference
    return CausalInference(bn.pgmpy())


def _table(res) -> dict[tuple[str, ...], float]:  # type: ignore[no-untyped-def]
    return {tuple(e.assignment.values()): e.value for e in res.rows[0].entries}


def _at(res, **a: str) -> float:  # type: ignore[no-untyped-def]
    return next(e.value for e in res.rows[0].entries if e.assignment == a)


# ---- the criteria against pgmpy --------------------------------------------------------------
@SETTINGS
@given(random_bn(4, 6, 3), st.data())
def test_backdoor_criterion_agrees_with_pgmpy(bn: RandomBN, data: st.DataObject) -> None:
    x, y = data.draw(st.lists(st.sampled_from(bn.names), min_size=2, max_size=2, unique=True))
    Z = data.draw(st.lists(st.sampled_from([v for v in bn.names if v not in (x, y)]),
                           unique=True, max_size=3))
    g, vs = _graph(bn)
    ours = backdoor_violation(g, frozenset({vs[x]}), frozenset({vs[y]}),
                              frozenset(vs[z] for z in Z))
    desc = _descendants(bn, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _causal_inference(bn).is_valid_backdoor_adjustment_set(x, y, Z)
    # pgmpy does not check the "no descendant of X in Z" condition; we do
    assert (ours is None) == (theirs and not desc & set(Z)), ours


@SETTINGS
@given(random_bn(4, 6, 3), st.data())
def test_frontdoor_criterion_agrees_with_pgmpy(bn: RandomBN, data: st.DataObject) -> None:
    sources = [v for v in bn.names if _descendants(bn, v)]
    assume(sources)                             # pgmpy refuses when X does not reach Y
    x = data.draw(st.sampled_from(sources))
    y = data.draw(st.sampled_from(sorted(_descendants(bn, x))))
    z = data.draw(st.sampled_from([v for v in bn.names if v not in (x, y)]))
    g, vs = _graph(bn)
    ours = frontdoor_violation(g, frozenset({vs[x]}), frozenset({vs[y]}), frozenset({vs[z]}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _causal_inference(bn).is_valid_frontdoor_adjustment_set(x, y, [z])
    assert (ours is None) == theirs, ours


def _descendants(bn: RandomBN, x: str) -> set[str]:
    out, grew = {x}, True
    while grew:
        new = {v for v in bn.names if set(bn.parents[v]) & out} - out
        out |= new
        grew = bool(new)
    return out - {x}


# ---- effects against brute force --------------------------------------------------------------
@SETTINGS
@given(random_bn(3, 5), st.data())
def test_backdoor_matches_the_truncated_factorisation(bn: RandomBN, data: st.DataObject
                                                      ) -> None:
    x = data.draw(st.sampled_from(bn.names))
    Z = bn.parents[x]
    rest = [v for v in bn.names if v != x and v not in Z]
    assume(rest)
    y = data.draw(st.sampled_from(rest))
    text = bn.text(options=constrained(Z, sorted({x, *Z}, key=bn.names.index))) + \
        f"query do = backdoor(bn, treatment = {{{x}}}, outcome = {{{y}}}, " \
        f"adjust = {{{', '.join(Z)}}})\n"
    prog = compile_string(text)
    assert prog.queries["do"].tractable
    got = _table(prog.queries["do"].run())
    for xv in (0, 1):
        truth = bn.marginal(bn.joint(do={x: xv}), [y])
        for yv in (0, 1):
            key = tuple(_name(v) for v in sorted([(x, xv), (y, yv)]))
            assert got[key] == pytest.approx(truth[yv], abs=1e-9)


@SETTINGS
@given(random_bn(4, 5), st.data())
def test_backdoor_formula_under_random_evidence(bn: RandomBN, data: st.DataObject) -> None:
    """Run-time evidence on a variable outside X, Y, Z conditions p in the formula
    sum_z p(z | w) p(y | x, z, w), checked at the function level."""
    x = data.draw(st.sampled_from(bn.names))
    Z = bn.parents[x]
    rest = [v for v in bn.names if v != x and v not in Z]
    assume(len(rest) >= 2)
    y, w = data.draw(st.lists(st.sampled_from(rest), min_size=2, max_size=2, unique=True))
    wv = data.draw(st.sampled_from([0, 1]))
    order = sorted({x, *Z}, key=bn.names.index)
    text = bn.text(options=constrained(Z, order)) + \
        f"query do = backdoor({x}; {y}; {{{', '.join(Z)}}}; bn)\n"    # the positional form
    got = _table(compile_string(text).queries["do"].run(evidence={w: bool(wv)}))
    joint = bn.joint()
    joint = np.take(joint, [wv], axis=bn.names.index(w))          # [W = w]
    keep = [x, y] + Z
    q = bn.marginal(joint, keep)                                  # axes x, y, Z...
    qz = q.sum(axis=(0, 1))
    qxz = q.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = q * qz[None, None] / qxz[:, None]
    eff = np.nan_to_num(inner).sum(axis=tuple(range(2, 2 + len(Z)))) / q.sum()
    for xv in (0, 1):
        for yv in (0, 1):
            key = tuple(_name(v) for v in sorted([(x, xv), (y, yv)]))
            assert got[key] == pytest.approx(eff[xv, yv], abs=1e-9)


def _name(pair: tuple[str, int]) -> str:
    return "true" if pair[1] else "false"


@st.composite
def frontdoor_bn(draw: st.DrawFn) -> RandomBN:
    """U -> X -> Z -> Y with U -> Y: the frontdoor graph, random CPTs; W a child of Y or U."""
    names = ["U", "X", "Z", "Y", "W"]
    parents = {"U": [], "X": ["U"], "Z": ["X"], "Y": ["U", "Z"],
               "W": [draw(st.sampled_from(["U", "Y"]))]}
    p_true = {v: {k: draw(PROBS) for k in itertools.product((0, 1), repeat=len(parents[v]))}
              for v in names}
    return RandomBN(names, parents, p_true)


@SETTINGS
@given(frontdoor_bn())
def test_frontdoor_matches_the_truncated_factorisation(bn: RandomBN) -> None:
    text = bn.text(options=constrained(["X"], ["X", "Z"])) + \
        "query do = frontdoor(bn, treatment = {X}, outcome = {Y}, mediator = {Z})\n"
    got = _table(compile_string(text).queries["do"].run())
    for xv in (0, 1):
        truth = bn.marginal(bn.joint(do={"X": xv}), ["Y"])
        for yv in (0, 1):
            assert got[(_name(("X", xv)), _name(("Y", yv)))] == pytest.approx(truth[yv])


@SETTINGS
@given(frontdoor_bn(), st.sampled_from([0, 1]))
def test_frontdoor_formula_under_random_evidence(bn: RandomBN, wv: int) -> None:
    """Evidence W = w conditions p in sum_z p(z | x) sum_x' p(x') p(y | x', z) (all given w)."""
    text = bn.text(options=constrained(["X"], ["X", "Z"])) + \
        "query do = frontdoor(X; Y; Z; bn)\n"
    got = _table(compile_string(text).queries["do"].run(evidence={"W": bool(wv)}))
    joint = np.take(bn.joint(), [wv], axis=bn.names.index("W"))
    q = bn.marginal(joint, ["X", "Z", "Y"])
    q = q / q.sum()
    px, pxz = q.sum(axis=(1, 2)), q.sum(axis=2)
    for xv in (0, 1):
        for yv in (0, 1):
            want = sum(pxz[xv, z] / px[xv] * sum(px[x2] * q[x2, z, yv] / pxz[x2, z]
                                                  for x2 in (0, 1)) for z in (0, 1))
            assert got[(_name(("X", xv)), _name(("Y", yv)))] == pytest.approx(want)


# ---- errors: the open path, named ------------------------------------------------------------
def test_backdoor_names_the_open_path() -> None:
    text = (EX / "backdoor.query").read_text().replace("adjust = {Z}", "adjust = {}")
    with pytest.raises(QueryError) as e:
        compile_string(text, filename="backdoor.query")
    msg = e.value.render()
    assert "the backdoor path X <- Z -> Y is not blocked by {}" in msg
    assert "hint: the parents of the treatment satisfy it: adjust = {Z}" in msg
    assert "backdoor.query:15:" in msg


def test_backdoor_refuses_a_descendant_of_the_treatment() -> None:
    text = ("var A, X, M, Y : bool\nmodel bn = bayesnet { A: 0.5  X | A: {false: 0.2, true: 0.7}"
            "  M | X: {false: 0.1, true: 0.9}  Y | M, A: {(false, false): 0.1, (false, true): 0.3,"
            " (true, false): 0.6, (true, true): 0.8} }\n"
            "query do = backdoor(bn, treatment = {X}, outcome = {Y}, adjust = {A, M})\n")
    with pytest.raises(QueryError, match=r"M is a descendant of the treatment \(X -> M\)"):
        compile_string(text)


def test_frontdoor_names_the_bypassing_path() -> None:
    text = (EX / "frontdoor.query").read_text().replace("Y | U, Z:", "Y | X, Z:")
    with pytest.raises(QueryError, match=r"the directed path X -> Y does not go through the "
                                         r"mediators \{Z\}"):
        compile_string(text)


def test_unknown_graph_is_reported_not_claimed() -> None:
    text = (EX / "backdoor.query").read_text().replace(
        "backdoor(bn, treatment = {X}, outcome = {Y}, adjust = {Z})",
        "backdoor(X; Y; Z; bn | Y)")             # an expression: no graph to check
    report = compile_string(text).report.render()
    assert "the backdoor criterion was not checked: the operand is an expression, not a " \
           "Bayesian network model (graph unknown)" in report
    assert "criterion holds" not in report


# ---- pgmpy's CausalInference on a bnlearn network and on the ATLAS examples -------------------
def _pgmpy_effect(model, x: str, y: str, xv: str, yv: str) -> float:  # type: ignore[no-untyped-def]
    from pgmpy.inference import CausalInference
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = CausalInference(model).query([y], do={x: xv}, show_progress=False)
    return float(f.get_value(**{y: yv}))


@pytest.mark.parametrize("x", ["lung", "bronc"])
def test_asia_backdoor_matches_pgmpy(x: str) -> None:
    from pgmpy.readwrite import BIFReader
    text = ('model net = bif "asia.bif" with vtree constrained {smoke}, vtree constrained '
            f'{{smoke, {x}}}\nquery do = backdoor(net, treatment = {{{x}}}, outcome = {{dysp}}, '
            'adjust = {smoke})\n')
    prog = compile_string(text, base_dir=str(EX))
    res = prog.queries["do"].run()
    model = BIFReader(str(EX / "asia.bif")).get_model()
    for xv in ("yes", "no"):
        for yv in ("yes", "no"):
            assert _at(res, **{x: xv, "dysp": yv}) == \
                pytest.approx(_pgmpy_effect(model, x, "dysp", xv, yv))


def test_asia_open_path_is_named() -> None:
    text = ('model net = bif "asia.bif"\n'
            'query do = backdoor(net, treatment = {lung}, outcome = {dysp}, adjust = {})\n')
    with pytest.raises(QueryError, match=r"the backdoor path lung <- smoke -> bronc -> dysp"):
        compile_string(text, base_dir=str(EX))


@pytest.mark.parametrize("name", ["backdoor", "frontdoor"])
def test_atlas_examples_match_pgmpy(name: str) -> None:
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork
    prog = compile_string((EX / f"{name}.query").read_text(), base_dir=str(EX))
    got = _table(prog.queries["do"].run())
    bn = prog.models["bn"]
    model = DiscreteBayesianNetwork([(p.name, c.name) for c, ps in bn.parents.items()
                                     for p in ps])
    net = _inline(prog, "bn")
    for cpt in net.cpts:
        ps = [p.name for p in cpt.parents]
        table = cpt.table.reshape(-1, 2).T
        model.add_cpds(TabularCPD(cpt.child.name, 2, table.tolist(), evidence=ps or None,
                                 evidence_card=[2] * len(ps) or None,
                                 state_names={v: ["false", "true"] for v in ps +
                                              [cpt.child.name]}))
    for xv in ("false", "true"):
        assert got[(xv, "true")] == pytest.approx(_pgmpy_effect(model, "X", "Y", xv, "true"))


def _inline(prog, name: str):  # type: ignore[no-untyped-def]
    from atlasc.compiler.language.models import inline_bayesnet
    return inline_bayesnet(prog.env, prog.models[name].decl.body, name)


def test_positivity_is_reported() -> None:
    report = compile_string((EX / "backdoor.query").read_text()).report.render()
    assert "positivity: holds for p(X, Z) without evidence; checked per evidence row" in report
    text = ('model net = bif "asia.bif"\nquery do = backdoor(net, treatment = {either}, '
            'outcome = {xray}, adjust = {lung, tub})\n')
    prog = compile_string(text, base_dir=str(EX), repair=True)
    report = prog.report.render()
    assert prog.queries["do"].tractable, report
    assert "positivity fails without evidence at either=yes (p(either = yes, lung = no, " \
        "tub = no) = 0 while the stratum p(lung = no, tub = no) = 0.9" in report
    assert "those entries are undefined (null), never the formula's number; effect(net, " \
        "do = {either}, outcome = {xray}) is defined there" in report
    res = prog.queries["do"].run()
    assert all(e.value is None for e in res.rows[0].entries)
    assert "p(either = yes, lung = no, tub = no) = 0 while the stratum p(lung = no, tub = no)" \
        in res.rows[0].entries[0].undefined


COMPOSED = (Path(__file__).resolve().parents[2] / "examples" / "backdoor.query").read_text() + """
query summed = sum[Y] do
query total  = sum[*] do
query given  = do | Y = true
query seen   = map[support] do
"""


def test_queries_built_on_an_adjustment_compose() -> None:
    """Aggregating, conditioning or mapping a backdoor query (a new report record over the
    same nodes) lowers like any view: regression for an internal error in carry_view."""
    prog = compile_string(COMPOSED, filename="composed.query")
    do = _table(prog.queries["do"].run())
    summed = _table(prog.queries["summed"].run())
    for x in ("false", "true"):
        assert summed[(x,)] == pytest.approx(do[(x, "false")] + do[(x, "true")])
        assert summed[(x,)] == pytest.approx(1.0)
    assert prog.queries["total"].run().rows[0].value == pytest.approx(sum(do.values()))
    given = _table(prog.queries["given"].run())
    seen = _table(prog.queries["seen"].run())
    for k, p in do.items():
        assert given[k] == pytest.approx(p if k[1] == "true" else 0.0)
        assert seen[k] is (p != 0)
