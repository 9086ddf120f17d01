"""Run every bench in bench/*.py (except this file), each in its own process."""
from __future__ import annotations

import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    status = 0
    for path in sorted(glob.glob(os.path.join(HERE, "*.py"))):
        if os.path.basename(path) in ("run.py", "__init__.py"):
            continue
        print(f"== {os.path.basename(path)}", flush=True)
        status |= subprocess.call([sys.executable, path])
    return status


if __name__ == "__main__":
    sys.exit(main())
