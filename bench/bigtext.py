"""The 50 MB inputs of issue 18 item 4 (bench/RESULTS-reliability.md) and their whole-process
cost: `python bench/bigtext.py DIR [MB]` writes DIR/formula.query (`model m = logic A0 & A1 &
...` over 1,000 variables) and DIR/vars.query (`var V0, V1, ...`, a small model over three of
them), then runs `atlasc run FILE --no-cache` on each and prints its CPU (user+system) and
peak RSS (os.wait4: that process alone), then the same compile in this process phase by phase
(CPU of parse, resolve, models, typecheck, lowering -- the SDD within it -- and evaluation).
`--table` prints the rows of bench/RESULTS-reliability.md instead."""
from __future__ import annotations

import itertools
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

COUNT = "query q = sum[*] map[indicator: bool -> count] m\n"


def formula(path: Path, size: int, n: int = 1000) -> int:
    """A conjunction of A{i mod n} to about `size` characters; the number of literals
    (written as it goes: the peak RSS of a child counts its parent's at the fork)."""
    head = "var " + ", ".join(f"A{i}" for i in range(n)) + " : bool\nmodel m = logic "
    return _write(path, head, (f"A{i % n}" for i in itertools.count()), " & ", size,
                  "\n" + COUNT)


def var_list(path: Path, size: int) -> int:
    """`var V0, V1, ...` to about `size` characters and a model over V0, V1, V2."""
    return _write(path, "var ", (f"V{i}" for i in itertools.count()), ", ", size,
                  " : bool\nmodel m = logic V0 | V1 & !V2\n" + COUNT)


def _write(path: Path, head: str, items: Iterator[str], sep: str, size: int, tail: str) -> int:
    """head, items joined by sep to about `size` characters, tail; the number of items."""
    with path.open("w") as f:
        f.write(head)
        total, k = len(head), 0
        while total < size:
            part = sep.join(itertools.islice(items, 10000))
            f.write((sep if k else "") + part)
            total, k = total + len(part) + len(sep), k + 10000
        f.write(tail)
    return k


def run(path: Path) -> tuple[float, float, str]:
    """CPU seconds, peak RSS (MB) and the output of `atlasc run path --no-cache`."""
    argv = [str(Path(sys.executable).parent / "atlasc"), "run", str(path), "--no-cache"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read() if p.stdout else ""
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


PHASES = [("parse", "atlasc.compiler.program.build", "parse_all"),
          ("resolve", "atlasc.compiler.program.build", "resolve"),
          ("models", "atlasc.compiler.program.build", "check_models"),
          ("typecheck", "atlasc.compiler.language.typecheck", "Checker.check_all"),
          ("lowering", "atlasc.compiler.program.build", "_lower_all"),
          ("SDD", "atlasc.compiler.language.adapters", "compile_formula"),
          ("evaluation", "atlasc.compiler.program.program", "Query.run")]


def phases(path: Path) -> dict[str, float]:
    """CPU seconds of each phase of compiling and running `path` in this process (the SDD
    is part of the lowering; a phase called twice is summed)."""
    import importlib
    import atlasc
    spent: dict[str, float] = {}
    for label, module, attr in PHASES:
        owner: Any = importlib.import_module(module)
        *outer, name = attr.split(".")
        for part in outer:
            owner = getattr(owner, part)
        setattr(owner, name, _timed(getattr(owner, name), label, spent))
    p = atlasc.compile_file(str(path))
    p.queries["q"].run()
    return spent


def _timed(fn: Callable[..., Any], label: str, spent: dict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any, **kw: Any) -> Any:
        t = time.process_time()
        try:
            return fn(*args, **kw)
        finally:
            spent[label] = spent.get(label, 0.0) + time.process_time() - t
    return timed


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    where, mb = Path(args[0]), float(args[1]) if len(args) > 1 else 50.0
    where.mkdir(parents=True, exist_ok=True)
    for name, make in (("formula.query", formula), ("vars.query", var_list)):
        k = make(where / name, int(mb * 1e6))
        cpu, rss, out = run(where / name)
        size = (where / name).stat().st_size
        got = subprocess.run([sys.executable, __file__, "--phases", str(where / name)],
                             capture_output=True, text=True).stdout.strip()
        line = (f"| {mb:g} MB {_what(name, k)} | `atlasc run {name} --no-cache` | "
                f"{cpu:.1f} s | {rss:.0f} MB ({rss * 2**20 / size:.1f} bytes per input byte) "
                f"| {got} | {' '.join(out.split())} |")
        print(line if "--table" in sys.argv else f"{line}\n{out.strip()}")


def _what(name: str, k: int) -> str:
    return (f"`model m = logic A0 & A1 & ...` ({k:,} literals over 1,000 variables)"
            if name == "formula.query" else f"`var V0, V1, ...` ({k:,} names)")


if __name__ == "__main__" and sys.argv[1:2] == ["--phases"]:
    spent = phases(Path(sys.argv[2]))
    print(", ".join(f"{k} {spent[k]:.2f}" for k, _, _ in PHASES if k in spent) +
          f"; peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
elif __name__ == "__main__":
    main()
