"""Bench: implication-chain CNFs (x1 -> x2 -> ... -> xn, n + 1 models) end to end through
`atlasc run --no-cache --json`, issue 18 item 4.

Per size n (10^4, 10^5, 10^6): the count `sum[*] map[indicator: bool -> count] m` of the
unweighted chain, and the WMC `sum[*] m` of the same chain with literal weights (x_i: 0.5 and
0.5 + i mod 7 / 16; its WMC is far below the double range: a Wide); each in a fresh process
under /usr/bin/time (CPU user + sys, peak RSS; bench/scale.py's `run`).  The baseline, in the
same run, is the same command with batched elimination turned off (`cnfflat.BATCH_MIN_VARS`
raised past n: one elimination step per variable, as before batching), when --baseline.
The answers are checked: the count is exactly n + 1, the WMC's log against the closed form
(a sum over the chain's n + 1 models x1..xk false, the rest true, in log space).
Writes the rows `| 10^k-variable implication chain CNF ...` of bench/RESULTS-reliability.md
(section "Sparse headers, huge inputs, batches"), in place.
Usage: python bench/chain.py [--timeout S] [--baseline] [--sizes 4,5,6] [--only count|wmc]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from scale import ATLASC, PY, Run, run  # noqa: E402

OUT = os.path.join(HERE, "RESULTS-reliability.md")
ROW = "-variable implication chain CNF"
OFF = ("import sys; from atlasc.compiler.sources import cnfflat; "
       "cnfflat.BATCH_MIN_VARS = 10**12; from atlasc.__main__ import main; "
       "sys.argv[0] = 'atlasc'; sys.exit(main())")


def weight(i: int) -> tuple[float, float]:
    return 0.5, 0.5 + (i % 7) / 16


def write_chain(d: str, n: int, weighted: bool) -> str:
    """The chain CNF and its query in folder d; the query file's path."""
    name = f"{'w' if weighted else ''}chain{n}"
    with open(os.path.join(d, name + ".cnf"), "w") as f:
        f.write(f"p cnf {n} {n - 1}\n")
        if weighted:
            f.writelines(f"c p weight {i} {weight(i)[1]} 0\nc p weight -{i} {weight(i)[0]} 0\n"
                         for i in range(1, n + 1))
        f.writelines(f"-{i} {i + 1} 0\n" for i in range(1, n))
    q = "sum[*] m" if weighted else "sum[*] map[indicator: bool -> count] m"
    path = os.path.join(d, name + ".query")
    with open(path, "w") as f:
        f.write(f'model m = cnf "{name}.cnf"\nquery z = {q}\n')
    return path


def wmc_log(n: int) -> float:
    """log WMC of the weighted chain: model k (0..n) has x1..xk false, x(k+1)..xn true."""
    lf = [math.log(weight(i)[0]) for i in range(1, n + 1)]
    lt = [math.log(weight(i)[1]) for i in range(1, n + 1)]
    suffix = [0.0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + lt[i]
    terms, pre = [], 0.0
    for k in range(n + 1):
        terms.append(pre + suffix[k])
        if k < n:
            pre += lf[k]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms))


def answer(r: Run) -> tuple[object, float | None]:
    """The value and (for a Wide) its log, from `run --json`."""
    got = json.loads(r.out)["queries"][0]["rows"][0]
    entry = got.get("entries", [got])[0] if isinstance(got, dict) else got
    return entry.get("value"), entry.get("log")


def check(r: Run, n: int, weighted: bool) -> str:
    if r.cpu is None:
        return r.note
    value, log = answer(r)
    if not weighted:
        return f"`{value}` (exact: {'yes' if value == n + 1 else 'NO'})"
    want = wmc_log(n)
    ok = log is not None and abs(float(log) - want) <= 1e-9 * abs(want)
    return f"`{value}`, log {log} (closed form {want:.10f}: {'agrees' if ok else 'DIFFERS'})"


def cell(r: Run, n: int, weighted: bool) -> str:
    if r.cpu is None:
        return f"**not answered**: {r.note}"
    return f"{check(r, n, weighted)}, {r.cpu:.2f} s of CPU, {r.rss_mb:.0f} MB peak RSS"


def row(d: str, k: int, weighted: bool, timeout: float, baseline: bool) -> str:
    n = 10**k
    q = write_chain(d, n, weighted)
    cmd = ["run", "--no-cache", "--json", os.path.basename(q)]
    now = run_in(d, [ATLASC, *cmd], timeout)
    before = run_in(d, [PY, "-c", OFF, *cmd], timeout) if baseline else None
    what = "WMC `sum[*] m` (weighted)" if weighted else \
        "`sum[*] map[indicator: bool -> count]`"
    ratio = f"; CPU ratio now/before {now.cpu / before.cpu:.3f}" \
        if before and before.cpu and now.cpu else ""
    was = cell(before, n, weighted) + " (one step per variable)" if before else "—"
    return (f"| 10^{k}{ROW}, {what} | `python bench/chain.py` (`atlasc run --no-cache "
            f"{os.path.basename(q)}`) | {was} | {cell(now, n, weighted)}{ratio} |")


def run_in(d: str, cmd: list[str], timeout: float) -> Run:
    here = os.getcwd()
    os.chdir(d)
    try:
        return run(cmd, timeout)
    finally:
        os.chdir(here)


def write_rows(rows: list[str]) -> None:
    """Replace the chain rows of the results table (kept in place; new ones where the first
    was)."""
    with open(OUT) as f:
        lines = f.read().split("\n")
    at = next(i for i, x in enumerate(lines) if ROW in x and x.startswith("| 10^"))
    keep = [x for x in lines if not (ROW in x and x.startswith("| 10^"))]
    keep[at:at] = rows
    with open(OUT + ".tmp", "w") as f:
        f.write("\n".join(keep))
    os.replace(OUT + ".tmp", OUT)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--sizes", default="4,5,6")
    ap.add_argument("--only", choices=["count", "wmc"])
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "chains"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    rows = [row(a.dir, int(k), w, a.timeout, a.baseline) for w in (False, True)
            if a.only != ("count" if w else "wmc") for k in a.sizes.split(",")]
    for r in rows:
        print(r)
    write_rows(rows)


if __name__ == "__main__":
    main()
