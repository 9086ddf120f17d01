"""Bench: all marginals of bnlearn networks by the flat-array elimination route, against pyAgrum.

Per network and evidence (none; two leaf variables at their first value), each in its own
process (CPU time and peak memory from os.wait4): atlasc loading the BIF, compiling it with
`compile_flat` (compiler/sources/flat.py) and computing every marginal with runtime/flat.py's
upward and downward passes; pyAgrum's LazyPropagation computing every posterior of the same
network and evidence.  Then marginal MAP over 3 root variables (a constrained order) against
pgmpy's map_query.  Node limit 2*10^8 products (default 2*10^7).  This is the Python API
path, not `atlasc run` (the CLI does not route to the flat circuit yet).
Usage: python bench/flat_scale.py [--timeout S] [network ...]
Writes bench/RESULTS-scale-flat.md.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from scale import NETWORKS, PGMPY_MAP, PY, PYAGRUM, Run, _t, run, setup  # noqa: E402

OUT = os.path.join(HERE, "RESULTS-scale-flat.md")

FLAT = textwrap.dedent("""
    import json, sys
    from atlasc.compiler.sources.bif import load_bif_model
    from atlasc.compiler.sources import Limits
    from atlasc.compiler.sources.flat import compile_flat
    from atlasc.runtime import flat
    bn = load_bif_model(sys.argv[1])
    ev = {bn.var(k): bn.var(k).domain.index(v) for k, v in json.loads(sys.argv[2]).items()}
    fc = compile_flat(bn, limits=Limits(max_nodes=2 * 10**8))
    ms = flat.marginals(fc, [ev], list(bn.variables))
    out = {v.name: (m[0] / m[0].sum()).tolist() for v, m in ms.items()}
    print(json.dumps({"marginals": out, "nodes": fc.nodes, "edges": fc.edges,
                      "MiB": fc.nbytes / 2**20}))
""")

FLAT_MMAP = textwrap.dedent("""
    import json, sys
    from atlasc.compiler.sources.bif import load_bif_model
    from atlasc.compiler.sources import Limits
    from atlasc.compiler.sources.flat import compile_flat
    from atlasc.runtime import flat
    bn = load_bif_model(sys.argv[1])
    X = [bn.var(n) for n in json.loads(sys.argv[2])]
    fc = compile_flat(bn, constrained=X, limits=Limits(max_nodes=2 * 10**8))
    p, arg = flat.mmap(fc, {}, X)
    print(json.dumps({v.name: v.domain[i] for v, i in arg.items()}))
""")


def marginal_row(name: str, s: dict, ev: dict, timeout: float) -> str:
    a = run(["nice", "-n", "19", PY, "-c", FLAT, s["plain"], json.dumps(ev)], timeout)
    g = run(["nice", "-n", "19", PY, "-c", PYAGRUM, s["plain"], json.dumps(ev)], timeout)
    diff, size = "-", "-"
    if a.cpu is not None and g.cpu is not None:
        got, theirs = json.loads(a.out), json.loads(g.out)
        gaps = [abs(x - y) for v in theirs if v not in ev
                for x, y in zip(got["marginals"][v], theirs[v])]
        diff = f"{max(gaps):.1e}"
        size = f"{got['edges']:,} / {got['MiB']:.0f} MiB"
    ratio = f"{a.cpu / g.cpu:.2f}" if a.cpu is not None and g.cpu else "-"
    mem = f"{a.rss_mb / g.rss_mb:.2f}" if a.cpu is not None and g.cpu else "-"
    return (f"| {name} | {s['vars']} | {s['width']} | {'yes' if ev else 'no'} | {_t(a)} "
            f"({a.wall:.1f} s wall) | {_t(g)} ({g.wall:.1f} s wall) | {ratio} | "
            f"{a.rss_mb:.0f} / {g.rss_mb:.0f} | {mem} | {size} | {diff} |")


def mmap_row(name: str, s: dict, timeout: float) -> str:
    Q = s["mmap"]
    a = run(["nice", "-n", "19", PY, "-c", FLAT_MMAP, s["plain"], json.dumps(Q)], timeout)
    p = run(["nice", "-n", "19", PY, "-c", PGMPY_MAP, s["plain"], json.dumps(Q)], timeout)
    agree = "-"
    if a.cpu is not None and p.cpu is not None:
        mine, theirs = json.loads(a.out), json.loads(p.out)
        agree = "yes" if mine == {k: str(v) for k, v in theirs.items()} else \
            f"no: {mine} vs {theirs}"
    return f"| {name} | {', '.join(Q)} | {_t(a)} | {_t(p)} | {agree} |"


def main(argv: list[str]) -> None:
    timeout = 300.0
    if argv[:1] == ["--timeout"]:
        timeout, argv = float(argv[1]), argv[2:]
    marg: list[str] = []
    mm: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        for name in argv or NETWORKS:
            s = setup(name, d)
            marg += [marginal_row(name, s, ev, timeout) for ev in ({}, s["ev"])]
            mm.append(mmap_row(name, s, timeout))
            print("\n".join(marg[-2:] + mm[-1:]), flush=True)
            write(marg, mm, timeout)


def write(marg: list[str], mm: list[str], timeout: float) -> None:
    head = ("| network | vars | width | evidence | atlasc flat (CPU) | pyAgrum (CPU) | ratio | "
            "peak MiB atlasc / pyAgrum | memory ratio | circuit edges / arrays | "
            "max abs diff |\n|" + "---|" * 11)
    mhead = ("| network | Q | atlasc flat mmap (CPU) | pgmpy map_query (CPU) | same argmax |\n"
             "|---|---|---|---|---|")
    with open(OUT, "w") as f:
        f.write(f"# Flat-array route bench (bench/flat_scale.py, timeout {timeout:g} s wall)"
                f"\n\n{head}\n" + "\n".join(marg) + f"\n\n{mhead}\n" + "\n".join(mm) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
