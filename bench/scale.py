"""Bench: all marginals of large bnlearn networks end to end through the CLI, against pyAgrum.

Per network, each measurement a fresh process under `nice -n 19`, started through
`/usr/bin/time` so that its CPU time (user + sys) and peak memory (max RSS) are that process's
alone (a child forked from this bench would inherit the bench's resident pages in its max RSS):
`atlasc run q.query --json --no-cache` (parse, compile, evaluate) for `marginals(bn)` without
and with evidence (two leaf variables at their first value), and pyAgrum's LazyPropagation
computing every posterior on the same network and evidence; then `mmap(Q; bn)` over 3 root
variables and over 5 variables (the roots first, then the next variables of the file; a
constrained elimination order) against pgmpy's `map_query` (marginal MAP by
variable elimination) and against the argmax of pyAgrum's exact joint posterior of Q
(pyAgrum has no marginal MAP of its own; the joint posterior settles near ties), each with a
timeout.  atlasc's marginals are compared with pyAgrum's (largest absolute difference).
The machine is shared, so times are CPU seconds; ratios are atlasc / baseline in the same
run.  Writes bench/RESULTS-scale.md (the table part; notes are kept by hand below it).
With `--repeat N` every measured command runs N times (atlasc and its baseline alternately) and
each cell is the run of median CPU time (a failed or timed-out run is reported as such).
Usage: python bench/scale.py [--timeout S] [--repeat N] [network ...]
"""
from __future__ import annotations

import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from prepare import byte_compile  # noqa: E402  (bench/prepare.py)
from atlasc.compiler.sources.bif import load_bif_model  # noqa: E402
from atlasc.compiler.sources.orders import elimination_order  # noqa: E402

NETWORKS = ["win95pts", "hepar2", "water", "pathfinder", "andes", "mildew", "barley", "pigs",
            "diabetes", "munin1", "munin2", "munin3", "munin4", "link"]
OUT = os.path.join(HERE, "RESULTS-scale.md")
NOTES = "## Notes"            # what follows this heading in OUT is kept when the table is rewritten
PY = sys.executable
ATLASC = os.path.join(os.path.dirname(PY), "atlasc")


@dataclass
class Run:
    cpu: float | None          # None: timed out or failed
    wall: float
    rss_mb: float
    out: str
    note: str = ""


def run(cmd: list[str], timeout: float) -> Run:
    """cmd in a fresh process (nice 19) under /usr/bin/time: its own CPU and max RSS."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as fo, tempfile.NamedTemporaryFile("r") as tm, \
            tempfile.TemporaryFile("w+") as fe:
        full = ["/usr/bin/time", "-f", "%U %S %M", "-o", tm.name, "nice", "-n", "19", *cmd]
        p = subprocess.Popen(full, stdout=fo, stderr=fe, start_new_session=True,
                             preexec_fn=_cap)
        try:
            code = p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            return Run(None, time.perf_counter() - t, 0.0, "", f"over {timeout:g} s (wall)")
        fo.seek(0)
        fe.seek(0)
        user, sys_, rss = tm.read().split()[-3:]
        ok = code in (0, 5)
        err = _last_line(fe.read())
        note = "" if ok else f"exit {code}" + (f": {err}" if err else "") + \
            (" (killed: out of memory?)" if code in (137, -9) else "")
        return Run(float(user) + float(sys_) if ok else None, time.perf_counter() - t,
                   float(rss) / 1024, fo.read(), note)


MEMORY_CAP = 8 * 2**30      # address space of every measured process: the machine is shared,
#                             and pyAgrum's posteriors of link took 17 GB before the OOM killer


REPEAT = 1


def runs(cmds: list[list[str]], timeout: float) -> list[Run]:
    """Each of cmds REPEAT times, in turn; per command its run of median CPU (or a failure)."""
    seen: list[list[Run]] = [[] for _ in cmds]
    for _ in range(REPEAT):
        for cmd, rs in zip(cmds, seen):
            if all(r.cpu is not None for r in rs):
                rs.append(run(cmd, timeout))
    return [rs[-1] if rs[-1].cpu is None else
            sorted(rs, key=lambda r: r.cpu or 0.0)[len(rs) // 2] for rs in seen]


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("Command")]
    return lines[-1][:160] if lines else ""


def bif_path(name: str) -> str:
    import importlib.util
    spec = importlib.util.find_spec("pgmpy")
    assert spec and spec.origin
    return os.path.join(os.path.dirname(spec.origin), "utils", "example_models",
                        f"{name}.bif.gz")


def quote(s: str) -> str:
    return s if s.replace("_", "a").isalnum() and not s[0].isdigit() else json.dumps(s)


PYAGRUM = textwrap.dedent("""
    import json, sys, pyagrum as gum
    bn = gum.loadBN(sys.argv[1])
    ie = gum.LazyPropagation(bn)
    ev = json.loads(sys.argv[2])
    if ev:
        ie.setEvidence(ev)
    ie.makeInference()
    out = {bn.variable(i).name(): ie.posterior(i).tolist() for i in bn.nodes()}
    print(json.dumps(out))
""")

PYAGRUM_MAP = textwrap.dedent("""
    import json, sys, pyagrum as gum
    bn = gum.loadBN(sys.argv[1])
    ie = gum.LazyPropagation(bn)
    Q = json.loads(sys.argv[2])
    ie.addJointTarget(set(Q))
    ie.makeInference()
    post = ie.jointPosterior(set(Q))
    args, best = post.argmax()
    mine = json.loads(sys.argv[3])          # atlasc's argmax: its posterior, for ties
    at = post[{v: bn.variable(v).index(x) for v, x in mine.items()}] if mine else None
    print(json.dumps({"args": [{v: bn.variable(v).label(a[v]) for v in Q} for a in args],
                      "p": best, "p_of_atlasc_argmax": at}))
""")

PGMPY_MAP = textwrap.dedent("""
    import json, sys
    from pgmpy.readwrite import BIFReader
    from pgmpy.inference import VariableElimination
    m = BIFReader(sys.argv[1]).get_model()
    q = json.loads(sys.argv[2])
    print(json.dumps(VariableElimination(m).map_query(q, show_progress=False)))
""")


def atlasc_marginals(out: str) -> dict[str, list[float]]:
    rows = json.loads(out)["queries"][0]["rows"][0]["marginals"]
    return {m["var"]: [e["conditional"] for e in m["table"]] for m in rows}


def setup(name: str, d: str) -> dict[str, object]:
    path = bif_path(name)
    plain = os.path.join(d, f"{name}.bif")
    with gzip.open(path, "rt") as fi, open(plain, "w") as fo:
        fo.write(fi.read())
    bn = load_bif_model(path)
    children = {p for c in bn.cpts for p in c.parents}
    leaves = [v for v in bn.variables if v not in children][:2]
    ev = {v.name: v.domain[0] for v in leaves}
    od = elimination_order(bn.variables, [c.family for c in bn.cpts])
    roots = [c.child for c in bn.cpts if not c.parents]
    five = (roots + [v for v in bn.variables if v not in roots])[:5]
    return {"plain": plain, "ev": ev, "vars": len(bn.variables), "width": od.width,
            "mmap": [[v.name for v in roots[:3]], [v.name for v in five]]}


def query_file(d: str, plain: str, body: str, model_opts: str = "") -> str:
    q = os.path.join(d, "q.query")
    with open(q, "w") as fh:
        fh.write(f'model bn = bif "{plain}"{model_opts}\nquery q = {body}\n')
    return q


def marginal_rows(name: str, d: str, s: dict, timeout: float) -> list[str]:
    rows, skip = [], False
    for ev in ({}, s["ev"]):
        q = query_file(d, s["plain"], "marginals(bn)")
        flags = [a for k, v in ev.items() for a in ("-e", f"{k}={v}")]
        g_cmd = [PY, "-c", PYAGRUM, s["plain"], json.dumps(ev)]
        a, g = (Run(None, 0.0, 0.0, "", "skipped (no answer without evidence)"),
                runs([g_cmd], timeout)[0]) if skip else \
            runs([[ATLASC, "run", q, "--json", "--no-cache", "--quiet", *flags], g_cmd], timeout)
        rows.append(_marginal_row(name, s, ev, a, g))
        skip = a.cpu is None
        s["answered"] = not skip
    return rows


def _marginal_row(name: str, s: dict, ev: dict, a: Run, g: Run) -> str:
    diff = "-"
    if a.cpu is not None and g.cpu is not None:
        mine, theirs = atlasc_marginals(a.out), json.loads(g.out)
        # observed variables are left out: atlasc reports p(v | e - v) for them
        gaps = [abs(x - y) for v in theirs if v not in ev for x, y in zip(mine[v], theirs[v])]
        diff = f"{max(gaps):.1e}"
    ratio = f"{a.cpu / g.cpu:.2f}" if a.cpu is not None and g.cpu else "-"
    if ratio != "-" and a.cpu <= 2 * g.cpu:
        ratio += " (meets 2x)"
    mem = f"{a.rss_mb / g.rss_mb:.2f}" if a.cpu is not None and g.cpu else "-"
    return (f"| {name} | {s['vars']} | {s['width']} | {'yes' if ev else 'no'} | {_t(a)} | {_t(g)} "
            f"| {ratio} | {a.rss_mb:.0f} / {g.rss_mb:.0f} | {mem} | {diff} |")


def _t(r: Run) -> str:
    return f"{r.cpu:.2f} s" if r.cpu is not None else r.note


def mmap_row(name: str, d: str, s: dict, Q: list[str], timeout: float) -> str:
    opts = " with vtree constrained {" + ", ".join(Q) + "}"
    q = query_file(d, s["plain"], "mmap({" + ", ".join(Q) + "}; bn)", opts)
    a, p = runs([[ATLASC, "run", q, "--json", "--no-cache", "--quiet"],
                 [PY, "-c", PGMPY_MAP, s["plain"], json.dumps(Q)]], timeout)
    arg = json.loads(a.out)["queries"][0]["rows"][0] if a.cpu is not None else None
    g = runs([[PY, "-c", PYAGRUM_MAP, s["plain"], json.dumps(Q),
               json.dumps(arg["argmax"] if arg else {})]], timeout)[0]
    return (f"| {name} | {', '.join(Q)} | {_t(a)} | {_m(a)} | {_t(p)} | {_agree(arg, p)} "
            f"| {_t(g)} | {_exact(arg, g)} |")


def _exact(arg: dict | None, g: Run) -> str:
    """max P(Q) equals atlasc's value and pyAgrum's P(Q = atlasc's argmax) is that maximum,
    both to 1e-6 relative (the BIF tables' rows sum to 1 only to ~1e-7, and pyAgrum's
    posterior is normalised); "tie" when several assignments reach the maximum."""
    if arg is None or g.cpu is None:
        return "-"
    theirs = json.loads(g.out)
    close = abs(arg["value"] - theirs["p"]) <= 1e-6 * theirs["p"] and \
        abs(theirs["p_of_atlasc_argmax"] - theirs["p"]) <= 1e-6 * theirs["p"]
    if not close:
        return f"no: atlasc {arg} vs pyAgrum max {theirs['p']} at {theirs['args'][:2]}"
    return "yes" if len(theirs["args"]) == 1 else f"yes ({len(theirs['args'])}-way tie)"


def _m(r: Run) -> str:
    return f"{r.rss_mb:.0f}" if r.cpu is not None else "-"


def _agree(arg: dict | None, other: Run) -> str:
    if arg is None or other.cpu is None:
        return "-"
    return "yes" if arg["argmax"] == {k: str(v) for k, v in json.loads(other.out).items()} else \
        f"no: {json.dumps(arg)[:200]} vs {other.out.strip()}"


def main(argv: list[str]) -> None:
    global REPEAT
    byte_compile()
    timeout = 120.0
    while argv[:1] in (["--timeout"], ["--repeat"]):
        if argv[0] == "--timeout":
            timeout = float(argv[1])
        else:
            REPEAT = int(argv[1])
        argv = argv[2:]
    names = argv or NETWORKS
    marg, mm = [], []
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            s = setup(name, d)
            new = marginal_rows(name, d, s, timeout)
            print("\n".join(new), flush=True)
            marg += new
            for Q in s["mmap"]:
                mm.append(mmap_row(name, d, s, Q, timeout) if s["answered"] else
                          f"| {name} | {', '.join(Q)} | skipped (marginals had no answer) "
                          "| - | - | - | - | - |")
                print(mm[-1], flush=True)
            write(marg, mm, timeout)       # after every network: a cut-short run keeps its rows


def kept(rows: list[str], old: list[str]) -> list[str]:
    """old (a table of an earlier run) with each re-run network's rows replaced by its rows."""
    new: dict[str, list[str]] = {}
    for r in rows:
        new.setdefault(r.split("|")[1], []).append(r)
    out: list[str] = []
    for r in old:
        out += new.pop(r.split("|")[1], []) if r.split("|")[1] in new or \
            any(r.split("|")[1] == o.split("|")[1] for o in rows) else [r]
    return out + [r for rs in new.values() for r in rs]


def old_tables() -> tuple[list[str], list[str]]:
    """The marginal and the MMAP rows of the table in OUT (empty lists if there is none)."""
    if not os.path.exists(OUT):
        return [], []
    parts = open(OUT).read().split(NOTES, 1)[0].split("Marginal MAP over ")
    tables = [[ln for ln in p.splitlines() if ln.startswith("| ") and
               not ln.startswith("| network ")] for p in parts]
    return (tables + [[], []])[0], (tables + [[], []])[1]


def write(marg: list[str], mm: list[str], timeout: float) -> None:
    old_marg, old_mm = old_tables()
    marg, mm = kept(marg, old_marg), kept(mm, old_mm)
    head = ("| network | vars | width | evidence | atlasc (CPU) | pyAgrum (CPU) | ratio | "
            "peak MiB atlasc / pyAgrum | memory ratio | max abs diff |\n|" + "---|" * 10)
    mhead = ("| network | Q | atlasc mmap (CPU) | peak MiB | pgmpy map_query (CPU) | same "
             "argmax | pyAgrum joint posterior of Q (CPU) | same argmax |\n|" + "---|" * 8)
    text = (f"# Scale bench (bench/scale.py, timeout {timeout:g} s wall per run)\n\n"
            "All marginals end to end through `atlasc run --json --no-cache` (parse, compile, "
            "evaluate), against pyAgrum LazyPropagation in the same run; CPU seconds (user + "
            "sys) and max RSS of each process alone (/usr/bin/time, nice 19); with --repeat N "
            "the run of median CPU of N.\n\n"
            + head + "\n" + "\n".join(marg) + "\n\nMarginal MAP over "
            "3 root variables and over 5 variables (roots first, then the next ones of the "
            "file):\n\n"
            + mhead + "\n" + "\n".join(mm) + "\n")
    if os.path.exists(OUT) and NOTES in open(OUT).read():
        text += open(OUT).read().split(NOTES, 1)[1].join(["\n" + NOTES, ""])
    tmp = OUT + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
