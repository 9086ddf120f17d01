"""Bench: `atlasc run --query NAME` compiles only what it runs.

A file with one query per bnlearn network (tests/data/bnlearn: the marginal MAP of one root
variable, which compiles a constrained view of each network); the CPU time (user + system,
of the whole process: start-up, compile, run) of `atlasc run --no-cache FILE` against
`atlasc run --no-cache FILE -q NAME`, each the best of two runs, in the same run.
Writes bench/RESULTS-only.md.  Usage: python bench/only.py
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data", "bnlearn")
ATLASC = os.path.join(os.path.dirname(sys.executable), "atlasc")
OUT = os.path.join(HERE, "RESULTS-only.md")
REPEATS = 2
NETS = {"asia": "lung", "alarm": "HYPOVOLEMIA", "insurance": "Age", "hailfinder": "Scenario",
        "win95pts": "Problem1"}


def _text() -> str:
    lines = []
    for net, var in NETS.items():
        lines.append(f'model m_{net} = bif "{os.path.join(DATA, net)}.bif.gz"')
        lines.append(f"query q_{net} = mmap({var}; m_{net})")
    return "\n".join(lines) + "\n"


def _cpu(args: list[str]) -> float:
    """CPU seconds of one child run (best of REPEATS)."""
    best = float("inf")
    for _ in range(REPEATS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "many.query")
        with open(path, "w") as f:
            f.write(_text())
        whole = _cpu([ATLASC, "run", "--no-cache", "--quiet", path])
        rows = [(n, _cpu([ATLASC, "run", "--no-cache", "--quiet", path, "-q", f"q_{n}"]))
                for n in NETS]
    out = ["# run --query NAME compiles only what it runs (bench/only.py)", "",
           f"A file of {len(NETS)} marginal MAP queries, one per bnlearn network; CPU seconds "
           f"of the whole process (best of {REPEATS}), the whole file measured in the same "
           "run.", "",
           "| command | CPU s | vs whole file |", "|---|---|---|",
           f"| run FILE (all {len(NETS)} queries) | {whole:.2f} | 1.00 |"]
    out += [f"| run FILE -q q_{n} | {t:.2f} | {t / whole:.2f} |" for n, t in rows]
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
