"""Bench: lossless compression of rows with the network that generated them (issue 20 part 3).

Rows are forward-sampled from ALARM and from insurance (tests/data/bnlearn), written as one
CSV per network; atlasc codes them with the network's conditionals (rANS), by both routes
(`cpt`: the CPT rows in a topological order; `circuit`: one batched pass of the compiled
network per variable), and gzip (level 9), bzip2 (9), xz (preset 6) and zstd (level 19, the
`zstandard` package) compress the same CSV bytes, in the same run.

A real data set: Fair's 1978 survey of 6,366 women (statsmodels.datasets.fair, shipped in the
statsmodels package, installed with pgmpy), its eight categorical columns and `affairs`
reduced to whether it is positive.  Shuffled (seed 20) and split 70/30: a Chow-Liu tree
(maximum mutual-information spanning tree) is learnt on the training rows here, its CPTs by
`atlasc.fit` on the training rows with pseudo-count 1 (so no held-out value has probability
0), and the coders compress the held-out rows only.

Reported: bits per row, the model's bound Σ -log2 P(row) / rows, and MB/s of CSV (CPU time of
compression and decompression; atlasc's includes reading the model, and compiling the network
for the circuit route).  Asserted for every atlasc row: the exact round trip, and the payload
within 1 % of the bound plus 64 bits of rANS state per block.

Writes bench/RESULTS-compress.md.  Usage: python bench/compress.py [--rows N]
"""
from __future__ import annotations

import bz2
import csv
import datetime
import gzip
import lzma
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import zstandard  # noqa: E402

import atlasc  # noqa: E402
from atlasc.compiler.compress import CONDITIONALS  # noqa: E402
from atlasc.compiler.ir.variables import Var  # noqa: E402
from atlasc.compiler.learn import network  # noqa: E402
from atlasc.compiler.sources.bifwrite import bif_text  # noqa: E402
from atlasc.compiler.sources.model import CPT, bayesnet, forward_sample  # noqa: E402

DATA = HERE.parent / "tests" / "data" / "bnlearn"
CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "gzip -9": (lambda b: gzip.compress(b, 9), gzip.decompress),
    "bzip2 -9": (lambda b: bz2.compress(b, 9), bz2.decompress),
    "xz -6": (lambda b: lzma.compress(b, preset=6), lzma.decompress),
    "zstd -19": (zstandard.ZstdCompressor(level=19).compress,
                 zstandard.ZstdDecompressor().decompress),
}


def sample_csv(bn: Any, rows: int, path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cols = forward_sample(bn, rows, rng)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([v.name for v in bn.variables])
        w.writerows(zip(*[[v.domain[j] for j in cols[v]] for v in bn.variables]))


def cpu(f: Callable[[], Any]) -> tuple[Any, float]:
    t = time.process_time()
    out = f()
    return out, time.process_time() - t


def one(name: str, rows: int, tmp: Path) -> list[list[str]]:
    bif = DATA / f"{name}.bif.gz"
    path = tmp / f"{name}.csv"
    sample_csv(network(bif), rows, path, seed=20)
    return coders(name, bif, path, rows, tmp)


def coders(name: str, bif: Path, path: Path, rows: int, tmp: Path) -> list[list[str]]:
    raw = path.read_bytes()
    mb = len(raw) / 1e6
    out, bound = [], 0.0
    for route in CONDITIONALS:
        r, tc = cpu(lambda: atlasc.compress(bif, path, tmp / f"{name}.atz",
                                            conditionals=route))
        _, td = cpu(lambda: atlasc.decompress(bif, tmp / f"{name}.atz",
                                              tmp / f"{name}.back.csv"))
        assert (tmp / f"{name}.back.csv").read_bytes() == raw, "round trip"
        blocks = -(-rows // atlasc.compiler.compress.BLOCK)
        assert 8 * (r.bytes - r.header_bytes) <= 1.01 * r.nll_bits + 64 * blocks, "bound"
        bound = r.nll_bits / rows
        payload = 8 * (r.bytes - r.header_bytes) / rows
        out.append([name, f"atlasc (rANS, {route})", f"{r.bits_per_row:.3f}",
                    f"{r.bits_per_row / bound:.4f}", f"{payload / bound:.4f}",
                    f"{mb / tc:.2f}", f"{mb / td:.2f}"])
    for codec, (enc, dec) in CODECS.items():
        z, tc = cpu(lambda: enc(raw))
        back, td = cpu(lambda: dec(z))
        assert back == raw
        bits = 8 * len(z) / rows
        out.append([name, codec, f"{bits:.3f}", f"{bits / bound:.4f}", "", f"{mb / tc:.2f}",
                    f"{mb / td:.2f}"])
    out.append([name, "model bound Σ -log2 P(row)", f"{bound:.3f}", "1", "1", "", ""])
    print("\n".join(" | ".join(x) for x in out), flush=True)
    return out


# ---- a real data set: Fair (1978), held-out rows under a Chow-Liu tree fitted on the rest -----
FAIR_COLUMNS = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ",
                "occupation", "occupation_husb"]


def fair(tmp: Path) -> tuple[list[list[str]], str]:
    try:
        import pandas as pd
        from statsmodels.datasets import fair as sm_fair
    except ImportError as e:
        return [], f"the Fair data set was not run: {e}"
    d = sm_fair.load_pandas().data
    table = {c: [f"{x:g}" for x in d[c]] for c in FAIR_COLUMNS}
    table["affair"] = ["yes" if x > 0 else "no" for x in d["affairs"]]
    df = pd.DataFrame(table).sample(frac=1.0, random_state=20).reset_index(drop=True)
    cut = int(0.7 * len(df))
    train = df.iloc[:cut]
    tree = chow_liu(train)
    test = df.iloc[cut:][[v.name for v in tree.variables]]      # the network's column order
    train.to_csv(tmp / "fair-train.csv", index=False)
    test.to_csv(tmp / "fair-test.csv", index=False, lineterminator="\n")
    (tmp / "fair-tree.bif").write_text(bif_text(tree, "fair"))
    fit, t = cpu(lambda: atlasc.fit(tmp / "fair-tree.bif", tmp / "fair-train.csv",
                                    pseudo_count=1.0))
    fit.write(tmp / "fair.bif")
    note = (f"Fair: {len(df)} rows, {len(train)} for training (Chow-Liu tree, then `atlasc "
            f"fit --pseudo-count 1`: {fit.method}, {t:.2f} s CPU), {len(test)} held out and "
            "compressed; the bound is the fitted model's -log2 P(row) on the held-out rows.")
    return coders("fair (held out)", tmp / "fair.bif", tmp / "fair-test.csv", len(test),
                  tmp), note


def chow_liu(df: Any) -> Any:
    """The maximum mutual-information spanning tree of the columns (parents toward the first
    column), with uniform CPTs: the structure `atlasc fit` learns the numbers of."""
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree
    names = list(df.columns)
    vs = [Var(c, tuple(sorted(set(df[c])))) for c in names]
    codes = [np.searchsorted(v.domain, df[c].to_numpy()) for v, c in zip(vs, names)]
    k = len(vs)
    mi = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            mi[i, j] = _mutual_information(codes[i], codes[j], vs[i].size, vs[j].size)
    tree = minimum_spanning_tree(-(mi + 1e-12)).toarray()
    und = (tree != 0) | (tree.T != 0)
    order, pred = breadth_first_order(und.astype(float), 0, directed=False)
    cpts = []
    for i in order:
        pa = () if pred[i] < 0 else (vs[pred[i]],)
        shape = tuple(p.size for p in pa) + (vs[i].size,)
        cpts.append(CPT(vs[i], pa, np.full(shape, 1.0 / vs[i].size)))
    return bayesnet(cpts, "fair")


def _mutual_information(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> float:
    n = np.zeros((ka, kb))
    np.add.at(n, (a, b), 1.0)
    p = n / n.sum()
    pa, pb = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / (pa @ pb)[nz])).sum())


def main(argv: list[str]) -> None:
    rows = int(argv[argv.index("--rows") + 1]) if "--rows" in argv else 10_000
    start = time.process_time()
    with tempfile.TemporaryDirectory() as d:
        table = one("alarm", rows, Path(d)) + one("insurance", rows, Path(d))
        extra, note = fair(Path(d))
    head = ["data", "coder", "bits/row", "÷ bound", "payload ÷ bound", "MB/s compress",
            "MB/s decompress"]
    lines = [f"# Lossless compression ({rows} sampled rows per network; a real data set)", "",
             f"`nice -n 19 python bench/compress.py --rows {rows}`, "
             f"{datetime.date.today()}, Python {platform.python_version()}, "
             f"{platform.machine()}, {time.process_time() - start:.0f} s CPU in all; CPU "
             "seconds (process time), MB of CSV; every coder on the same CSV bytes in the same "
             "run; atlasc's times include reading the model (and compiling it for the circuit "
             "route).  Asserted on every atlasc row: the exact round trip, and the payload "
             "within 1 % of the model's bound plus 64 bits of rANS state per block.  "
             "\"payload\": the file without its headers (magic, hash, counts: 38 bytes, and "
             "12 per block of 32768 rows).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in table + extra]
    lines += ["", note, "", "docs/compression.md explains both routes."]
    (HERE / "RESULTS-compress.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
