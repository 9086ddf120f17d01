"""Lossless compression against brute force: rANS round trips, quantisation, files that decode
to the rows they coded, code lengths against -log2 P(row) computed from the CPTs directly."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

import atlasc
from atlasc.compiler.cli import main
from atlasc.compiler.compress import CONDITIONALS, coder, compress, decompress
from atlasc.compiler.compress import rans
from atlasc.compiler.compress.model import quantise
from atlasc.compiler.errors import QueryError
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.model import CPT, bayesnet
from tests.learn.helpers import joint, networks, sample

DATA = Path(__file__).parents[1] / "data" / "bnlearn"
SETTINGS = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.lists(st.lists(st.integers(0, 6), min_size=2, max_size=5), min_size=1, max_size=60),
       st.data())
@settings(max_examples=60, deadline=None)
def test_rans_round_trip(raw: list[list[int]], data: st.DataObject) -> None:
    """Any tables (frequency 1 of 2**24 among them) and any possible symbols decode back."""
    cums, starts, freqs, syms = [], [], [], []
    for r in raw:
        f = np.array(r, np.int64) * (1 << 20) + 1
        f[-1] += (1 << rans.PREC) - f.sum()
        if f[-1] <= 0:
            f = np.full(len(r), (1 << rans.PREC) // len(r))
            f[-1] += (1 << rans.PREC) - f.sum()
        s = data.draw(st.integers(0, len(r) - 1))
        cum = [0] + np.cumsum(f).tolist()
        cums.append(cum)
        starts.append(cum[s])
        freqs.append(int(f[s]))
        syms.append(s)
    dec = rans.Decoder(rans.encode(starts, freqs))
    assert dec.run(cums) == syms
    assert dec.finished()


@given(st.lists(st.lists(st.sampled_from([0.0, 1e-300, 1e-12, 1e-7, 0.3, 1.0, 5.0]),
                         min_size=2, max_size=6).filter(lambda r: sum(r) > 0),
                min_size=1, max_size=20))
def test_quantise(rows: list[list[float]]) -> None:
    width = max(len(r) for r in rows)
    a = np.array([r + [0.0] * (width - len(r)) for r in rows])
    f, p = quantise(a)
    assert (f.sum(axis=1) == 1 << rans.PREC).all()
    assert ((f > 0) == (a > 0)).all()
    assert np.allclose(p.sum(axis=1), 1.0)


def _write_csv(path: Path, vs: list[Var], cols: dict[Var, np.ndarray]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([v.name for v in vs])
        w.writerows(zip(*[[v.domain[j] for j in cols[v]] for v in vs]))


def _possible_rows(bn, rng: np.random.Generator, n: int) -> dict[Var, np.ndarray]:
    """Uniform random rows of positive probability (rare ones as often as likely ones)."""
    vs = list(bn.variables)
    pick: dict[Var, list[int]] = {v: [] for v in vs}
    while len(pick[vs[0]]) < n:
        x = {v: int(rng.integers(v.size)) for v in vs}
        if joint(bn, [c.table for c in bn.cpts], x) > 0:
            for v in vs:
                pick[v].append(x[v])
    return {v: np.array(a, np.int32) for v, a in pick.items()}


@pytest.mark.parametrize("route", CONDITIONALS)
@given(networks(max_vars=4), st.integers(1, 40), st.integers(0, 2**32 - 1))
@SETTINGS
def test_round_trip_and_bound(tmp_path: Path, route: str, bn, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cols = _possible_rows(bn, rng, n)
    vs = list(bn.variables)
    r = compress(bn, {v.name: np.array([v.domain[j] for j in cols[v]]) for v in vs},
                 tmp_path / "x.atz", conditionals=route)
    back = decompress(bn, tmp_path / "x.atz")
    assert back == {v.name: [v.domain[j] for j in cols[v]] for v in vs}
    nll = -sum(math.log2(joint(bn, [c.table for c in bn.cpts], {v: int(cols[v][b]) for v in vs}))
               for b in range(n))
    assert r.nll_bits == pytest.approx(nll, rel=1e-9, abs=1e-9)
    # the payload: within 1% of the bound, plus the headers and the rANS state's flush
    assert 8 * (r.bytes - r.header_bytes) <= 1.01 * nll + 64 + 32


@given(networks(max_vars=4), st.integers(0, 2**32 - 1))
@SETTINGS
def test_the_cpt_rows_are_the_circuits_conditionals(bn, seed: int) -> None:
    """p(x_i | x_<i) in a topological order from the CPTs equals the compiled circuit's
    P(x_i, x_<i) / P(x_<i) in that order, on random rows of positive probability."""
    from atlasc.compiler.compress.model import cpt_frequencies, frequencies
    cols = _possible_rows(bn, np.random.default_rng(seed), 8)
    cpt, circ = coder(bn, conditionals="cpt"), coder(bn, conditionals="circuit")
    for i in range(len(cpt.order)):
        a = cpt_frequencies(bn, cpt.order, cols, i, 8)[1]
        b = frequencies(circ.circuit, cpt.order, cols, i, 8)[1]
        assert np.allclose(a, b, atol=1e-12)


def test_near_zero_rows_round_trip(tmp_path: Path) -> None:
    """Values of probability 1e-12 code at about 40 bits each, and decode."""
    a = Var("A", ("a0", "a1"))
    b = Var("B", ("b0", "b1", "b2"))
    bn = bayesnet([CPT(a, (), np.array([1 - 1e-12, 1e-12])),
                   CPT(b, (a,), np.array([[0.5, 0.5 - 1e-9, 1e-9], [1e-12, 0.0, 1 - 1e-12]]))])
    rows = {"A": ["a1", "a1", "a0", "a0"], "B": ["b0", "b2", "b2", "b1"]}
    r = compress(bn, {k: np.array(x) for k, x in rows.items()}, tmp_path / "x.atz")
    assert decompress(bn, tmp_path / "x.atz") == rows
    assert r.nll_bits > 100


def test_zero_probability_is_an_error(tmp_path: Path) -> None:
    a = Var("A", ("a0", "a1"))
    bn = bayesnet([CPT(a, (), np.array([1.0, 0.0]))])
    with pytest.raises(QueryError, match=r"data row 2: A = a1 has probability 0"):
        compress(bn, {"A": np.array(["a0", "a1"])}, tmp_path / "x.atz")
    assert not (tmp_path / "x.atz").exists()


def test_missing_value_is_an_error(tmp_path: Path) -> None:
    bn = bayesnet([CPT(Var("A"), (), np.array([0.5, 0.5]))])
    with pytest.raises(QueryError, match="data row 2: A is missing"):
        compress(bn, [{"A": "true"}, {"A": None}], tmp_path / "x.atz")


def test_other_model_and_corruption(tmp_path: Path) -> None:
    cols = sample(atlasc.compiler.learn.network(DATA / "asia.bif.gz"), 300,
                  np.random.default_rng(3))
    asia = atlasc.compiler.learn.network(DATA / "asia.bif.gz")
    rows = tmp_path / "rows.csv"
    _write_csv(rows, list(asia.variables), cols)
    compress(DATA / "asia.bif.gz", rows, tmp_path / "x.atz")
    with pytest.raises(QueryError, match="compressed with another model"):
        decompress(DATA / "cancer.bif.gz", tmp_path / "x.atz")
    data = bytearray((tmp_path / "x.atz").read_bytes())
    data[-3] ^= 0x40
    (tmp_path / "bad.atz").write_bytes(bytes(data))
    with pytest.raises(QueryError, match="corrupt"):
        decompress(DATA / "asia.bif.gz", tmp_path / "bad.atz")
    (tmp_path / "short.atz").write_bytes(bytes(data[:-9]))
    with pytest.raises(QueryError, match="truncated|corrupt"):
        decompress(DATA / "asia.bif.gz", tmp_path / "short.atz")
    (tmp_path / "no.atz").write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(QueryError, match="no ATZ magic"):
        decompress(DATA / "asia.bif.gz", tmp_path / "no.atz")


@pytest.mark.parametrize("route", CONDITIONALS)
def test_cli_round_trip(tmp_path: Path, route: str) -> None:
    """Either route; decompress finds the route in the file's hash."""
    net = atlasc.compiler.learn.network(DATA / "asia.bif.gz")
    cols = sample(net, 2000, np.random.default_rng(5))
    rows = tmp_path / "rows.csv"
    _write_csv(rows, list(net.variables), cols)
    run = CliRunner().invoke(main, ["compress", str(DATA / "asia.bif.gz"), str(rows), "-o",
                                    str(tmp_path / "r.atz"), "--conditionals", route])
    assert run.exit_code == 0, run.output
    assert "bits per row" in run.output
    run = CliRunner().invoke(main, ["decompress", str(DATA / "asia.bif.gz"),
                                    str(tmp_path / "r.atz"), "-o", str(tmp_path / "back.csv")])
    assert run.exit_code == 0, run.output
    assert (tmp_path / "back.csv").read_bytes() == rows.read_bytes()
