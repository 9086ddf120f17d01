"""No probability is silently 0 in a batch either (issue 18 item 5): `run_array` and
`run --data` recompute, row by row, only the entries that left the double range in log space
(runtime/logspace.py rescue_columns); checked against exact rational arithmetic."""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
from click.testing import CliRunner

from atlasc.compiler.api import compile_string
from atlasc.compiler.cli import main
from atlasc.compiler.semirings.wide import Wide

N, P, Q = 150, "1/1000", "3/10"          # X_i | X_{i-1}: {false: Q, true: P}


def _chain() -> str:
    lines = ["var " + ", ".join(f"X{i}" for i in range(N)) + " : bool",
             "model net = bayesnet {", "  X0: 1/2"]
    lines += [f"  X{i} | X{i - 1}: {{false: {Q}, true: {P}}}" for i in range(1, N)]
    return "\n".join(lines + ["}", "query pe = sum[*] net",
                              "query mpe = max[*] map[id: prob -> maxprod] net",
                              "query t = sum[* \\ {X0}] net"]) + "\n"


def _exact(row: np.ndarray) -> Fraction:
    """P(evidence) of the chain by the forward algorithm over Fractions (-1: unobserved)."""
    p, q = Fraction(P), Fraction(Q)
    alpha = [Fraction(1, 2) if row[0] in (-1, x) else Fraction(0) for x in (0, 1)]
    for i in range(1, N):
        t = [[1 - q, q], [1 - p, p]]                     # t[prev][x]
        alpha = [sum(alpha[a] * t[a][x] for a in (0, 1)) if row[i] in (-1, x) else Fraction(0)
                 for x in (0, 1)]
    return sum(alpha)


def _log(f: Fraction) -> float:
    return math.log(f.numerator) - math.log(f.denominator) if f else -math.inf


def _rows() -> np.ndarray:
    rng = np.random.default_rng(3)
    ev = np.full((6, N), -1, np.int64)
    ev[0] = 1                                    # 0.5 * 0.001^149: 10^-447
    ev[1, :100] = 1                              # 10^-297.3: a normal double
    ev[2, :] = rng.integers(0, 2, N)             # mixed, underflows
    ev[3, 0], ev[4, 5] = 1, 0                    # plain values
    ev[5] = 1
    ev[5, 7] = 0                                 # x7 false after true: 0.999 * ...
    return ev


def test_run_array_rescues_only_the_rows_that_underflow():
    prog = compile_string(_chain())
    ev = _rows()
    names = [f"X{i}" for i in range(N)]
    r = prog.queries["pe"].run_array(ev, names)
    assert r.log is not None and r.undefined is None
    for b in range(len(ev)):
        want = _log(_exact(ev[b]))
        if want < math.log(2.2250738585072014e-308):
            assert r.wide[b, 0] and np.isnan(r.values[b, 0])
            assert math.isclose(r.log[b, 0], want, rel_tol=1e-12)
            assert str(Wide.of_log(want)).split("e")[1] in r.beyond(b, 0)
        else:
            assert not r.wide[b, 0] and math.isclose(math.log(r.values[b, 0]), want,
                                                      rel_tol=1e-12)
        one = prog.queries["pe"].run({n: ("true" if x else "false") for n, x in
                                      zip(names, ev[b]) if x >= 0}).rows[0].entries[0].value
        got = one.log if isinstance(one, Wide) else math.log(one)
        assert math.isclose(got, want, rel_tol=1e-12)          # the same as run


def test_maxprod_batches_get_the_true_argmax():
    """Row 0 underflows: every variable true but the odd ones below 20, whose best value
    (between two true neighbours) is false: 0.999 * 0.3 against 0.001 * 0.001."""
    prog = compile_string(_chain())
    ev = np.ones((2, N), np.int64)
    ev[0, 1:20:2] = -1
    ev[1, 3:] = -1
    r = prog.queries["mpe"].run_array(ev, [f"X{i}" for i in range(N)])
    assert r.wide[0, 0] and not r.wide[1, 0]
    p, q = float(Fraction(P)), float(Fraction(Q))
    best = ev[0].copy()
    best[1:20:2] = 0
    for i in range(1, 20, 2):
        assert r.argmax[f"X{i}"][0, 0] == 0
    logs = [math.log(0.5)] + [math.log((q, p)[best[i - 1]] if best[i] else
                                       1 - (q, p)[best[i - 1]]) for i in range(1, N)]
    assert math.isclose(r.log[0, 0], sum(logs), rel_tol=1e-12)


def test_tables_rescue_per_entry():
    prog = compile_string(_chain())
    ev = np.full((1, N), -1, np.int64)
    ev[0, 1:] = 1
    r = prog.queries["t"].run_array(ev, [f"X{i}" for i in range(N)])
    for k, x0 in enumerate(r.assignments[:, 0]):
        row = ev[0].copy()
        row[0] = x0
        assert math.isclose(r.log[0, k], _log(_exact(row)), rel_tol=1e-12)


def test_run_data_writes_no_zero(tmp_path: Path):
    """`run --data --out`: the value is null and `why` gives it with its log, never 0."""
    (tmp_path / "c.query").write_text(_chain())
    ev = _rows()
    header = ",".join(f"X{i}" for i in range(N))
    body = "\n".join(",".join("" if x < 0 else ("true" if x else "false") for x in row)
                     for row in ev)
    (tmp_path / "rows.csv").write_text(header + "\n" + body + "\n")
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(main, ["run", str(tmp_path / "c.query"), "-q", "pe", "--data",
                                  str(tmp_path / "rows.csv"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    t = pacsv.read_csv(out).to_pydict()
    for b in range(len(ev)):
        want = _log(_exact(ev[b]))
        if want < math.log(2.2250738585072014e-308):
            assert t["pe"][b] is None
            assert f"natural log is {want!r}"[:-4] in t["pe.why"][b], t["pe.why"][b]
        else:
            assert math.isclose(math.log(t["pe"][b]), want, rel_tol=1e-9)


def test_counts_past_the_double_range_in_prob_batches(tmp_path: Path):
    """3 * 2^1098 models weighed in prob (1.019e+331): rescued by its log in run_array, as in
    run (test_overflow.py); the exact count stays exact."""
    from atlasc.compiler.api import compile_file
    (tmp_path / "m.cnf").write_text("p cnf 1100 1\n1 2 0\n")
    (tmp_path / "q.query").write_text('model m = cnf "m.cnf"\nquery p = sum[*] (map[indicator: '
                                      'bool -> prob] m)\nquery c = sum[*] map[indicator: bool '
                                      '-> count] m\n')
    prog = compile_file(str(tmp_path / "q.query"))
    ev = np.array([[-1], [1], [0]])
    r = prog.queries["p"].run_array(ev, ["x1"])
    exact = [3 * 2 ** 1098, 2 ** 1099, 2 ** 1098]
    assert r.wide.all() and r.undefined is None
    for b, n in enumerate(exact):
        assert math.isclose(r.log[b, 0], math.log(n), rel_tol=1e-12)
    assert list(prog.queries["c"].run_array(ev, ["x1"]).values[:, 0]) == exact
