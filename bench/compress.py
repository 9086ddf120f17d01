"""Bench: lossless compression of rows with the network that generated them (issue 20 part 3).

Rows are forward-sampled from ALARM and from insurance (tests/data/bnlearn), written as one
CSV per network; atlasc codes them with the network's conditionals (rANS), and gzip (level 9),
bzip2 (9), xz (preset 6) and zstd (level 19, the `zstandard` package) compress the same CSV
bytes, in the same run.  Reported: bits per row, the model's bound Σ -log2 P(row) / rows, and
MB/s of CSV (CPU time of compression and decompression; atlasc's includes compiling the
network and its batched passes, one per variable).

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
from atlasc.compiler.learn import network  # noqa: E402
from atlasc.compiler.sources.model import forward_sample  # noqa: E402

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
    raw = path.read_bytes()
    mb = len(raw) / 1e6
    r, tc = cpu(lambda: atlasc.compress(bif, path, tmp / f"{name}.atz"))
    _, td = cpu(lambda: atlasc.decompress(bif, tmp / f"{name}.atz", tmp / f"{name}.back.csv"))
    assert (tmp / f"{name}.back.csv").read_bytes() == raw, "round trip"
    bound = r.nll_bits / rows
    out = [[name, "atlasc (rANS)", f"{r.bits_per_row:.3f}", f"{r.bits_per_row / bound:.4f}",
            f"{mb / tc:.2f}", f"{mb / td:.2f}"]]
    for codec, (enc, dec) in CODECS.items():
        z, tc = cpu(lambda: enc(raw))
        back, td = cpu(lambda: dec(z))
        assert back == raw
        bits = 8 * len(z) / rows
        out.append([name, codec, f"{bits:.3f}", f"{bits / bound:.4f}", f"{mb / tc:.2f}",
                    f"{mb / td:.2f}"])
    out.append([name, "model bound Σ -log2 P(row)", f"{bound:.3f}", "1", "", ""])
    print("\n".join(" | ".join(x) for x in out[-6:]), flush=True)
    return out


def main(argv: list[str]) -> None:
    rows = int(argv[argv.index("--rows") + 1]) if "--rows" in argv else 100_000
    with tempfile.TemporaryDirectory() as d:
        table = one("alarm", rows, Path(d)) + one("insurance", rows, Path(d))
    head = ["network", "coder", "bits/row", "÷ bound", "MB/s compress", "MB/s decompress"]
    lines = [f"# Lossless compression ({rows} rows per network)", "",
             f"`python bench/compress.py --rows {rows}`, "
             f"{datetime.date.today()}, {platform.python_version()}, {platform.machine()}; "
             "CPU seconds (process time), MB of CSV; every coder on the same CSV bytes in the "
             "same run; atlasc's times include compiling the network.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in table]
    (HERE / "RESULTS-compress.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
