"""`make run`'s showcase (examples/showcase.sh) runs every example it lists, with exit 0."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_showcase_runs_every_listed_example() -> None:
    script = ROOT / "examples" / "showcase.sh"
    atlasc = Path(sys.executable).parent / "atlasc"
    done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "ATLASC": str(atlasc)}, check=False)
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"examples/(\w+)\.query", script.read_text())
    assert {"sprinkler", "marginals", "mpe", "mmap", "backdoor", "pasp"} <= set(listed)
    assert done.stdout.count("==== ") == len(set(listed))
    assert "one upward and one downward pass" in done.stdout and "argmax" in done.stdout
