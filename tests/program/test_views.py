"""Query-driven compilation (compiler/program/views.py): a model declared without a vtree is
compiled as the views its queries need, once per requirement; a declared vtree is never
recompiled; --strict / strict=True compiles no view."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from atlasc.compiler.api import compile_file, compile_string
from atlasc.compiler.cli import main
from atlasc.compiler.language.models import ModelInfo
from tests.queries.randbn import RandomBN, constrained, random_bn

EX = Path(__file__).resolve().parents[2] / "examples"

NET = """
var Z, X, Y : bool
model bn = bayesnet {
  Z: 0.4
  X | Z: {false: 0.2, true: 0.7}
  Y | X, Z: {(false, false): 0.1, (true, false): 0.5, (false, true): 0.3, (true, true): 0.8}
}
"""
DO = "query do = backdoor(bn, treatment = {X}, outcome = {Y}, adjust = {Z})\n"


def _entries(prog, name):  # type: ignore[no-untyped-def]
    return {tuple(sorted(e.assignment.items())): e for e in prog.queries[name].run().rows[0].entries}


def _counting(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The options of every compile of a model (its own circuit or a view)."""
    calls: list[str] = []
    original = ModelInfo.view

    def view(self, opts):  # type: ignore[no-untyped-def]
        if opts.describe() not in self.views:
            calls.append(f"{self.name}: {opts.describe()}")
        return original(self, opts)
    monkeypatch.setattr(ModelInfo, "view", view)
    return calls


def test_backdoor_on_an_undeclared_model_gets_its_view_and_the_right_numbers():
    prog = compile_string(NET + DO)
    q = prog.queries["do"]
    assert q.tractable
    (line,) = q.report.views
    assert "compiled view: model bn with constrained {Z}, constrained {X, Z}" in line
    assert "edges, compiled in" in line and "backdoor(" in line
    (js,) = q.report.to_json()["views"]
    assert js["model"] == "bn" and js["edges"] > 0 and js["seconds"] >= 0
    got = _entries(prog, "do")
    assert got[(("X", "true"), ("Y", "true"))].value == pytest.approx(0.62)
    assert got[(("X", "false"), ("Y", "true"))].value == pytest.approx(0.18)
    # the linear route: the view is Z- and {X, Z}-deterministic, every product support-
    # compatible, as with the explicit vtree of examples/backdoor.query
    explicit = compile_file(EX / "backdoor.query")
    assert q.circuit.size == explicit.queries["do"].circuit.size
    for k, e in _entries(explicit, "do").items():
        assert got[k].value == pytest.approx(e.value, abs=1e-12)


def test_queries_with_nested_requirements_share_one_view(monkeypatch):
    calls = _counting(monkeypatch)
    prog = compile_string(NET + DO + "query m1 = mmap(Z; bn)\nquery m2 = mmap(X, Z; bn)\n"
                          "query obs = sum[Z] bn\n")
    assert prog.report.tractable
    assert calls == ["bn: constrained {Z}, constrained {X, Z}"]
    assert "shared with m1, m2" in prog.queries["do"].report.views[0]
    assert prog.queries["obs"].report.views == ()       # needs nothing: the model's circuit
    assert _entries(prog, "m2")[()].argmax == {"X": "false", "Z": "false"}


def test_two_queries_with_the_same_requirement_compile_it_once(monkeypatch):
    calls = _counting(monkeypatch)
    prog = compile_string(NET + DO + "query do2 = backdoor(bn, treatment = {X}, outcome = {Y},"
                          " adjust = {Z})\nquery raw = max[X, Z] map[id: prob -> maxprod] sum[Y] bn\n")
    assert prog.report.tractable and calls == ["bn: constrained {Z}, constrained {X, Z}"]
    # raw has no sugar: its lowering fails on the model's own circuit, then reads the view
    # planned for do and do2, which has {X, Z}-determinism
    assert "needs {X, Z}-deterministic of bn" in prog.queries["raw"].report.views[0]
    assert "shared with do, do2" in prog.queries["raw"].report.views[0]


def test_sets_that_do_not_nest_get_separate_views(monkeypatch):
    calls = _counting(monkeypatch)
    prog = compile_string(NET + "query a = mmap(X; bn)\nquery b = mmap(Y; bn)\n")
    assert prog.report.tractable
    assert sorted(calls) == ["bn: constrained {X}", "bn: constrained {Y}"]


def test_a_declared_vtree_is_never_recompiled(monkeypatch):
    calls = _counting(monkeypatch)
    prog = compile_file(EX / "mmap.query")
    q = prog.queries["mmap_b"]
    assert not q.tractable and calls == [] and q.report.views == ()
    assert "with vtree constrained {A}" in q.error.fix
    assert all(not m.views for m in prog.models.values())


def test_strict_refuses_instead_of_compiling_views(monkeypatch):
    calls = _counting(monkeypatch)
    prog = compile_string(NET + DO, strict=True)
    q = prog.queries["do"]
    assert not q.tractable and calls == []
    assert "without --strict" in q.error.fix


def test_cli_strict(tmp_path: Path):
    path = tmp_path / "v.query"
    path.write_text(NET + DO)
    r = CliRunner().invoke(main, ["check", str(path)])
    assert r.exit_code == 0 and "compiled view: model bn" in r.output, r.output
    r = CliRunner().invoke(main, ["check", "--strict", str(path)])
    assert r.exit_code == 3 and "without --strict" in r.output
    r = CliRunner().invoke(main, ["run", "--strict", str(path)])
    assert r.exit_code == 3


def test_strict_repair_is_the_old_behaviour():
    prog = compile_string(NET + DO, strict=True, repair=True)
    q = prog.queries["do"]
    assert q.tractable and q.report.views == () and q.report.repairs


def test_a_product_gets_a_shared_vtree():
    prog = compile_file(EX / "core.query")
    q = prog.queries["both"]
    assert q.tractable and "compatible with bn2" in q.report.views[0]
    assert q.run().rows[0].value == pytest.approx(
        compile_file(EX / "core.query", strict=True, repair=True).queries["both"].run()
        .rows[0].value)


@settings(max_examples=20, deadline=None)
@given(random_bn(4, 5), st.data())
def test_views_equal_brute_force_and_the_explicit_vtree(bn: RandomBN, data: st.DataObject):
    x = data.draw(st.sampled_from(bn.names))
    Z = bn.parents[x]
    rest = [v for v in bn.names if v != x and v not in Z]
    assume(rest)
    y = data.draw(st.sampled_from(rest))
    Q = data.draw(st.lists(st.sampled_from(bn.names), min_size=1, max_size=2, unique=True))
    queries = (f"query do = backdoor(bn, treatment = {{{x}}}, outcome = {{{y}}}, "
               f"adjust = {{{', '.join(Z)}}})\nquery mm = mmap({', '.join(Q)}; bn)\n")
    views = compile_string(bn.text() + queries)
    assert views.report.tractable
    order = sorted({x, *Z}, key=bn.names.index)
    explicit = compile_string(bn.text(options=constrained(Z, order)) + queries.split("\n")[0])
    for k, e in _entries(explicit, "do").items():
        assert _entries(views, "do")[k].value == pytest.approx(e.value, abs=1e-9)
    for xv in (0, 1):                       # brute force: the truncated factorisation
        truth = bn.marginal(bn.joint(do={x: xv}), [y])
        for yv in (0, 1):
            key = tuple(sorted([(x, _b(xv)), (y, _b(yv))]))
            assert _entries(views, "do")[key].value == pytest.approx(truth[yv], abs=1e-9)
    table = bn.marginal(bn.joint(), Q)
    best = max(table[idx] for idx in itertools.product((0, 1), repeat=len(Q)))
    assert _entries(views, "mm")[()].value == pytest.approx(best, abs=1e-12)


def _b(v: int) -> str:
    return "true" if v else "false"
