"""ProbLog benchmark: `atlasc problog` against the `problog` package on the same programs, in
the same run, end to end, with compile and evaluation reported separately.

Programs (generated into a temporary directory):
* ALARM written as a ProbLog program from its BIF (pgmpy's copy): one annotated disjunction per
  CPT row, every value of every variable queried, evidence on two leaves;
* reachability on an n x n grid with probabilistic right/down/left edges (cyclic), query
  path(start, corner);
* smokers/friends at population n (friends: a ring with chords, so the program is cyclic),
  every smokes/asthma atom queried, evidence on one person.

Each tool runs in its own subprocess (so imports count, and a run is stopped at its limit of
CPU time): `end to end` is the subprocess's CPU time (user + system); atlasc's command runs
cold (an empty program cache) and cached (again: the direct mode, compiler/problogdirect.py).
`compile` is parse + ground + knowledge compilation (ProbLog: `get_evaluatable(k).create_from
(...)`; atlasc: load + the SDD), `eval` the answers from the compiled form (ProbLog:
`.evaluate()`; atlasc: the SDD's weighted model counts).  ProbLog runs with its default
pipeline and with `-k sdd`.  Every answer atlasc gives is checked against ProbLog's where
ProbLog finishes (within 1e-6).

    .venv/bin/python bench/problog.py --long alarm grid6 smokers24 [--big-limit 600]
        ProbLog alone on the big cases (nice 10, two at a time), saved to bench/problog-long.json
    .venv/bin/python bench/problog.py [--limit SECONDS] [--problog-from bench/problog-long.json]
        the table, bench/RESULTS-problog.md (ProbLog's saved runs used where given)
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
def run(script: str | None, args: list[str], limit: float, nice: int = 0,
        env: dict[str, str] | None = None) -> dict | None:
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
        os.nice(nice)
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT,
                             preexec_fn=limited, env=None if env is None else {**os.environ, **env})
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


def least(runs: list[dict | None]) -> dict | None:
    """The run of least CPU time (the others measured the machine's noise), None if one
    failed."""
    if any(r is None or "error" in r for r in runs):
        return next((r for r in runs if r is not None and "error" in r), None)
    return min(runs, key=lambda r: r["wall"])  # type: ignore[index]


def cell(r: dict | None, limit: float, key: str) -> str:
    if r is None:
        return f"did not finish in {limit:.0f} s"
    if "error" in r:
        return "error: " + r["error"]
    return f"{r[key]:.3f}"


def bench_case(name: str, text: str, limit: float, rows: list[str],
               saved: dict | None = None) -> None:
    """One program: atlasc's command twice (cold, with an empty program cache, then again:
    the direct mode), its phases in a script, ProbLog default and -k sdd, at the same time
    (each is measured in its own CPU time).  `saved`: ProbLog's results of --long runs, used
    for the pipelines it has for this program instead of running them again."""
    d = Path(tempfile.mkdtemp())
    f = d / f"{name.split()[0]}.pl"
    f.write_text(text)
    given = (saved or {}).get(name, {})
    jobs = {"atlasc": (ATLASC_RUN, [str(f)], limit * 2),
            "default": (PROBLOG_RUN, [str(f), "default"], limit),
            "sdd": (PROBLOG_RUN, [str(f), "sdd"], limit)}
    jobs = {k: j for k, j in jobs.items() if k not in given}
    cache = {"ATLASC_PROGRAM_CACHE": str(d / "c1")}        # the kept answers of cold's run
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max(1, len(jobs))) as ex:      # CPU times: concurrency does not count
        futs = {k: ex.submit(run, *a) for k, a in jobs.items()}
        cold = least([run(None, [str(f)], limit * 2, env={"ATLASC_PROGRAM_CACHE": str(d / c)})
                      for c in ("c1", "c2")])          # an empty cache: computes, keeps answers
        cached = least([run(None, [str(f)], limit * 2, env=cache) for _ in range(3)])
        res = {k: fu.result() for k, fu in futs.items()}
    limits = {k: given[k]["limit"] if k in given else limit for k in ("default", "sdd")}
    pb = {k: given[k]["result"] if k in given else res[k] for k in ("default", "sdd")}
    problog = " | ".join(f"{cell(pb[k], limits[k], 'wall')} | {cell(pb[k], limits[k], 'compile')}"
                         f" | {cell(pb[k], limits[k], 'eval')}" for k in pb)
    ours = res["atlasc"]
    if any(r is None or "error" in r for r in (ours, cold, cached)):
        rows.append(f"| {name} | | {cell(cold, limit * 2, 'wall')} | "
                    f"{cell(cached, limit * 2, 'wall')} | | | | | {problog} | | | | |")
        print(rows[-1], flush=True)
        return
    ok = [check(ours, pb[k]) for k in pb]
    for r in (cold, cached):
        check(r, pb["default"] if pb["default"] and "answers" in pb["default"] else pb["sdd"])
    done = [r for r in pb.values() if r and "wall" in r and "error" not in r]
    best = min((r["wall"] for r in done), default=None)
    work = min((r["compile"] + r["eval"] for r in done), default=None)
    bound = min(limits.values())

    def speedup(theirs: float | None, mine: float) -> str:
        return f"{theirs / mine:.1f}x" if theirs else f"> {bound / mine:.0f}x"
    rows.append(f"| {name} | {ours['encoding']} | {cold['wall']:.2f} | {cached['wall']:.2f} | "
                f"{ours['ground']:.3f} | {ours['compile'] - ours['ground']:.3f} | "
                f"{ours['eval']:.3f} | {ours['size']} | {problog} | "
                f"{speedup(best, cold['wall'])} | {speedup(best, cached['wall'])} | "
                f"{speedup(work, ours['compile'] + ours['eval'])} | {'/'.join(ok)} |")
    print(rows[-1], flush=True)


def program(case: str) -> tuple[str, str]:
    """A case named on the command line (alarm, grid6, smokers24): its row name and text."""
    if case == "alarm":
        return "alarm (37 vars, 105 queries)", alarm_program()
    if case.startswith("grid"):
        n = int(case[4:])
        return f"grid {n}x{n}", grid_program(n)
    n = int(case.removeprefix("smokers"))
    return f"smokers n={n}", smokers_program(n)


def long_runs(cases: list[str], limit: float, jobs: int, save: Path) -> None:
    """ProbLog alone on the big cases, both pipelines, each in its own process under nice 10
    at the CPU limit, `jobs` at a time; each result is added to `save` (JSON) as it ends, for
    the table run's --problog-from."""
    from concurrent.futures import ThreadPoolExecutor
    d = Path(tempfile.mkdtemp())
    work = []
    for case in cases:
        name, text = program(case)
        f = d / f"{case}.pl"
        f.write_text(text)
        work += [(name, k, f) for k in ("sdd", "default")]
    lock = threading.Lock()

    def one(name: str, k: str, f: Path) -> None:
        r = run(PROBLOG_RUN, [str(f), k], limit, nice=10)
        with lock:
            got = json.loads(save.read_text()) if save.exists() else {}
            got.setdefault(name, {})[k] = {"limit": limit, "result": r,
                                           "ended": time.strftime("%H:%M:%S")}
            save.write_text(json.dumps(got, indent=1))
        print(name, k, "did not finish" if r is None else r.get("wall"), flush=True)
    with ThreadPoolExecutor(jobs) as ex:
        for w in work:
            ex.submit(one, *w)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=120.0)
    ap.add_argument("--big-limit", type=float, default=600.0)
    ap.add_argument("--grid", type=int, nargs="*", default=[3, 4, 5, 6])
    ap.add_argument("--smokers", type=int, nargs="*", default=[4, 8, 12, 16, 20, 24])
    ap.add_argument("--problog-from", type=Path, help="ProbLog's results of --long runs (JSON)")
    ap.add_argument("--alarm", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--long", nargs="*", help="ProbLog alone on these cases (alarm, grid6, "
                    "smokers24), saved to --save")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT, help="the results table (markdown)")
    ap.add_argument("--save", type=Path, default=ROOT / "bench" / "problog-long.json")
    args = ap.parse_args()
    if args.long:
        long_runs(args.long, args.big_limit, args.jobs, args.save)
        return
    rows: list[str] = []
    started = time.perf_counter()
    saved = json.loads(args.problog_from.read_text()) if args.problog_from else None
    cases = (["alarm"] if args.alarm else []) + [f"grid{n}" for n in args.grid] + \
        [f"smokers{n}" for n in args.smokers]
    for case in cases:
        bench_case(*program(case), args.limit, rows, saved)
    write(rows, args, time.perf_counter() - started)


def write(rows: list[str], args: argparse.Namespace, total: float) -> None:
    head = ("| program | atlasc encoding | atlasc end to end, cold (s) | atlasc end to end, "
            "cached | atlasc ground | atlasc compile | atlasc eval | SDD size | "
            "ProbLog default end to end | compile | eval | ProbLog -k sdd end to end | "
            "compile | eval | speed-up end to end, cold (best ProbLog / atlasc) | speed-up, "
            "cached | speed-up compile + eval | same answers (default/sdd) |\n|" + "---|" * 18)
    command = (f"`.venv/bin/python bench/problog.py --limit {args.limit:.0f} --grid "
               f"{' '.join(map(str, args.grid))} --smokers {' '.join(map(str, args.smokers))}"
               + (f" --problog-from {args.problog_from}" if args.problog_from else "")
               + ("" if args.alarm else " --no-alarm") + "`")
    text = (TEXT.replace("COMMAND", command).replace("TOTAL", f"{total:.0f}")
            .replace("DATE", str(datetime.date.today())).replace("HEAD", head)
            .replace("ROWS", "\n".join(rows)))
    args.out.write_text(text)
    print(text)


TEXT = """# ProbLog programs: atlasc against ProbLog

COMMAND (DATE, total TOTAL s of wall time)

HEAD
ROWS
"""


if __name__ == "__main__":
    main()
