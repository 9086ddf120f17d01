"""ProbLog benchmark: `atlasc problog` against the `problog` package on the same programs, in
the same run, end to end, with compile and evaluation reported separately.

Programs (generated into a temporary directory):
* ALARM written as a ProbLog program from its BIF (pgmpy's copy): one annotated disjunction per
  CPT row, every value of every variable queried, evidence on two leaves;
* reachability on an n x n grid with probabilistic right/down/left edges (cyclic), query
  path(start, corner);
* smokers/friends at population n (friends: a ring with chords, so the program is cyclic),
  every smokes/asthma atom queried, evidence on one person.

Each tool runs in its own subprocess (so imports count, and a run is stopped at the time
limit): `end to end` is the subprocess's wall time; `compile` is parse + ground + knowledge
compilation (ProbLog: `get_evaluatable(k).create_from(...)`; atlasc: load + the circuit),
`eval` the answers from the compiled form (ProbLog: `.evaluate()`; atlasc: the marginals pass
through the LLVM runtime, its JIT included).  ProbLog runs with its default pipeline and with
`-k sdd`.  Every answer atlasc gives is checked against ProbLog's where ProbLog finishes
(within 1e-6).

    .venv/bin/python bench/problog.py [--limit SECONDS] [--big-limit SECONDS]
writes bench/RESULTS-problog.md.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).with_name("RESULTS-problog.md")
PY = sys.executable

PROBLOG_RUN = r"""
import json, sys, time
t0 = time.process_time()
from problog import get_evaluatable
from problog.program import PrologFile
k = sys.argv[2] if sys.argv[2] != "default" else None
t1 = time.process_time()
f = get_evaluatable(k).create_from(PrologFile(sys.argv[1]))
t2 = time.process_time()
res = f.evaluate()
t3 = time.process_time()
print(json.dumps({"compile": t2 - t1, "eval": t3 - t2,
                  "answers": {str(a): float(p) for a, p in res.items()}}))
"""

ATLASC_RUN = r"""
import json, sys, time
from atlasc.compiler.program import problog as P
import problog.engine, problog.formula, problog.program   # imports outside the timer, as above
t1 = time.process_time()
prog = P.PL.load(sys.argv[1])
t1g = time.process_time()
s = P.open_queries(prog, list(prog.evidence), prog.queries)
t2 = time.process_time()
rows = P.evidence_rows(s, None)
a = P.marginals(s, rows)[0]
t3 = time.process_time()
size = s.roots.info["sdd_size"] if s.roots is not None else s.model.info.get("sdd_size")
print(json.dumps({"compile": t2 - t1, "ground": t1g - t1, "eval": t3 - t2,
                  "answers": a.values, "size": size,
                  "encoding": "roots" if s.roots is not None else "joint"}))
"""

# ---- programs -------------------------------------------------------------------------------
def _atom(text: str) -> str:
    t = re.sub(r"[^a-z0-9_]", "_", text.lower())
    return t if t[:1].isalpha() else "v" + t


def alarm_program() -> str:
    """ALARM from its BIF: one annotated disjunction per CPT row."""
    sys.path.insert(0, str(ROOT))
    from atlasc.compiler.sources.bif import load_bif_model
    import pgmpy
    path = Path(pgmpy.__file__).parent / "utils" / "example_models" / "alarm.bif.gz"
    tmp = Path(tempfile.mkdtemp()) / "alarm.bif"
    tmp.write_bytes(gzip.decompress(path.read_bytes()))
    bn = load_bif_model(tmp)
    lines = []
    for c in bn.cpts:
        lines += _cpt_lines(c)
    lines += [f"query({_atom(v.name)}({_atom(x)}))." for v in bn.variables for x in v.domain]
    lines += ["evidence(hrbp(high)).", "evidence(co(low))."]
    return "\n".join(lines) + "\n"


def _cpt_lines(c) -> list[str]:
    import itertools
    import numpy as np
    child = _atom(c.child.name)
    out = []
    for key in itertools.product(*(range(p.size) for p in c.parents)):
        row = c.table[key] if c.parents else c.table
        heads = "; ".join(f"{float(p)!r}::{child}({_atom(x)})"
                          for x, p in zip(c.child.domain, np.asarray(row)) if p > 0)
        body = ", ".join(f"{_atom(p.name)}({_atom(p.domain[i])})"
                         for p, i in zip(c.parents, key))
        out.append(f"{heads} :- {body}." if body else f"{heads}.")
    return out


def grid_program(n: int) -> str:
    lines = []
    for i in range(n):
        for j in range(n):
            if j + 1 < n:
                lines.append(f"0.6::edge(n{i}_{j},n{i}_{j + 1}).")
                lines.append(f"0.3::edge(n{i}_{j + 1},n{i}_{j}).")
            if i + 1 < n:
                lines.append(f"0.6::edge(n{i}_{j},n{i + 1}_{j}).")
    lines += ["path(X,Y) :- edge(X,Y).", "path(X,Y) :- edge(X,Z), path(Z,Y).",
              f"query(path(n0_0,n{n - 1}_{n - 1})).", f"query(path(n0_0,n{n - 1}_0))."]
    return "\n".join(lines) + "\n"


def smokers_program(n: int) -> str:
    lines = [f"person({i})." for i in range(n)]
    lines += [f"friend({i},{(i + 1) % n})." for i in range(n)]
    lines += [f"friend({i},{(i + 3) % n})." for i in range(0, n, 2)]
    lines += ["0.3::stress(X) :- person(X).",
              "0.2::influences(X,Y) :- friend(X,Y).",
              "smokes(X) :- stress(X).",
              "smokes(X) :- influences(Y,X), smokes(Y).",
              "0.4::asthma(X) :- smokes(X).",
              "query(smokes(X)) :- person(X).", "query(asthma(X)) :- person(X).",
              "evidence(smokes(0), true)."]
    return "\n".join(lines) + "\n"


# ---- running --------------------------------------------------------------------------------
def run(script: str | None, args: list[str], limit: float) -> dict | None:
    """A Python script (its last line of output is JSON) or, with `script` None, the atlasc
    command line `atlasc problog FILE --json`, in a subprocess stopped after `limit` seconds
    of CPU (RLIMIT_CPU; and after WALL times that of wall time).  `wall` is the process's
    CPU time, user + system (os.wait4): on a machine shared by many jobs, wall time measures
    the load, not the program."""
    cmd = [PY, "-c", script, *args] if script is not None else \
        [PY, "-m", "atlasc", "problog", *args, "--json"]
    cap = int(limit) + 1

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cap, cap + 5))
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT,
                             preexec_fn=limited)
        timer = threading.Timer(limit * WALL, p.kill)
        timer.start()
        assert p.stdout is not None
        stdout = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        err.seek(0)
        stderr = err.read()
    if p.returncode < 0:                    # SIGXCPU at the limit, or killed by the timer
        return None
    cpu = usage.ru_utime + usage.ru_stime
    if p.returncode != 0:
        return {"error": (stderr.strip().splitlines() or ["?"])[-1][:120], "wall": cpu}
    if script is None:
        out = {"answers": json.loads(stdout)["queries"]}
    else:
        out = json.loads(stdout.strip().splitlines()[-1])
    out["wall"] = cpu
    return out


WALL = 20       # a run is also stopped after this many times its CPU limit of wall time


def check(ours: dict, theirs: dict | None) -> str:
    if theirs is None or "answers" not in theirs:
        return "-"
    a, b = ours["answers"], theirs["answers"]
    ok = a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-6 for k in a)
    if not ok:
        raise AssertionError(f"answers differ: {a} vs {b}")
    return "yes"


def cell(r: dict | None, limit: float, key: str) -> str:
    if r is None:
        return f"did not finish in {limit:.0f} s"
    if "error" in r:
        return "error: " + r["error"]
    return f"{r[key]:.3f}"


def bench_case(name: str, text: str, limit: float, rows: list[str],
               together: bool = False) -> bool:
    """One program: atlasc (its command and the phases), ProbLog default, ProbLog -k sdd, the
    four runs at the same time (each is measured in its own CPU time).  True if ProbLog
    timed out.  `together`: the big case (kept for the command line, the same)."""
    d = Path(tempfile.mkdtemp())
    f = d / f"{name.split()[0]}.pl"
    f.write_text(text)
    jobs = {"cli": (None, [str(f)], limit * 2),
            "atlasc": (ATLASC_RUN, [str(f)], limit * 2),
            "default": (PROBLOG_RUN, [str(f), "default"], limit),
            "sdd": (PROBLOG_RUN, [str(f), "sdd"], limit)}
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(jobs)) as ex:      # CPU times: concurrency does not count
        futs = {k: ex.submit(run, *a) for k, a in jobs.items()}
        res = {k: fu.result() for k, fu in futs.items()}
    ours, cli = res["atlasc"], res["cli"]
    pb = {k: res[k] for k in ("default", "sdd")}
    if ours is None or "error" in ours or cli is None or "error" in cli:
        rows.append(f"| {name} | | {cell(cli, limit * 2, 'wall')} | | | | | "
                    + " | ".join(f"{cell(pb[k], limit, 'wall')} | {cell(pb[k], limit, 'compile')}"
                                 f" | {cell(pb[k], limit, 'eval')}" for k in pb) + " | | |")
        print(rows[-1], flush=True)
        return True
    ok = [check(ours, pb[k]) for k in pb]
    check(cli, pb["default"] if pb["default"] and "answers" in pb["default"] else pb["sdd"])
    done = [r for r in pb.values() if r and "wall" in r and "error" not in r]
    best = min((r["wall"] for r in done), default=None)
    work = min((r["compile"] + r["eval"] for r in done), default=None)
    mine = ours["compile"] + ours["eval"]
    ratio = f"{best / cli['wall']:.1f}x" if best else f"> {limit / cli['wall']:.0f}x"
    wratio = f"{work / mine:.1f}x" if work else f"> {limit / mine:.0f}x"
    rows.append(f"| {name} | {ours['encoding']} | {cli['wall']:.2f} | {ours['ground']:.3f} | "
                f"{ours['compile'] - ours['ground']:.3f} | {ours['eval']:.3f} | "
                f"{ours['size']} | "
                + " | ".join(f"{cell(pb[k], limit, 'wall')} | {cell(pb[k], limit, 'compile')}"
                             f" | {cell(pb[k], limit, 'eval')}" for k in pb)
                + f" | {ratio} | {wratio} | {'/'.join(ok)} |")
    print(rows[-1], flush=True)
    return any(r is None for r in pb.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=120.0)
    ap.add_argument("--big-limit", type=float, default=600.0)
    ap.add_argument("--grid", type=int, nargs="*", default=[3, 4, 5])
    ap.add_argument("--smokers", type=int, nargs="*", default=[4, 8, 12, 16])
    ap.add_argument("--big-grid", type=int, default=6)
    ap.add_argument("--only-big", action="store_true", help="only the big case (printed)")
    ap.add_argument("--alarm", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args()
    rows: list[str] = []
    started = time.perf_counter()
    if args.only_big:
        bench_case(f"grid {args.big_grid}x{args.big_grid}",
                   grid_program(args.big_grid), args.big_limit, rows, together=True)
        return
    if args.alarm:
        bench_case("alarm (37 vars, 105 queries)", alarm_program(), args.limit, rows)
    for n in args.grid:
        bench_case(f"grid {n}x{n}", grid_program(n), args.limit, rows)
    for n in args.smokers:
        bench_case(f"smokers n={n}", smokers_program(n), args.limit, rows)
    if args.big_grid:
        bench_case(f"grid {args.big_grid}x{args.big_grid}",
                   grid_program(args.big_grid), args.big_limit, rows, together=True)
    write(rows, args, time.perf_counter() - started)


def write(rows: list[str], args: argparse.Namespace, total: float) -> None:
    head = ("| program | atlasc encoding | atlasc end to end (s) | atlasc ground | "
            "atlasc compile | atlasc eval | SDD size | "
            "ProbLog default end to end | compile | eval | ProbLog -k sdd end to end | "
            "compile | eval | speed-up end to end (best ProbLog / atlasc) | speed-up compile + "
            "eval | same answers (default/sdd) |\n|" + "---|" * 16)
    text = f"""# ProbLog programs: atlasc against ProbLog

`.venv/bin/python bench/problog.py --limit {args.limit:.0f} --big-limit {args.big_limit:.0f} \
--grid {' '.join(map(str, args.grid))} --smokers {' '.join(map(str, args.smokers))} \
--big-grid {args.big_grid}`
({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPUs shared with other jobs;
total {total:.0f} s of wall time).  Seconds of CPU time (user + system): the machine was
shared with other sessions' test runs (load 15-25 on 2 CPUs), where wall time measures the
load.  End to end is a subprocess's CPU time, Python start and imports included: for atlasc
the command `atlasc problog FILE --json`, for ProbLog a script doing what its command line
does (`get_evaluatable(k).create_from(PrologFile(f)).evaluate()`).  ProbLog's compile is
parse + ground + cycle breaking + knowledge compilation, its eval the weighted model counts.
atlasc's columns (measured in a script, imports outside the timers): ground is ProbLog's
parser and grounder, cycles left in; compile the knowledge compilation (the least fixpoint
of the cyclic formula as SDDs, one SDD with the queries as branches, or the joint
encoding); eval the answers (the SDD's weighted model counts in libsdd).  SDD size is
atlasc's root SDD.  `speed-up end to end` is the best ProbLog end to end over atlasc's
command; `speed-up compile + eval` ProbLog's compile + eval over atlasc's ground + compile
+ eval (start-up and imports left out).  The encoding column says how atlasc compiled the
queries (docs/problog.md): `roots`, each query a branch of one SDD; `joint`, the atoms as
variables with local definitions.  Runs stop at the limit of CPU seconds (RLIMIT_CPU; the
last grid at --big-limit; the four runs of a program at once, each timed in its own CPU
time).  Where ProbLog finishes, every
answer agrees within 1e-6 (asserted, the command's answers too).

{head}
""" + "\n".join(rows) + "\n"
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
