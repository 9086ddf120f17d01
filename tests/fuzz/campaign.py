"""The long fuzz campaign (`make fuzz`): N inputs over every format, each in a child process
with a timeout, so a crash (the child dies) or a hang (no answer in TIMEOUT seconds) is seen.

    python -m tests.fuzz.campaign --cases 100000 --seed 1 --out bench/fuzz-results.json

Every input is reproducible from (seed, index): `python -m tests.fuzz.campaign --replay S:I`
writes it to a folder and prints its outcome.  Failing inputs are saved under --save for
regression tests.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from collections import Counter
from typing import Any

TIMEOUT = 20.0
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


class Runner:
    """One child process at a time; restarted after a crash or a hang."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.proc: Any = None

    def start(self) -> None:
        """A fresh child; the clock of its first case starts once it has imported."""
        self.jobs, self.results = self.ctx.Queue(), self.ctx.Queue()
        self.proc = self.ctx.Process(target=_child, args=(self.jobs, self.results), daemon=True)
        self.proc.start()
        assert self.results.get(timeout=600) == ("ready",)

    def run(self, seed: int, index: int) -> tuple[str, str, str]:
        if self.proc is None or not self.proc.is_alive():
            self.start()
        self.jobs.put((seed, index))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                _, kind, out, detail = self.results.get(timeout=0.5)
                return kind, out, detail
            except Exception:            # noqa: BLE001 - queue.Empty: keep waiting
                if not self.proc.is_alive():
                    code = self.proc.exitcode
                    self.proc = None
                    return "?", "crash", f"child exited with {code}"
        self.proc.kill()
        self.proc.join()
        self.proc = None
        return "?", "hang", f"no answer in {TIMEOUT:g}s"

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.jobs.put(None)
            self.proc.join(5)


def campaign(cases: int, seed: int, out: str, save: str | None) -> dict[str, Any]:
    runner, counts, by_kind = Runner(), Counter(), Counter()
    failures: list[dict[str, Any]] = []
    start = time.monotonic()
    for i in range(cases):
        kind, result, detail = runner.run(seed, i)
        kind = kind if kind != "?" else case_for(seed, i).kind
        counts[result] += 1
        by_kind[kind] += 1
        if result in BAD:
            failures.append({"seed": seed, "index": i, "format": kind, "outcome": result,
                             "detail": detail})
            if save:
                _save(save, seed, i)
        if (i + 1) % 1000 == 0 or i + 1 == cases:
            _write(out, cases, seed, i + 1, counts, by_kind, failures, time.monotonic() - start)
    runner.stop()
    return json.load(open(out))


def _write(out: str, cases: int, seed: int, done: int, counts: Counter, by_kind: Counter,
           failures: list[dict[str, Any]], seconds: float) -> None:
    data = {"seed": seed, "planned": cases, "done": done, "seconds": round(seconds, 1),
            "outcomes": dict(counts), "formats": dict(by_kind),
            "bad": sum(counts[k] for k in BAD), "failures": failures[:200]}
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, out)


def _save(folder: str, seed: int, index: int) -> None:
    d = os.path.join(folder, f"{seed}-{index}")
    os.makedirs(d, exist_ok=True)
    case_for(seed, index).write(d)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="bench/fuzz-results.json")
    ap.add_argument("--save", default=None, help="folder for the failing inputs")
    ap.add_argument("--replay", default=None, metavar="SEED:INDEX")
    a = ap.parse_args(argv)
    if a.replay:
        from tests.fuzz.oracle import outcome
        s, i = (int(x) for x in a.replay.split(":"))
        c = case_for(s, i)
        folder = f"/tmp/atlasc-replay-{s}-{i}"
        os.makedirs(folder, exist_ok=True)
        print(c.write(folder))
        o = outcome(c)
        print(o.kind, o.detail, sep="\n")
        return 0 if o.kind not in BAD else 1
    res = campaign(a.cases, a.seed, a.out, a.save)
    print(json.dumps({k: v for k, v in res.items() if k != "failures"}, indent=1))
    return 0 if res["bad"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
