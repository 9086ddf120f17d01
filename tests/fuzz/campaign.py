"""The long fuzz campaign (`make fuzz`): N inputs over every format, each run by a pre-forked
worker process (one interpreter per worker, not per input) with a timeout, so a crash (the
worker dies) or a hang (no answer in TIMEOUT seconds of the worker's CPU time) is seen.

    python -m tests.fuzz.campaign --cases 100000 --seed 1 --jobs 2 --out bench/fuzz-results.json

The clock is the worker's CPU time (user + system, from /proc), not the wall clock, so a
machine shared with other work does not turn slow inputs into hangs; a wall-clock cap of
WALL_CAP seconds still ends a worker that sleeps.  The campaign runs in chunks of CHUNK inputs
and writes its counts after each; `--resume` continues from the last chunk written.  Every
input is reproducible from (seed, index): `python -m tests.fuzz.campaign --replay S:I` writes
it to a folder and prints its outcome.  Failing inputs are saved under --save for regression
tests.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from typing import Any

TIMEOUT = 20.0          # seconds of the worker's CPU time per input
WALL_CAP = 3600.0       # seconds of wall time per input, whatever the load (nice 19 on a busy machine)
CHUNK = 500
BAD = ("internal", "unpositioned", "wrong", "crash", "hang")


def case_for(seed: int, index: int) -> Any:
    from tests.fuzz.inputs import case
    return case(random.Random(f"{seed}:{index}"))


def _child(jobs: Any, results: Any) -> None:
    from tests.fuzz.oracle import outcome
    import atlasc.runtime.evaluator  # noqa: F401 - imports (and the JIT) before the clock runs
    results.put(("ready",))
    while True:
        job = jobs.get()
        if job is None:
            return
        seed, index = job
        c = case_for(seed, index)
        o = outcome(c)
        results.put((index, c.kind, o.kind, o.detail[-2000:]))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 where that is not readable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Runner:
    """One worker process; restarted after a crash or a hang."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.proc: Any = None

    def start(self) -> None:
        """A fresh worker; the clock of its first case starts once it has imported."""
        self.jobs, self.results = self.ctx.Queue(), self.ctx.Queue()
        self.proc = self.ctx.Process(target=_child, args=(self.jobs, self.results), daemon=True)
        self.proc.start()
        assert self.results.get(timeout=1800) == ("ready",)

    def run(self, seed: int, index: int) -> tuple[str, str, str]:
        if self.proc is None or not self.proc.is_alive():
            self.start()
        cpu0, wall0 = cpu_seconds(self.proc.pid), time.monotonic()
        self.jobs.put((seed, index))
        while True:
            try:
                _, kind, out, detail = self.results.get(timeout=0.25)
                return kind, out, detail
            except Exception:            # noqa: BLE001 - queue.Empty: keep waiting
                if not self.proc.is_alive():
                    code = self.proc.exitcode
                    self.proc = None
                    return "?", "crash", f"worker exited with {code}"
            cpu = cpu_seconds(self.proc.pid) - cpu0
            if cpu > TIMEOUT or time.monotonic() - wall0 > WALL_CAP:
                break
        self.proc.kill()
        self.proc.join()
        self.proc = None
        return "?", "hang", f"no answer in {cpu:.1f}s of CPU ({time.monotonic() - wall0:.0f}s wall)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.jobs.put(None)
            self.proc.join(5)
            if self.proc.is_alive():        # busy with a case: the campaign is being stopped
                self.proc.kill()
                self.proc.join()


class State:
    """The campaign's counts so far (what the results file holds)."""

    def __init__(self, seed: int, cases: int, old: dict[str, Any] | None = None) -> None:
        old = old or {}
        self.seed, self.cases = seed, cases
        self.done = old.get("done", 0)
        self.seconds = old.get("seconds", 0.0)
        self.counts = Counter(old.get("outcomes", {}))
        self.by_kind = Counter(old.get("formats", {}))
        self.failures: list[dict[str, Any]] = old.get("failures", [])
        self.lock = threading.Lock()
        self.stopping = threading.Event()    # set on the way out (SIGTERM): no further case

    def add(self, index: int, kind: str, result: str, detail: str) -> bool:
        with self.lock:
            self.counts[result] += 1
            self.by_kind[kind] += 1
            if result in BAD:
                self.failures.append({"seed": self.seed, "index": index, "format": kind,
                                      "outcome": result, "detail": detail})
            return result in BAD

    def write(self, out: str) -> None:
        self.failures.sort(key=lambda f: f["index"])
        data = {"seed": self.seed, "planned": self.cases, "done": self.done,
                "seconds": round(self.seconds, 1), "outcomes": dict(self.counts),
                "formats": dict(self.by_kind), "bad": sum(self.counts[k] for k in BAD),
                "failures": self.failures[:500]}
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, out)


def campaign(cases: int, seed: int, out: str, save: str | None, jobs: int = 1,
             resume: bool = False) -> dict[str, Any]:
    old = json.load(open(out)) if resume and os.path.exists(out) else None
    if old is not None and old.get("seed") != seed:
        raise SystemExit(f"{out} is a campaign of seed {old.get('seed')}, not {seed}")
    st = State(seed, cases, old)
    runners = [Runner() for _ in range(jobs)]
    try:
        _chunks(runners, st, cases, out, save)
    finally:
        st.stopping.set()
        for r in runners:
            r.stop()
    return json.load(open(out))


def _chunks(runners: list[Runner], st: State, cases: int, out: str, save: str | None) -> None:
    jobs = len(runners)
    while st.done < cases:
        start, stop = st.done, min(cases, st.done + CHUNK)
        t0 = time.monotonic()
        threads = [threading.Thread(target=_share, args=(r, range(start + j, stop, jobs), st,
                                                         save))
                   for j, r in enumerate(runners)]
        for t in threads:
            t.daemon = True                  # a stopped campaign does not wait for them
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        st.done, st.seconds = stop, st.seconds + time.monotonic() - t0
        st.write(out)


def _share(runner: Runner, indices: range, st: State, save: str | None) -> None:
    for i in indices:
        if st.stopping.is_set():
            return
        kind, result, detail = runner.run(st.seed, i)
        kind = kind if kind != "?" else case_for(st.seed, i).kind
        if st.add(i, kind, result, detail) and save:
            _save(save, st.seed, i)


def _save(folder: str, seed: int, index: int) -> None:
    d = os.path.join(folder, f"{seed}-{index}")
    os.makedirs(d, exist_ok=True)
    case_for(seed, index).write(d)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--resume", action="store_true", help="continue the campaign in --out")
    ap.add_argument("--out", default="bench/fuzz-results.json")
    ap.add_argument("--save", default=None, help="folder for the failing inputs")
    ap.add_argument("--replay", default=None, metavar="SEED:INDEX")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))    # workers stopped on the way out
    if a.replay:
        return _replay(a.replay)
    res = campaign(a.cases, a.seed, a.out, a.save, a.jobs, a.resume)
    print(json.dumps({k: v for k, v in res.items() if k != "failures"}, indent=1))
    return 0 if res["bad"] == 0 else 1


def _replay(spec: str) -> int:
    from tests.fuzz.oracle import outcome
    s, i = (int(x) for x in spec.split(":"))
    c = case_for(s, i)
    folder = f"/tmp/atlasc-replay-{s}-{i}"
    os.makedirs(folder, exist_ok=True)
    print(c.write(folder))
    o = outcome(c)
    print(o.kind, o.detail, sep="\n")
    return 0 if o.kind not in BAD else 1


if __name__ == "__main__":
    sys.exit(main())
