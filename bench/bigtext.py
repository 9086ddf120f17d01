"""The 50 MB inputs of issue 18 item 4 (bench/RESULTS-reliability.md) and their whole-process
cost: `python bench/bigtext.py DIR [MB]` writes DIR/formula.query (`model m = logic A0 & A1 &
...` over 1,000 variables) and DIR/vars.query (`var V0, V1, ...`, a small model over three of
them), then runs `atlasc run --no-cache` on each and prints CPU (user+system) and peak RSS (getrusage
of the children: the largest process so far, so run one MB size per call to compare)."""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

COUNT = "query q = sum[*] map[indicator: bool -> count] m\n"


def formula(path: Path, size: int, n: int = 1000) -> int:
    """A conjunction of A{i mod n} to about `size` characters; the number of literals."""
    head = "var " + ", ".join(f"A{i}" for i in range(n)) + " : bool\nmodel m = logic "
    parts, total, i = [], len(head), 0
    while total < size:
        parts.append(f"A{i % n}")
        total, i = total + len(parts[-1]) + 3, i + 1
    path.write_text(head + " & ".join(parts) + "\n" + COUNT)
    return i


def var_list(path: Path, size: int) -> int:
    """`var V0, V1, ...` to about `size` characters and a model over V0, V1, V2."""
    parts, total, i = [], 4, 0
    while total < size:
        parts.append(f"V{i}")
        total, i = total + len(parts[-1]) + 2, i + 1
    path.write_text("var " + ", ".join(parts) + " : bool\nmodel m = logic V0 | V1 & !V2\n"
                    + COUNT)
    return i


def run(path: Path) -> tuple[float, float, str]:
    """CPU seconds, peak RSS (MB) and the output of `atlasc run --no-cache path`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([str(Path(sys.executable).parent / "atlasc"), "run", str(path),
                          "--no-cache"], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, after.ru_maxrss / 1024, out.stdout + out.stderr


def main() -> None:
    where, mb = Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
    where.mkdir(parents=True, exist_ok=True)
    for name, make in (("formula.query", formula), ("vars.query", var_list)):
        k = make(where / name, int(mb * 1e6))
        cpu, rss, out = run(where / name)
        print(f"{name}: {k} items, {cpu:.1f} s CPU, {rss:.0f} MB peak RSS\n{out.strip()}")


if __name__ == "__main__":
    main()
