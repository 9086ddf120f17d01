"""Core operator benchmark: the support-compatible (diagonal) product against the compatible
product on the same backdoor-shaped query, over Markov chains of growing length.

Both products compute p (x) (+)_{W1} p (x) recip((+)_{W2} p); the compatible one is forced by
copying the operands into fresh circuits, so they are no longer views of one source.  Reported
as ratios measured in the same run (time and circuit size), written to bench/RESULTS-core.md.
Run: `make bench` (or `python bench/core.py`)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings import builtin as M
from atlasc.compiler.ops import aggregate, apply_mapping, model, multiply
from atlasc.compiler.ir.transplant import transplant
from atlasc.compiler.semirings import PROB
from atlasc.runtime.reference import evaluate

OUT = Path(__file__).with_name("RESULTS-core.md")


def chain(n: int) -> Circuit:
    """p(x1..xn) of a binary Markov chain, split on x1, x2, ... (O(n) nodes thanks to sharing)."""
    b = Builder()
    xs = [Var(f"x{i}") for i in range(n)]
    nxt: dict[int, object] = {}
    for i in reversed(range(n)):
        cur = {}
        for prev in (0, 1):
            p1 = 0.3 + 0.4 * prev if i else 0.5
            if i == n - 1:
                cur[prev] = b.input(xs[i], [1 - p1, p1], PROB)
                continue
            kids = [b.prod([b.input(xs[i], [1 - p1 if v == 0 else 0.0, p1 if v else 0.0], PROB),
                            nxt[v]]) for v in (0, 1)]
            cur[prev] = b.sum(kids)
        nxt = cur
    return model(Circuit(nxt[0], b), f"chain{n}")  # type: ignore[arg-type]


def query(p: Circuit, fresh: bool) -> tuple[Circuit, float]:
    xs = sorted(p.vars, key=lambda v: int(v.name[1:]))
    W1, W2 = xs[len(xs) // 2:], xs[-1:]
    views = [p, aggregate(p, W1), apply_mapping(aggregate(p, W2), M.recip())]
    if fresh:
        views = [transplant(v, Builder()) for v in views]
    t0 = time.perf_counter()
    out = multiply(*views)
    return out, time.perf_counter() - t0


def row(n: int) -> dict[str, float]:
    p = chain(n)
    diag, td = query(p, fresh=False)
    comp, tc = query(p, fresh=True)
    assert diag.step.condition.startswith("support-compatible")
    assert comp.step.condition.startswith("compatible")
    rows = [{v: 1 for v in diag.vars}]
    a, b_ = evaluate(diag, assignment=rows).values[0], evaluate(comp, assignment=rows).values[0]
    assert abs(a - b_) <= 1e-9 * max(1.0, abs(a)), (a, b_)
    return {"n": n, "edges": p.size, "diag edges": diag.size, "compat edges": comp.size,
            "diag s": td, "compat s": tc, "time ratio": tc / td, "size ratio": comp.size / diag.size}


def main(sizes: list[int]) -> None:
    rows = [row(n) for n in sizes]
    head = list(rows[0])
    lines = ["# Core operators: diagonal vs compatible product", "",
             "Backdoor-shaped product p (x) (+)_W1 p (x) recip((+)_W2 p) on Markov chains; "
             "ratios are compatible / diagonal, measured in the same run (`make bench`).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(f"{r[k]:.4g}" if isinstance(r[k], float) else str(r[k])
                                       for k in head) + " |")
    text = "\n".join(lines) + "\n"
    tmp = OUT.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(OUT)
    print(text)


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [8, 16, 32, 64, 128])
