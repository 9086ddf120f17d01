"""Headers that declare far more than the body uses (issue 18 item 3): `p cnf 100000 0`,
`c p show` on a sparse header, an NNF header of 10^300 variables.  The answers are checked
against enumeration of the mentioned variables times the free ones' closed-form factors."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from atlasc.compiler.api import compile_file
from atlasc.compiler.errors import QueryError
from atlasc.compiler.semirings.wide import Wide

W = {1: 0.3, 2: 0.6, 4: 0.8, 7: 0.9}          # P(x_k = true); every other literal weighs 1


def _program(tmp_path: Path, n: int, clauses: list[str], queries: str, show: str = "",
             weighted: bool = True):
    lines = [f"p cnf {n} {len(clauses)}"]
    if weighted:
        lines += [f"c p weight {k} {p} 0\nc p weight -{k} {1 - p} 0" for k, p in W.items()]
    lines += ([f"c p show {show} 0"] if show else []) + [f"{c} 0" for c in clauses]
    (tmp_path / "m.cnf").write_text("\n".join(lines) + "\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\n' + queries)
    return compile_file(str(tmp_path / "q.query"))


def _weight(k: int, x: int) -> float:
    return (1 - W[k], W[k])[x] if k in W else 1.0


def _log(v) -> float:
    return v.log if isinstance(v, Wide) else math.log(v)


def _value(prog, q: str):
    return prog.queries[q].run().rows[0].entries[0]


@pytest.mark.parametrize("n", [pytest.param(100_000, marks=pytest.mark.slow), 5000, 300])
def test_a_header_without_clauses(tmp_path: Path, n: int):
    """`p cnf 100000 0` (fuzz case 1:1322, 28 s): no variable is mentioned; every variable is a
    free factor (w(false) + w(true)): 1 for the weighted ones, 2 for the others."""
    prog = _program(tmp_path, n, [], "query z = sum[*] m\nquery q = marginals(x1, x5, x7; m)\n")
    assert math.isclose(_log(_value(prog, "z").value), (n - len(W)) * math.log(2), rel_tol=1e-9)
    m = prog.queries["q"].run()
    for var, want in (("x1", 0.3), ("x5", 0.5), ("x7", 0.9)):
        # a free variable's marginal is its normalised weights, even where the joint
        # (2^99996 times them) is beyond the double range: then the joint is its log
        assert m.undefined(var) is None
        joint, cond = m.table(var)["true"]
        assert math.isclose(cond, want, rel_tol=1e-9)
        assert math.isclose(_log(joint), (n - len(W)) * math.log(2) + math.log(want),
                            rel_tol=1e-9)
    count = _program(tmp_path, n, [], "query c = sum[*] map[indicator: bool -> count] m\n",
                     weighted=False)
    assert _value(count, "c").value == 2 ** n        # exact


def _enumerate(clauses: list[tuple[int, ...]], used: tuple[int, ...]):
    for a in itertools.product((0, 1), repeat=len(used)):
        x = dict(zip(used, a))
        if all(any((x[abs(l)] == 1) == (l > 0) for l in c) for c in clauses):
            yield x, math.prod(_weight(k, x[k]) for k in used)


@pytest.mark.parametrize("show", ["1 4", "4 9", "9"])
def test_a_sparse_header_with_shown_variables(tmp_path: Path, show: str):
    """`c p show` on a sparse header (fuzz cases 1:22245 and others): the shown variables are
    compiled with the mentioned ones on an X-constrained vtree, the rest are leaves beside it;
    the circuit stays X-deterministic, so MPE and MMAP over X answer; against enumeration."""
    clauses = [(1, -2), (2, 4), (-1, -4, 9)]
    X = tuple(int(s) for s in show.split())
    used = tuple(sorted({abs(l) for c in clauses for l in c} | set(X)))
    n = 300
    free = sum(math.log(sum(_weight(k, x) for x in (0, 1))) for k in range(1, n + 1)
               if k not in used)                                      # its log
    xs = ", ".join(f"x{k}" for k in X)
    prog = _program(tmp_path, n, [" ".join(map(str, c)) for c in clauses],
                    "query z = sum[*] m\nquery mpe = max[*] map[id: prob -> maxprod] m\n"
                    f"query mmap = max[{xs}] map[id: prob -> maxprod] (sum[* \\ {{{xs}}}] m)\n",
                    show=show)
    models = list(_enumerate(clauses, used))
    assert math.isclose(_log(_value(prog, "z").value), math.log(sum(w for _, w in models))
                        + free, rel_tol=1e-9)
    best = math.log(max(w for _, w in models)) + sum(
        math.log(max(_weight(k, x) for x in (0, 1))) for k in range(1, n + 1) if k not in used)
    assert math.isclose(_log(_value(prog, "mpe").value), best, rel_tol=1e-9)
    proj: dict[tuple[int, ...], float] = {}
    for x, w in models:
        key = tuple(x[k] for k in X)
        proj[key] = proj.get(key, 0.0) + w
    got = _value(prog, "mmap")
    assert math.isclose(_log(got.value), math.log(max(proj.values())) + free, rel_tol=1e-9)


@pytest.mark.parametrize("nv", ["1" + "0" * 300 + "1", "20000001"])
def test_an_nnf_header_beyond_the_variable_limit(tmp_path: Path, nv: str):
    """Fuzz case 1:30636: `nnf 6 6 10^300+1` made one variable per declared one (a hang); the
    count is now checked against the limit before any variable is made."""
    (tmp_path / "m.nnf").write_text(f"nnf 3 2 {nv}\nL -1\nL 1\nO 0 2 0 1\n")
    (tmp_path / "q.query").write_text('model m = nnf "m.nnf"\nquery q = or[*] m\n')
    with pytest.raises(QueryError) as e:
        compile_file(str(tmp_path / "q.query"))
    assert e.value.render().startswith(f"{tmp_path}/m.nnf:1:1: the header declares")
    assert "beyond the limit of 20000000" in e.value.render()


def test_a_sparse_nnf_header(tmp_path: Path):
    """`nnf ... 3000` over a circuit that mentions x1: the other variables are filler leaves at
    the root, so the model count is 2 * 2^2999, exact."""
    (tmp_path / "m.nnf").write_text("nnf 3 2 3000\nL -1\nL 1\nO 1 2 0 1\n")
    (tmp_path / "q.query").write_text('model m = nnf "m.nnf"\n'
                                      "query c = sum[*] map[indicator: bool -> count] m\n")
    assert _value(compile_file(str(tmp_path / "q.query")), "c").value == 2 ** 3000


def test_a_large_scope_is_sorted_once_and_named_only_when_read(tmp_path: Path, monkeypatch):
    """Fuzz case 2:27278 (`p cnf 1000000 1`, `c p show 1 3 0`, a count and an or: 46 s of CPU,
    past the campaign's 20 s): every operator sorted and printed the scope of all the
    variables (its report step, the labels and facts it keeps).  Now a run that prints no
    report sorts no scope, and a report sorts each scope once; the answer is the closed form."""
    from atlasc.compiler.ir import variables
    sorts: list[int] = []
    real = variables._by_name

    def counted(vs):
        sorts.append(len(vs))
        return real(vs)

    monkeypatch.setattr(variables, "_by_name", counted)
    monkeypatch.setattr(variables, "_SORTED", {})
    n = 3 * variables.BIG
    prog = _program(tmp_path, n, ["-6"], "query c = sum[*] map[indicator: bool -> count] m\n"
                    "query o = or[*] m\n", show="1 3", weighted=False)
    assert _value(prog, "c").value == 2 ** (n - 1)       # x6 false, every other variable free
    assert _value(prog, "o").value is True
    assert sorts == []
    text = prog.queries["c"].report.render()
    assert f"... ({n:,} variables)}}" in text and len(text) < 20_000
    assert sorts == [n]


def test_the_order_of_variables_is_by_name_then_domain():
    from atlasc.compiler.ir.variables import BIG, Var, fmt_vars, sorted_vars
    vs = [Var(f"v{i}") for i in range(BIG)] + [Var("v7", ("a", "b")), Var("v7", ("0",))]
    want = sorted(vs)                                    # the dataclass order: (name, domain)
    assert sorted_vars(frozenset(vs)) == tuple(want) == sorted_vars(list(vs))
    assert fmt_vars(vs[:3]) == "{v0, v1, v2}"
    shown = fmt_vars(vs)
    assert shown.startswith("{v0, v1, v10, v100, v1000, v1001,")
    assert shown.endswith(f"... ({len(set(vs)):,} variables)}}")
